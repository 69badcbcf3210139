/**
 * Record data is stored as JSON text (functions/storage/record-data.ts) in the central copy and
 * the outgoing queue, read back as the same object, and items written as a map before still read.
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
const jsonValue = fc.jsonValue({ maxDepth: 2 }).filter((value) => value !== null && typeof value === 'object' && !Array.isArray(value));

test('any record data reads back as written, held as one string attribute', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(jsonValue, async (data) => {
      const recordId = `shape-${++n}`;
      const recordData = { ...(data as Record<string, unknown>), ID: recordId };
      await copy.apply([{ record: { ...key(recordId), action: 'update', recordData }, placement, originSiteId: 2, changeId: `2:${n}` }]);
      expect((await copy.get([key(recordId)])).get(recordKeyString(key(recordId)))?.recordData).toEqual(JSON.parse(JSON.stringify(recordData)));
      const { Item } = await resources.db.send(new GetCommand({ TableName: resources.tables.records, Key: recordsKeys.record('transact', recordId) }));
      expect(typeof Item?.recordData).toBe('string');
    }),
    { numRuns: 30 },
  );
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
  const recordData = { ID: 'queued', name: 'Café ☕', nested: { a: [1, 'b'] } };
  await queue.enqueue([{ siteId: 77, tableName: 'item', recordId: 'queued', action: 'update', version: 1, recordData }]);
  const { records } = await queue.pull(77, 10);
  expect(records.map((record) => record.recordData)).toEqual([recordData]);
});
