/**
 * Derived facts about a configuration. `instanceType` is the single source every routing
 * decision uses: which type a store's instance has on a site.
 */
import { configLookup } from './lookup';
import type { InstanceType, Site, Store, SyncConfig, SyncWith } from './model';

export const siteKey = (siteId: number): string => String(siteId);

export const getSite = (config: SyncConfig, siteId: number): Site | undefined => config.sites[siteKey(siteId)];
export const getStore = (config: SyncConfig, storeId: string): Store | undefined =>
  Object.prototype.hasOwnProperty.call(config.stores, storeId) ? config.stores[storeId] : undefined;

export const allSites = (config: SyncConfig): Site[] => Object.values(config.sites).sort((a, b) => a.siteId - b.siteId);
export const allStores = (config: SyncConfig): Store[] =>
  Object.values(config.stores).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

export const centralSite = (config: SyncConfig): Site | undefined => configLookup(config).centralSite;

export const namesVisibleIn = (config: SyncConfig, storeId: string): readonly string[] =>
  (Object.prototype.hasOwnProperty.call(config.visibility, storeId) ? config.visibility[storeId] : undefined) ?? [];

export const isNameVisibleIn = (config: SyncConfig, storeId: string, nameId: string): boolean =>
  namesVisibleIn(config, storeId).includes(nameId);

/** The store whose own name record is `nameId`, if any. */
export const storeByNameId = (config: SyncConfig, nameId: string): Store | undefined => configLookup(config).storeByNameId.get(nameId);

export const activeStoresOnSite = (config: SyncConfig, siteId: number): Store[] => [...(configLookup(config).activeStoresBySite.get(siteId) ?? [])];

/** Other stores in which `storeId`'s name is visible. */
export const storesSeeing = (config: SyncConfig, storeId: string): Store[] => {
  const store = getStore(config, storeId);
  if (!store) return [];
  return (configLookup(config).storesSeeingName.get(store.nameId) ?? []).filter((other) => other.id !== storeId);
};

/** Is the store visible to at least one (other) store active on the site? */
export const isVisibleOnSite = (config: SyncConfig, storeId: string, siteId: number): boolean =>
  storesSeeing(config, storeId).some((other) => other.activeSiteId === siteId);

/** The central site and, in mirrored mode, the primary site hold every store. */
export const holdsEveryStore = (config: SyncConfig, siteId: number): boolean =>
  getSite(config, siteId)?.kind === 'central' || config.preferences.primarySiteId === siteId;

/**
 * The store's type on the site: `active` on its active site; where it exists otherwise (the
 * central site, the primary, a site with a store it is visible to) `collector` if listed as one,
 * else `transfer`; `none` elsewhere. Looked up in the configuration's index (lookup.ts).
 */
export function instanceType(config: SyncConfig, storeId: string, siteId: number): InstanceType {
  return configLookup(config).holdersByStore.get(storeId)?.get(siteId) ?? 'none';
}

/** Every site where the store exists, with its type there (never `none`). */
export const storeHolders = (config: SyncConfig, storeId: string): ReadonlyMap<number, InstanceType> =>
  configLookup(config).holdersByStore.get(storeId) ?? new Map();

/** The "sync with" value the central server shows for (store, site), as in the legacy table. */
export function syncWith(config: SyncConfig, storeId: string, siteId: number): SyncWith {
  const type = instanceType(config, storeId, siteId);
  return type === 'active' || type === 'collector' ? 'activeCollector' : type;
}

const sitesHolding = (config: SyncConfig, storeId: string, type: InstanceType): number[] =>
  [...storeHolders(config, storeId)].filter(([, held]) => held === type).map(([siteId]) => siteId).sort((a, b) => a - b);

export const sitesHoldingCollector = (config: SyncConfig, storeId: string): number[] => sitesHolding(config, storeId, 'collector');

export const sitesHoldingTransfer = (config: SyncConfig, storeId: string): number[] => sitesHolding(config, storeId, 'transfer');

/** Every store that exists on the site, with its type there, by store id. */
export const storesOnSite = (config: SyncConfig, siteId: number): Array<{ storeId: string; type: InstanceType }> => [
  ...(configLookup(config).holdingsBySite.get(siteId) ?? []),
];
