/** The central change log on DynamoDB Local: one entry per record, ordered cursors, no skipped entries. */
import type { SyncRecord } from '../../functions/domain/ports';
import { DynamoChangeLog } from '../../functions/storage/change-log';
import { createTestResources, type TestResources } from '../support/stand-ins';

let resources: TestResources;
beforeAll(async () => {
  resources = await createTestResources();
});

/** Each test gets its own log table so cursors start at zero. */
let tableCounter = 0;
async function freshLog(): Promise<DynamoChangeLog> {
  const own = await createTestResources();
  tableCounter++;
  return new DynamoChangeLog(own.db, own.tables.changeLog);
}

const item = (id: string, version = 1): SyncRecord => ({ tableName: 'item', recordId: id, action: 'update', recordData: { ID: id, version } });

test('entries come back after a cursor, ascending, with the maximum cursor', async () => {
  const log = await freshLog();
  await log.append([item('a'), item('b')]);
  await log.append([item('c')]);
  const all = await log.read(0, 10);
  expect(all.maxCursor).toBe(3);
  expect(all.entries.map((e) => [e.cursor, e.recordId])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']]);
  expect((await log.read(1, 1)).entries.map((e) => e.recordId)).toEqual(['b']);
  expect((await log.read(3, 10)).entries).toEqual([]);
});

test('updating a record moves its single entry to the end', async () => {
  const log = await freshLog();
  await log.append([item('a'), item('b')]);
  await log.append([item('a', 2)]);
  const { maxCursor, entries } = await log.read(0, 10);
  expect(maxCursor).toBe(3);
  expect(entries.map((e) => [e.cursor, e.recordId, (e.recordData as { version: number }).version])).toEqual([
    [2, 'b', 1],
    [3, 'a', 2],
  ]);
});

test('concurrent writers and a reader following the client\'s rules: the reader misses nothing', async () => {
  const log = await freshLog();
  const writers = 4;
  const perWriter = 15;
  let writing = true;
  const seen = new Map<string, number>();
  let cursor = 0;
  const readOnce = async () => {
    const { maxCursor, entries } = await log.read(cursor, 7);
    for (const entry of entries) {
      expect(entry.cursor).toBeGreaterThan(cursor);
      cursor = entry.cursor;
      seen.set(entry.recordId, (entry.recordData as { version: number }).version);
    }
    if (entries.length === 0 && cursor < maxCursor) cursor++;
  };
  const reader = (async () => {
    while (writing) await readOnce();
  })();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        // Writers overlap on shared records too, so entries keep moving while the reader reads.
        await log.append([item(`w${w}-${i}`), item(`shared-${i % 3}`, w * 100 + i)]);
      }
    }),
  );
  writing = false;
  await reader;
  // Catch up to the end, as the client does.
  for (let guard = 0; guard < 100; guard++) {
    const { maxCursor } = await log.read(cursor, 0 + 7);
    if (cursor >= maxCursor) break;
    await readOnce();
  }
  const final = await log.read(0, 1000);
  expect(final.entries).toHaveLength(writers * perWriter + 3);
  for (const entry of final.entries) {
    expect(seen.get(entry.recordId)).toBe((entry.recordData as { version: number }).version);
  }
  expect(tableCounter).toBeGreaterThan(0);
});
