/**
 * ANY /admin/v1/{proxy+}: operators configure sites (and re-initialise them), stores, sync-with,
 * visibility, preferences and users, move stores, and read the audit log and the configuration.
 * Every route needs the administrator's bearer token (site credentials never open it); every
 * privileged change is logged and kept in the audit log with who and when.
 *
 * The admin API is two functions routed by path (lib/functions.ts): this one, which also answers
 * every /admin/v1 path the other has no route for (a 404 or 405 as one function would), and
 * handlers/admin-operations.ts (data import, quarantine, sync report, reports). The routes live in
 * functions/admin-api/, one module per resource; GET /admin/v1/openapi.json serves the whole API's
 * document, generated from the same definitions (`npm run openapi`, committed).
 */
import { adapters, newWorkId, systemClock } from '../commons/adapters';
import { lazyHandler } from '../commons/lazy-handler';
import { adminTokenFromEnvironment } from '../admin-api/auth';
import { createAdminApiHandler } from '../admin-api/handler';
import { sharedAdminDeps } from '../admin-api/production-deps';
import type { openApiDocument as documentOf } from '../admin-api/openapi';
import { adminConfigurationRoutes } from '../admin-api/registry-configuration';
import { servedOpenApiText } from '../admin-api/served-openapi';
import type { AdminDeps } from '../admin-api/types';
import type { Quarantine } from '../domain/ports';
import type { QuarantineEntries } from '../services/quarantine-actions';

export { ADMIN_BASE_PATH } from '../admin-api/types';
export { adminTokenFromEnvironment };
export type { AdminDataDeps, AdminDeps } from '../admin-api/types';

/** The document GET /admin/v1/openapi.json serves, parsed. */
export const openApiDocument = (): ReturnType<typeof documentOf> => JSON.parse(servedOpenApiText()) as ReturnType<typeof documentOf>;

/** The configuration routes (registry-configuration.ts) and GET /admin/v1/openapi.json. */
export const createAdminHandler = (deps: AdminDeps) => createAdminApiHandler(adminConfigurationRoutes, deps, servedOpenApiText);

/**
 * The quarantine, which none of this function's routes reads or writes (they are the operations
 * function's) and whose table it is not granted: a call would be a misrouted route, so it fails loudly.
 */
const noQuarantine = new Proxy({} as Quarantine & QuarantineEntries, {
  get: (_target, method) => (method === 'then' ? undefined : () => Promise.reject(new Error(`The admin function keeps no quarantine (${String(method)}): that route belongs to adminOperations.`))),
});

export const handler = lazyHandler(() =>
  createAdminHandler({
    ...sharedAdminDeps(noQuarantine),
    // Store and user records follow configuration changes (central copy, fanOut work); a move
    // waits for both sites' queues; re-initialising reads one.
    data: {
      push: { centralCopy: adapters.centralCopy, quarantine: noQuarantine, work: adapters.work, progress: adapters.progress, now: systemClock, newId: newWorkId },
      quarantine: noQuarantine,
      outgoing: adapters.outgoing,
    },
  }),
);
