/** The per-site outgoing queue on DynamoDB Local: order, latest state wins, exact length, safe acknowledgements. */
import fc from 'fast-check';
import type { RoutedRecord } from '../../functions/domain/ports';
import { DynamoOutgoingQueue } from '../../functions/storage/outgoing-queue';
import { createTestResources, type TestResources } from '../support/stand-ins';

let resources: TestResources;
let siteCounter = 0;
const nextSite = () => ++siteCounter;

beforeAll(async () => {
  resources = await createTestResources();
});

const queue = () => new DynamoOutgoingQueue(resources.db, resources.tables);
const routed = (siteId: number, recordId: string, version: number, tableName = 'item'): RoutedRecord => ({
  siteId,
  tableName,
  recordId,
  version,
  action: 'update',
  recordData: { ID: recordId, version },
});

test('records are pulled oldest first with an exact queue length', async () => {
  const site = nextSite();
  const q = queue();
  for (const id of ['a', 'b', 'c']) await q.enqueue([routed(site, id, 1)]);
  const first = await q.pull(site, 2);
  expect(first.queueLength).toBe(3);
  expect(first.records.map((r) => r.recordId)).toEqual(['a', 'b']);
  await q.acknowledge(site, first.records.map((r) => r.syncOutId));
  const second = await q.pull(site, 2);
  expect(second).toMatchObject({ queueLength: 1, records: [{ recordId: 'c' }] });
});

test('a record routed again while waiting is delivered once, in its newest version', async () => {
  const site = nextSite();
  const q = queue();
  await q.enqueue([routed(site, 'x', 1)]);
  await q.enqueue([routed(site, 'x', 2)]);
  const { queueLength, records } = await q.pull(site, 10);
  expect(queueLength).toBe(1);
  expect(records).toHaveLength(1);
  expect(records[0]!.recordData).toEqual({ ID: 'x', version: 2 });
});

test('an older version never replaces a newer one that is waiting', async () => {
  const site = nextSite();
  const q = queue();
  await q.enqueue([routed(site, 'x', 5)]);
  await q.enqueue([routed(site, 'x', 3)]);
  const { records } = await q.pull(site, 10);
  expect(records.map((r) => r.recordData)).toEqual([{ ID: 'x', version: 5 }]);
});

test('an update landing between pull and acknowledgement is delivered again', async () => {
  const site = nextSite();
  const q = queue();
  await q.enqueue([routed(site, 'x', 1)]);
  const pulled = await q.pull(site, 10);
  await q.enqueue([routed(site, 'x', 2)]);
  await q.acknowledge(site, pulled.records.map((r) => r.syncOutId));
  const again = await q.pull(site, 10);
  expect(again.queueLength).toBe(1);
  expect(again.records[0]!.recordData).toEqual({ ID: 'x', version: 2 });
});

test('unknown, malformed and repeated acknowledgements are harmless', async () => {
  const site = nextSite();
  const q = queue();
  await q.enqueue([routed(site, 'a', 1), routed(site, 'b', 1)]);
  const { records } = await q.pull(site, 10);
  await q.acknowledge(site, [records[0]!.syncOutId, 'not-an-id', '', records[0]!.syncOutId]);
  await q.acknowledge(site, [records[0]!.syncOutId]);
  const after = await q.pull(site, 10);
  expect(after.queueLength).toBe(1);
  expect(after.records.map((r) => r.recordId)).toEqual(['b']);
});

test('sites never see each other\'s entries', async () => {
  const [one, two] = [nextSite(), nextSite()];
  const q = queue();
  await q.enqueue([routed(one, 'a', 1), routed(two, 'b', 1)]);
  expect((await q.pull(one, 10)).records.map((r) => r.recordId)).toEqual(['a']);
  expect((await q.pull(two, 10)).records.map((r) => r.recordId)).toEqual(['b']);
});

test('a batch larger than one transaction is queued whole', async () => {
  const site = nextSite();
  const q = queue();
  await q.enqueue(Array.from({ length: 250 }, (_, i) => routed(site, `r${i}`, 1)));
  expect(await q.queueLength(site)).toBe(250);
});

test('property: whatever the interleaving, the site ends with the newest version of every routed record', async () => {
  const operation = fc.oneof(
    fc.record({ kind: fc.constant('route' as const), recordId: fc.constantFrom('a', 'b', 'c', 'd'), bump: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant('pull' as const), limit: fc.integer({ min: 1, max: 3 }), ack: fc.boolean() }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 12 }), async (operations) => {
      const site = nextSite();
      const q = queue();
      const newest = new Map<string, number>();
      const received = new Map<string, number>();
      const pending: string[] = [];
      for (const op of operations) {
        if (op.kind === 'route') {
          const version = (newest.get(op.recordId) ?? 0) + op.bump;
          newest.set(op.recordId, version);
          await q.enqueue([routed(site, op.recordId, version)]);
        } else {
          const { records } = await q.pull(site, op.limit);
          for (const r of records) received.set(r.recordId, (r.recordData as { version: number }).version);
          if (op.ack) await q.acknowledge(site, records.map((r) => r.syncOutId));
          else pending.push(...records.map((r) => r.syncOutId));
        }
      }
      // Drain like a client: pull and acknowledge until empty.
      for (let guard = 0; guard < 20; guard++) {
        const { records, queueLength } = await q.pull(site, 10);
        expect(queueLength).toBeGreaterThanOrEqual(records.length);
        if (records.length === 0) break;
        for (const r of records) received.set(r.recordId, (r.recordData as { version: number }).version);
        await q.acknowledge(site, [...records.map((r) => r.syncOutId), ...pending]);
      }
      expect(received).toEqual(newest);
      expect(await q.queueLength(site)).toBe(0);
    }),
    { numRuns: 25 },
  );
});
