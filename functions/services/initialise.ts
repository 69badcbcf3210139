/**
 * Initialising a site: queue everything it must hold from the central copy (its backup). Its
 * active and collector stores' data, transfer copies' core records and trades, patients visible
 * in its active stores, and dispensary-only central data; other central data it reads from the
 * change log from cursor 0. Safe to repeat: a record already waiting is replaced, not doubled.
 */
import type { SyncConfig } from '../domain/config/model';
import { activeStoresOnSite, allStores, instanceType, namesVisibleIn } from '../domain/config/queries';
import type { CentralCopy, OutgoingQueue, RoutedRecord, StoredRecord } from '../domain/ports';
import { DISPENSARY_ONLY_HOLDER } from '../domain/sync/placement';
import { destinations, hasActiveDispensary } from '../domain/sync/routing';
import { wireForm } from './route';

export interface InitialiseDeps {
  readonly centralCopy: CentralCopy;
  readonly outgoing: OutgoingQueue;
}

export async function buildInitialQueue(deps: InitialiseDeps, config: SyncConfig, siteId: number): Promise<number> {
  const sources: Array<AsyncIterable<StoredRecord[]>> = [];
  for (const store of allStores(config)) {
    if (instanceType(config, store.id, siteId) !== 'none') sources.push(deps.centralCopy.byStore(store.id));
  }
  const patients = new Set(activeStoresOnSite(config, siteId).flatMap((store) => namesVisibleIn(config, store.id)));
  for (const patientId of patients) sources.push(deps.centralCopy.byPatient(patientId));
  if (hasActiveDispensary(config, siteId)) sources.push(deps.centralCopy.byStore(DISPENSARY_ONLY_HOLDER));

  const queued = new Set<string>();
  let count = 0;
  for (const source of sources) {
    for await (const page of source) {
      const due: RoutedRecord[] = [];
      for (const record of page) {
        const key = `${record.tableName}\u0000${record.recordId}`;
        // A new site needs what exists, not the history of deletes and merges.
        if (record.action === 'delete' || record.action === 'merge') continue;
        if (queued.has(key) || !destinations(record.tableName, record.placement, config).siteIds.includes(siteId)) continue;
        queued.add(key);
        due.push({ ...wireForm(record), siteId, version: record.version });
      }
      await deps.outgoing.enqueue(due);
      count += due.length;
    }
  }
  return count;
}
