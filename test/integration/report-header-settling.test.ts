/**
 * When the report projection may skip reading a header's per-item units (docs/reports.md "How the
 * figures are kept"): a header whose item says it has none is not queried, and every case where
 * skipping would be wrong (lines counted before their header, lines joining a counted header,
 * a header item from before the flag, deliveries racing) still counts the lines' usage exactly.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredRecord } from '../../functions/domain/ports';
import { monthlyUsage } from '../../functions/services/reports';
import { reportKeys } from '../../functions/storage/keys';
import { DynamoReportFigures } from '../../functions/storage/report-figures';
import { DynamoReportProjection } from '../../functions/storage/report-projection';
import { createTestResources } from '../support/stand-ins';

jest.setTimeout(120_000);

let db: DynamoDBDocumentClient;
let table: string;
let figures: DynamoReportFigures;
/** DynamoDB requests by command name, counted from the projection's own client. */
const sent = new Map<string, number>();
let projection: DynamoReportProjection;
let crashing: DynamoReportProjection;

beforeAll(async () => {
  const resources = await createTestResources();
  db = resources.db;
  table = resources.tables.reports;
  figures = new DynamoReportFigures(db, table);
  // The same endpoint as the resources' client (the environment names it), with requests counted.
  const raw = new DynamoDBClient({});
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? '').replace(/Command$/, '');
      sent.set(name, (sent.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  projection = new DynamoReportProjection(DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }), table);
  // One that dies before its first query: a crash between a header's count and its moves.
  const dying = new DynamoDBClient({});
  dying.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'QueryCommand') throw new Error('process killed');
      return next(args);
    },
    { step: 'initialize', name: 'dieBeforeQuery' },
  );
  crashing = new DynamoReportProjection(DynamoDBDocumentClient.from(dying, { marshallOptions: { removeUndefinedValues: true } }), table);
});

let run = 0;
const prefix = () => `hs${++run}x${Date.now().toString(36)}_`;

function stored(tableName: string, recordId: string, version: number, recordData: Record<string, unknown>, action: StoredRecord['action'] = 'update'): StoredRecord {
  return { tableName, recordId, action, recordData, version, routedVersion: 0, originSiteId: 2, changeId: `${recordId}v${version}`, placement: { dataClass: 'store' } as unknown as StoredRecord['placement'] };
}

const header = (p: string, version: number, status: string, month = '2026-02') =>
  stored('transact', `${p}T`, version, { ID: `${p}T`, store_ID: `${p}S`, type: 'ci', status, confirm_date: `${month}-10` });
const line = (p: string, id: string, version: number, quantity: number) =>
  stored('trans_line', `${p}${id}`, version, { ID: `${p}${id}`, transaction_ID: `${p}T`, item_ID: `${p}I`, type: 'stock_out', quantity, pack_size: 1 });

async function usage(p: string) {
  return (await monthlyUsage({ figures }, { storeIds: [`${p}S`] })).map(({ month, units }) => ({ month, units }));
}

async function counting<T>(work: () => Promise<T>): Promise<Map<string, number>> {
  sent.clear();
  await work();
  return new Map(sent);
}

test('new headers with no lines are counted in one transaction, with no read and no query of their units', async () => {
  const p = prefix();
  const headers = Array.from({ length: 10 }, (_, i) => stored('transact', `${p}T${i}`, 1, { ID: `${p}T${i}`, store_ID: `${p}S`, type: 'ci', status: 'fn', confirm_date: '2026-02-10' }));
  const requests = await counting(() => projection.project(headers));
  expect(Object.fromEntries(requests)).toEqual({ TransactWriteItems: 1 });
  // A redelivery finds them counted (done alone) and adds nothing; still no query: they have no units.
  const again = await counting(() => projection.project(headers));
  expect(again.get('Query') ?? 0).toBe(0);
  expect(await usage(p)).toEqual([]);
});

test('lines counted before their header move into its usage when the header is first counted', async () => {
  const p = prefix();
  await projection.project([line(p, 'L1', 1, 5), line(p, 'L2', 1, 7)]);
  expect(await usage(p)).toEqual([]);
  await projection.project([header(p, 1, 'fn')]);
  expect(await usage(p)).toEqual([{ month: '2026-02', units: 12 }]);
});

test('a line joining a counted header that is not usage yet moves when the header becomes usage', async () => {
  const p = prefix();
  await projection.project([header(p, 1, 'nw')]);
  await projection.project([line(p, 'L1', 1, 4)]);
  expect(await usage(p)).toEqual([]);
  await projection.project([header(p, 2, 'cn', '2026-03')]);
  expect(await usage(p)).toEqual([{ month: '2026-03', units: 4 }]);
  // And back out of usage, then into another month, in one delivery with a new line.
  await projection.project([header(p, 3, 'nw')]);
  expect(await usage(p)).toEqual([]);
  await projection.project([header(p, 4, 'fn', '2026-04'), line(p, 'L2', 1, 6)]);
  expect(await usage(p)).toEqual([{ month: '2026-04', units: 10 }]);
});

test('a header and its lines in one delivery count where the header counts, with nothing to move', async () => {
  const p = prefix();
  const requests = await counting(() => projection.project([line(p, 'L1', 1, 3), header(p, 1, 'fn'), line(p, 'L2', 1, 2)]));
  expect(requests.get('Query') ?? 0).toBe(0);
  expect(await usage(p)).toEqual([{ month: '2026-02', units: 5 }]);
});

test('a header item from before the flag (no `lines`) has its units queried and moved', async () => {
  const p = prefix();
  await projection.project([header(p, 1, 'nw'), line(p, 'L1', 1, 9)]);
  // As a header item written before the flag existed: whether it has entries is not known.
  await db.send(new UpdateCommand({ TableName: table, Key: reportKeys.contribution('transact', `${p}T`), UpdateExpression: 'REMOVE #lines', ExpressionAttributeNames: { '#lines': 'lines' } }));
  await projection.project([header(p, 2, 'fn')]);
  expect(await usage(p)).toEqual([{ month: '2026-02', units: 9 }]);
});

test('a header and its lines delivered at the same moment, in every order, count the lines once', async () => {
  for (let round = 0; round < 6; round++) {
    const p = prefix();
    const deliveries = [() => projection.project([header(p, 1, 'fn')]), () => projection.project([line(p, 'L1', 1, 2)]), () => projection.project([line(p, 'L2', 1, 3)])];
    const order = round % 2 === 0 ? deliveries : [...deliveries].reverse();
    await Promise.all(order.map((deliver) => deliver()));
    // Redelivered together: nothing counted twice.
    await Promise.all(order.map((deliver) => deliver()));
    expect(await usage(p)).toEqual([{ month: '2026-02', units: 5 }]);
  }
});

test('a first version that adds nothing is not written; what comes after it, or late before it, counts right', async () => {
  const p = prefix();
  const draft = header(p, 1, 'nw');
  const items = Array.from({ length: 5 }, (_, i) => stored('item', `${p}I${i}`, 1, { ID: `${p}I${i}`, code: `C${i}` }));
  const requests = await counting(() => projection.project([draft, ...items, line(p, 'L0', 1, 0)]));
  expect(Object.fromEntries(requests)).toEqual({});
  await projection.project([line(p, 'L1', 1, 4)]);
  await projection.project([header(p, 2, 'fn')]);
  expect(await usage(p)).toEqual([{ month: '2026-02', units: 4 }]);
  // The draft delivered late (a stalled routing of version 1): the confirmed version stays counted.
  await projection.project([draft]);
  expect(await usage(p)).toEqual([{ month: '2026-02', units: 4 }]);
  // A later version that adds nothing is written: the units leave the usage.
  await projection.project([header(p, 3, 'nw')]);
  expect(await usage(p)).toEqual([]);
});

test('a crash between a header\'s count and its moves is finished by the next count of the header, even one that moves nothing', async () => {
  const p = prefix();
  await projection.project([header(p, 1, 'nw'), line(p, 'L1', 1, 4)]);
  await expect(crashing.project([header(p, 2, 'fn')])).rejects.toThrow('process killed');
  expect(await usage(p)).toEqual([]);
  // A later version in the same month: its usage does not move, but the header is still marked.
  await projection.project([header(p, 3, 'fn')]);
  expect(await usage(p)).toEqual([{ month: '2026-02', units: 4 }]);
  // Settled and unmarked: a redelivery has nothing to query.
  const requests = await counting(() => projection.project([header(p, 3, 'fn')]));
  expect(requests.get('Query') ?? 0).toBe(0);
  // The crashed delivery itself, redelivered with the version it read, counts nothing twice.
  await projection.project([header(p, 2, 'fn')]);
  expect(await usage(p)).toEqual([{ month: '2026-02', units: 4 }]);
});
