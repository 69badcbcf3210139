/**
 * Who receives a v6 record, in two halves that must agree:
 *
 * - at write time, the change-log partitions the record is entered in (`v6Partitions`): `all`
 *   for central data, `store#<id>` for each store whose site may hold it, `patient#<id>` for
 *   patient-pull; so a record costs O(its destinations), never O(sites);
 * - at read time, the partitions a site reads (`sitePartitions`: `all` and the stores it holds)
 *   and, for every entry found, the entitlement check with today's configuration
 *   (`entitledSite`: v5's `destinations`, the same store-instance and visibility rules), so a
 *   configuration change never lets a site read what it may no longer see.
 *
 * Pure.
 */
import type { SyncConfig } from '../config/model';
import { configLookup } from '../config/lookup';
import { storeByNameId, storesOnSite } from '../config/queries';
import { destinations } from '../sync/routing';
import type { V6Placement } from './placement';

export const ALL_SITES_PARTITION = 'all';
export const storePartition = (storeId: string) => `store#${storeId}`;
export const patientPartition = (patientId: string) => `patient#${patientId}`;

/**
 * More partitions than this for one record (a patient visible in very many stores) and the
 * record is entered once in `all` instead: every site then reads it and the entitlement check
 * keeps it from those not entitled. Keeps one record's log write inside one transaction.
 */
export const MAX_PARTITIONS_PER_RECORD = 40;

/** The change-log partitions a record is entered in; none for a record sent nowhere. */
export function v6Partitions(placement: V6Placement, config: SyncConfig): string[] {
  if (placement.kept) return [];
  const partitions = ((): string[] => {
    switch (placement.dataClass) {
      case 'central':
        return [ALL_SITES_PARTITION];
      case 'patient': {
        const { storeId, patientId } = placement;
        const seeing = patientId === undefined ? [] : (configLookup(config).storesSeeingName.get(patientId) ?? []).map((store) => store.id);
        const stores = [...new Set([...(storeId === undefined ? [] : [storeId]), ...seeing])];
        return [...stores.map(storePartition), ...(patientId === undefined ? [] : [patientPartition(patientId)])];
      }
      case 'local':
      case 'sync':
        return [];
      default: {
        if (placement.storeId === undefined) return [];
        // A trade (a record placed by an invoice or requisition to another store) also belongs to
        // the other store's site, as v5 routes it: enter it in that store's partition too.
        const trader = placement.counterpartNameId === undefined ? undefined : storeByNameId(config, placement.counterpartNameId);
        const stores = trader && trader.id !== placement.storeId ? [placement.storeId, trader.id] : [placement.storeId];
        return stores.map(storePartition);
      }
    }
  })();
  if (partitions.length <= MAX_PARTITIONS_PER_RECORD) return partitions;
  // Too many stores: once in `all`, and still in its patient's partition for patient-pull.
  return [ALL_SITES_PARTITION, ...partitions.filter((partition) => partition.startsWith('patient#'))];
}

/** The partitions a site reads: `all`, and every store it holds as its active or a collector site. */
export function sitePartitions(config: SyncConfig, siteId: number): string[] {
  const held = storesOnSite(config, siteId).filter(({ type }) => type === 'active' || type === 'collector');
  return [ALL_SITES_PARTITION, ...held.map(({ storeId }) => storePartition(storeId))];
}

/** Whether the site may receive the record today: v5's destinations for its placement. */
export function entitledSite(tableName: string, placement: V6Placement, config: SyncConfig, siteId: number): boolean {
  if (placement.kept) return false;
  const routed = destinations(tableName, placement, config);
  return routed.changeLog || routed.siteIds.includes(siteId);
}
