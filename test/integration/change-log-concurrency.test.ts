/**
 * The central change log's contract under concurrent bulk appends and crashes, on DynamoDB Local:
 * one entry per record, in its newest version; a reader following the client's rules never finds
 * an entry below a cursor it has passed that it did not read; a crash at any request leaves no
 * entry whose pointer points elsewhere, no pointer without its entry, nothing above the maximum.
 */
import fc from 'fast-check';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { ChangeLogEntry, SyncRecord } from '../../functions/domain/ports';
import { DynamoChangeLog } from '../../functions/storage/change-log';
import { recordDataOfItem } from '../../functions/storage/record-data';
import { FaultPlan, InjectedCrash, faultyDynamoClient } from '../support/faults';
import { createTestResources, type TestResources } from '../support/stand-ins';

let resources: TestResources;
beforeAll(async () => {
  resources = await createTestResources();
});

const record = (id: number, version: number): SyncRecord => ({ tableName: 'name', recordId: `n${id}`, action: 'update', recordData: { ID: `n${id}`, version } });
const versionOf = (entry: ChangeLogEntry) => (entry.recordData as { version: number }).version;

/** A client of its own: the appends of one client run one after another, those of several contend. */
const ownClient = () => DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

/** Each case its own log, so cursors start at zero and the audit sees only its items. */
let logs = 0;
const freshTable = async () => {
  const own = await createTestResources();
  logs++;
  return own.tables.changeLog;
};

/** Every item of the log's table, checked against the log's invariants; answers the entries by record. */
async function audit(db: DynamoDBDocumentClient, table: string): Promise<Map<string, { cursor: number; version: number }>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  const max = Number(items.find((item) => item.pk === 'meta')?.maxCursor ?? 0);
  const entries = items.filter((item) => item.pk === 'log');
  const pointers = new Map(items.filter((item) => String(item.pk).startsWith('rec#')).map((item) => [String(item.pk), Number(item.cursor)]));
  const byRecord = new Map<string, { cursor: number; version: number }>();
  for (const entry of entries) {
    const cursor = Number(entry.sk);
    // Nothing is written above the committed maximum.
    expect(cursor).toBeLessThanOrEqual(max);
    // No orphan: the record's pointer names this entry (a reader would send it as current).
    expect(pointers.get(`rec#${entry.tableName}#${entry.recordId}`)).toBe(cursor);
    expect(byRecord.has(String(entry.recordId))).toBe(false);
    byRecord.set(String(entry.recordId), { cursor, version: (recordDataOfItem(entry.recordData) as { version: number }).version });
  }
  // No pointer without its entry.
  expect(pointers.size).toBe(byRecord.size);
  return byRecord;
}

/** A reader following the client's rules, checking at every step that nothing appeared below what it passed. */
function clientReader(log: DynamoChangeLog, limit: number) {
  const seen = new Map<number, { recordId: string; version: number }>();
  let cursor = 0;
  const step = async () => {
    const { maxCursor, entries } = await log.read(cursor, limit);
    for (const entry of entries) {
      expect(entry.cursor).toBeGreaterThan(cursor);
      cursor = entry.cursor;
      seen.set(entry.cursor, { recordId: entry.recordId, version: versionOf(entry) });
    }
    if (entries.length === 0 && cursor < maxCursor) cursor++;
    // Whatever the log holds at or below the cursor now, this reader has read.
    const below = await log.read(0, 10_000);
    for (const entry of below.entries.filter((e) => e.cursor <= cursor)) {
      expect(seen.get(entry.cursor)).toEqual({ recordId: entry.recordId, version: versionOf(entry) });
    }
    return cursor >= maxCursor;
  };
  return { step, seen, cursor: () => cursor };
}

/** One writer's appends: each a set of record numbers from a shared pool (so writers overlap). */
const POOL = 140;
const writerPlan = fc.array(fc.uniqueArray(fc.integer({ min: 0, max: POOL - 1 }), { minLength: 1, maxLength: 120 }), { minLength: 1, maxLength: 3 });

test('concurrent bulk appends of overlapping records: one entry each, the newest version, nothing appears below a passed cursor', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(writerPlan, { minLength: 2, maxLength: 4 }), fc.integer({ min: 5, max: 60 }), async (writers, readLimit) => {
      const table = await freshTable();
      const reader = clientReader(new DynamoChangeLog(resources.db, table), readLimit);
      /** When each append of each record ran: the newest version is one no later append overwrote. */
      const appends: Array<{ version: number; ids: readonly number[]; start: number; end: number }> = [];
      let clock = 0;
      let writing = true;
      const reading = (async () => {
        while (writing) await reader.step();
      })();
      await Promise.all(
        writers.map(async (plan, w) => {
          // Each writer its own client, as separate processes would be (one process's appends run as one).
          const log = new DynamoChangeLog(ownClient(), table);
          for (const [a, ids] of plan.entries()) {
            const version = (w + 1) * 100 + a;
            const start = clock++;
            await log.append(ids.map((id) => record(id, version)));
            appends.push({ version, ids, start, end: clock++ });
          }
        }),
      );
      writing = false;
      await reading;
      for (let guard = 0; guard < 1000 && !(await reader.step()); guard++);

      const final = await audit(resources.db, table);
      expect([...final.keys()].sort()).toEqual([...new Set(writers.flat(2))].map((id) => `n${id}`).sort());
      for (const [recordId, { cursor, version }] of final) {
        const id = Number(recordId.slice(1));
        const winner = appends.find((append) => append.version === version)!;
        expect(winner.ids).toContain(id);
        // No append of this record began after the winning one had returned.
        expect(appends.filter((append) => append.ids.includes(id) && append.start > winner.end)).toEqual([]);
        // The reader read every record, in the version the log ends with.
        expect(reader.seen.get(cursor)).toEqual({ recordId, version });
      }
    }),
    { numRuns: 8 },
  );
  expect(logs).toBeGreaterThan(0);
}, 300_000);

test('a crash at any request of a bulk append leaves the log whole, and the retried append completes it', async () => {
  const table = await freshTable();
  const healthy = new DynamoChangeLog(resources.db, table);
  await healthy.append(Array.from({ length: 60 }, (_, id) => record(id, 1)));
  let steps = 0;
  // Every request an append makes, crashed before it is sent and after it is answered.
  for (let at = 0, crashed = true; crashed; at++) {
    crashed = false;
    for (const phase of ['before', 'after'] as const) {
      const version = 10 + at * 2 + (phase === 'after' ? 1 : 0);
      // New and existing records, more than one transaction's worth.
      const ids = Array.from({ length: 110 }, (_, i) => (at * 7 + i * 3) % 200);
      const plan = FaultPlan.crashAt(at, phase);
      const failing = new DynamoChangeLog(faultyDynamoClient(resources.db, plan), table);
      const outcome = await failing.append(ids.map((id) => record(id, version))).then(
        () => 'done',
        (error: unknown) => {
          if (!(error instanceof InjectedCrash)) throw error;
          return 'crashed';
        },
      );
      crashed ||= outcome === 'crashed';
      steps = Math.max(steps, plan.steps.length);
      // Reads read ahead may still be in flight: let them land before looking.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await audit(resources.db, table);
      await healthy.append(ids.map((id) => record(id, version)));
      const after = await audit(resources.db, table);
      for (const id of ids) expect(after.get(`n${id}`)?.version).toBe(version);
    }
  }
  // The append took several requests (reads and transactions), each of them crashed once.
  expect(steps).toBeGreaterThan(3);
}, 300_000);

test('concurrent appends of one process run together: fewer transactions, each caller answered, the last call\'s version kept', async () => {
  const table = await freshTable();
  const plan = new FaultPlan();
  const client = faultyDynamoClient(ownClient(), plan);
  // Callers with instances of their own, as the adapters give them, on one client.
  const calls = Array.from({ length: 5 }, (_, c) => new DynamoChangeLog(client, table).append([record(c * 10, c), ...Array.from({ length: 9 }, (_, i) => record(c * 10 + i + 1, c)), record(999, c)]));
  await Promise.all(calls);
  // The first call runs alone; the four that came while it ran make one run.
  expect(plan.steps.filter((step) => step === 'dynamodb.TransactWriteCommand')).toHaveLength(2);
  const final = await audit(resources.db, table);
  expect(final.size).toBe(51);
  expect(final.get('n999')?.version).toBe(4);
  expect(final.get('n49')?.version).toBe(4);
});

test('large records are spread over transactions within DynamoDB\'s 4 MB', async () => {
  const table = await freshTable();
  const log = new DynamoChangeLog(ownClient(), table);
  const large = (id: number): SyncRecord => ({ ...record(id, 1), recordData: { ID: `n${id}`, version: 1, note: 'x'.repeat(300_000) } });
  await log.append(Array.from({ length: 20 }, (_, id) => large(id)));
  const final = await audit(resources.db, table);
  expect(final.size).toBe(20);
}, 120_000);
