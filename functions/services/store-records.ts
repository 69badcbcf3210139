/**
 * Store records authored by the configuration (see domain/config/store-record.ts): the central
 * copy holds, for every configured store, the record the configuration says, written as a new
 * version by the central site where it disagreed; a configuration change sends it to every site
 * that holds the store and to every site that held it before the change.
 */
import { createHash } from 'node:crypto';
import type { SyncConfig } from '../domain/config/model';
import { centralSite, getSite, getStore } from '../domain/config/queries';
import { authoredStoreRecord, storeRecordAgrees, type StoreRecordChange } from '../domain/config/store-record';
import type { AcceptedChange, CentralCopy, OutgoingQueue, RecordKey, RoutedRecord, StoredRecord } from '../domain/ports';
import { recordKeyString } from '../domain/ports';
import type { Placement } from '../domain/sync/placement';
import { destinations } from '../domain/sync/routing';
import { wireForm } from './route';

export interface StoreRecordDeps {
  readonly centralCopy: CentralCopy;
  readonly outgoing: OutgoingQueue;
}

/** Where a store record is placed: central store data of the store itself (as a pushed one is). */
export const storeRecordPlacement = (storeId: string): Placement => ({ dataClass: 'centralStore', flags: [], storeId });

/** The remote sites a store's record goes to in a configuration. */
export const storeRecordHolders = (config: SyncConfig, storeId: string): number[] =>
  [...destinations('store', storeRecordPlacement(storeId), config).siteIds];

const storeKey = (storeId: string): RecordKey => ({ tableName: 'store', recordId: storeId });

/**
 * Makes the central copy hold the configured record of each store (those it does not know are
 * skipped): a new version, written as the central site, where it is missing or disagrees.
 * Answers the current central copies.
 */
export async function writeStoreRecords(deps: Pick<StoreRecordDeps, 'centralCopy'>, config: SyncConfig, storeIds: readonly string[]): Promise<StoredRecord[]> {
  const central = centralSite(config)?.siteId;
  const stores = storeIds.map((id) => getStore(config, id)).filter((store) => store !== undefined);
  if (central === undefined || stores.length === 0) return [];
  const keys = stores.map((store) => storeKey(store.id));
  const existing = await deps.centralCopy.get(keys);
  const changes: AcceptedChange[] = [];
  for (const store of stores) {
    const stored = existing.get(recordKeyString(storeKey(store.id)));
    const current = stored && stored.action !== 'delete' ? stored.recordData : undefined;
    if (storeRecordAgrees(store, current)) continue;
    const recordData = authoredStoreRecord(store, current);
    changes.push({
      record: { tableName: 'store', recordId: store.id, action: stored ? 'update' : 'insert', recordData },
      placement: storeRecordPlacement(store.id),
      originSiteId: central,
      // The same authored record is one change, however often it is written.
      changeId: `config:store:${store.id}:${createHash('sha256').update(JSON.stringify(recordData)).digest('hex').slice(0, 32)}`,
    });
  }
  if (changes.length === 0) return [...existing.values()];
  await deps.centralCopy.apply(changes);
  return [...(await deps.centralCopy.get(keys)).values()];
}

/**
 * After a configuration change: writes the affected stores' records and queues each for every
 * site holding the store now and every site that held it before (an old active site that keeps
 * no copy still learns it is no longer active). Safe to repeat.
 */
export async function sendStoreRecords(deps: StoreRecordDeps, config: SyncConfig, changes: readonly StoreRecordChange[]): Promise<{ readonly deliveries: number }> {
  const records = await writeStoreRecords(deps, config, changes.map((change) => change.storeId));
  const formerHolders = new Map(changes.map((change) => [change.storeId, change.formerHolders]));
  const deliveries: RoutedRecord[] = [];
  for (const record of records) {
    const siteIds = new Set([...storeRecordHolders(config, record.recordId), ...(formerHolders.get(record.recordId) ?? [])]);
    for (const siteId of [...siteIds].sort((a, b) => a - b)) {
      const site = getSite(config, siteId);
      if (site && site.kind !== 'central') deliveries.push({ ...wireForm(record), siteId, version: record.version });
    }
  }
  await deps.outgoing.enqueue(deliveries);
  // Routed here to every holder: the fan-out consumer has nothing more to route for this version.
  await deps.centralCopy.markRouted(records.map(({ tableName, recordId, version }) => ({ tableName, recordId, version })));
  return { deliveries: deliveries.length };
}
