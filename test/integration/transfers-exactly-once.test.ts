/**
 * Transfers happen exactly once (sync-rules §4), property-based on DynamoDB Local: the initiating
 * half of a stock transfer (a finalised customer invoice in store B, site 2, to store C, site 3) is
 * pushed through `acceptPush` and routed through `routeRecords`, which sends the transfer work;
 * that work is then delivered to `completeTransfer` the way the transfers queue would: with a
 * crash injected at any step (before or after any call to the central copy, outgoing queue or
 * change log, or any single DynamoDB command), redelivered until one delivery succeeds, delivered
 * twice in a row, and delivered two or three times at once. Only the SQS hops are replaced by a
 * work queue that collects the work; every store is the real adapter.
 *
 * Properties:
 * (1) whatever the crashes and duplicates, exactly one responding header exists in store C,
 *     numbered -1, with exactly one line per initiating line (derived ids, no duplicates, the
 *     initiating quantities), all routed, and each destination site's outgoing queue holds
 *     exactly one entry per responding record, none missing;
 * (2) the same with crashes at the level of single DynamoDB commands (inside `apply`, between the
 *     per-site writes of `enqueue`, ...);
 * (3) edits of the initiating half before the responding site touched its half (quantities,
 *     comment, new lines) are reflected in the responding half and in the queues, once;
 * (4) once the responding site has changed its half (header or a line), later edits of the
 *     initiating half never overwrite what it changed; a numbered header tells the initiating
 *     store once, however often the numbering is delivered;
 * (5) an initiating line deleted before the responding site touched its half deletes the
 *     responding line when the header's transfer is delivered;
 * (5b) a push that only deletes lines starts the header's transfer;
 * (5c) a removal written by a delivery that crashed before routing it is routed by the redelivery.
 *
 * Runs share the file's tables; every run uses fresh record ids, and acknowledges what it pulled.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { SyncConfig } from '../../functions/domain/config/model';
import type { BackgroundWork, RecordKey, StoredRecord, SyncRecord } from '../../functions/domain/ports';
import { recordKeyString } from '../../functions/domain/ports';
import { destinationsAfterPush } from '../../functions/domain/sync/routing';
import { derivedId, respondingLineId, type Transfer } from '../../functions/domain/transfers/rules';
import { acceptPush, type PushedRecord } from '../../functions/services/push';
import { routeRecords } from '../../functions/services/route';
import { completeTransfer, type TransferDeps } from '../../functions/services/transfers';
import { DynamoCentralCopy } from '../../functions/storage/central-copy';
import { DynamoChangeLog } from '../../functions/storage/change-log';
import { DynamoOutgoingQueue } from '../../functions/storage/outgoing-queue';
import { FaultPlan, InjectedCrash, faultyDynamoClient, faultyPorts, type StoragePorts } from '../support/faults';
import { legacyRecord } from '../support/legacy-records';
import type { adaptersFor, TestResources } from '../support/stand-ins';
import { CollectedWork } from '../support/collected-work';
import { withDemoConfig } from '../support/demo-config';

jest.setTimeout(120_000);

const CENTRAL = 1;
const SITE_B = 2; // STORE_B, the initiating store
const SITE_C = 3; // STORE_C, the responding store
const QUEUE_LIMIT = 1000;

let resources: TestResources;
let adapters: ReturnType<typeof adaptersFor>;
let config: SyncConfig;
/** Steps of one healthy first delivery, at the ports and at DynamoDB. */
let portSteps: string[];
let dynamoSteps: string[];

beforeAll(async () => {
  ({ resources, adapters, config } = await withDemoConfig());

  // A dry run: how many steps a first delivery has, so crashes can be placed at each of them.
  const portPlan = new FaultPlan();
  const first = await initiate(3);
  expect(first.work).toHaveLength(1);
  await completeTransfer(deliveryDeps({ level: 'port', plan: portPlan }), config, first.header);
  portSteps = portPlan.steps;
  const dynamoPlan = new FaultPlan();
  const second = await initiate(3);
  await completeTransfer(deliveryDeps({ level: 'dynamodb', plan: dynamoPlan }), config, second.header);
  dynamoSteps = dynamoPlan.steps;
  await drainQueues();
});

// ---------------------------------------------------------------------------------------------
// The pipeline: push, route (collecting the transfer work), deliver.

let syncOutIds = 0;
const newId = () => randomUUID().replace(/-/g, '').toUpperCase();

/** Pushes records as a site would, routes what was accepted, and returns the transfer work routing sent. */
async function push(siteId: number, records: readonly SyncRecord[]): Promise<Array<Extract<BackgroundWork, { kind: 'transfer' }>>> {
  const fanOut = new CollectedWork();
  const pushed: PushedRecord[] = records.map((record) => ({ ...record, syncOutId: `out-${++syncOutIds}` }));
  const outcome = await acceptPush({ ...adapters, work: fanOut }, config, siteId, pushed);
  expect(outcome.refused).toEqual([]);
  const transfers = new CollectedWork();
  for (const work of fanOut.sent) {
    if (work.kind !== 'route') continue;
    await routeRecords({ ...adapters, transfers: { work: transfers, progress: adapters.progress, newId: adapters.newId } }, config, work.keys);
  }
  return transfers.sent.filter((work): work is Extract<BackgroundWork, { kind: 'transfer' }> => work.kind === 'transfer');
}

interface Initiated {
  readonly header: RecordKey;
  readonly headerRecord: SyncRecord & { recordData: Record<string, unknown> };
  readonly lines: Array<SyncRecord & { recordData: Record<string, unknown> }>;
  readonly work: Array<Extract<BackgroundWork, { kind: 'transfer' }>>;
}

const lineRecord = (headerId: string, n: number, quantity: number) =>
  legacyRecord('trans_line', newId(), { transaction_ID: headerId, item_ID: `ITEM_${n}`, quantity, pack_size: 1, type: 'stock_out', line_number: n });

/** A fresh finalised customer invoice from store B to store C with lines of these quantities, pushed by site 2. */
async function initiate(quantities: number | readonly number[]): Promise<Initiated> {
  const amounts = typeof quantities === 'number' ? Array.from({ length: quantities }, (_, i) => (i + 1) * 10) : quantities;
  const id = newId();
  const headerRecord = legacyRecord('transact', id, {
    store_ID: 'STORE_B',
    name_ID: 'NAME_STORE_C',
    type: 'ci',
    status: 'fn',
    invoice_num: 1 + (syncOutIds % 9000),
    comment: 'initial',
    // Not an invoice made for a purchase order (that would be an internal requisition's stage 2).
    original_PO_ID: '',
  });
  const lines = amounts.map((quantity, i) => lineRecord(id, i + 1, quantity));
  const work = await push(SITE_B, [headerRecord, ...lines]);
  return { header: { tableName: 'transact', recordId: id }, headerRecord, lines, work };
}

// ---------------------------------------------------------------------------------------------
// Deliveries with faults.

interface Fault {
  readonly level: 'port' | 'dynamodb';
  /** The step to crash at (past the last step: the delivery does not crash). */
  readonly at: number;
  readonly phase: 'before' | 'after';
}

type Round = ReadonlyArray<Fault | undefined>;

function portsOver(db: TestResources['db']): StoragePorts {
  const { tables } = resources;
  return {
    centralCopy: new DynamoCentralCopy(db, tables.records),
    outgoing: new DynamoOutgoingQueue(db, { syncOut: tables.syncOut, siteState: tables.siteState }),
    changeLog: new DynamoChangeLog(db, tables.changeLog),
  };
}

/** What one delivery (one consumer process) runs with: healthy, or crashing at one step. */
function deliveryDeps(options?: { level: Fault['level']; plan: FaultPlan }): TransferDeps {
  const healthy = { centralCopy: adapters.centralCopy, outgoing: adapters.outgoing, changeLog: adapters.changeLog };
  if (!options) return { ...healthy, now: adapters.now };
  const ports = options.level === 'port' ? faultyPorts(healthy, options.plan) : portsOver(faultyDynamoClient(resources.db, options.plan));
  return { ...ports, now: adapters.now };
}

/** Crashes seen over a property's runs, by step name. */
type CrashLog = Map<string, number>;

/**
 * Delivers one transfer message as the queue would: the given rounds one after another, the
 * deliveries of a round at once; then again, healthy, until one delivery has succeeded (a crashed
 * delivery is not acknowledged, so the queue delivers it again).
 */
async function deliver(header: RecordKey, rounds: readonly Round[], crashes?: CrashLog): Promise<void> {
  let succeeded = false;
  for (const round of rounds) {
    const plans = round.map((fault) => (fault ? FaultPlan.crashAt(fault.at, fault.phase) : undefined));
    const settled = await Promise.allSettled(
      round.map((fault, i) => completeTransfer(deliveryDeps(fault && { level: fault.level, plan: plans[i]! }), config, header)),
    );
    settled.forEach((result, i) => {
      if (result.status === 'fulfilled') succeeded = true;
      // Only the injected crash is expected: anything else is a real failure.
      else if (!(result.reason instanceof InjectedCrash)) throw result.reason;
      const crashed = plans[i]?.crashed;
      if (crashed && crashes) {
        const name = `${crashed.phase} ${crashed.index}:${crashed.port}.${crashed.method}`;
        crashes.set(name, (crashes.get(name) ?? 0) + 1);
      }
    });
  }
  if (!succeeded) await completeTransfer(deliveryDeps(), config, header);
}

const faultArb = (level: Fault['level'], steps: () => number): fc.Arbitrary<Fault> =>
  fc.record({ level: fc.constant(level), at: fc.nat({ max: steps() }), phase: fc.constantFrom('before' as const, 'after' as const) });

/** 1–3 rounds of 1–3 deliveries, most with a crash somewhere. */
const roundsArb = (fault: fc.Arbitrary<Fault>): fc.Arbitrary<Round[]> =>
  fc.array(fc.array(fc.option(fault, { nil: undefined, freq: 3 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 });

// ---------------------------------------------------------------------------------------------
// What is stored and queued.

const stockTransfer = (initiatingId: string) =>
  ({ kind: 'stockTransfer', initiatingId, respondingId: derivedId('stockTransfer', initiatingId) }) as Transfer;

async function stored(key: RecordKey): Promise<StoredRecord | undefined> {
  return (await adapters.centralCopy.get([key])).get(recordKeyString(key));
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...page);
  return all;
}

/** Every queued entry of a site (the whole queue: runs acknowledge theirs). */
async function queued(siteId: number) {
  const { queueLength, records } = await adapters.outgoing.pull(siteId, QUEUE_LIMIT);
  expect(records.length).toBe(queueLength);
  expect(records.length).toBeLessThan(QUEUE_LIMIT);
  return records;
}

async function drainQueues() {
  for (const siteId of [SITE_B, SITE_C]) {
    const { records } = await adapters.outgoing.pull(siteId, QUEUE_LIMIT);
    await adapters.outgoing.acknowledge(siteId, records.map((record) => record.syncOutId));
  }
}

/** The responding half as the central copy holds it: the header and every line (deleted ones too). */
async function respondingHalf(initiatingId: string) {
  const transfer = stockTransfer(initiatingId);
  const header = await stored({ tableName: 'transact', recordId: transfer.respondingId });
  const lines = (await collect(adapters.centralCopy.byParent('transact', transfer.respondingId))).filter((line) => line.tableName === 'trans_line');
  return { transfer, header, lines };
}

/**
 * Every responding record is routed, and each site it goes to holds exactly one queue entry for
 * it, carrying its current data; the responding store's site (3) and the initiating store's
 * site (2) are among them.
 */
async function expectQueuedOnce(records: readonly StoredRecord[]) {
  const queues = new Map<number, Awaited<ReturnType<typeof queued>>>();
  for (const siteId of [SITE_B, SITE_C]) queues.set(siteId, await queued(siteId));
  for (const record of records) {
    const { siteIds } = destinationsAfterPush(record.tableName, record.placement, config, record.originSiteId);
    if (record.originSiteId === CENTRAL && record.tableName !== 'message') expect(siteIds).toEqual(expect.arrayContaining([SITE_B, SITE_C]));
    for (const siteId of [SITE_B, SITE_C]) {
      const entries = queues.get(siteId)!.filter((entry) => entry.tableName === record.tableName && entry.recordId === record.recordId);
      const expected = siteIds.includes(siteId) ? 1 : 0;
      expect({ site: siteId, id: record.recordId, action: record.action, entries: entries.length }).toEqual({ site: siteId, id: record.recordId, action: record.action, entries: expected });
      if (expected) {
        expect(entries[0]!.action).toBe(record.action);
        if (record.action !== 'delete') expect(entries[0]!.recordData).toEqual(record.recordData);
      }
    }
    // And it counts as routed: nothing is left for a later delivery to route again (read with its routed marker).
    const { routedVersion } = (await stored(record))!;
    expect({ id: record.recordId, routedVersion }).toEqual({ id: record.recordId, routedVersion: record.version });
  }
}

/** Exactly one responding half of `initiatingId`, mirroring `lines` (initiating lines by id → quantity). */
async function expectRespondingHalf(initiatingId: string, lines: ReadonlyMap<string, number>, comment: string) {
  const { transfer, header, lines: responding } = await respondingHalf(initiatingId);
  // One responding header in store C for this invoice: the derived id, and no other.
  const inStoreC = (await collect(adapters.centralCopy.byStore('STORE_C'))).filter(
    (record) => record.tableName === 'transact' && record.recordData?.linked_transaction_id === initiatingId,
  );
  expect(inStoreC.map((record) => record.recordId)).toEqual([transfer.respondingId]);
  expect(header).toBeDefined();
  expect(header!.originSiteId).toBe(CENTRAL);
  expect(header!.action).not.toBe('delete');
  expect(header!.recordData).toMatchObject({
    type: 'si',
    status: 'nw',
    store_ID: 'STORE_C',
    name_ID: 'NAME_STORE_B',
    invoice_num: -1,
    linked_transaction_id: initiatingId,
    comment,
  });

  const live = responding.filter((line) => line.action !== 'delete');
  const ids = live.map((line) => line.recordId);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual([...lines.keys()].map((id) => respondingLineId(transfer, id)).sort());
  for (const [id, quantity] of lines) {
    const line = live.find((candidate) => candidate.recordId === respondingLineId(transfer, id))!;
    expect(line.recordData).toMatchObject({ transaction_ID: transfer.respondingId, linked_trans_line_ID: id, quantity, type: 'stock_in' });
  }
  // Lines that were removed are deleted, not left behind.
  for (const line of responding) if (!ids.includes(line.recordId)) expect(line.action).toBe('delete');
  await expectQueuedOnce(header ? [header, ...responding] : responding);
}

const quantitiesArb = fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 5 });

// ---------------------------------------------------------------------------------------------

describe('a stock transfer to a store on another site is completed exactly once', () => {
  test('(1) crashes at every step of completeTransfer, redeliveries, duplicate and concurrent deliveries', async () => {
    const crashes: CrashLog = new Map();
    const fault = faultArb('port', () => portSteps.length);
    // Every step crashed at, before and after, at least once; then random scenarios.
    const examples: Array<[number[], Round[]]> = portSteps.flatMap((_, at) =>
      (['before', 'after'] as const).map((phase): [number[], Round[]] => [[7, 3], [[{ level: 'port', at, phase }]]]),
    );
    await fc.assert(
      fc.asyncProperty(quantitiesArb, roundsArb(fault), async (quantities, rounds) => {
        const initiated = await initiate(quantities);
        // Routing the initiating half sends its transfer once.
        expect(initiated.work.map((work) => work.header)).toEqual([initiated.header]);
        expect(initiated.work[0]!.originSiteId).toBe(SITE_B);
        await deliver(initiated.header, rounds, crashes);
        const lines = new Map(initiated.lines.map((line) => [line.recordId, line.recordData.quantity as number]));
        await expectRespondingHalf(initiated.header.recordId, lines, 'initial');
        await drainQueues();
      }),
      { numRuns: examples.length + 12, examples },
    );
    // The examples crashed at every step of a delivery, before and after it.
    for (const [at, step] of portSteps.entries()) {
      for (const phase of ['before', 'after']) expect([...crashes.keys()]).toContain(`${phase} ${at}:${step}`);
    }
  });

  test('(2) crashes at single DynamoDB commands (inside writes, between per-site queue writes)', async () => {
    const fault = faultArb('dynamodb', () => dynamoSteps.length + 2);
    await fc.assert(
      fc.asyncProperty(quantitiesArb, roundsArb(fault), async (quantities, rounds) => {
        const initiated = await initiate(quantities);
        await deliver(initiated.header, rounds);
        const lines = new Map(initiated.lines.map((line) => [line.recordId, line.recordData.quantity as number]));
        await expectRespondingHalf(initiated.header.recordId, lines, 'initial');
        await drainQueues();
      }),
      { numRuns: 15 },
    );
  });
});

/** An edit of the initiating half: new quantities for some lines, maybe a comment, maybe new lines. */
interface Edit {
  readonly quantities: ReadonlyArray<number | undefined>;
  readonly comment: string | undefined;
  readonly newLines: readonly number[];
}

const editArb: fc.Arbitrary<Edit> = fc.record({
  quantities: fc.array(fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }), { maxLength: 5 }),
  comment: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: undefined }),
  newLines: fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 2 }),
});

/** Applies an edit as site 2 pushes it: the changed records only, each a new version of what site 2 holds. */
async function pushEdit(initiated: Initiated, state: { comment: string; lines: Map<string, number> }, edit: Edit) {
  const changed: SyncRecord[] = [];
  if (edit.comment !== undefined && edit.comment !== state.comment) {
    state.comment = edit.comment;
    initiated.headerRecord.recordData.comment = edit.comment;
    changed.push(structuredClone(initiated.headerRecord));
  }
  initiated.lines.forEach((line, i) => {
    const quantity = edit.quantities[i];
    if (quantity === undefined || !state.lines.has(line.recordId) || state.lines.get(line.recordId) === quantity) return;
    state.lines.set(line.recordId, quantity);
    line.recordData.quantity = quantity;
    changed.push(structuredClone(line));
  });
  for (const quantity of edit.newLines) {
    const line = lineRecord(initiated.header.recordId, initiated.lines.length + 1, quantity);
    initiated.lines.push(line);
    state.lines.set(line.recordId, quantity);
    changed.push(structuredClone(line));
  }
  return { changed, work: changed.length ? await push(SITE_B, changed) : [] };
}

describe('later edits of the initiating half', () => {
  test('(3) before the responding site touched its half, they are reflected in it, once', async () => {
    const fault = fc.oneof(faultArb('port', () => portSteps.length), faultArb('dynamodb', () => dynamoSteps.length + 2));
    await fc.assert(
      fc.asyncProperty(quantitiesArb, fc.array(fc.tuple(editArb, roundsArb(fault)), { minLength: 1, maxLength: 3 }), roundsArb(fault), async (quantities, edits, first) => {
        const initiated = await initiate(quantities);
        await deliver(initiated.header, first);
        const state = { comment: 'initial', lines: new Map(initiated.lines.map((line) => [line.recordId, line.recordData.quantity as number])) };
        for (const [edit, rounds] of edits) {
          const { changed, work } = await pushEdit(initiated, state, edit);
          // Any change of the header or its lines sends the header's transfer again.
          expect(work.map((item) => item.header)).toEqual(changed.length ? [initiated.header] : []);
          for (const item of work) await deliver(item.header, rounds);
          await expectRespondingHalf(initiated.header.recordId, state.lines, state.comment);
        }
        await drainQueues();
      }),
      { numRuns: 12 },
    );
  });

  test('(4) once the responding site changed its half, they never overwrite what it changed; its numbering is told once', async () => {
    const fault = faultArb('port', () => portSteps.length);
    await fc.assert(
      fc.asyncProperty(
        quantitiesArb,
        fc.constantFrom('header' as const, 'line' as const),
        fc.option(fc.integer({ min: 1, max: 99_999 }), { nil: undefined }),
        editArb,
        roundsArb(fault),
        roundsArb(fault),
        async (quantities, touched, number, edit, numberingRounds, editRounds) => {
          const initiated = await initiate(quantities);
          await deliver(initiated.header, [[undefined]]);
          const { transfer, header } = await respondingHalf(initiated.header.recordId);

          // Site 3 changes its half: the header (numbering it, or only its comment), or its first line.
          const firstLineId = respondingLineId(transfer, initiated.lines[0]!.recordId);
          const firstLine = (await stored({ tableName: 'trans_line', recordId: firstLineId }))!;
          const ownHeader = { ...header!.recordData!, comment: 'changed in C', ...(number !== undefined ? { invoice_num: number } : {}) };
          const ownLine = { ...firstLine.recordData!, quantity: 123_456, note: 'counted in C' };
          const fromC =
            touched === 'header'
              ? { tableName: 'transact', recordId: transfer.respondingId, action: 'update' as const, recordData: ownHeader }
              : { tableName: 'trans_line', recordId: firstLineId, action: 'update' as const, recordData: ownLine };
          const numberingWork = await push(SITE_C, [fromC]);
          const numbered = touched === 'header' && number !== undefined;
          expect(numberingWork.map((work) => work.header)).toEqual(numbered ? [{ tableName: 'transact', recordId: transfer.respondingId }] : []);
          // The numbering, delivered with crashes and duplicates, gives one message to store B.
          for (const work of numberingWork) await deliver(work.header, numberingRounds);
          if (numbered) {
            const messageId = derivedId('numberedMessage', transfer.respondingId);
            const message = await stored({ tableName: 'message', recordId: messageId });
            expect(message?.recordData).toMatchObject({ toStoreID: 'STORE_B', fromStoreID: 'STORE_C', body: expect.objectContaining({ number }) });
            await expectQueuedOnce([message!]);
          }
          const before = await respondingHalf(initiated.header.recordId);

          // Site 2 edits its half afterwards (always something: a comment at least).
          const state = { comment: 'initial', lines: new Map(initiated.lines.map((line) => [line.recordId, line.recordData.quantity as number])) };
          const { work } = await pushEdit(initiated, state, { ...edit, comment: `${edit.comment ?? ''}edited in B` });
          expect(work.map((item) => item.header)).toEqual([initiated.header]);
          for (const item of work) await deliver(item.header, editRounds);

          const after = await respondingHalf(initiated.header.recordId);
          if (touched === 'header') {
            // Nothing of the responding half changes any more: C's header, the lines as they were.
            expect(after.header).toMatchObject({ originSiteId: SITE_C, recordData: ownHeader, version: before.header!.version });
            expect(after.lines.map(({ recordId, recordData, version }) => ({ recordId, recordData, version })).sort(byId)).toEqual(
              before.lines.map(({ recordId, recordData, version }) => ({ recordId, recordData, version })).sort(byId),
            );
          } else {
            // C's line stays C's; the rest of the half still follows the initiating half.
            expect(await stored({ tableName: 'trans_line', recordId: firstLineId })).toMatchObject({ originSiteId: SITE_C, recordData: ownLine });
            state.lines.delete(initiated.lines[0]!.recordId);
            const others = after.lines.filter((line) => line.recordId !== firstLineId);
            expect(others.map((line) => line.recordId).sort()).toEqual([...state.lines.keys()].map((id) => respondingLineId(transfer, id)).sort());
            for (const line of others) expect(line.recordData!.quantity).toBe(state.lines.get(line.recordData!.linked_trans_line_ID as string));
            expect(after.header!.recordData).toMatchObject({ comment: state.comment, invoice_num: -1 });
            await expectQueuedOnce([after.header!, ...others]);
          }
          await drainQueues();
        },
      ),
      { numRuns: 12 },
    );
  });
});

const byId = (a: { recordId: string }, b: { recordId: string }) => (a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0);

describe('an initiating line deleted before the responding site touched its half', () => {
  /** Crashes anywhere in a delivery, before or after any port call or DynamoDB command. */
  const beforeRemovalArb = (): fc.Arbitrary<Fault> =>
    fc.oneof(
      fc.record({ level: fc.constant('port' as const), at: fc.nat({ max: portSteps.length - 1 }), phase: fc.constantFrom('before' as const, 'after' as const) }),
      fc.record({ level: fc.constant('dynamodb' as const), at: fc.nat({ max: dynamoSteps.length - 1 }), phase: fc.constantFrom('before' as const, 'after' as const) }),
    );

  const linesAndRemovedArb = fc
    .array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 5 })
    .chain((quantities) => fc.tuple(fc.constant(quantities), fc.subarray([...quantities.keys()], { minLength: 1 })));

  /** A transfer completed, then some of its initiating lines deleted by site 2. */
  async function withDeletedLines(quantities: readonly number[], removedAt: readonly number[]) {
    const initiated = await initiate(quantities);
    await deliver(initiated.header, [[undefined]]);
    const gone = initiated.lines.filter((_, i) => removedAt.includes(i));
    await push(SITE_B, gone.map((line) => ({ tableName: 'trans_line', recordId: line.recordId, action: 'delete' as const })));
    const kept = new Map(initiated.lines.filter((_, i) => !removedAt.includes(i)).map((line) => [line.recordId, line.recordData.quantity as number]));
    return { initiated, gone, kept };
  }

  test('(5) delivering the header’s transfer deletes the responding line, once', async () => {
    await fc.assert(
      fc.asyncProperty(linesAndRemovedArb, roundsArb(beforeRemovalArb()), async ([quantities, removedAt], rounds) => {
        const { initiated, gone, kept } = await withDeletedLines(quantities, removedAt);
        // The consumer, delivered this header's transfer (see (5b) for who sends it).
        await deliver(initiated.header, rounds);
        await expectRespondingHalf(initiated.header.recordId, kept, 'initial');
        const { transfer } = await respondingHalf(initiated.header.recordId);
        for (const line of gone) expect((await stored({ tableName: 'trans_line', recordId: respondingLineId(transfer, line.recordId) }))?.action).toBe('delete');
        await drainQueues();
      }),
      { numRuns: 10 },
    );
  });

  /**
   * A delivery that wrote the removal of a responding line and crashed before routing it: the
   * redelivery finds the line deleted already and must still route the deletion. Every crash
   * point between the write and markRouted.
   */
  test('(5c) a crash after the removal was written, before it was routed: the redelivery still routes the deletion', async () => {
    const apply = portSteps.indexOf('centralCopy.apply');
    const markRouted = portSteps.lastIndexOf('centralCopy.markRouted');
    const crashPoints: Fault[] = [{ level: 'port', at: apply, phase: 'after' }];
    for (let at = apply + 1; at <= markRouted; at++) crashPoints.push({ level: 'port', at, phase: 'before' });
    const failures: string[] = [];
    for (const fault of crashPoints) {
      const { initiated, kept } = await withDeletedLines([4, 5], [0]);
      await deliver(initiated.header, [[fault]]);
      try {
        await expectRespondingHalf(initiated.header.recordId, kept, 'initial');
      } catch (error) {
        failures.push(`crash ${fault.phase} ${portSteps[fault.at]}: ${(error as Error).message.split('\n').slice(0, 12).join(' ')}`);
      }
      await drainQueues();
    }
    expect(failures).toEqual([]);
  });

  /**
   * A push that only deletes lines of an initiating half must start the header's transfer, or
   * the responding line would stay until some other change of that invoice is pushed.
   */
  test('(5b) pushing only the deletion of an initiating line sends the header’s transfer, and the responding line is deleted', async () => {
    const initiated = await initiate([5, 6, 7]);
    await deliver(initiated.header, [[undefined]]);
    const [gone, ...rest] = initiated.lines;
    const work = await push(SITE_B, [{ tableName: 'trans_line', recordId: gone!.recordId, action: 'delete' }]);
    for (const item of work) await deliver(item.header, [[undefined]]);
    const { transfer } = await respondingHalf(initiated.header.recordId);
    try {
      expect(work.map((item) => item.header)).toEqual([initiated.header]);
      expect((await stored({ tableName: 'trans_line', recordId: respondingLineId(transfer, gone!.recordId) }))?.action).toBe('delete');
      await expectRespondingHalf(initiated.header.recordId, new Map(rest.map((line) => [line.recordId, line.recordData.quantity as number])), 'initial');
    } finally {
      await drainQueues();
    }
  });
});
