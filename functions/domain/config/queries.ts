/**
 * Derived facts about a configuration. `instanceType` is the single source every routing
 * decision uses: which type a store's instance has on a site.
 */
import type { InstanceType, Site, Store, SyncConfig, SyncWith } from './model';

export const siteKey = (siteId: number): string => String(siteId);

export const getSite = (config: SyncConfig, siteId: number): Site | undefined => config.sites[siteKey(siteId)];
export const getStore = (config: SyncConfig, storeId: string): Store | undefined =>
  Object.prototype.hasOwnProperty.call(config.stores, storeId) ? config.stores[storeId] : undefined;

export const allSites = (config: SyncConfig): Site[] => Object.values(config.sites).sort((a, b) => a.siteId - b.siteId);
export const allStores = (config: SyncConfig): Store[] =>
  Object.values(config.stores).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

export const centralSite = (config: SyncConfig): Site | undefined => allSites(config).find((site) => site.kind === 'central');

export const namesVisibleIn = (config: SyncConfig, storeId: string): readonly string[] =>
  (Object.prototype.hasOwnProperty.call(config.visibility, storeId) ? config.visibility[storeId] : undefined) ?? [];

export const isNameVisibleIn = (config: SyncConfig, storeId: string, nameId: string): boolean =>
  namesVisibleIn(config, storeId).includes(nameId);

/** The store whose own name record is `nameId`, if any. */
export const storeByNameId = (config: SyncConfig, nameId: string): Store | undefined =>
  Object.values(config.stores).find((store) => store.nameId === nameId);

export const activeStoresOnSite = (config: SyncConfig, siteId: number): Store[] =>
  allStores(config).filter((store) => store.activeSiteId === siteId);

/** Other stores in which `storeId`'s name is visible. */
export const storesSeeing = (config: SyncConfig, storeId: string): Store[] => {
  const store = getStore(config, storeId);
  if (!store) return [];
  return allStores(config).filter((other) => other.id !== storeId && isNameVisibleIn(config, other.id, store.nameId));
};

/** Is the store visible to at least one (other) store active on the site? */
export const isVisibleOnSite = (config: SyncConfig, storeId: string, siteId: number): boolean =>
  storesSeeing(config, storeId).some((other) => other.activeSiteId === siteId);

/** The central site and, in mirrored mode, the primary site hold every store. */
export const holdsEveryStore = (config: SyncConfig, siteId: number): boolean =>
  getSite(config, siteId)?.kind === 'central' || config.preferences.primarySiteId === siteId;

export function instanceType(config: SyncConfig, storeId: string, siteId: number): InstanceType {
  const store = getStore(config, storeId);
  const site = getSite(config, siteId);
  if (!store || !site) return 'none';
  if (store.activeSiteId === siteId) return 'active';
  const listedCollector = store.collectorSiteIds.includes(siteId);
  if (site.kind === 'central') return listedCollector ? 'collector' : 'transfer';
  if (isVisibleOnSite(config, storeId, siteId)) return listedCollector ? 'collector' : 'transfer';
  if (holdsEveryStore(config, siteId)) return listedCollector ? 'collector' : 'transfer';
  return 'none';
}

/** The "sync with" value the central server shows for (store, site), as in the legacy table. */
export function syncWith(config: SyncConfig, storeId: string, siteId: number): SyncWith {
  const type = instanceType(config, storeId, siteId);
  return type === 'active' || type === 'collector' ? 'activeCollector' : type;
}

export const sitesHoldingCollector = (config: SyncConfig, storeId: string): number[] =>
  allSites(config)
    .filter((site) => instanceType(config, storeId, site.siteId) === 'collector')
    .map((site) => site.siteId);

export const sitesHoldingTransfer = (config: SyncConfig, storeId: string): number[] =>
  allSites(config)
    .filter((site) => instanceType(config, storeId, site.siteId) === 'transfer')
    .map((site) => site.siteId);

/** Every store that exists on the site, with its type there. */
export const storesOnSite = (config: SyncConfig, siteId: number): Array<{ storeId: string; type: InstanceType }> =>
  allStores(config)
    .map((store) => ({ storeId: store.id, type: instanceType(config, store.id, siteId) }))
    .filter((entry) => entry.type !== 'none');
