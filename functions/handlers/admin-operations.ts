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
import { silentAfterDaysFromEnvironment } from '../commons/silent-after-days';
import { DynamoAttemptGate } from '../storage/attempt-gate';
import { ConfigStore } from '../storage/config-store';
import { DynamoV6Store } from '../storage/v6-store';
import { DynamoAuditLog } from '../storage/audit-log';
import { resetInitialisation } from '../storage/initialisation-reset';
import { lastChanges } from '../storage/record-changes';
import { adminTokenFromEnvironment } from '../admin-api/auth';
import { createAdminApiHandler } from '../admin-api/handler';
import { adminOperationsRoutes } from '../admin-api/registry-operations';
import type { AdminDeps } from '../admin-api/types';

/** The operations routes (registry-operations.ts). */
export const createAdminOperationsHandler = (deps: AdminDeps) => createAdminApiHandler(adminOperationsRoutes, deps);

export const handler = lazyHandler(() =>
  createAdminOperationsHandler({
    store: new ConfigStore(dynamoDb(), tableName('config')),
    adminToken: adminTokenFromEnvironment(),
    attempts: new DynamoAttemptGate(dynamoDb(), tableName('siteState')),
    silentAfterDays: silentAfterDaysFromEnvironment(),
    data: {
      push: pushDependencies(),
      quarantine: adapters.quarantine,
      outgoing: adapters.outgoing,
      v6: { v6Store: new DynamoV6Store(dynamoDb(), tableName('v6Sync')), legacyCopy: adapters.centralCopy },
    },
    syncReport: { sessions: adapters.sessions, progress: adapters.progress, outgoing: adapters.outgoing, refusals: adapters.refusalCounts },
    reports: { figures: adapters.reportFigures, projection: adapters.reportProjection, centralCopy: adapters.centralCopy },
    operatorActions: {
      entries: adapters.quarantine,
      lastChanges: (keys) => lastChanges(dynamoDb(), tableName('records'), keys),
      audit: (entry, actor) => new DynamoAuditLog(dynamoDb(), tableName('config')).append(entry, actor),
      resetInitialisation: (siteId) => resetInitialisation(dynamoDb(), tableName('siteState'), siteId),
    },
  }),
);
