/** What several admin resources share: reading parameters and bodies, applying a change, views. */
import * as z from 'zod/mini';
import { HttpError } from '../commons/http';
import { logger } from '../commons/observability';
import type { Site, Store, SyncConfig, User } from '../domain/config/model';
import { applyCommand, type ConfigCommand } from '../domain/config/operations';
import { allSites, allStores, centralSite, getSite, getStore, instanceType, syncWith } from '../domain/config/queries';
import { storeRecordChanges } from '../domain/config/store-record';
import type { EntitlementSource } from '../domain/ports';
import * as schemas from '../protocol/admin';
import { queueSiteWork, queueWorkForSites } from '../services/site-work';
import { storeRecordHolders, writeStoreRecords } from '../services/store-records';
import { writeUserRecords } from '../services/user-records';
import type { ApplyOptions, CommittedResult } from '../storage/config-store';
import type { AdminDataDeps, AdminRequest, RouteDeps } from './types';

// --- views -----------------------------------------------------------------------------------

export const siteView = (config: SyncConfig, site: Site): z.infer<typeof schemas.siteView> => ({
  siteId: site.siteId,
  name: site.name,
  code: site.code,
  kind: site.kind,
  hasPassword: site.credential !== '',
  hardwareId: site.hardwareId,
  isPrimary: config.preferences.primarySiteId === site.siteId,
});
export const storeView = ({ collectorSiteIds: _c, ...store }: Store): z.infer<typeof schemas.storeView> => store;
export const syncWithView = (config: SyncConfig, storeId: string) => ({
  storeId,
  sites: allSites(config).map((site) => ({
    siteId: site.siteId,
    syncWith: syncWith(config, storeId, site.siteId),
    type: instanceType(config, storeId, site.siteId),
  })),
});
export const userView = ({ credential, stores, ...user }: User): z.infer<typeof schemas.userView> => ({
  ...user,
  hasPassword: credential !== '',
  stores: stores.map((store) => ({ storeId: store.storeId, permissions: [...store.permissions] })),
});

// --- reading the request ---------------------------------------------------------------------

/** A site id from the path (or any text): a whole number from 1, else a 400. */
export function siteIdParam(request: Pick<AdminRequest, 'params'>, name = 'siteId'): number {
  const parsed = z.safeParse(schemas.siteIdSchema, request.params[name]);
  if (!parsed.success || !/^\d+$/.test(request.params[name] ?? ''))
    throw new HttpError(400, 'invalid_site_id', `A site id is a whole number from 1; got "${request.params[name]}".`);
  return parsed.data;
}

const issuesOf = (error: z.core.$ZodError) => error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));

export function parseBody<T extends z.core.$ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = z.safeParse(schema, body);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    throw new HttpError(400, 'invalid_body', `The request body is invalid: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`, { issues });
  }
  return parsed.data;
}

export function parseQuery<T extends z.core.$ZodType>(schema: T, query: unknown): z.infer<T> {
  const parsed = z.safeParse(schema, query);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    throw new HttpError(400, 'invalid_query', `The query is invalid: ${issues.map((i) => `${i.path || '(query)'}: ${i.message}`).join('; ')}`, { issues });
  }
  return parsed.data;
}

/** An optional query parameter, described for the OpenAPI document and the CLI's help. */
export const queryText = (description: string) => z.optional(z.string().check(z.meta({ description })));

export const found = <T>(value: T | undefined, what: string, code: string): T => {
  if (value === undefined) throw new HttpError(404, code, `${what} does not exist.`);
  return value;
};

export function dataDeps(deps: RouteDeps): AdminDataDeps {
  if (!deps.data) throw new HttpError(503, 'data_routes_unavailable', 'This server was started without the data import routes.');
  return deps.data;
}

// --- changes ---------------------------------------------------------------------------------

export async function change(deps: RouteDeps, request: AdminRequest<unknown>, command: ConfigCommand, options: ApplyOptions = {}): Promise<SyncConfig> {
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
async function sendChangedStoreRecords(deps: RouteDeps, before: SyncConfig, after: SyncConfig) {
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

/**
 * A user change, then the user's `user` record as the configuration now says (inactive once
 * deleted), written and routed in the background to every site as central data.
 */
export async function changeUser(deps: RouteDeps, request: AdminRequest<unknown>, command: ConfigCommand, userId: string): Promise<SyncConfig> {
  const config = await change(deps, request, command);
  const central = centralSite(config);
  if (!deps.data || !central) return config;
  const keys = await writeUserRecords(deps.data.push, config, [userId]);
  if (keys.length > 0) await queueSiteWork(deps.data.push, central.siteId, { kind: 'route', workId: deps.data.push.newId(), originSiteId: central.siteId, keys });
  return config;
}

/** Queues, in the background, what a remote site has just become entitled to. */
export async function sendRecords(deps: RouteDeps, config: SyncConfig, siteId: number, source: EntitlementSource) {
  if (!deps.data || getSite(config, siteId)?.kind === 'central') return;
  await queueSiteWork(deps.data.push, siteId, { kind: 'sendRecords', workId: deps.data.push.newId(), siteId, source });
}

/**
 * New visibility of a name in a store: the store's site may now hold that store's trades (a
 * store's name, both ways) or that patient's records (a plain name); send what exists already.
 */
export async function sendNewlyVisible(deps: RouteDeps, config: SyncConfig, storeId: string, nameId: string) {
  const viewer = getStore(config, storeId);
  if (!viewer) return;
  const named = allStores(config).find((candidate) => candidate.nameId === nameId);
  if (!named) return sendRecords(deps, config, viewer.activeSiteId, { index: 'byPatient', value: nameId });
  await sendRecords(deps, config, viewer.activeSiteId, { index: 'byStore', value: named.id });
  await sendRecords(deps, config, named.activeSiteId, { index: 'byStore', value: viewer.id });
}
