/**
 * Every change to the configuration, as a pure function of (configuration, command). Each
 * validates everything it touches and either returns the complete new configuration or a
 * refusal an operator can act on; a refused command changes nothing.
 */
import { MAX_SITE_ID, type Preferences, type Site, type SiteKind, type Store, type StoreMode, type SyncConfig, type SyncWith } from './model';
import {
  activeStoresOnSite,
  allSites,
  allStores,
  centralSite,
  getSite,
  getStore,
  holdsEveryStore,
  isNameVisibleIn,
  isVisibleOnSite,
  namesVisibleIn,
  siteKey,
  storeByNameId,
  storesSeeing,
} from './queries';
import { applyUserCommand, withoutMissingStores, type UserCommand } from '../users/users';

export type ConfigCommand =
  | { type: 'createSite'; site: { siteId: number; name: string; code: string; kind: SiteKind; credential?: string; hardwareId?: string } }
  | { type: 'updateSite'; siteId: number; changes: { name?: string; code?: string; kind?: SiteKind } }
  | { type: 'deleteSite'; siteId: number }
  | { type: 'setSiteCredential'; siteId: number; credential: string }
  | { type: 'bindHardware'; siteId: number; hardwareId: string }
  | { type: 'releaseHardware'; siteId: number }
  | {
      type: 'createStore';
      store: { id: string; code: string; name: string; nameId: string; mode: StoreMode; activeSiteId: number; includeTransactionsInSync?: boolean };
    }
  | { type: 'updateStore'; storeId: string; changes: { code?: string; name?: string; mode?: StoreMode } }
  | { type: 'deleteStore'; storeId: string }
  | { type: 'setActiveSite'; storeId: string; siteId: number; keepCollectorOnPreviousSite?: boolean }
  | { type: 'setIncludeTransactions'; storeId: string; value: boolean }
  | { type: 'setSyncWith'; storeId: string; siteId: number; syncWith: SyncWith }
  | { type: 'addVisibility'; storeId: string; nameId: string }
  | { type: 'removeVisibility'; storeId: string; nameId: string }
  | { type: 'setPreferences'; changes: Partial<Preferences> }
  | UserCommand;

/** A privileged change, recorded with who and when by the storage layer. */
export interface AuditEntry {
  readonly action: string;
  readonly target: string;
  readonly details: Record<string, unknown>;
}

export type RefusalStatus = 400 | 404 | 409 | 422;

export interface Refusal {
  readonly ok: false;
  readonly status: RefusalStatus;
  readonly code: string;
  readonly message: string;
}

export type OperationResult = { readonly ok: true; readonly config: SyncConfig; readonly audit?: AuditEntry } | Refusal;

export const refuse = (status: RefusalStatus, code: string, message: string): Refusal => ({ ok: false, status, code, message });

class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}
const fail = (status: RefusalStatus, code: string, message: string): never => {
  throw new Refused(refuse(status, code, message));
};

export function applyCommand(config: SyncConfig, command: ConfigCommand): OperationResult {
  try {
    const { config: next, audit } = apply(config, command);
    return { ok: true, config: normalise(next), ...(audit ? { audit } : {}) };
  } catch (error) {
    if (error instanceof Refused) return error.refusal;
    throw error;
  }
}

type Applied = { config: SyncConfig; audit?: AuditEntry };

function apply(config: SyncConfig, command: ConfigCommand): Applied {
  switch (command.type) {
    case 'createSite':
      return createSite(config, command.site);
    case 'updateSite':
      return updateSite(config, command.siteId, command.changes);
    case 'deleteSite':
      return deleteSite(config, command.siteId);
    case 'setSiteCredential': {
      const site = remoteSite(config, command.siteId, 'have a password');
      if (command.credential === '') fail(400, 'invalid_credential', 'The credential must not be empty.');
      return {
        config: withSite(config, { ...site, credential: command.credential }),
        audit: { action: 'site.password', target: `site/${site.siteId}`, details: {} },
      };
    }
    case 'bindHardware': {
      const site = remoteSite(config, command.siteId, 'be bound to hardware');
      if (command.hardwareId === '') fail(400, 'invalid_hardware_id', 'The hardware id must not be empty.');
      if (site.hardwareId !== '' && site.hardwareId !== command.hardwareId)
        fail(409, 'hardware_mismatch', `Site ${site.siteId} is bound to other hardware; an administrator must release the binding first.`);
      return { config: withSite(config, { ...site, hardwareId: command.hardwareId }) };
    }
    case 'releaseHardware': {
      const site = remoteSite(config, command.siteId, 'be bound to hardware');
      return {
        config: withSite(config, { ...site, hardwareId: '' }),
        audit: { action: 'site.releaseHardware', target: `site/${site.siteId}`, details: { previousHardwareId: site.hardwareId } },
      };
    }
    case 'createStore':
      return createStore(config, command.store);
    case 'updateStore': {
      const store = requireStore(config, command.storeId);
      const changes = command.changes;
      if (changes.code !== undefined) requireText(changes.code, 'code');
      if (changes.name !== undefined) requireText(changes.name, 'name');
      return { config: withStore(config, { ...store, ...definedOnly(changes) }) };
    }
    case 'deleteStore':
      return deleteStore(config, command.storeId);
    case 'setActiveSite':
      return setActiveSite(config, command.storeId, command.siteId, command.keepCollectorOnPreviousSite ?? true);
    case 'setIncludeTransactions': {
      const store = requireStore(config, command.storeId);
      return {
        config: withStore(config, { ...store, includeTransactionsInSync: command.value }),
        audit: {
          action: 'store.includeTransactionsInSync',
          target: `store/${store.id}`,
          details: { from: store.includeTransactionsInSync, to: command.value },
        },
      };
    }
    case 'setSyncWith':
      return setSyncWith(config, command.storeId, command.siteId, command.syncWith);
    case 'addVisibility':
      return addVisibility(config, command.storeId, command.nameId);
    case 'removeVisibility':
      return removeVisibility(config, command.storeId, command.nameId);
    case 'setPreferences':
      return setPreferences(config, command.changes);
    case 'createUser':
    case 'updateUser':
    case 'deleteUser':
    case 'setUserCredential': {
      const result = applyUserCommand(config, command);
      if (!result.ok) throw new Refused(result);
      return result.audit ? { config: result.config, audit: result.audit } : { config: result.config };
    }
  }
}

// --- sites ---------------------------------------------------------------------------------

function createSite(config: SyncConfig, input: Extract<ConfigCommand, { type: 'createSite' }>['site']): Applied {
  requireSiteId(input.siteId);
  requireText(input.name, 'name');
  requireText(input.code, 'code');
  if (getSite(config, input.siteId)) fail(409, 'site_exists', `Site ${input.siteId} already exists.`);
  requireUniqueSiteName(config, input.name, input.siteId);
  const credential = input.credential ?? '';
  const hardwareId = input.hardwareId ?? '';
  if (input.kind === 'central') {
    const central = centralSite(config);
    if (central) fail(409, 'central_exists', `Site ${central.siteId} is already the central server; there is exactly one.`);
    if (credential !== '' || hardwareId !== '')
      fail(422, 'central_has_no_login', 'The central site is this server: it has no password or hardware binding.');
  }
  const site: Site = { siteId: input.siteId, name: input.name, code: input.code, kind: input.kind, credential, hardwareId };
  return { config: withSite(config, site) };
}

function updateSite(config: SyncConfig, siteId: number, changes: { name?: string; code?: string; kind?: SiteKind }): Applied {
  const site = requireSite(config, siteId);
  if (changes.name !== undefined) {
    requireText(changes.name, 'name');
    requireUniqueSiteName(config, changes.name, siteId);
  }
  if (changes.code !== undefined) requireText(changes.code, 'code');
  if (changes.kind !== undefined && changes.kind !== site.kind) {
    if (changes.kind === 'central' || site.kind === 'central')
      fail(422, 'central_kind_fixed', 'Which site is the central server cannot change; create or delete the central site instead.');
    if (changes.kind === 'mobile') {
      const active = activeStoresOnSite(config, siteId);
      if (active.length > 1)
        fail(409, 'mobile_one_store', `A mobile site has exactly one active store; site ${siteId} has ${active.map((s) => s.id).join(', ')}.`);
      if (config.preferences.primarySiteId === siteId) fail(409, 'primary_not_mobile', `Site ${siteId} is the primary site; a mobile site cannot be.`);
    }
  }
  return { config: withSite(config, { ...site, ...definedOnly(changes) }) };
}

function deleteSite(config: SyncConfig, siteId: number): Applied {
  const site = requireSite(config, siteId);
  const stores = allStores(config);
  if (site.kind === 'central' && stores.length > 0)
    fail(409, 'site_in_use', `Site ${siteId} is the central server, which holds every store (${stores.length}); delete the stores first.`);
  const active = activeStoresOnSite(config, siteId);
  if (active.length > 0)
    fail(409, 'site_in_use', `Stores ${active.map((s) => s.id).join(', ')} are active on site ${siteId}; make them active elsewhere or delete them first.`);
  if (config.preferences.primarySiteId === siteId)
    fail(409, 'site_in_use', `Site ${siteId} is the primary site (mirrored mode); change the primary site first.`);
  const { [siteKey(siteId)]: _removed, ...sites } = config.sites;
  const storesWithout = Object.fromEntries(
    stores.map((store) => [store.id, { ...store, collectorSiteIds: store.collectorSiteIds.filter((id) => id !== siteId) }]),
  );
  return { config: { ...config, sites, stores: storesWithout } };
}

// --- stores --------------------------------------------------------------------------------

function createStore(config: SyncConfig, input: Extract<ConfigCommand, { type: 'createStore' }>['store']): Applied {
  requireText(input.id, 'id');
  requireText(input.nameId, 'nameId');
  requireText(input.code, 'code');
  requireText(input.name, 'name');
  if (!centralSite(config)) fail(422, 'no_central_site', 'Create the central site first: it holds a copy of every store.');
  if (getStore(config, input.id)) fail(409, 'store_exists', `Store ${input.id} already exists.`);
  const sameName = storeByNameId(config, input.nameId);
  if (sameName) fail(409, 'name_record_in_use', `Name record ${input.nameId} is already store ${sameName.id}'s own name.`);
  const site = getSite(config, input.activeSiteId);
  if (!site) fail(422, 'unknown_site', `Site ${input.activeSiteId} does not exist; create it first.`);
  requireRoomOnMobile(config, input.activeSiteId, input.id);
  const store = newStore(input, site!, centralSite(config)!.siteId);
  let next = withStore(config, store);
  // Stores that could already see this name (as a plain name) now see a store: keep it symmetric.
  for (const other of allStores(config)) {
    if (isNameVisibleIn(config, other.id, store.nameId)) next = withVisibility(next, store.id, other.nameId, true);
  }
  return { config: next };
}

function deleteStore(config: SyncConfig, storeId: string): Applied {
  const store = requireStore(config, storeId);
  const seeing = storesSeeing(config, storeId);
  if (seeing.length > 0)
    fail(409, 'store_in_use', `Store ${storeId} is visible in stores ${seeing.map((s) => s.id).join(', ')}; remove that visibility first.`);
  const { [store.id]: _removed, ...stores } = config.stores;
  const { [store.id]: _names, ...visibility } = config.visibility;
  return { config: { ...config, stores, visibility } };
}

function setActiveSite(config: SyncConfig, storeId: string, siteId: number, keepCollector: boolean): Applied {
  const store = requireStore(config, storeId);
  if (!getSite(config, siteId)) fail(422, 'unknown_site', `Site ${siteId} does not exist.`);
  if (store.activeSiteId === siteId) return { config };
  requireRoomOnMobile(config, siteId, storeId);
  const previous = store.activeSiteId;
  const moved: Store = { ...store, activeSiteId: siteId, collectorSiteIds: store.collectorSiteIds.filter((id) => id !== siteId) };
  let next = withStore(config, moved);
  const central = centralSite(config)!;
  const keep = (keepCollector || previous === central.siteId) && (holdsEveryStore(next, previous) || isVisibleOnSite(next, storeId, previous));
  if (keep) next = withStore(next, { ...moved, collectorSiteIds: sortedIds([...moved.collectorSiteIds, previous]) });
  return {
    config: next,
    audit: { action: 'store.activeSite', target: `store/${storeId}`, details: { from: previous, to: siteId, keptCollectorOnPrevious: keep } },
  };
}

function setSyncWith(config: SyncConfig, storeId: string, siteId: number, value: SyncWith): Applied {
  const store = requireStore(config, storeId);
  const site = getSite(config, siteId);
  if (!site) fail(404, 'site_not_found', `Site ${siteId} does not exist.`);
  if (store.activeSiteId === siteId)
    fail(422, 'store_active_here', `Store ${storeId} is active on site ${siteId}; change its active site instead.`);
  const holdsAll = holdsEveryStore(config, siteId);
  const visible = isVisibleOnSite(config, storeId, siteId);
  const current = store.collectorSiteIds.includes(siteId) ? 'activeCollector' : holdsAll || visible ? 'transfer' : 'none';
  if (value === 'none') {
    if (holdsAll)
      fail(422, 'site_holds_every_store', `Site ${siteId} is the central or primary site, which holds every store; it can be transfer at least.`);
    if (visible)
      fail(422, 'store_visible_on_site', `Store ${storeId} is visible to stores active on site ${siteId} (${visibleTo(config, storeId, siteId)}), so it is transfer there at least; remove that visibility instead.`);
  } else if (!holdsAll && !visible) {
    fail(422, 'store_not_visible_on_site', `Store ${storeId} is not visible to any store active on site ${siteId}; make it visible in one of them first.`);
  }
  const collectors = store.collectorSiteIds.filter((id) => id !== siteId);
  const next = withStore(config, { ...store, collectorSiteIds: value === 'activeCollector' ? sortedIds([...collectors, siteId]) : collectors });
  return {
    config: next,
    ...(current === value ? {} : { audit: { action: 'store.syncWith', target: `store/${storeId}/site/${siteId}`, details: { from: current, to: value } } }),
  };
}

// --- visibility ----------------------------------------------------------------------------

function addVisibility(config: SyncConfig, storeId: string, nameId: string): Applied {
  const store = requireStore(config, storeId);
  requireText(nameId, 'nameId');
  if (isNameVisibleIn(config, storeId, nameId)) fail(409, 'already_visible', `Name ${nameId} is already visible in store ${storeId}.`);
  let next = withVisibility(config, storeId, nameId, true);
  const other = storeByNameId(config, nameId);
  if (other && other.id !== storeId && !isNameVisibleIn(config, other.id, store.nameId)) next = withVisibility(next, other.id, store.nameId, true);
  return { config: next };
}

function removeVisibility(config: SyncConfig, storeId: string, nameId: string): Applied {
  const store = requireStore(config, storeId);
  if (!isNameVisibleIn(config, storeId, nameId)) fail(404, 'visibility_not_found', `Name ${nameId} is not visible in store ${storeId}.`);
  let next = withVisibility(config, storeId, nameId, false);
  const other = storeByNameId(config, nameId);
  if (other && other.id !== storeId) next = withVisibility(next, other.id, store.nameId, false);
  return { config: next };
}

// --- preferences ---------------------------------------------------------------------------

function setPreferences(config: SyncConfig, changes: Partial<Preferences>): Applied {
  const preferences = { ...config.preferences, ...definedOnly(changes) };
  if (preferences.primarySiteId !== null) {
    const site = getSite(config, preferences.primarySiteId);
    if (!site) fail(422, 'unknown_site', `Site ${preferences.primarySiteId} does not exist.`);
    if (site!.kind !== 'desktop')
      fail(422, 'primary_must_be_desktop', `The primary site must be a desktop site; site ${site!.siteId} is ${site!.kind}. Use null for the central server.`);
  }
  const primaryChanged = preferences.primarySiteId !== config.preferences.primarySiteId;
  return {
    config: { ...config, preferences },
    ...(primaryChanged
      ? { audit: { action: 'preferences.primarySite', target: 'preferences', details: { from: config.preferences.primarySiteId, to: preferences.primarySiteId } } }
      : {}),
  };
}

// --- helpers -------------------------------------------------------------------------------

/** Automatic consequences of visibility: a collector copy needs a store active there that sees it. */
function normalise(config: SyncConfig): SyncConfig {
  let stores: Record<string, Store> | undefined;
  for (const store of allStores(config)) {
    const kept = store.collectorSiteIds.filter(
      (siteId) => siteId !== store.activeSiteId && !!getSite(config, siteId) && (holdsEveryStore(config, siteId) || isVisibleOnSite(config, store.id, siteId)),
    );
    if (kept.length !== store.collectorSiteIds.length) {
      stores ??= { ...config.stores };
      stores[store.id] = { ...store, collectorSiteIds: kept };
    }
  }
  // Users keep only stores that still exist.
  return withoutMissingStores(stores ? { ...config, stores } : config);
}

function visibleTo(config: SyncConfig, storeId: string, siteId: number): string {
  return storesSeeing(config, storeId)
    .filter((other) => other.activeSiteId === siteId)
    .map((other) => other.id)
    .join(', ');
}

function withSite(config: SyncConfig, site: Site): SyncConfig {
  return { ...config, sites: { ...config.sites, [siteKey(site.siteId)]: site } };
}

function withStore(config: SyncConfig, store: Store): SyncConfig {
  return { ...config, stores: { ...config.stores, [store.id]: store } };
}

function withVisibility(config: SyncConfig, storeId: string, nameId: string, visible: boolean): SyncConfig {
  const current = namesVisibleIn(config, storeId);
  const names = visible ? [...new Set([...current, nameId])].sort() : current.filter((id) => id !== nameId);
  const { [storeId]: _old, ...rest } = config.visibility;
  return { ...config, visibility: names.length > 0 ? { ...rest, [storeId]: names } : rest };
}

function requireSite(config: SyncConfig, siteId: number): Site {
  const site = getSite(config, siteId);
  if (!site) fail(404, 'site_not_found', `Site ${siteId} does not exist.`);
  return site!;
}

function remoteSite(config: SyncConfig, siteId: number, what: string): Site {
  const site = requireSite(config, siteId);
  if (site.kind === 'central') fail(422, 'central_has_no_login', `Site ${siteId} is the central server itself; it cannot ${what}.`);
  return site;
}

function requireStore(config: SyncConfig, storeId: string): Store {
  const store = getStore(config, storeId);
  if (!store) fail(404, 'store_not_found', `Store ${storeId} does not exist.`);
  return store!;
}

function requireRoomOnMobile(config: SyncConfig, siteId: number, storeId: string) {
  const site = getSite(config, siteId);
  if (site?.kind !== 'mobile') return;
  const others = activeStoresOnSite(config, siteId).filter((store) => store.id !== storeId);
  if (others.length > 0)
    fail(409, 'mobile_one_store', `Site ${siteId} is mobile and already has active store ${others.map((s) => s.id).join(', ')}; a mobile site has exactly one.`);
}

function requireSiteId(siteId: number) {
  if (!Number.isInteger(siteId) || siteId < 1 || siteId > MAX_SITE_ID)
    fail(400, 'invalid_site_id', `A site id is an integer from 1 to ${MAX_SITE_ID}; got ${siteId}.`);
}

function requireText(value: string, field: string) {
  if (typeof value !== 'string' || value.trim() === '') fail(400, 'invalid_field', `${field} must not be empty.`);
}

function requireUniqueSiteName(config: SyncConfig, name: string, siteId: number) {
  const clash = allSites(config).find((site) => site.siteId !== siteId && site.name.toLowerCase() === name.toLowerCase());
  if (clash) fail(409, 'site_name_taken', `Site ${clash.siteId} is already called ${clash.name}; site names are logins and must be unique.`);
}

const sortedIds = (ids: number[]) => [...new Set(ids)].sort((a, b) => a - b);

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A store as created: the central server keeps a full (collector) copy unless it is where the store is active. */
export function newStore(input: Extract<ConfigCommand, { type: 'createStore' }>['store'], activeSite: Site, centralSiteId: number): Store {
  return {
    id: input.id,
    code: input.code,
    name: input.name,
    nameId: input.nameId,
    mode: input.mode,
    activeSiteId: input.activeSiteId,
    includeTransactionsInSync: input.includeTransactionsInSync ?? true,
    collectorSiteIds: activeSite.kind === 'central' ? [] : [centralSiteId],
  };
}
