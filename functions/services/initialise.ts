/**
 * Initialising a site: queue everything it must hold from the central copy (its backup). Its
 * active and collector stores' data, transfer copies' core records and trades, patients visible
 * in its active stores, and dispensary-only central data; other central data it reads from the
 * change log from cursor 0. Safe to repeat: a record already waiting is replaced, not doubled.
 */
import type { SyncConfig } from '../domain/config/model';
import { activeStoresOnSite, allStores, instanceType, namesVisibleIn } from '../domain/config/queries';
import type { CentralCopy, InitialisationProgress, OutgoingQueue, RecordSource, RoutedRecord } from '../domain/ports';
import { DISPENSARY_ONLY_HOLDER } from '../domain/sync/placement';
import { destinations, hasActiveDispensary } from '../domain/sync/routing';
import { wireForm } from './route';

export interface InitialiseDeps {
  readonly centralCopy: CentralCopy;
  readonly outgoing: OutgoingQueue;
}

/** The index pages an initialisation reads, in a fixed order so a later part can resume. */
export function initialisationSources(config: SyncConfig, siteId: number): RecordSource[] {
  const sources: RecordSource[] = [];
  for (const store of allStores(config)) {
    if (instanceType(config, store.id, siteId) !== 'none') sources.push({ index: 'byStore', value: store.id });
  }
  const patients = [...new Set(activeStoresOnSite(config, siteId).flatMap((store) => namesVisibleIn(config, store.id)))].sort();
  for (const patientId of patients) sources.push({ index: 'byPatient', value: patientId });
  if (hasActiveDispensary(config, siteId)) sources.push({ index: 'byStore', value: DISPENSARY_ONLY_HOLDER });
  return sources;
}

export type InitialisationStep =
  | { readonly done: true; readonly queued: number }
  | { readonly done: false; readonly resume: InitialisationProgress };

/**
 * Queues pages until done or `shouldStop()` says the time is nearly up; then answers where to
 * resume, so a site of any size is initialised in parts that each fit a function's timeout.
 */
export function buildInitialQueue(
  deps: InitialiseDeps,
  config: SyncConfig,
  siteId: number,
  options: QueueSourcesOptions = {},
): Promise<InitialisationStep> {
  return queueFromSources(deps, config, siteId, initialisationSources(config, siteId), options);
}

/** What a site has just become entitled to (a store moved there, new collector, new visibility). */
export function sendRecordsTo(deps: InitialiseDeps, config: SyncConfig, siteId: number, source: RecordSource, options: QueueSourcesOptions = {}) {
  return queueFromSources(deps, config, siteId, [source], options);
}

export interface QueueSourcesOptions {
  readonly resume?: InitialisationProgress;
  readonly shouldStop?: () => boolean;
}

async function queueFromSources(
  deps: InitialiseDeps,
  config: SyncConfig,
  siteId: number,
  sources: readonly RecordSource[],
  options: QueueSourcesOptions,
): Promise<InitialisationStep> {
  let { source, after, queued, part } = options.resume ?? { source: 0, queued: 0, part: 0 };
  let pages = 0;
  for (; source < sources.length; source++, after = undefined) {
    const { index, value } = sources[source]!;
    do {
      // Every part queues at least one page, so an initialisation always moves on.
      if (pages > 0 && options.shouldStop?.()) return { done: false, resume: { source, ...(after ? { after } : {}), queued, part: part + 1 } };
      pages++;
      const page = await deps.centralCopy.page(index, value, after);
      const due: RoutedRecord[] = page.records
        // A new site needs what exists, not the history of deletes and merges.
        .filter((record) => record.action !== 'delete' && record.action !== 'merge')
        .filter((record) => destinations(record.tableName, record.placement, config).siteIds.includes(siteId))
        .map((record) => ({ ...wireForm(record), siteId, version: record.version }));
      // A record found through two sources is queued twice in its one version: the second replaces the first.
      await deps.outgoing.enqueue(due);
      queued += due.length;
      after = page.next;
    } while (after);
  }
  return { done: true, queued };
}
