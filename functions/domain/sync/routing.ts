/**
 * Where an accepted record goes (sync-rules §2–3): the remote sites entitled to hold it, and
 * whether it belongs in the central change log. The central server itself keeps every record in
 * its central copy, so it is never a destination here. Pure: a function of the record's
 * placement and the configuration, so a push, a re-route and an initialisation agree.
 */
import type { SyncConfig } from '../config/model';
import { configLookup, type ConfigLookup } from '../config/lookup';
import { activeStoresOnSite, getStore, storeByNameId, storeHolders } from '../config/queries';
import type { Placement } from './placement';

export interface Destinations {
  /** Remote sites that must receive the record through their outgoing queue, ascending. */
  readonly siteIds: readonly number[];
  /**
   * Central data, kept in the change log; each remote site reads from it, through
   * `central_records`, what its stores use (central-relevance.ts, docs/central-data.md).
   */
  readonly changeLog: boolean;
}

export const hasActiveDispensary = (config: SyncConfig, siteId: number): boolean =>
  activeStoresOnSite(config, siteId).some((store) => store.mode === 'dispensary');

/**
 * Every site entitled to hold the record (the origin included: initialisation sends it back).
 * Candidates come from the configuration's index (the store's holders, the sites of the stores a
 * patient is visible in), so the cost follows the destinations, not the fleet.
 */
export function destinations(tableName: string, placement: Placement, config: SyncConfig): Destinations {
  const lookup = configLookup(config);
  const to = (siteIds: Iterable<number | undefined>): Destinations => ({ siteIds: remoteOnly(lookup, siteIds), changeLog: false });
  const store = placement.storeId === undefined ? undefined : getStore(config, placement.storeId);
  switch (placement.dataClass) {
    case 'central':
      if (placement.flags.includes('dispensaryOnly')) return to(lookup.dispensarySiteIds);
      return { siteIds: [], changeLog: true };
    case 'centralStore':
      if (!store) return to([]);
      // The store record itself goes wherever the store exists; the rest to its active site.
      if (tableName === 'store') return to(storeHolders(config, store.id).keys());
      return to([store.activeSiteId]);
    case 'store': {
      if (!store) return to([]);
      const trader = placement.counterpartNameId === undefined ? undefined : storeByNameId(config, placement.counterpartNameId);
      // A dispensary with "include transactions in sync" off keeps those from its collectors.
      const withheld = placement.flags.includes('dispensaryTransactional') && store.mode === 'dispensary' && !store.includeTransactionsInSync;
      const holders = [...storeHolders(config, store.id)].filter(([, type]) => type === 'active' || (type === 'collector' && !withheld)).map(([siteId]) => siteId);
      // A trade (transfer, requisition) also belongs to the other store's site: there the store
      // is a transfer copy holding only its trades with the stores active on that site.
      return to([...holders, trader !== undefined && trader.id !== store.id ? trader.activeSiteId : undefined]);
    }
    case 'patient': {
      if (!store) return to([]);
      const seeing = placement.patientId === undefined ? [] : (lookup.storesSeeingName.get(placement.patientId) ?? []);
      return to([store.activeSiteId, ...seeing.map((active) => active.activeSiteId)]);
    }
    case 'message':
      return to([store?.activeSiteId]);
    case 'local':
    case 'sync':
      return to([]);
  }
}

/** The remote sites (the central server is never a queue destination) among `siteIds`, once each, ascending. */
function remoteOnly(lookup: ConfigLookup, siteIds: Iterable<number | undefined>): number[] {
  const remote = new Set<number>();
  for (const siteId of siteIds) {
    const kind = siteId === undefined ? undefined : lookup.siteById.get(siteId)?.kind;
    if (kind !== undefined && kind !== 'central') remote.add(siteId!);
  }
  return [...remote].sort((a, b) => a - b);
}

/**
 * Destinations of a change pushed by `originSiteId`: the origin already holds it. `awaitingSiteId`
 * is a site that gets this record later, from the transfers consumer, together with the
 * responding half of the transfer it belongs to (see `transfers/claims.ts`, `awaitsResponse`).
 */
export function destinationsAfterPush(
  tableName: string,
  placement: Placement,
  config: SyncConfig,
  originSiteId: number,
  awaitingSiteId?: number,
): Destinations {
  const all = destinations(tableName, placement, config);
  return { siteIds: all.siteIds.filter((siteId) => siteId !== originSiteId && siteId !== awaitingSiteId), changeLog: all.changeLog };
}
