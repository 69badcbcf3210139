/**
 * Routing in the push (services/push.ts, routeInPush): what a push has just stored is routed
 * before the push is answered, from the records in hand (no second read, no message, no routed
 * marker: the put stores it as routed, under work marked before it that names the version). What
 * it cannot route there (too many deliveries, a failure) is left to the background from those
 * marks, and the push still succeeds; from the moment the work is marked, a crash leaves it to the sweeper.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SyncConfig } from '../../functions/domain/config/model';
import type { BackgroundWork, OutgoingQueue, RecordKey, SyncRecord } from '../../functions/domain/ports';
import { recordKeyString } from '../../functions/domain/ports';
import { acceptPush, type PushRouting } from '../../functions/services/push';
import { routeRecords } from '../../functions/services/route';
import { recordsKeys } from '../../functions/storage/keys';
import { legacyRecord } from '../support/legacy-records';
import type { adaptersFor, TestResources } from '../support/stand-ins';
import { CollectedWork } from '../support/collected-work';
import { withDemoConfig } from '../support/demo-config';

jest.setTimeout(60_000);

const CENTRAL = 1; // STORE_A's site
const COLLECTOR = 2; // collects STORE_A (demo configuration)

let resources: TestResources;
let adapters: ReturnType<typeof adaptersFor>;
let config: SyncConfig;

beforeAll(async () => {
  ({ resources, adapters, config } = await withDemoConfig());
});

let changes = 0;
/** A supplier invoice of store A: it goes to store A's collector site. */
const invoice = (id: string): SyncRecord => legacyRecord('transact', id, { store_ID: 'STORE_A', name_ID: 'A_SUPPLIER' });

/** Pushes as the central site, routing in the push; the central copy's reads are recorded. */
async function push(records: readonly SyncRecord[], routing: Partial<PushRouting> = {}) {
  const work = new CollectedWork();
  const reads: RecordKey[][] = [];
  const centralCopy = new Proxy(adapters.centralCopy, {
    get(target, property, receiver) {
      if (property !== 'get') return Reflect.get(target, property, receiver);
      return (keys: readonly RecordKey[], options?: unknown) => {
        reads.push([...keys]);
        return target.get(keys, options as never);
      };
    },
  });
  const pushed = records.map((record) => ({ ...record, syncOutId: `out-${++changes}` }));
  const outcome = await acceptPush(
    { ...adapters, centralCopy, work, routing: { outgoing: adapters.outgoing, changeLog: adapters.changeLog, ...routing } },
    config,
    CENTRAL,
    pushed,
  );
  expect(outcome.refused).toEqual([]);
  return { outcome, work, reads };
}

const queued = async (siteId: number) => (await adapters.outgoing.pull(siteId, 1000)).records.map((entry) => entry.recordId);
const copyOf = async (id: string) => (await adapters.centralCopy.get([{ tableName: 'transact', recordId: id }])).get(recordKeyString({ tableName: 'transact', recordId: id }));

test('a pushed record reaches its site before the push is answered, read once, with no work left', async () => {
  const { outcome, work, reads } = await push([invoice('IN_PUSH_1'), invoice('IN_PUSH_2')]);
  expect(outcome).toMatchObject({ accepted: 2, workIds: [] });
  expect(work.sent.filter((sent) => sent.kind === 'route')).toEqual([]);
  expect(await queued(COLLECTOR)).toEqual(expect.arrayContaining(['IN_PUSH_1', 'IN_PUSH_2']));
  expect(await copyOf('IN_PUSH_1')).toMatchObject({ version: 1, routedVersion: 1 });
  expect(await adapters.progress.workInProgress(CENTRAL)).toBe(false);
  // The push's own read decided the records; routing read none of them again, and wrote no routed marker.
  const readsOfPushed = reads.flat().filter((key) => key.recordId.startsWith('IN_PUSH_'));
  expect(readsOfPushed).toHaveLength(2);
  const marker = await resources.db.send(new GetCommand({ TableName: resources.tables.records, Key: recordsKeys.routed('transact', 'IN_PUSH_1'), ConsistentRead: true }));
  expect(marker.Item).toBeUndefined();

  // A second change of the same record: its new version is routed in the push too.
  await push([{ ...invoice('IN_PUSH_1'), recordData: { ...invoice('IN_PUSH_1').recordData, comment: 'changed' } }]);
  expect(await copyOf('IN_PUSH_1')).toMatchObject({ version: 2, routedVersion: 2 });
  const entry = (await adapters.outgoing.pull(COLLECTOR, 1000)).records.find((queuedRecord) => queuedRecord.recordId === 'IN_PUSH_1');
  expect(entry?.recordData).toMatchObject({ comment: 'changed' });
});

test('more deliveries than a push makes itself: the marked work goes to the background and is routed there', async () => {
  const { outcome, work } = await push([invoice('WIDE_1')], { maxDeliveries: 0 });
  expect(outcome.workIds).toHaveLength(1);
  const route = work.sent.find((sent): sent is Extract<BackgroundWork, { kind: 'route' }> => sent.kind === 'route');
  // Stored as routed: the work names the version its routing must deliver even so.
  expect(route?.keys).toEqual([{ tableName: 'transact', recordId: 'WIDE_1', version: 1 }]);
  expect(await copyOf('WIDE_1')).toMatchObject({ version: 1, routedVersion: 1 });
  expect(await adapters.progress.workInProgress(CENTRAL)).toBe(true);
  expect(await queued(COLLECTOR)).not.toContain('WIDE_1');

  await routeRecords(adapters, config, route!.keys);
  await adapters.progress.finish(CENTRAL, route!.workId);
  expect(await queued(COLLECTOR)).toContain('WIDE_1');
  expect(await copyOf('WIDE_1')).toMatchObject({ version: 1, routedVersion: 1 });
});

test('routing that fails in the push goes on in the background; the push is still answered', async () => {
  const failing: OutgoingQueue = new Proxy(adapters.outgoing, {
    get(target, property, receiver) {
      if (property === 'enqueue') return async () => Promise.reject(new Error('throttled'));
      return Reflect.get(target, property, receiver);
    },
  });
  const { outcome, work } = await push([invoice('FAILED_1')], { outgoing: failing });
  expect(outcome).toMatchObject({ accepted: 1 });
  expect(outcome.workIds).toHaveLength(1);
  const route = work.sent.find((sent): sent is Extract<BackgroundWork, { kind: 'route' }> => sent.kind === 'route');
  expect(route?.workId).toBe(outcome.workIds[0]);
  expect(await queued(COLLECTOR)).not.toContain('FAILED_1');

  await routeRecords(adapters, config, route!.keys);
  await adapters.progress.finish(CENTRAL, route!.workId);
  expect(await queued(COLLECTOR)).toContain('FAILED_1');
});

test('the work is marked before routing in the push starts: a process that dies there leaves it for the sweeper', async () => {
  let release: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    release = resolve;
  });
  // The push stops for good at its first delivery, as a process killed there would.
  const stuck: OutgoingQueue = new Proxy(adapters.outgoing, {
    get(target, property, receiver) {
      if (property === 'enqueue') {
        return () => {
          release();
          return new Promise<void>(() => undefined);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
  void push([invoice('DIED_1')], { outgoing: stuck });
  await reached;
  const unsent = await adapters.progress.unsentWork(CENTRAL, 0);
  expect(unsent).toEqual([expect.objectContaining({ kind: 'route', keys: [{ tableName: 'transact', recordId: 'DIED_1', version: 1 }] })]);
  expect(await copyOf('DIED_1')).toMatchObject({ version: 1, routedVersion: 1 });

  // The record says routed: only the version the work names makes routing deliver it.
  const [work] = unsent as Array<Extract<BackgroundWork, { kind: 'route' }>>;
  await routeRecords(adapters, config, work!.keys.map(({ tableName, recordId }) => ({ tableName, recordId })));
  expect(await queued(COLLECTOR)).not.toContain('DIED_1');
  // What the sweeper's resend leads to: the routing consumer delivers that version.
  await routeRecords(adapters, config, work!.keys);
  await adapters.progress.finish(CENTRAL, work!.workId);
  expect(await queued(COLLECTOR)).toContain('DIED_1');
});
