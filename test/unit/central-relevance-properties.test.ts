/**
 * Filtered central data, property-based: for any configuration and central log, what a site
 * holds after reading `central_records` the way the Open mSupply client does (cursor = last ID,
 * an empty page below maxCursor steps the cursor by one) has every reference resolved, holds
 * what its stores use and not the lines of lists none of its stores uses; the cursor moves over
 * the whole log within a bounded number of requests. Checked against the oracle in
 * test/support/sync-arbitraries.ts (written from the client's references, not the filter).
 */
import fc from 'fast-check';
import type { SyncConfig } from '../../functions/domain/config/model';
import type { CentralCopy, ChangeLog, ChangeLogEntry, RecordKey, StoredRecord, SyncRecord } from '../../functions/domain/ports';
import { recordKeyString } from '../../functions/domain/ports';
import { placeRecord, parentKeyOf } from '../../functions/domain/sync/placement';
import { centralRecordsFor, type CentralReadLimits } from '../../functions/services/central-records';
import { centralDataArb, centralExpectations, configArb, latestCentral, siteIdsOf, storeExistsOn, unresolvedReferences } from '../support/sync-arbitraries';

/** The log as the server keeps it: one entry per record, at the cursor of its last change. */
function memoryLog(log: readonly SyncRecord[]): { changeLog: ChangeLog; centralCopy: CentralCopy; maxCursor: number } {
  const entries = new Map<string, ChangeLogEntry>();
  log.forEach((record, i) => {
    const key = recordKeyString(record);
    entries.delete(key);
    entries.set(key, { ...record, cursor: i + 1 });
  });
  const sorted = [...entries.values()].sort((a, b) => a.cursor - b.cursor);
  const maxCursor = sorted.at(-1)?.cursor ?? 0;
  const stored = new Map<string, StoredRecord>();
  for (const record of latestCentral(log).values()) {
    const placed = placeRecord(record, { centralisedProcurement: false }, () => undefined, true);
    if (placed.kind !== 'placed') throw new Error(`central record not placed: ${JSON.stringify(placed)}`);
    stored.set(recordKeyString(record), { ...record, placement: placed.placement, originSiteId: 1, changeId: 'c', version: 1, routedVersion: 1 });
  }
  const changeLog: ChangeLog = {
    append: async () => {},
    read: async (after, limit) => ({ maxCursor, entries: sorted.filter((entry) => entry.cursor > after).slice(0, limit) }),
  };
  const centralCopy = {
    get: async (keys: readonly RecordKey[]) => new Map(keys.flatMap((key) => (stored.has(recordKeyString(key)) ? [[recordKeyString(key), stored.get(recordKeyString(key))!]] : []))),
    byParent: async function* (tableName: string, recordId: string) {
      yield [...stored.values()].filter((record) => parentKeyOf(record.placement) === `${tableName}#${recordId}`);
    },
  } as unknown as CentralCopy;
  return { changeLog, centralCopy, maxCursor };
}

interface Pulled {
  readonly held: Set<string>;
  readonly requests: number;
  readonly steps: number;
  readonly cursor: number;
  /** Entries received, deletes included. */
  readonly received: number;
}

/** `CentralDataSynchroniser::pull`, with what the site stores. */
async function pullAsTheClient(deps: ReturnType<typeof memoryLog>, config: SyncConfig, siteId: number, limit: number, limits: CentralReadLimits): Promise<Pulled> {
  const held = new Set<string>();
  let cursor = 0;
  let requests = 0;
  let steps = 0;
  let received = 0;
  for (;;) {
    if (++requests > 500) throw new Error('the client never finished pulling');
    const { maxCursor, data } = await centralRecordsFor(deps, config, siteId, cursor, limit, limits);
    expect(maxCursor).toBeGreaterThanOrEqual(cursor);
    let previous = cursor;
    received += data.length;
    for (const record of data) {
      expect(record.ID).toBeGreaterThan(previous);
      previous = record.ID;
      const key = recordKeyString(record);
      if (record.action === 'delete') held.delete(key);
      else held.add(key);
    }
    const last = data.at(-1)?.ID ?? cursor;
    cursor = last;
    if (data.length > 0) continue;
    if (last < maxCursor) {
      cursor = last + 1;
      steps++;
    } else return { held, requests, steps, cursor, received };
  }
}

const caseArb = configArb.chain((config) =>
  fc.record({
    config: fc.constant(config),
    log: centralDataArb(config),
    siteId: fc.constantFrom(...siteIdsOf(config).filter((siteId) => config.sites[String(siteId)]!.kind !== 'central')),
    limit: fc.integer({ min: 1, max: 6 }),
    chunk: fc.integer({ min: 1, max: 5 }),
    maxEntries: fc.integer({ min: 1, max: 12 }),
  }),
);

test('what a site holds of central data: every reference resolves, what its stores use is there, other lists\' lines are not; the cursor crosses the whole log', async () => {
  await fc.assert(
    fc.asyncProperty(caseArb, async ({ config, log, siteId, limit, chunk, maxEntries }) => {
      const deps = memoryLog(log);
      const limits: CentralReadLimits = { chunk, maxEntries, maxMs: Number.POSITIVE_INFINITY, budgetBytes: 5 * 1024 * 1024 };
      const pulled = await pullAsTheClient(deps, config, siteId, limit, limits);

      // What a finished pull holds (a pull cut short holds part of the log, as any client would).
      if (pulled.cursor === deps.maxCursor) expect({ unresolved: unresolvedReferences(config, siteId, log, pulled.held) }).toEqual({ unresolved: [] });
      const { must, mustNot } = centralExpectations(config, siteId, log);
      expect({ unwanted: mustNot.filter((key) => pulled.held.has(key)) }).toEqual({ unwanted: [] });

      // The pull reads to the log's end without stepping one entry at a time, unless every name of the site's
      // stores was deleted (nothing then carries the cursor over skipped entries: they are read again next time).
      const latest = latestCentral(log);
      const holdsStore = Object.values(config.stores).some((store) => storeExistsOn(config, store, siteId));
      const carried =
        !holdsStore || Object.values(config.stores).some((store) => storeExistsOn(config, store, siteId) && latest.get(`name\u0000${store.nameId}`)?.action === 'update');
      if (carried) {
        expect({ missing: must.filter((key) => !pulled.held.has(key)) }).toEqual({ missing: [] });
        expect(pulled.steps).toBe(0);
        expect(pulled.cursor).toBe(deps.maxCursor);
        // Each request fills a page (deletes count: they are sent too), reads its entry budget, or
        // ends the log: no request is wasted.
        const pages = Math.ceil(pulled.received / limit) + 1;
        const reads = Math.ceil(deps.maxCursor / Math.max(maxEntries, 1)) + 1;
        expect(pulled.requests).toBeLessThanOrEqual(pages + reads + 1);
      }
    }),
    { numRuns: 400 },
  );
});
