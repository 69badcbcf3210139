/** The data-class registry classifies every sample table and finds owning stores directly and via parents. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  classify,
  classifyWireRecord,
  registeredTables,
  registry,
  resolveOwningStore,
  tablesWithFlag,
  type DataClass,
  type Lookup,
  type RecordData,
} from '../../functions/domain/data-classes';
import { legacyDate, reference } from '../../functions/domain/legacy-fields';

const fixturesDir = path.resolve(__dirname, '../../../shared/fixtures/legacy-records');

interface FixtureRecord {
  tableName: string;
  recordId: string;
  action: 'update' | 'delete' | 'merge';
  recordData: RecordData;
}

const fixtureFiles = readdirSync(fixturesDir).filter((f) => f.endsWith('.json'));
const fixtures: Record<string, FixtureRecord[]> = Object.fromEntries(
  fixtureFiles.map((f) => [path.basename(f, '.json'), JSON.parse(readFileSync(path.join(fixturesDir, f), 'utf8'))]),
);

/** The class each sample table's upserts must get (no lookups, no system preferences). */
const expectedClass: Record<string, DataClass | ((r: RecordData) => DataClass)> = {
  abbreviation: 'central',
  barcode: 'central',
  clinician: 'patient',
  clinician_store_join: 'centralStore',
  contact: 'central',
  currency: 'central',
  diagnosis: 'central',
  Goods_received: 'store',
  Goods_received_line: 'store',
  indicator_attribute: 'central',
  indicator_value: 'store',
  insuranceProvider: 'central',
  item: 'central',
  item_category: 'central',
  item_category_level1: 'central',
  item_category_level2: 'central',
  item_direction: 'central',
  item_line: 'store',
  item_store_join: 'centralStore',
  item_warning_link: 'central',
  list_master: 'central',
  list_master_line: 'central',
  list_master_name_join: 'central',
  Location: 'store',
  location_movement: 'store',
  Location_type: 'central',
  message: 'message',
  name: (r) => (r['type'] === 'patient' ? 'patient' : 'central'),
  name_store_join: 'centralStore',
  name_tag: 'central',
  name_tag_join: 'central',
  nameInsuranceJoin: 'patient',
  om_activity_log: 'store',
  om_user_permission: 'local',
  options: 'central',
  period: 'central',
  periodSchedule: 'central',
  pref: 'centralStore',
  program_indicator: 'central',
  purchase_order: 'store',
  purchase_order_line: 'store',
  requisition: 'store',
  requisition_line: 'store',
  sensor: 'store',
  ship_method: 'central',
  Stock_take: 'store',
  Stock_take_lines: 'store',
  store: 'centralStore',
  temperature_breach: 'store',
  temperature_log: 'store',
  trans_line: 'store',
  transact: 'store',
  unit: 'central',
  user: 'store',
  vaccine_vial_monitor_status: 'central',
  vaccine_vial_monitor_status_log: 'store',
  warning: 'central',
};

/** Where each sample table's owner is found. */
const expectedOwner: Record<string, string> = {
  transact: 'store_ID',
  trans_line: 'transact via transaction_ID',
  requisition_line: 'requisition via requisition_ID',
  Goods_received_line: 'Goods_received via goods_received_ID',
  Stock_take_lines: 'Stock_take via stock_take_ID',
  sensor: 'storeID',
  message: 'toStoreID',
  nameInsuranceJoin: 'name via nameID',
  store: 'ID',
  item: 'none',
  user: 'none',
};

test('the fixtures folder is where the tests expect it and holds every sample table', () => {
  expect(fixtureFiles.length).toBeGreaterThanOrEqual(57);
  expect(Object.keys(expectedClass).sort()).toEqual(Object.keys(fixtures).sort());
});

describe.each(Object.entries(fixtures))('fixture table %s', (table, records) => {
  test('is registered under its exact wire name', () => {
    expect(registry[table]).toBeDefined();
  });

  test.each(records.filter((r) => r.action === 'update').map((r) => [r.recordId, r] as const))(
    'upsert %s classifies to the expected class',
    (_id, record) => {
      const expected = expectedClass[table];
      const want = typeof expected === 'function' ? expected(record.recordData) : expected;
      const got = classify(record.tableName, record.recordData);
      expect(got).toMatchObject({ kind: 'known', table, dataClass: want });
    },
  );
});

test.each(Object.entries(expectedOwner))('%s finds its owner through %s', (table, description) => {
  const got = classify(table, fixtures[table]?.[0]?.recordData ?? {});
  if (got.kind !== 'known') throw new Error('expected a known table');
  const owner = got.owner;
  const text =
    owner.kind === 'none' ? 'none' : owner.kind === 'store' ? owner.field : `${owner.parentTable} via ${owner.field}`;
  expect(text).toBe(description);
});

test('tables named in the legacy notes without samples are registered', () => {
  for (const table of ['om_encounter', 'om_vaccination', 'om_document']) {
    expect(classify(table, {})).toMatchObject({ kind: 'known', dataClass: 'patient' });
  }
  expect(classify('om_document', {})).toMatchObject({ owner: { kind: 'parent', parentTable: 'name', field: 'owner_name_ID' } });
});

test('unknown tables resolve to an explicit unknown result, case-sensitively', () => {
  for (const table of ['location', 'stock_take', 'TRANSACT', 'asset', '', '__proto__', 'constructor', 'toString']) {
    expect(classify(table, { ID: 'x', store_ID: 'store_a' })).toEqual({ kind: 'unknown', table });
    expect(resolveOwningStore({ tableName: table, recordData: {} }, () => undefined)).toEqual({ kind: 'unknown', table });
  }
  expect(classify('Location', {})).toMatchObject({ kind: 'known' });
});

describe('owning stores', () => {
  const byId = (table: string, id: string) => fixtures[table]?.find((r) => r.recordId === id && r.action === 'update');
  const fixtureLookup: Lookup = (table, id) => byId(table, id)?.recordData;

  test('directly from a store field', () => {
    const transact = fixtures['transact']!.find((r) => r.action === 'update')!;
    expect(resolveOwningStore(transact, fixtureLookup)).toEqual({
      kind: 'store',
      storeId: transact.recordData['store_ID'],
      via: [],
    });
    expect(resolveOwningStore(fixtures['sensor']![0]!, fixtureLookup)).toMatchObject({ kind: 'store' });
    expect(resolveOwningStore(fixtures['message']![0]!, fixtureLookup)).toEqual({ kind: 'store', storeId: 'store_a', via: [] });
    expect(resolveOwningStore(byId('store', '9EDD3F83C3D64C22A3CC9C98CF4967C5')!, fixtureLookup)).toMatchObject({
      storeId: '9EDD3F83C3D64C22A3CC9C98CF4967C5',
    });
  });

  test('through the parent record, for every line table', () => {
    // The goods-received sample line points at the goods-received sample itself.
    expect(resolveOwningStore(fixtures['Goods_received_line']![0]!, fixtureLookup)).toEqual({
      kind: 'store',
      storeId: 'store_a',
      via: [{ table: 'Goods_received', id: 'gr_finalised_test' }],
    });
    const parents: Record<string, RecordData> = {
      'transact/outbound_shipment_a': { ID: 'outbound_shipment_a', store_ID: 'store_t' },
      'requisition/mock_request_draft_requisition3': { ID: 'mock_request_draft_requisition3', store_ID: 'store_r' },
      'Stock_take/stocktake_a': { ID: 'stocktake_a', store_ID: 'store_s' },
    };
    const lookup: Lookup = (table, id) => parents[`${table}/${id}`];
    const asked: string[] = [];
    const spy: Lookup = (table, id) => {
      asked.push(`${table}/${id}`);
      return lookup(table, id);
    };
    expect(resolveOwningStore(fixtures['trans_line']![0]!, spy)).toMatchObject({ kind: 'store', storeId: 'store_t' });
    expect(resolveOwningStore(fixtures['requisition_line']![0]!, spy)).toMatchObject({ kind: 'store', storeId: 'store_r' });
    expect(resolveOwningStore(fixtures['Stock_take_lines']![0]!, spy)).toMatchObject({ kind: 'store', storeId: 'store_s' });
    expect(asked).toEqual(['transact/outbound_shipment_a', 'requisition/mock_request_draft_requisition3', 'Stock_take/stocktake_a']);
  });

  test("a patient's home store, and its insurance policy's through the patient", () => {
    const patient = { ID: 'p1', type: 'patient', supplying_store_id: 'store_home' };
    expect(resolveOwningStore({ tableName: 'name', recordData: patient }, () => undefined)).toEqual({
      kind: 'store',
      storeId: 'store_home',
      via: [],
    });
    const policy = { ...fixtures['nameInsuranceJoin']![0]!.recordData, nameID: 'p1' };
    expect(resolveOwningStore({ tableName: 'nameInsuranceJoin', recordData: policy }, (t, id) => (t === 'name' && id === 'p1' ? patient : undefined))).toEqual({
      kind: 'store',
      storeId: 'store_home',
      via: [{ table: 'name', id: 'p1' }],
    });
  });

  test('missing references and parents are reported, never guessed', () => {
    expect(resolveOwningStore({ tableName: 'transact', recordData: { ID: 't', store_ID: '' } }, () => undefined)).toEqual({
      kind: 'noReference',
      table: 'transact',
      field: 'store_ID',
    });
    expect(resolveOwningStore({ tableName: 'trans_line', recordData: { ID: 'l', transaction_ID: 'gone' } }, () => undefined)).toEqual({
      kind: 'parentNotFound',
      table: 'transact',
      id: 'gone',
    });
    // A sample patient with no home store.
    expect(resolveOwningStore(byId('name', '1FB32324AF8049248D929CFB35F255BA')!, fixtureLookup)).toEqual({
      kind: 'noReference',
      table: 'name',
      field: 'supplying_store_id',
    });
    // A parent whose store field is empty.
    expect(
      resolveOwningStore({ tableName: 'trans_line', recordData: { transaction_ID: 't' } }, () => ({ ID: 't', store_ID: '' })),
    ).toEqual({ kind: 'noReference', table: 'transact', field: 'store_ID' });
  });

  test('central data has no owning store', () => {
    expect(resolveOwningStore(fixtures['item']![0]!, fixtureLookup)).toEqual({ kind: 'none' });
    expect(resolveOwningStore(byId('name', '9EDD3F83C3D64C22A3CC9C98CF4967C4')!, fixtureLookup)).toEqual({ kind: 'none' });
  });
});

describe('special cases', () => {
  test('centralised procurement makes purchase orders central store data', () => {
    for (const table of ['purchase_order', 'purchase_order_line']) {
      const record = fixtures[table]![0]!.recordData;
      expect(classify(table, record)).toMatchObject({ dataClass: 'store', rule: 'default' });
      expect(classify(table, record, { centralisedProcurement: false })).toMatchObject({ dataClass: 'store' });
      expect(classify(table, record, { centralisedProcurement: true })).toMatchObject({
        dataClass: 'centralStore',
        rule: 'centralisedProcurement',
        owner: { kind: 'store', field: 'store_ID' },
      });
    }
    expect(classify('transact', {}, { centralisedProcurement: true })).toMatchObject({ dataClass: 'store' });
  });

  test('patients are patient data with a home store; other names are central', () => {
    const names = fixtures['name']!.filter((r) => r.action === 'update');
    const patients = names.filter((r) => r.recordData['type'] === 'patient');
    const others = names.filter((r) => r.recordData['type'] !== 'patient');
    expect(patients.length).toBeGreaterThan(0);
    expect(others.length).toBeGreaterThan(0);
    for (const p of patients) {
      expect(classify('name', p.recordData)).toMatchObject({
        dataClass: 'patient',
        rule: 'patient',
        owner: { kind: 'store', field: 'supplying_store_id' },
      });
    }
    for (const o of others) expect(classify('name', o.recordData)).toMatchObject({ dataClass: 'central', owner: { kind: 'none' } });
  });

  test("a patient's visibility in its home store is patient data; other visibility is central store data", () => {
    const patient = { ID: 'p1', type: 'patient', supplying_store_id: 'store_home' };
    const facility = { ID: 'f1', type: 'facility', supplying_store_id: 'store_home' };
    const names: Lookup = (t, id) => (t !== 'name' ? undefined : id === 'p1' ? patient : id === 'f1' ? facility : undefined);
    expect(classify('name_store_join', { name_ID: 'p1', store_ID: 'store_home' }, {}, names)).toMatchObject({
      dataClass: 'patient',
      rule: 'newPatientVisibility',
      owner: { kind: 'store', field: 'store_ID' },
    });
    expect(classify('name_store_join', { name_ID: 'p1', store_ID: 'store_other' }, {}, names)).toMatchObject({
      dataClass: 'centralStore',
      rule: 'default',
      unresolved: [],
    });
    expect(classify('name_store_join', { name_ID: 'f1', store_ID: 'store_home' }, {}, names)).toMatchObject({
      dataClass: 'centralStore',
    });
    // Without the name, the stricter default applies and the missing record is named.
    expect(classify('name_store_join', { name_ID: 'p1', store_ID: 'store_home' })).toMatchObject({
      dataClass: 'centralStore',
      unresolved: [{ table: 'name', id: 'p1' }],
    });
    // The sample join (a store's name) stays central store data.
    expect(classify('name_store_join', fixtures['name_store_join']![0]!.recordData, {}, names)).toMatchObject({
      dataClass: 'centralStore',
      unresolved: [{ table: 'name', id: 'name_store_a' }],
    });
  });

  test("a prescriber's visibility in its home store is patient data", () => {
    const clinician = { ID: 'c1', store_ID: 'store_home' };
    const lookup: Lookup = (t, id) => (t === 'clinician' && id === 'c1' ? clinician : undefined);
    expect(classify('clinician_store_join', { prescriber_ID: 'c1', store_ID: 'store_home' }, {}, lookup)).toMatchObject({
      dataClass: 'patient',
    });
    expect(classify('clinician_store_join', { prescriber_ID: 'c1', store_ID: 'elsewhere' }, {}, lookup)).toMatchObject({
      dataClass: 'centralStore',
    });
  });

  test('store preferences are central store data; other preferences are local', () => {
    expect(classify('pref', fixtures['pref']![0]!.recordData)).toMatchObject({ dataClass: 'centralStore', rule: 'storePreferences' });
    expect(classify('pref', { ID: 'x', item: 'label_printer', store_ID: '' })).toMatchObject({ dataClass: 'local' });
  });

  test('dispensary flags are data on the registry', () => {
    expect(tablesWithFlag('dispensaryOnly')).toEqual(['abbreviation', 'diagnosis', 'insuranceProvider', 'item_direction']);
    expect(tablesWithFlag('dispensaryTransactional')).toEqual(['Stock_take', 'Stock_take_lines', 'item_line', 'trans_line', 'transact']);
    expect(classify('abbreviation', {})).toMatchObject({ dataClass: 'central', flags: ['dispensaryOnly'] });
    expect(classify('user', fixtures['user']![0]!.recordData)).toMatchObject({ dataClass: 'store', flags: ['keptCentrally'] });
  });

  test('deletes and merges are classified by the stored record', () => {
    const stored: Record<string, RecordData> = {
      P: { ID: 'P', type: 'patient', supplying_store_id: 's' },
      F: { ID: 'F', type: 'facility' },
    };
    const lookup: Lookup = (t, id) => (t === 'name' ? stored[id] : undefined);
    expect(classifyWireRecord({ tableName: 'name', recordId: 'P', action: 'delete', recordData: {} }, {}, lookup)).toMatchObject({
      dataClass: 'patient',
    });
    expect(classifyWireRecord({ tableName: 'name', recordId: 'P', action: 'delete' })).toMatchObject({ dataClass: 'central' });
    expect(
      classifyWireRecord(
        { tableName: 'name', recordId: 'm', action: 'merge', recordData: { mergeIdToKeep: 'P', mergeIdToDelete: 'Q' } },
        {},
        lookup,
      ),
    ).toMatchObject({ dataClass: 'patient' });
    expect(
      classifyWireRecord(
        { tableName: 'name', recordId: 'm', action: 'merge', recordData: { mergeIdToKeep: 'F', mergeIdToDelete: 'G' } },
        {},
        lookup,
      ),
    ).toMatchObject({ dataClass: 'central' });
  });
});

test('legacy references: empty string means no reference', () => {
  expect(reference({ a: '' }, 'a')).toBeUndefined();
  expect(reference({ a: '  ' }, 'a')).toBeUndefined();
  expect(reference({ a: null }, 'a')).toBeUndefined();
  expect(reference({ a: {} }, 'a')).toBeUndefined();
  expect(reference({}, 'a')).toBeUndefined();
  expect(reference(undefined, 'a')).toBeUndefined();
  expect(reference({ a: 'x' }, 'a')).toBe('x');
  expect(reference({ a: 7 }, 'a')).toBe('7');
  expect(reference({}, 'toString')).toBeUndefined();
  expect(legacyDate({ d: '0000-00-00' }, 'd')).toBeUndefined();
  expect(legacyDate({ d: '2024-03-15' }, 'd')).toBe('2024-03-15');
});

test('docs/data-classes.md lists every registered table', () => {
  const doc = readFileSync(path.resolve(__dirname, '../../docs/data-classes.md'), 'utf8');
  const missing = registeredTables().filter((t) => !doc.includes(`| \`${t}\` |`));
  expect(missing).toEqual([]);
});
