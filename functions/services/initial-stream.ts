/**
 * Serving a site's initialisation at pull time (see domain/sync/initial-stream.ts): read the
 * site's records from the central copy where its stream stands, and move the stream on when the
 * site acknowledges them. Nothing is copied into the outgoing queue, so an initialisation costs
 * nothing until it is pulled and never waits for a background consumer.
 */
import type { SyncConfig } from '../domain/config/model';
import type { CentralCopy, InitialStreamState, QueuedRecord, SiteProgress } from '../domain/ports';
import {
  encodeStreamEntryId,
  isStreamEntryId,
  positionAfterAcknowledging,
  remainingSources,
  streamSources,
  type StreamPosition,
} from '../domain/sync/initial-stream';
import { namesNotHeld, siteCentralView } from '../domain/sync/central-relevance';
import { destinations } from '../domain/sync/routing';
import { payloadBytes } from '../protocol/response-budget';
import { recordKeyString } from '../domain/ports';
import { wireForm } from './route';
import { awaitingResponseAt } from './transfers';
import { namesSentWith } from './central-records';

export interface InitialStreamDeps {
  readonly centralCopy: CentralCopy;
  readonly progress: SiteProgress;
  /** Milliseconds, for the scan's time budget. */
  readonly clock?: () => number;
}

export interface StreamPullLimits {
  /** Records per answer (the client's `limit`). */
  readonly limit: number;
  readonly budgetBytes: number;
  /** Stop reading once this long has passed and something was found. */
  readonly scanMs: number;
  /** Stop reading even with nothing found (the answer must come well within API Gateway's 30 s). */
  readonly maxScanMs: number;
}

/** Fewer index items than this per read would mean many round trips when most are filtered out. */
const MIN_PAGE_ITEMS = 100;

interface Found {
  readonly record: QueuedRecord;
  readonly position: Required<StreamPosition>;
}

/**
 * The next records of the site's initialisation, at most `limit` and within the byte budget.
 * Empty when the stream has nothing more for the site: it is then marked done (or, if the time
 * ran out before anything was found, moved past what was read), and the site pulls its queue.
 */
export async function pullInitialStream(
  deps: InitialStreamDeps,
  config: SyncConfig,
  siteId: number,
  stream: InitialStreamState,
  limits: StreamPullLimits,
): Promise<QueuedRecord[]> {
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const found: Array<Omit<Found, 'record'> & { record: Omit<QueuedRecord, 'syncOutId'> }> = [];
  let bytes = 0;
  let reachedEnd = true;
  // The furthest record read and either delivered or not for this site: where a skip resumes.
  let read: StreamPosition | undefined = stream.position;
  const view = siteCentralView(config, siteId);
  // Names a record points at that the site does not hold travel with it, once per answer.
  const namesSent = new Set<string>();

  scan: for (const { source, afterRecordKey } of remainingSources(streamSources(config, siteId), stream.position)) {
    let after = afterRecordKey;
    for (;;) {
      const elapsed = clock() - started;
      if (found.length >= limits.limit || (found.length > 0 && elapsed > limits.scanMs) || elapsed > limits.maxScanMs) {
        reachedEnd = false;
        break scan;
      }
      const page = await deps.centralCopy.keyedPage(source, Math.max(limits.limit - found.length, MIN_PAGE_ITEMS), after);
      // An initiating half whose responding half does not exist yet reaches the site with it, from the transfers consumer.
      const awaiting = await awaitingResponseAt(deps.centralCopy, config, siteId, page.records.map(({ record }) => record));
      const names = await namesSentWith(deps.centralCopy, view, page.records.map(({ record }) => record).filter((record) => record.action !== 'delete' && record.action !== 'merge'));
      for (const { key, record } of page.records) {
        const position = { sourceKey: source.key, recordKey: key };
        // A new site needs what exists, not the history of deletes and merges.
        const wanted =
          record.action !== 'delete' &&
          record.action !== 'merge' &&
          destinations(record.tableName, record.placement, config).siteIds.includes(siteId) &&
          !awaiting.has(recordKeyString(record));
        if (wanted) {
          const wire = wireForm(record);
          const withNames = namesNotHeld(view, record).flatMap((nameId) => {
            const name = names.get(nameId);
            return name && !namesSent.has(nameId) ? [wireForm(name)] : [];
          });
          const size = [...withNames, wire].reduce((sum, sent) => sum + payloadBytes(sent), 0);
          const full = found.length + withNames.length >= limits.limit || bytes + size > limits.budgetBytes;
          if (found.length >= limits.limit || (found.length > 0 && full)) {
            reachedEnd = false;
            break scan;
          }
          // A name comes before the record naming it, under the record's position (acknowledged with it).
          for (const name of withNames) {
            found.push({ record: name, position });
            namesSent.add(name.recordId);
          }
          found.push({ record: wire, position });
          bytes += size;
        }
        read = position;
      }
      if (!page.more || page.records.length === 0) break;
      after = page.records.at(-1)!.key;
    }
  }

  if (found.length === 0) {
    // Nothing was delivered, so nothing waits for an acknowledgement: moving on is safe.
    if (reachedEnd) await deps.progress.advanceInitialStream(siteId, stream.generation, stream.position, 'done');
    else if (read && read !== stream.position) await deps.progress.advanceInitialStream(siteId, stream.generation, stream.position, read);
    return [];
  }
  return found.map(({ record, position }, i) => ({
    ...record,
    syncOutId: encodeStreamEntryId({ generation: stream.generation, position, last: reachedEnd && i === found.length - 1 }),
  }));
}

/** Moves the stream to the furthest entry the site acknowledged; other ids are the queue's. */
export async function acknowledgeInitialStream(deps: InitialStreamDeps, siteId: number, syncOutIds: readonly string[]): Promise<void> {
  const ids = syncOutIds.filter(isStreamEntryId);
  if (ids.length === 0) return;
  // A concurrent pull or acknowledgement may move it first: read again and retry a few times.
  for (let attempt = 0; attempt < 5; attempt++) {
    const { stream } = await deps.progress.initialisation(siteId);
    if (!stream || stream.done) return;
    const next = positionAfterAcknowledging(stream.generation, stream.position, ids);
    if (!next) return;
    if (await deps.progress.advanceInitialStream(siteId, stream.generation, stream.position, next.done ? 'done' : next.position)) return;
  }
}
