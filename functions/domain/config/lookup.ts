/**
 * Indexes over one configuration, built once per configuration object (a configuration is
 * immutable: every change makes a new one) and kept with it, so routing and entitlement questions
 * are lookups whose cost follows the answer, never the number of sites or stores.
 */
import type { InstanceType, Site, Store, SyncConfig } from './model';

export interface ConfigLookup {
  readonly siteById: ReadonlyMap<number, Site>;
  /** Sites by lower-case name (names are unique case-insensitively: they are logins). */
  readonly siteByLowerName: ReadonlyMap<string, Site>;
  readonly storeByNameId: ReadonlyMap<string, Store>;
  /** The central server's own site (there is at most one). */
  readonly centralSite: Site | undefined;
  /** Remote (non-central) site ids, ascending. */
  readonly remoteSiteIds: readonly number[];
  /** Stores active on each site, by store id. */
  readonly activeStoresBySite: ReadonlyMap<number, readonly Store[]>;
  /** Remote sites with at least one active dispensary, ascending. */
  readonly dispensarySiteIds: readonly number[];
  /** For each name id, the stores in which it is visible (name_store_join). */
  readonly storesSeeingName: ReadonlyMap<string, readonly Store[]>;
  /** For each store, every site where it exists with its type there (never `none`). */
  readonly holdersByStore: ReadonlyMap<string, ReadonlyMap<number, InstanceType>>;
  /** For each site, the stores that exist on it with their type, by store id. */
  readonly holdingsBySite: ReadonlyMap<number, ReadonlyArray<{ readonly storeId: string; readonly type: InstanceType }>>;
}

const lookups = new WeakMap<SyncConfig, ConfigLookup>();

export function configLookup(config: SyncConfig): ConfigLookup {
  let lookup = lookups.get(config);
  if (!lookup) {
    lookup = buildLookup(config);
    lookups.set(config, lookup);
  }
  return lookup;
}

const byId = (a: Store, b: Store) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function push<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function buildLookup(config: SyncConfig): ConfigLookup {
  const sites = Object.values(config.sites).sort((a, b) => a.siteId - b.siteId);
  const stores = Object.values(config.stores).sort(byId);
  const siteById = new Map(sites.map((site) => [site.siteId, site]));
  const siteByLowerName = new Map(sites.map((site) => [site.name.toLowerCase(), site]));
  const storeByNameId = new Map<string, Store>();
  for (const store of stores) if (!storeByNameId.has(store.nameId)) storeByNameId.set(store.nameId, store);

  const activeStoresBySite = new Map<number, Store[]>();
  for (const store of stores) push(activeStoresBySite, store.activeSiteId, store);
  const storesSeeingName = new Map<string, Store[]>();
  for (const store of stores) {
    const names = Object.prototype.hasOwnProperty.call(config.visibility, store.id) ? config.visibility[store.id]! : [];
    for (const nameId of names) push(storesSeeingName, nameId, store);
  }

  // The central site, and the primary in mirrored mode, hold every store.
  const holdingEvery = sites.filter((site) => site.kind === 'central' || config.preferences.primarySiteId === site.siteId);
  const holdersByStore = new Map<string, Map<number, InstanceType>>();
  const holdingsBySite = new Map<number, Array<{ storeId: string; type: InstanceType }>>();
  for (const store of stores) {
    const holders = new Map<number, InstanceType>();
    const hold = (siteId: number) => {
      if (holders.has(siteId) || !siteById.has(siteId)) return;
      holders.set(siteId, siteId === store.activeSiteId ? 'active' : store.collectorSiteIds.includes(siteId) ? 'collector' : 'transfer');
    };
    hold(store.activeSiteId);
    // Visible to a store active on a site: the store exists there.
    for (const seer of storesSeeingName.get(store.nameId) ?? []) if (seer.id !== store.id) hold(seer.activeSiteId);
    for (const site of holdingEvery) hold(site.siteId);
    holdersByStore.set(store.id, holders);
    for (const [siteId, type] of holders) push(holdingsBySite, siteId, { storeId: store.id, type });
  }

  const remoteSiteIds = sites.filter((site) => site.kind !== 'central').map((site) => site.siteId);
  const dispensarySiteIds = remoteSiteIds.filter((siteId) => (activeStoresBySite.get(siteId) ?? []).some((store) => store.mode === 'dispensary'));
  const centralSite = sites.find((site) => site.kind === 'central');
  return { siteById, siteByLowerName, storeByNameId, centralSite, remoteSiteIds, activeStoresBySite, dispensarySiteIds, storesSeeingName, holdersByStore, holdingsBySite };
}
