/**
 * The admin API's operations (the admin function, handlers/admin.ts, serves the configuration):
 * import central data (POST /admin/v1/records, /admin/v1/v6-records), read, replay and resolve
 * the quarantine, the sync report and the central reports with their back-fill. The same
 * administrator's bearer token, the same answers; lib/functions.ts routes these paths here.
 */
import { dynamoDb } from '../commons/clients';
import { adapters, pushDependencies } from '../commons/adapters';
import { tableName } from '../commons/environment';
import { lazyHandler } from '../commons/lazy-handler';
import { DynamoV6Store } from '../storage/v6-store';
import { createAdminApiHandler } from '../admin-api/handler';
import { sharedAdminDeps } from '../admin-api/production-deps';
import { adminOperationsRoutes } from '../admin-api/registry-operations';
import type { AdminDeps } from '../admin-api/types';

/** The operations routes (registry-operations.ts). */
export const createAdminOperationsHandler = (deps: AdminDeps) => createAdminApiHandler(adminOperationsRoutes, deps);

export const handler = lazyHandler(() =>
  createAdminOperationsHandler({
    ...sharedAdminDeps(adapters.quarantine),
    data: {
      push: pushDependencies(),
      quarantine: adapters.quarantine,
      outgoing: adapters.outgoing,
      v6: { v6Store: new DynamoV6Store(dynamoDb(), tableName('v6Sync')), legacyCopy: adapters.centralCopy },
    },
    reports: { figures: adapters.reportFigures, projection: adapters.reportProjection, centralCopy: adapters.centralCopy },
  }),
);
