/**
 * The central copy's put on the copy a change was decided on (AcceptedChange.stored): it writes
 * what the conditional update would, and when the copy moved between the read and the write
 * (another writer) the change is still applied, as the update. Routing marks a record routed in
 * an item of its own (the routed marker), read with the record.
 */
import type { AcceptedChange, StoredRecord } from '../../functions/domain/ports';
import { recordKeyString } from '../../functions/domain/ports';
import { DynamoCentralCopy } from '../../functions/storage/central-copy';
import { createTestResources } from '../support/stand-ins';

let copy: DynamoCentralCopy;
beforeAll(async () => {
  const resources = await createTestResources();
  copy = new DynamoCentralCopy(resources.db, resources.tables.records);
});

const placement = { dataClass: 'store' as const, flags: [], storeId: 'STORE_A' };
let counter = 0;
const change = (recordId: string, quantity: number, extra: Partial<AcceptedChange> = {}): AcceptedChange => ({
  record: { tableName: 'trans_line', recordId, action: 'update', recordData: { ID: recordId, quantity } },
  placement,
  originSiteId: 2,
  changeId: `2:${++counter}`,
  ...extra,
});
const read = async (recordId: string): Promise<StoredRecord | null> => (await copy.get([{ tableName: 'trans_line', recordId }])).get(recordKeyString({ tableName: 'trans_line', recordId })) ?? null;

test('a put on the copy as read writes what the update writes', async () => {
  await copy.apply([change('same-a', 1), change('same-b', 1, { stored: null })]);
  const [a, b] = [await read('same-a'), await read('same-b')];
  expect(b).toEqual({ ...a, recordId: 'same-b', recordData: { ID: 'same-b', quantity: 1 }, changeId: b!.changeId });
  await copy.apply([change('same-a', 2), change('same-b', 2, { stored: b })]);
  const [a2, b2] = [await read('same-a'), await read('same-b')];
  expect(b2).toEqual({ ...a2, recordId: 'same-b', recordData: { ID: 'same-b', quantity: 2 }, changeId: b2!.changeId });
  expect(b2!.version).toBe(2);
});

test('a change written over the copy as read leaves the indexes its new placement is not in', async () => {
  const byStore = async (storeId: string) => (await copy.page('byStore', storeId)).records.map((record) => record.recordId);
  await copy.apply([change('re-placed', 1, { stored: null, placement: { ...placement, storeId: 'STORE_OLD' } })]);
  expect(await byStore('STORE_OLD')).toContain('re-placed');
  await copy.apply([change('re-placed', 2, { stored: await read('re-placed'), placement: { dataClass: 'store', flags: [], patientId: 'PATIENT_1' } })]);
  expect(await byStore('STORE_OLD')).not.toContain('re-placed');
  expect((await copy.page('byPatient', 'PATIENT_1')).records.map((record) => record.recordId)).toEqual(['re-placed']);
  expect(await read('re-placed')).toMatchObject({ version: 2, placement: { patientId: 'PATIENT_1' } });
});

test('a change decided on a copy that moved since is still applied, on top of the newer one', async () => {
  await copy.apply([change('moved', 1)]);
  const asRead = await read('moved');
  await copy.apply([change('moved', 2)]); // another writer, after the read
  await copy.apply([change('moved', 3, { stored: asRead })]);
  expect(await read('moved')).toMatchObject({ version: 3, recordData: { quantity: 3 } });

  const absent = await read('appeared');
  await copy.apply([change('appeared', 1)]);
  await copy.apply([change('appeared', 2, { stored: absent })]);
  expect(await read('appeared')).toMatchObject({ version: 2, recordData: { quantity: 2 } });
});

test('routing that marked the copy routed after the read is not undone', async () => {
  await copy.apply([change('routed', 1)]);
  const asRead = await read('routed');
  await copy.markRouted([{ tableName: 'trans_line', recordId: 'routed', version: 1 }]);
  await copy.apply([change('routed', 2, { stored: asRead })]);
  expect(await read('routed')).toMatchObject({ version: 2, routedVersion: 1 });
});

test('a change the copy as read already holds, or a guard it fails, writes nothing', async () => {
  const first = change('held', 1);
  await copy.apply([first]);
  const asRead = await read('held');
  await copy.apply([{ ...first, stored: asRead }]);
  expect(await read('held')).toMatchObject({ version: 1 });
  await copy.apply([change('held', 5, { stored: asRead, onlyIfLastChangedBy: 9 })]);
  expect(await read('held')).toMatchObject({ version: 1, recordData: { quantity: 1 } });
});

test('a delete put on the copy as read keeps its last data', async () => {
  await copy.apply([change('deleted', 1)]);
  const asRead = await read('deleted');
  await copy.apply([{ ...change('deleted', 0), record: { tableName: 'trans_line', recordId: 'deleted', action: 'delete' }, stored: asRead }]);
  expect(await read('deleted')).toMatchObject({ action: 'delete', version: 2, recordData: { quantity: 1 } });
});

test('the routed marker is read with the record, never lets a newer version pass as routed, and is skipped on request', async () => {
  await copy.apply([change('marked', 1)]);
  await copy.apply([change('marked', 2)]);
  expect(await read('marked')).toMatchObject({ version: 2, routedVersion: 0 });
  // Two routings finishing out of order: the older version may be left marked, so the newer one is due again.
  await copy.markRouted([{ tableName: 'trans_line', recordId: 'marked', version: 2 }]);
  expect(await read('marked')).toMatchObject({ version: 2, routedVersion: 2 });
  await copy.markRouted([{ tableName: 'trans_line', recordId: 'marked', version: 1 }]);
  expect(await read('marked')).toMatchObject({ version: 2, routedVersion: 1 });
  // One call keeps the newest version it names.
  await copy.markRouted([{ tableName: 'trans_line', recordId: 'marked', version: 2 }, { tableName: 'trans_line', recordId: 'marked', version: 1 }]);
  expect(await read('marked')).toMatchObject({ routedVersion: 2 });
  // A push reads without the marker: the record's own figure, a lower bound.
  const withoutRouting = await copy.get([{ tableName: 'trans_line', recordId: 'marked' }], { routing: false });
  expect(withoutRouting.get(recordKeyString({ tableName: 'trans_line', recordId: 'marked' }))).toMatchObject({ version: 2, routedVersion: 0 });
  // A change stored as routing nowhere is routed as stored, whatever the marker says.
  await copy.apply([change('marked', 3, { routesNowhere: true, stored: await read('marked') })]);
  expect(await read('marked')).toMatchObject({ version: 3, routedVersion: 3 });
  // No record, no result, even with a marker.
  await copy.markRouted([{ tableName: 'trans_line', recordId: 'never-stored', version: 1 }]);
  expect(await read('never-stored')).toBeNull();
});
