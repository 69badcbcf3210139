/**
 * Record data is stored as one attribute (functions/storage/record-data.ts: JSON text, deflated
 * when long) in the central copy and the outgoing queue, read back as the same object, and items
 * written as a map before still read.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { recordKeyString } from '../../functions/domain/ports';
import { DynamoCentralCopy } from '../../functions/storage/central-copy';
import { recordsKeys } from '../../functions/storage/keys';
import { DynamoOutgoingQueue } from '../../functions/storage/outgoing-queue';
import { createTestResources, type TestResources } from '../support/stand-ins';

let resources: TestResources;
let copy: DynamoCentralCopy;
beforeAll(async () => {
  resources = await createTestResources();
  copy = new DynamoCentralCopy(resources.db, resources.tables.records);
});

const placement = { dataClass: 'store' as const, flags: [], storeId: 'STORE_A' };
const key = (recordId: string) => ({ tableName: 'transact', recordId });
const jsonValue = fc.jsonValue({ maxDepth: 3 }).filter((value) => value !== null && typeof value === 'object' && !Array.isArray(value));

test('any record data reads back as written, held as one attribute: text when short, deflated bytes when long', async () => {
  let n = 0;
  const kinds = new Set<string>();
  await fc.assert(
    fc.asyncProperty(jsonValue, fc.option(fc.string({ minLength: 520, maxLength: 3000, unit: 'binary' })), async (data, note) => {
      const recordId = `shape-${++n}`;
      const recordData = { ...(data as Record<string, unknown>), ID: recordId, ...(note === null ? {} : { note }) };
      await copy.apply([{ record: { ...key(recordId), action: 'update', recordData }, placement, originSiteId: 2, changeId: `2:${n}` }]);
      expect((await copy.get([key(recordId)])).get(recordKeyString(key(recordId)))?.recordData).toEqual(JSON.parse(JSON.stringify(recordData)));
      const { Item } = await resources.db.send(new GetCommand({ TableName: resources.tables.records, Key: recordsKeys.record('transact', recordId) }));
      const long = JSON.stringify(recordData).length >= 512;
      if (long) expect(Item?.recordData).toBeInstanceOf(Uint8Array);
      else expect(typeof Item?.recordData).toBe('string');
      kinds.add(long ? 'deflated' : 'text');
    }),
    { numRuns: 40 },
  );
  expect([...kinds].sort()).toEqual(['deflated', 'text']);
});

test('an item written with its data as a map is still read', async () => {
  const recordData = { ID: 'old-shape', store_ID: 'STORE_A', total: 12.5, lines: [1, 2] };
  await resources.db.send(
    new PutCommand({
      TableName: resources.tables.records,
      Item: { ...recordsKeys.record('transact', 'old-shape'), tableName: 'transact', recordId: 'old-shape', action: 'update', placement, originSiteId: 2, changeId: '2:old', version: 3, routedVersion: 3, recordData, storeId: 'STORE_A' },
    }),
  );
  expect((await copy.get([key('old-shape')])).get(recordKeyString(key('old-shape')))).toMatchObject({ version: 3, recordData });
});

test('the outgoing queue holds the data as text and pulls the same object', async () => {
  const queue = new DynamoOutgoingQueue(resources.db, resources.tables);
  const short = { ID: 'queued', name: 'Café ☕', nested: { a: [1, 'b'] } };
  const long = { ID: 'queued-long', note: 'Café ☕ '.repeat(200) };
  await queue.enqueue([
    { siteId: 77, tableName: 'item', recordId: 'queued', action: 'update', version: 1, recordData: short },
    { siteId: 77, tableName: 'item', recordId: 'queued-long', action: 'update', version: 1, recordData: long },
  ]);
  const { records } = await queue.pull(77, 10);
  expect(records.map((record) => record.recordData)).toEqual([short, long]);
});
