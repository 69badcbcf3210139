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
  /** Every site, by ascending id. */
  readonly sitesInOrder: readonly Site[];
  /** Remote (non-central) sites, by ascending id. */
  readonly remoteSitesInOrder: readonly Site[];
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

/** A value computed on first use, then kept. */
function once<T>(compute: () => T): () => T {
  let value: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value as T;
  };
}

/**
 * A read-only map whose entries are computed one key at a time on first `get` (routing asks
 * for the few stores a batch touches); iterating it computes every entry.
 */
class OnDemandMap<K, V> implements ReadonlyMap<K, V> {
  private readonly computed = new Map<K, V>();
  constructor(
    private readonly allKeys: () => readonly K[],
    private readonly exists: (key: K) => boolean,
    private readonly compute: (key: K) => V,
  ) {}

  get(key: K): V | undefined {
    const known = this.computed.get(key);
    if (known !== undefined || !this.exists(key)) return known;
    const value = this.compute(key);
    this.computed.set(key, value);
    return value;
  }
  has(key: K): boolean {
    return this.exists(key);
  }
  get size(): number {
    return this.allKeys().length;
  }
  *entries(): MapIterator<[K, V]> {
    for (const key of this.allKeys()) yield [key, this.get(key)!];
  }
  *keys(): MapIterator<K> {
    yield* this.allKeys();
  }
  *values(): MapIterator<V> {
    for (const key of this.allKeys()) yield this.get(key)!;
  }
  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    for (const [key, value] of this.entries()) callback(value, key, this);
  }
}

/**
 * Every index is built on first use, and a store's holders only when that store is asked about:
 * a configuration that was just changed (a function catching up, an operation checking its
 * result) pays only for the indexes its caller reads.
 */
function buildLookup(config: SyncConfig): ConfigLookup {
  const sites = once(() => Object.values(config.sites).sort((a, b) => a.siteId - b.siteId));
  const stores = once(() => Object.values(config.stores).sort(byId));
  const siteById = once(() => new Map(sites().map((site) => [site.siteId, site])));
  const siteByLowerName = once(() => new Map(sites().map((site) => [site.name.toLowerCase(), site])));
  const storeByNameId = once(() => {
    const map = new Map<string, Store>();
    for (const store of stores()) if (!map.has(store.nameId)) map.set(store.nameId, store);
    return map;
  });
  const activeStoresBySite = once(() => {
    const map = new Map<number, Store[]>();
    for (const store of stores()) push(map, store.activeSiteId, store);
    return map;
  });
  const storesSeeingName = once(() => {
    const map = new Map<string, Store[]>();
    for (const store of stores()) {
      const names = Object.prototype.hasOwnProperty.call(config.visibility, store.id) ? config.visibility[store.id]! : [];
      for (const nameId of names) push(map, nameId, store);
    }
    return map;
  });
  // The central site, and the primary in mirrored mode, hold every store.
  const holdingEvery = once(() =>
    Object.values(config.sites)
      .filter((site) => site.kind === 'central' || config.preferences.primarySiteId === site.siteId)
      .sort((a, b) => a.siteId - b.siteId),
  );
  const isSite = (siteId: number) => Object.prototype.hasOwnProperty.call(config.sites, String(siteId));
  const holdersOf = (storeId: string): ReadonlyMap<number, InstanceType> => {
    const store = config.stores[storeId]!;
    const holders = new Map<number, InstanceType>();
    const hold = (siteId: number) => {
      if (holders.has(siteId) || !isSite(siteId)) return;
      holders.set(siteId, siteId === store.activeSiteId ? 'active' : store.collectorSiteIds.includes(siteId) ? 'collector' : 'transfer');
    };
    hold(store.activeSiteId);
    // Visible to a store active on a site: the store exists there.
    for (const seer of storesSeeingName().get(store.nameId) ?? []) if (seer.id !== store.id) hold(seer.activeSiteId);
    for (const site of holdingEvery()) hold(site.siteId);
    return holders;
  };
  const holdersByStore = new OnDemandMap<string, ReadonlyMap<number, InstanceType>>(
    () => stores().map((store) => store.id),
    (storeId) => Object.prototype.hasOwnProperty.call(config.stores, storeId),
    holdersOf,
  );
  const holdingsBySite = once(() => {
    const map = new Map<number, Array<{ storeId: string; type: InstanceType }>>();
    for (const store of stores()) for (const [siteId, type] of holdersByStore.get(store.id)!) push(map, siteId, { storeId: store.id, type });
    return map;
  });
  const remoteSites = once(() => sites().filter((site) => site.kind !== 'central'));
  const remoteSiteIds = once(() => remoteSites().map((site) => site.siteId));
  const dispensarySiteIds = once(() =>
    remoteSiteIds().filter((siteId) => (activeStoresBySite().get(siteId) ?? []).some((store) => store.mode === 'dispensary')),
  );
  const centralSite = once(() => Object.values(config.sites).find((site) => site.kind === 'central'));
  return {
    get siteById() {
      return siteById();
    },
    get siteByLowerName() {
      return siteByLowerName();
    },
    get storeByNameId() {
      return storeByNameId();
    },
    get centralSite() {
      return centralSite();
    },
    get sitesInOrder() {
      return sites();
    },
    get remoteSitesInOrder() {
      return remoteSites();
    },
    get remoteSiteIds() {
      return remoteSiteIds();
    },
    get activeStoresBySite() {
      return activeStoresBySite();
    },
    get dispensarySiteIds() {
      return dispensarySiteIds();
    },
    get storesSeeingName() {
      return storesSeeingName();
    },
    holdersByStore,
    get holdingsBySite() {
      return holdingsBySite();
    },
  };
}
