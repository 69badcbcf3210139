/**
 * ANY /admin/v1/{proxy+}: operators configure sites, stores, sync-with, visibility and
 * preferences. Every route needs the administrator's bearer token (site credentials never open
 * it); every privileged change is logged and kept in the audit log with who and when.
 * GET /admin/v1/openapi.json describes the API, generated from the same zod schemas.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { dynamoDb } from '../commons/clients';
import { tableName } from '../commons/environment';
import { HttpError, httpHandler, json, type HttpEvent, type HttpResult } from '../commons/http';
import { lazyHandler } from '../commons/lazy-handler';
import { logger } from '../commons/observability';
import { exportConfig } from '../domain/config/config-file';
import { hashPassword as scryptPassword, secretsEqual } from '../domain/config/credentials';
import type { Site, Store, SyncConfig } from '../domain/config/model';
import { applyCommand, type ConfigCommand } from '../domain/config/operations';
import { allSites, allStores, centralSite, getSite, getStore, instanceType, namesVisibleIn, syncWith } from '../domain/config/queries';
import * as schemas from '../protocol/admin';
import { splitPushedRecords } from '../protocol/v5';
import { acceptPush, type PushDeps } from '../services/push';
import { queueSiteWork, queueWorkForSites } from '../services/site-work';
import { storeRecordHolders, writeStoreRecords } from '../services/store-records';
import { storeRecordChanges } from '../domain/config/store-record';
import type { OutgoingQueue, Quarantine, RecordSource } from '../domain/ports';
import { adapters, pushDependencies } from '../commons/adapters';
import { randomUUID } from 'node:crypto';
import { ConfigStore, type ApplyOptions, type CommittedResult } from '../storage/config-store';
import { importV6Records, importV6RecordsBody, importV6RecordsResponse } from '../services/v6-import';
import type { V6PushDeps } from '../services/v6-push';
import { DynamoV6Store } from '../storage/v6-store';
import { allUsers, defaultUserId, getUser } from '../domain/users/users';
import type { User } from '../domain/config/model';
import { writeUserRecords } from '../services/user-records';
import { decodePathSegment, parseJsonText } from '../protocol/json-text';
import { InvalidPageTokenError } from '../storage/page-token';
import { sourceOf } from '../domain/auth/attempt-gate';
import type { AttemptGate } from '../domain/ports';
import { siteGateName } from '../commons/site-auth';
import { DynamoAttemptGate, SITE_GATE_SCOPE } from '../storage/attempt-gate';

export const ADMIN_BASE_PATH = '/admin/v1';

export interface AdminDeps {
  readonly store: ConfigStore;
  /** The administrator's token; read once and cached by the caller. */
  readonly adminToken: () => Promise<string>;
  /** Turns a typed password into the stored credential. @default scrypt of its SHA-256 */
  readonly hashPassword?: (password: string) => string;
  /** Central data import and the quarantine list; without them those routes answer 503. */
  readonly data?: AdminDataDeps | null;
  /** Throttles token guesses per source address; without it nothing is throttled. */
  readonly attempts?: AttemptGate | null;
  readonly now?: () => Date;
}

export interface AdminDataDeps {
  readonly push: PushDeps;
  readonly quarantine: Quarantine;
  /** Queue lengths, checked before a store moves. */
  readonly outgoing: OutgoingQueue;
  /** Sync v6 data import (`POST /v6-records`); without it that route answers 503. */
  readonly v6?: V6PushDeps;
}

interface Request {
  readonly params: Record<string, string>;
  readonly query: Record<string, string | undefined>;
  readonly body: unknown;
  readonly actor: string;
}

interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly summary: string;
  readonly body?: z.ZodType;
  readonly response?: z.ZodType;
  readonly status?: number;
  readonly privileged?: boolean;
  readonly run: (deps: Required<AdminDeps>, request: Request) => Promise<HttpResult>;
}

// --- views -----------------------------------------------------------------------------------

const siteView = (config: SyncConfig, site: Site): z.infer<typeof schemas.siteView> => ({
  siteId: site.siteId,
  name: site.name,
  code: site.code,
  kind: site.kind,
  hasPassword: site.credential !== '',
  hardwareId: site.hardwareId,
  isPrimary: config.preferences.primarySiteId === site.siteId,
});
const storeView = ({ collectorSiteIds: _c, ...store }: Store): z.infer<typeof schemas.storeView> => store;
const syncWithView = (config: SyncConfig, storeId: string) => ({
  storeId,
  sites: allSites(config).map((site) => ({
    siteId: site.siteId,
    syncWith: syncWith(config, storeId, site.siteId),
    type: instanceType(config, storeId, site.siteId),
  })),
});

// --- helpers ---------------------------------------------------------------------------------

function siteIdParam(request: Request, name = 'siteId'): number {
  const parsed = schemas.siteIdSchema.safeParse(request.params[name]);
  if (!parsed.success || !/^\d+$/.test(request.params[name] ?? ''))
    throw new HttpError(400, 'invalid_site_id', `A site id is a whole number from 1; got "${request.params[name]}".`);
  return parsed.data;
}

const parse = <T extends z.ZodType>(schema: T, body: unknown): z.infer<T> => {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    throw new HttpError(400, 'invalid_body', `The request body is invalid: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`, { issues });
  }
  return parsed.data;
};

async function change(deps: Required<AdminDeps>, request: Request, command: ConfigCommand, options: ApplyOptions = {}): Promise<SyncConfig> {
  let before: SyncConfig | undefined;
  const result: CommittedResult = await deps.store.apply((config) => {
    before = config;
    return applyCommand(config, command);
  }, request.actor, options);
  if (!result.ok) throw new HttpError(result.status, result.code, result.message);
  if (result.auditRecord) logger.info('privileged configuration change', { ...result.auditRecord });
  if (before) await sendChangedStoreRecords(deps, before, result.config);
  return result.config;
}

/**
 * Store records follow the configuration: every store whose record fields or holding sites
 * changed gets its corrected record, written here as a new version, and sent in the background
 * to the sites holding it now and those that held it before. Written and queued (durably, with
 * each such site's work marker) before the change is answered.
 */
async function sendChangedStoreRecords(deps: Required<AdminDeps>, before: SyncConfig, after: SyncConfig) {
  if (!deps.data) return;
  const stores = storeRecordChanges(before, after, storeRecordHolders);
  if (stores.length === 0) return;
  // Written now, so work queued after this (a moved store's data for its new site) reads the new
  // version; the names go into the change log in the background job, before the store records.
  await writeStoreRecords({ centralCopy: deps.data.push.centralCopy }, after, stores.map((store) => store.storeId));
  const remote = (siteId: number) => getSite(after, siteId)?.kind !== 'central';
  const siteIds = [...new Set(stores.flatMap((store) => [...storeRecordHolders(after, store.storeId), ...store.formerHolders]))].filter(remote).sort((a, b) => a - b);
  await queueWorkForSites(deps.data.push, siteIds, { kind: 'storeRecords', workId: deps.data.push.newId(), siteIds, stores });
}

const userView = ({ credential, stores, ...user }: User): z.infer<typeof schemas.userView> => ({
  ...user,
  hasPassword: credential !== '',
  stores: stores.map((store) => ({ storeId: store.storeId, permissions: [...store.permissions] })),
});

/**
 * A user change, then the user's `user` record as the configuration now says (inactive once
 * deleted), written and routed in the background to every site as central data.
 */
async function changeUser(deps: Required<AdminDeps>, request: Request, command: ConfigCommand, userId: string): Promise<SyncConfig> {
  const config = await change(deps, request, command);
  const central = centralSite(config);
  if (!deps.data || !central) return config;
  const keys = await writeUserRecords(deps.data.push, config, [userId]);
  if (keys.length > 0) await queueSiteWork(deps.data.push, central.siteId, { kind: 'route', workId: deps.data.push.newId(), originSiteId: central.siteId, keys });
  return config;
}

const found = <T>(value: T | undefined, what: string, code: string): T => {
  if (value === undefined) throw new HttpError(404, code, `${what} does not exist.`);
  return value;
};

// --- routes ----------------------------------------------------------------------------------

const routes: Route[] = [
  {
    method: 'GET',
    path: '/sites',
    summary: 'List sites',
    response: z.object({ sites: z.array(schemas.siteView) }),
    run: async ({ store }) => {
      const config = await store.load();
      return json(200, { sites: allSites(config).map((site) => siteView(config, site)) });
    },
  },
  {
    method: 'POST',
    path: '/sites',
    summary: 'Create a site (optionally with its password)',
    body: schemas.createSiteBody,
    response: schemas.siteView,
    status: 201,
    run: async (deps, request) => {
      const { password, ...site } = parse(schemas.createSiteBody, request.body);
      const credential = password === undefined ? undefined : deps.hashPassword(password);
      const config = await change(deps, request, { type: 'createSite', site: { ...site, credential } });
      return json(201, siteView(config, getSite(config, site.siteId)!));
    },
  },
  {
    method: 'GET',
    path: '/sites/{siteId}',
    summary: 'Get a site',
    response: schemas.siteView,
    run: async ({ store }, request) => {
      const config = await store.load();
      const siteId = siteIdParam(request);
      return json(200, siteView(config, found(getSite(config, siteId), `Site ${siteId}`, 'site_not_found')));
    },
  },
  {
    method: 'PATCH',
    path: '/sites/{siteId}',
    summary: 'Change a site\'s name, code or kind',
    body: schemas.updateSiteBody,
    response: schemas.siteView,
    run: async (deps, request) => {
      const siteId = siteIdParam(request);
      const config = await change(deps, request, { type: 'updateSite', siteId, changes: parse(schemas.updateSiteBody, request.body) });
      return json(200, siteView(config, getSite(config, siteId)!));
    },
  },
  {
    method: 'DELETE',
    path: '/sites/{siteId}',
    summary: 'Delete a site (refused while stores are active on it or it is the primary)',
    status: 204,
    run: async (deps, request) => {
      await change(deps, request, { type: 'deleteSite', siteId: siteIdParam(request) });
      return { statusCode: 204 };
    },
  },
  {
    method: 'PUT',
    path: '/sites/{siteId}/password',
    summary: 'Set a site\'s password (privileged)',
    body: schemas.setPasswordBody,
    response: schemas.siteView,
    privileged: true,
    run: async (deps, request) => {
      const siteId = siteIdParam(request);
      const { password } = parse(schemas.setPasswordBody, request.body);
      const config = await change(deps, request, { type: 'setSiteCredential', siteId, credential: deps.hashPassword(password) });
      return json(200, siteView(config, getSite(config, siteId)!));
    },
  },
  {
    method: 'POST',
    path: '/sites/{siteId}/release-hardware',
    summary: 'Release a site\'s hardware binding so it can initialise on new hardware (privileged)',
    response: schemas.siteView,
    privileged: true,
    run: async (deps, request) => {
      const siteId = siteIdParam(request);
      const config = await change(deps, request, { type: 'releaseHardware', siteId }, { freshBindings: [siteId] });
      return json(200, siteView(config, getSite(config, siteId)!));
    },
  },
  {
    method: 'POST',
    path: '/sites/{siteId}/clear-login-throttle',
    summary: 'Forget the password attempts counted for a site, from every address, so none of them waits (privileged)',
    response: z.object({ siteId: z.number(), cleared: z.number() }),
    privileged: true,
    run: async (deps, request) => {
      const siteId = siteIdParam(request);
      const site = found(getSite(await deps.store.current(), siteId), `Site ${siteId}`, 'site_not_found');
      if (!deps.attempts) throw new HttpError(503, 'throttle_not_configured', 'This deployment counts no password attempts.');
      let cleared = 0;
      for (const bound of [true, false]) cleared += await deps.attempts.clearAll(SITE_GATE_SCOPE, siteGateName(site.name, bound));
      logger.info('login throttle cleared', { actor: request.actor, siteId, cleared });
      return json(200, { siteId, cleared });
    },
  },
  {
    method: 'GET',
    path: '/stores',
    summary: 'List stores',
    response: z.object({ stores: z.array(schemas.storeView) }),
    run: async ({ store }) => json(200, { stores: allStores(await store.current()).map(storeView) }),
  },
  {
    method: 'POST',
    path: '/stores',
    summary: 'Create a store, active on an existing site',
    body: schemas.createStoreBody,
    response: schemas.storeView,
    status: 201,
    run: async (deps, request) => {
      const body = parse(schemas.createStoreBody, request.body);
      const config = await change(deps, request, { type: 'createStore', store: body });
      return json(201, storeView(getStore(config, body.id)!));
    },
  },
  {
    method: 'GET',
    path: '/stores/{storeId}',
    summary: 'Get a store',
    response: schemas.storeView,
    run: async ({ store }, request) => {
      const storeId = request.params.storeId!;
      return json(200, storeView(found(getStore(await store.current(), storeId), `Store ${storeId}`, 'store_not_found')));
    },
  },
  {
    method: 'PATCH',
    path: '/stores/{storeId}',
    summary: 'Change a store\'s code, name or mode',
    body: schemas.updateStoreBody,
    response: schemas.storeView,
    run: async (deps, request) => {
      const storeId = request.params.storeId!;
      const config = await change(deps, request, { type: 'updateStore', storeId, changes: parse(schemas.updateStoreBody, request.body) });
      return json(200, storeView(getStore(config, storeId)!));
    },
  },
  {
    method: 'DELETE',
    path: '/stores/{storeId}',
    summary: 'Delete a store (refused while it is visible in other stores)',
    status: 204,
    run: async (deps, request) => {
      await change(deps, request, { type: 'deleteStore', storeId: request.params.storeId! });
      return { statusCode: 204 };
    },
  },
  {
    method: 'PUT',
    path: '/stores/{storeId}/active-site',
    summary: 'Make the store active on another site (privileged); the previous site keeps a collector copy by default',
    body: schemas.setActiveSiteBody,
    response: schemas.syncWithView,
    privileged: true,
    run: async (deps, request) => {
      const storeId = request.params.storeId!;
      const { siteId, keepCollectorOnPreviousSite, force } = parse(schemas.setActiveSiteBody, request.body);
      const before = await deps.store.current();
      const previousSiteId = getStore(before, storeId)?.activeSiteId;
      const moving = previousSiteId !== undefined && previousSiteId !== siteId;
      if (moving && deps.data && !force) await requireSynchronised(deps.data, before, [previousSiteId, siteId]);
      const config = await change(deps, request, { type: 'setActiveSite', storeId, siteId, keepCollectorOnPreviousSite });
      // The new active site gets the store's whole data from the central copy.
      if (moving) await sendRecords(deps, config, siteId, { index: 'byStore', value: storeId });
      return json(200, syncWithView(config, storeId));
    },
  },
  {
    method: 'PUT',
    path: '/stores/{storeId}/include-transactions',
    summary: 'Turn "include transactions in sync" on or off (privileged)',
    body: schemas.setIncludeTransactionsBody,
    response: schemas.storeView,
    privileged: true,
    run: async (deps, request) => {
      const storeId = request.params.storeId!;
      const { includeTransactionsInSync } = parse(schemas.setIncludeTransactionsBody, request.body);
      const config = await change(deps, request, { type: 'setIncludeTransactions', storeId, value: includeTransactionsInSync });
      return json(200, storeView(getStore(config, storeId)!));
    },
  },
  {
    method: 'GET',
    path: '/stores/{storeId}/sync-with',
    summary: 'The store\'s sync-with setting and instance type on every site',
    response: schemas.syncWithView,
    run: async ({ store }, request) => {
      const storeId = request.params.storeId!;
      const config = await store.current();
      found(getStore(config, storeId), `Store ${storeId}`, 'store_not_found');
      return json(200, syncWithView(config, storeId));
    },
  },
  {
    method: 'PUT',
    path: '/stores/{storeId}/sync-with/{siteId}',
    summary: 'Set the store\'s sync-with on one site (privileged)',
    body: schemas.setSyncWithBody,
    response: schemas.syncWithView,
    privileged: true,
    run: async (deps, request) => {
      const storeId = request.params.storeId!;
      const { syncWith: value } = parse(schemas.setSyncWithBody, request.body);
      const siteId = siteIdParam(request);
      const wasCollector = instanceType(await deps.store.current(), storeId, siteId) === 'collector';
      const config = await change(deps, request, { type: 'setSyncWith', storeId, siteId, syncWith: value });
      // A new collector gets the store's whole data, not only what changes from now on.
      if (!wasCollector && instanceType(config, storeId, siteId) === 'collector') await sendRecords(deps, config, siteId, { index: 'byStore', value: storeId });
      return json(200, syncWithView(config, storeId));
    },
  },
  {
    method: 'GET',
    path: '/stores/{storeId}/visibility',
    summary: 'Names visible in the store (name_store_join)',
    response: schemas.visibilityView,
    run: async ({ store }, request) => {
      const storeId = request.params.storeId!;
      const config = await store.current();
      found(getStore(config, storeId), `Store ${storeId}`, 'store_not_found');
      return json(200, { storeId, nameIds: namesVisibleIn(config, storeId) });
    },
  },
  {
    method: 'POST',
    path: '/stores/{storeId}/visibility',
    summary: 'Make a name visible in the store; a store\'s name is made visible both ways',
    body: schemas.addVisibilityBody,
    response: schemas.visibilityView,
    status: 201,
    run: async (deps, request) => {
      const storeId = request.params.storeId!;
      const { nameId } = parse(schemas.addVisibilityBody, request.body);
      const config = await change(deps, request, { type: 'addVisibility', storeId, nameId });
      await sendNewlyVisible(deps, config, storeId, nameId);
      return json(201, { storeId, nameIds: namesVisibleIn(config, storeId) });
    },
  },
  {
    method: 'DELETE',
    path: '/stores/{storeId}/visibility/{nameId}',
    summary: 'Hide a name in the store (both ways for a store\'s name); collector copies that relied on it go',
    status: 204,
    run: async (deps, request) => {
      await change(deps, request, { type: 'removeVisibility', storeId: request.params.storeId!, nameId: request.params.nameId! });
      return { statusCode: 204 };
    },
  },
  {
    method: 'GET',
    path: '/preferences',
    summary: 'System preferences',
    response: schemas.preferencesSchema,
    run: async ({ store }) => json(200, (await store.current()).preferences),
  },
  {
    method: 'PATCH',
    path: '/preferences',
    summary: 'Change system preferences; changing the primary site is privileged',
    body: schemas.updatePreferencesBody,
    response: schemas.preferencesSchema,
    run: async (deps, request) => {
      const config = await change(deps, request, { type: 'setPreferences', changes: parse(schemas.updatePreferencesBody, request.body) });
      return json(200, config.preferences);
    },
  },
  {
    method: 'GET',
    path: '/users',
    summary: 'List users (who log in on sites through POST /api/v4/login)',
    response: z.object({ users: z.array(schemas.userView) }),
    run: async ({ store }) => json(200, { users: allUsers(await store.current()).map(userView) }),
  },
  {
    method: 'POST',
    path: '/users',
    summary: 'Create a user with a password, the stores they may log in to and their permission numbers there (privileged)',
    body: schemas.createUserBody,
    response: schemas.userView,
    status: 201,
    privileged: true,
    run: async (deps, request) => {
      const { password, ...user } = parse(schemas.createUserBody, request.body);
      const id = user.id ?? defaultUserId(user.name);
      const config = await changeUser(deps, request, { type: 'createUser', user: { ...user, id, credential: deps.hashPassword(password) } }, id);
      return json(201, userView(getUser(config, id)!));
    },
  },
  {
    method: 'GET',
    path: '/users/{userId}',
    summary: 'Get a user',
    response: schemas.userView,
    run: async ({ store }, request) => {
      const userId = request.params.userId!;
      return json(200, userView(found(getUser(await store.current(), userId), `User ${userId}`, 'user_not_found')));
    },
  },
  {
    method: 'PATCH',
    path: '/users/{userId}',
    summary: 'Change a user\'s name, details, active flag, stores and permissions, or default store (privileged)',
    body: schemas.updateUserBody,
    response: schemas.userView,
    privileged: true,
    run: async (deps, request) => {
      const userId = request.params.userId!;
      const config = await changeUser(deps, request, { type: 'updateUser', userId, changes: parse(schemas.updateUserBody, request.body) }, userId);
      return json(200, userView(getUser(config, userId)!));
    },
  },
  {
    method: 'DELETE',
    path: '/users/{userId}',
    summary: 'Delete a user: their logins are refused, and sites get their record as inactive (privileged)',
    status: 204,
    privileged: true,
    run: async (deps, request) => {
      const userId = request.params.userId!;
      await changeUser(deps, request, { type: 'deleteUser', userId }, userId);
      return { statusCode: 204 };
    },
  },
  {
    method: 'PUT',
    path: '/users/{userId}/password',
    summary: 'Set a user\'s password (privileged); sites learn it at the user\'s next login there',
    body: schemas.setPasswordBody,
    response: schemas.userView,
    privileged: true,
    run: async (deps, request) => {
      const userId = request.params.userId!;
      const { password } = parse(schemas.setPasswordBody, request.body);
      const config = await change(deps, request, { type: 'setUserCredential', userId, credential: deps.hashPassword(password) });
      return json(200, userView(getUser(config, userId)!));
    },
  },
  {
    method: 'GET',
    path: '/audit',
    summary: 'Privileged changes, newest first',
    response: z.object({ entries: z.array(schemas.auditView) }),
    run: async ({ store }) => json(200, { entries: await store.audit() }),
  },
  {
    method: 'GET',
    path: '/config',
    summary: 'The whole configuration in the configuration-file format, without passwords',
    response: schemas.configFileSchema,
    run: async ({ store }) => json(200, exportConfig(await store.current())),
  },
  {
    method: 'POST',
    path: '/records',
    summary: 'Import records as the central server (central data, and the data of stores active on it)',
    body: schemas.importRecordsBody,
    response: schemas.importRecordsResponse,
    run: async (deps, request) => {
      const data = dataDeps(deps);
      const { records } = parse(schemas.importRecordsBody, request.body);
      const config = await deps.store.current();
      const central = centralSite(config);
      if (!central) throw new HttpError(409, 'no_central_site', 'The configuration has no central site to import as.');
      const { valid, invalid } = splitPushedRecords(records.map((record) => ({ syncOutId: `admin-${randomUUID()}`, ...(record as object) })));
      const outcome = await acceptPush(data.push, config, central.siteId, valid, invalid);
      logger.info('records imported', { actor: request.actor, accepted: outcome.accepted, refused: outcome.refused.length });
      return json(200, { accepted: outcome.accepted, ignored: outcome.ignored, refused: outcome.refused });
    },
  },
  {
    method: 'POST',
    path: '/v6-records',
    summary: 'Import sync v6 records as the central server (central v6 data, and the v6 data of stores active on it); services/v6-import.ts',
    body: importV6RecordsBody,
    response: importV6RecordsResponse,
    run: async (deps, request) => {
      const v6 = dataDeps(deps).v6;
      if (!v6) throw new HttpError(503, 'data_routes_unavailable', 'This server was started without the sync v6 import.');
      const result = await importV6Records(v6, await deps.store.current(), parse(importV6RecordsBody, request.body));
      if (!result.ok) throw new HttpError(409, 'no_central_site', result.message);
      logger.info('v6 records imported', { actor: request.actor, accepted: result.value.accepted, refused: result.value.refused.length });
      return json(200, result.value);
    },
  },
  {
    method: 'GET',
    path: '/quarantine',
    summary: 'Refused pushed records with the reason (?siteId=, ?limit= up to 1000, ?after= from the previous page)',
    response: schemas.quarantineListResponse,
    run: async (deps, request) => {
      const data = dataDeps(deps);
      const siteId = request.query.siteId === undefined ? undefined : siteIdParam({ ...request, params: { siteId: request.query.siteId } });
      const limit = Math.min(Math.max(Number(request.query.limit ?? 100) || 100, 1), 1000);
      try {
        return json(200, await data.quarantine.list({ siteId, limit, after: request.query.after }));
      } catch (error) {
        if (error instanceof InvalidPageTokenError) throw new HttpError(400, 'invalid_query', error.message);
        throw error;
      }
    },
  },
];

/** Queues, in the background, what a remote site has just become entitled to. */
async function sendRecords(deps: Required<AdminDeps>, config: SyncConfig, siteId: number, source: RecordSource) {
  if (!deps.data || getSite(config, siteId)?.kind === 'central') return;
  await queueSiteWork(deps.data.push, siteId, { kind: 'sendRecords', workId: deps.data.push.newId(), siteId, source });
}

/**
 * New visibility of a name in a store: the store's site may now hold that store's trades (a
 * store's name, both ways) or that patient's records (a plain name); send what exists already.
 */
async function sendNewlyVisible(deps: Required<AdminDeps>, config: SyncConfig, storeId: string, nameId: string) {
  const viewer = getStore(config, storeId);
  if (!viewer) return;
  const named = allStores(config).find((candidate) => candidate.nameId === nameId);
  if (!named) return sendRecords(deps, config, viewer.activeSiteId, { index: 'byPatient', value: nameId });
  await sendRecords(deps, config, viewer.activeSiteId, { index: 'byStore', value: named.id });
  await sendRecords(deps, config, named.activeSiteId, { index: 'byStore', value: viewer.id });
}

/** A store moves only between sites with nothing waiting for them and no work running. */
async function requireSynchronised(data: AdminDataDeps, config: SyncConfig, siteIds: readonly number[]) {
  const pending = [];
  for (const siteId of siteIds) {
    if (getSite(config, siteId)?.kind !== 'central') {
      const [waiting, workInProgress] = await Promise.all([data.outgoing.queueLength(siteId), data.push.progress.workInProgress(siteId)]);
      if (waiting > 0 || workInProgress) pending.push({ siteId, waiting, workInProgress });
    }
  }
  if (pending.length === 0) return;
  const what = pending.map((site) => `site ${site.siteId} has ${site.waiting} records to pull${site.workInProgress ? ' and work running' : ''}`);
  throw new HttpError(
    409,
    'sites_not_synchronised',
    `Both sites must be fully synchronised before a store moves: ${what.join('; ')}. Sync them, or pass "force": true if a site is gone for good.`,
    { pending },
  );
}

function dataDeps(deps: Required<AdminDeps>): AdminDataDeps {
  if (!deps.data) throw new HttpError(503, 'data_routes_unavailable', 'This server was started without the data import routes.');
  return deps.data;
}

const compiled = routes.map((route) => ({
  route,
  names: [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
  pattern: new RegExp(`^${route.path.replace(/\{\w+\}/g, '([^/]+)')}$`),
}));

// --- OpenAPI ---------------------------------------------------------------------------------

export function openApiDocument() {
  const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
    return rest;
  };
  const errorResponse = { description: 'Refused; the message says why', content: { 'application/json': { schema: jsonSchema(schemas.errorView, 'output') } } };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: m[1] === 'siteId' ? { type: 'integer', minimum: 1 } : { type: 'string' },
    }));
    const status = String(route.status ?? 200);
    (paths[`${ADMIN_BASE_PATH}${route.path}`] ??= {})[route.method.toLowerCase()] = {
      summary: route.summary,
      ...(route.privileged ? { 'x-privileged': true } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
      responses: {
        [status]: route.response && status !== '204'
          ? { description: 'OK', content: { 'application/json': { schema: jsonSchema(route.response, 'output') } } }
          : { description: 'Done' },
        400: errorResponse,
        401: errorResponse,
        403: errorResponse,
        404: errorResponse,
        409: errorResponse,
        422: errorResponse,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Central sync server admin API',
      version: '1',
      description:
        'Configure sites, stores, sync-with settings, visibility, preferences and the users who log in on sites. Every route except this document needs `Authorization: Bearer <admin token>`; site credentials are refused. Errors are `{"error":{"code","message","data"}}`.',
    },
    components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
    security: [{ adminToken: [] }],
    paths,
  };
}

// --- handler ---------------------------------------------------------------------------------

export function createAdminHandler(deps: AdminDeps) {
  const full: Required<AdminDeps> = { hashPassword: scryptPassword, data: null, attempts: null, now: () => new Date(), ...deps };
  let openApi: string | undefined;
  return httpHandler(async (event: HttpEvent) => {
    const method = event.requestContext.http.method.toUpperCase();
    const path = (event.rawPath ?? event.requestContext.http.path).replace(/\/+$/, '');
    if (!path.startsWith(ADMIN_BASE_PATH)) throw new HttpError(404, 'not_found', `No admin route ${path}.`);
    const subPath = path.slice(ADMIN_BASE_PATH.length);
    if (subPath === '/openapi.json' && method === 'GET') {
      openApi ??= JSON.stringify(openApiDocument());
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: openApi };
    }

    const actor = await authenticate(full, event);
    const candidates = compiled.filter(({ pattern }) => pattern.test(subPath));
    if (candidates.length === 0) throw new HttpError(404, 'not_found', `No admin route ${path}; see ${ADMIN_BASE_PATH}/openapi.json.`);
    const match = candidates.find(({ route }) => route.method === method);
    if (!match) {
      const allowed = candidates.map(({ route }) => route.method).join(', ');
      throw new HttpError(405, 'method_not_allowed', `${path} accepts ${allowed}.`, null, { allow: allowed });
    }
    const values = match.pattern.exec(subPath)!.slice(1);
    const decoded = values.map((value) => decodePathSegment(value!));
    if (decoded.some((value) => value === undefined)) throw new HttpError(400, 'invalid_path', 'The path holds a malformed percent-encoding (a % not followed by two hex digits of valid UTF-8).');
    const params = Object.fromEntries(match.names.map((name, i) => [name, decoded[i]!]));
    const query = event.queryStringParameters ?? {};
    return match.route.run(full, { params, query, body: readBody(event, match.route), actor });
  });
}

function readBody(event: HttpEvent, route: Route): unknown {
  if (!route.body) return undefined;
  if (!event.body) throw new HttpError(400, 'invalid_body', 'This route needs a JSON body.');
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new HttpError(400, 'invalid_json', `The request body is ${parsed.message}.`);
  return parsed.value;
}

async function authenticate(deps: Required<AdminDeps>, event: HttpEvent): Promise<string> {
  const header = event.headers.authorization ?? event.headers.Authorization ?? '';
  const challenge = { 'www-authenticate': 'Bearer realm="admin"' };
  if (header === '') throw new HttpError(401, 'unauthorized', 'The admin API needs "Authorization: Bearer <admin token>".', null, challenge);
  const [scheme, ...rest] = header.trim().split(/\s+/);
  if (scheme?.toLowerCase() === 'basic')
    throw new HttpError(403, 'site_credentials_refused', 'Site credentials cannot open the admin API; use the administrator\'s bearer token.');
  const expected = await deps.adminToken();
  // Each token tried is counted before it is compared, per source address (domain/auth/attempt-gate.ts).
  const source = sourceOf(event.requestContext.http.sourceIp);
  const gate = deps.attempts ? await deps.attempts.enter('admin', 'token', source, Math.floor(deps.now().getTime() / 1000)) : undefined;
  if (gate && !gate.admitted)
    throw new HttpError(429, 'too_many_attempts', `Too many wrong admin tokens from ${source}; try again in ${gate.retryAfterSeconds} s.`, { retryAfterSeconds: gate.retryAfterSeconds }, { 'retry-after': String(gate.retryAfterSeconds) });
  if (scheme?.toLowerCase() !== 'bearer' || rest.length !== 1 || !secretsEqual(rest[0]!, expected))
    throw new HttpError(401, 'unauthorized', 'The admin token is wrong.', null, challenge);
  if (gate) await deps.attempts!.clear('admin', 'token', source);
  const user = (event.headers['x-admin-user'] ?? '').replace(/[^\w.@-]/g, '').slice(0, 64);
  return `admin${user ? `:${user}` : ''}@${event.requestContext.http.sourceIp}`;
}

/** The admin token: ADMIN_TOKEN locally, a Secrets Manager secret in AWS (read once per cold start). */
export function adminTokenFromEnvironment(): () => Promise<string> {
  let token: Promise<string> | undefined;
  return () => {
    token ??= (async () => {
      const arn = process.env.ADMIN_TOKEN_SECRET_ARN;
      if (arn) {
        const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: arn }));
        if (!secret.SecretString) throw new Error('The admin token secret is empty');
        return secret.SecretString;
      }
      const local = process.env.ADMIN_TOKEN;
      if (!local) throw new HttpError(503, 'admin_not_configured', 'No admin token is configured (ADMIN_TOKEN or ADMIN_TOKEN_SECRET_ARN).');
      return local;
    })().catch((error: unknown) => {
      token = undefined;
      throw error;
    });
    return token;
  };
}

export const handler = lazyHandler(() =>
  createAdminHandler({
    store: new ConfigStore(dynamoDb(), tableName('config')),
    adminToken: adminTokenFromEnvironment(),
    attempts: new DynamoAttemptGate(dynamoDb(), tableName('siteState')),
    data: {
      push: pushDependencies(),
      quarantine: adapters.quarantine,
      outgoing: adapters.outgoing,
      v6: { v6Store: new DynamoV6Store(dynamoDb(), tableName('v6Sync')), legacyCopy: adapters.centralCopy },
    },
  }),
);
