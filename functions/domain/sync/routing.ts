/**
 * Where an accepted record goes (sync-rules §2–3): the remote sites entitled to hold it, and
 * whether it belongs in the central change log. The central server itself keeps every record in
 * its central copy, so it is never a destination here. Pure: a function of the record's
 * placement and the configuration, so a push, a re-route and an initialisation agree.
 */
import type { SyncConfig } from '../config/model';
import { activeStoresOnSite, allSites, getStore, instanceType, isNameVisibleIn, storeByNameId } from '../config/queries';
import type { Placement } from './placement';

export interface Destinations {
  /** Remote sites that must receive the record through their outgoing queue, ascending. */
  readonly siteIds: readonly number[];
  /** Central data every site reads through `central_records`. */
  readonly changeLog: boolean;
}

const remoteSiteIds = (config: SyncConfig): number[] =>
  allSites(config)
    .filter((site) => site.kind !== 'central')
    .map((site) => site.siteId);

export const hasActiveDispensary = (config: SyncConfig, siteId: number): boolean =>
  activeStoresOnSite(config, siteId).some((store) => store.mode === 'dispensary');

/** Every site entitled to hold the record (the origin included: initialisation sends it back). */
export function destinations(tableName: string, placement: Placement, config: SyncConfig): Destinations {
  const sites = remoteSiteIds(config);
  const only = (keep: (siteId: number) => boolean): Destinations => ({ siteIds: sites.filter(keep), changeLog: false });
  const store = placement.storeId === undefined ? undefined : getStore(config, placement.storeId);
  switch (placement.dataClass) {
    case 'central':
      if (placement.flags.includes('dispensaryOnly')) return only((siteId) => hasActiveDispensary(config, siteId));
      return { siteIds: [], changeLog: true };
    case 'centralStore':
      if (!store) return only(() => false);
      // The store record itself goes wherever the store exists; the rest to its active site.
      if (tableName === 'store') return only((siteId) => instanceType(config, store.id, siteId) !== 'none');
      return only((siteId) => store.activeSiteId === siteId);
    case 'store': {
      if (!store) return only(() => false);
      const trader = placement.counterpartNameId === undefined ? undefined : storeByNameId(config, placement.counterpartNameId);
      // A dispensary with "include transactions in sync" off keeps those from its collectors.
      const withheld = placement.flags.includes('dispensaryTransactional') && store.mode === 'dispensary' && !store.includeTransactionsInSync;
      return only((siteId) => {
        const type = instanceType(config, store.id, siteId);
        if (type === 'active' || (type === 'collector' && !withheld)) return true;
        // A trade (transfer, requisition) also belongs to the other store's site: there the store
        // is a transfer copy holding only its trades with the stores active on that site.
        return trader !== undefined && trader.id !== store.id && trader.activeSiteId === siteId;
      });
    }
    case 'patient': {
      if (!store) return only(() => false);
      const patientId = placement.patientId;
      return only(
        (siteId) =>
          store.activeSiteId === siteId ||
          (patientId !== undefined && activeStoresOnSite(config, siteId).some((active) => isNameVisibleIn(config, active.id, patientId))),
      );
    }
    case 'message':
      return only((siteId) => store !== undefined && store.activeSiteId === siteId);
    case 'local':
    case 'sync':
      return only(() => false);
  }
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
