/**
 * Sending a site what it has just become entitled to (a store moved there, a new collector, new
 * visibility): the records of one index source, queued from the central copy. A large source is
 * queued in parts that each fit a function's timeout. Safe to repeat: a record already waiting
 * is replaced, not doubled. (A whole initialisation is served at pull time: initial-stream.ts.)
 */
import type { SyncConfig } from '../domain/config/model';
import type { CentralCopy, InitialisationProgress, OutgoingQueue, RecordSource, RoutedRecord } from '../domain/ports';
import { destinations } from '../domain/sync/routing';
import { recordKeyString } from '../domain/ports';
import { wireForm } from './route';
import { awaitingResponseAt } from './transfers';

export interface InitialiseDeps {
  readonly centralCopy: CentralCopy;
  readonly outgoing: OutgoingQueue;
}

export type InitialisationStep =
  | { readonly done: true; readonly queued: number }
  | { readonly done: false; readonly resume: InitialisationProgress };

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
      // An initiating half whose responding half does not exist yet reaches the site with it, from the transfers consumer.
      const awaiting = await awaitingResponseAt(deps.centralCopy, config, siteId, page.records);
      const due: RoutedRecord[] = page.records
        // A new site needs what exists, not the history of deletes and merges.
        .filter((record) => record.action !== 'delete' && record.action !== 'merge')
        .filter((record) => destinations(record.tableName, record.placement, config).siteIds.includes(siteId))
        .filter((record) => !awaiting.has(recordKeyString(record)))
        .map((record) => ({ ...wireForm(record), siteId, version: record.version }));
      // A record found through two sources is queued twice in its one version: the second replaces the first.
      await deps.outgoing.enqueue(due);
      queued += due.length;
      after = page.next;
    } while (after);
  }
  return { done: true, queued };
}
