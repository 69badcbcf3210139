/**
 * Store records authored by the configuration (functions/domain/config/store-record.ts): the
 * sync fields always come from the configuration, the client's required fields are filled in,
 * and a configuration change names the stores whose record must be sent, and to whom it was
 * sent before.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { configFromFile } from '../../functions/domain/config/config-file';
import { emptyConfig, type Store, type SyncConfig } from '../../functions/domain/config/model';
import { applyCommand } from '../../functions/domain/config/operations';
import { authoredNameRecord, nameRecordAgrees } from '../../functions/domain/config/name-record';
import { authoredStoreRecord, storeRecordAgrees, storeRecordChanges } from '../../functions/domain/config/store-record';
import { configFileSchema } from '../../functions/protocol/admin';
import { storeRecordHolders } from '../../functions/services/store-records';
import { configArb } from '../support/sync-arbitraries';

const file = configFileSchema.parse(JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config', 'demo.json'), 'utf8')));
const built = configFromFile(emptyConfig(), file, () => 'credential');
if (!built.ok) throw new Error(built.message);
const demo = built.config;
const storeF = demo.stores.STORE_F!;

test('a store with no record gets one from the configuration, with the legacy "nothing" values', () => {
  expect(authoredStoreRecord(storeF)).toEqual({
    ID: 'STORE_F',
    name_ID: storeF.nameId,
    code: storeF.code,
    name: storeF.name,
    store_mode: storeF.mode,
    sync_id_remote_site: storeF.activeSiteId,
    logo: '',
    created_date: '0000-00-00',
    disabled: false,
  });
});

const anyValue = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null));

test('whatever was imported, the sync fields say what the configuration says and the rest is kept', () => {
  fc.assert(
    fc.property(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), anyValue),
      fc.record({ ID: anyValue, name_ID: anyValue, code: anyValue, store_mode: anyValue, sync_id_remote_site: anyValue, logo: anyValue, created_date: anyValue, disabled: anyValue }, { requiredKeys: [] }),
      (other, contradicting) => {
        const imported = { ...other, ...contradicting };
        const authored = authoredStoreRecord(storeF, imported);
        expect(authored).toMatchObject({ ID: 'STORE_F', name_ID: storeF.nameId, code: storeF.code, store_mode: storeF.mode, sync_id_remote_site: storeF.activeSiteId });
        // What the client needs is there, readable.
        expect(typeof authored.logo).toBe('string');
        expect(typeof authored.disabled).toBe('boolean');
        expect(authored.created_date).toMatch(/^\d{4}-\d{2}-\d{2}/);
        // Fields the configuration does not decide are kept as imported.
        for (const [field, value] of Object.entries(imported)) {
          if (!['ID', 'name_ID', 'code', 'name', 'store_mode', 'sync_id_remote_site', 'logo', 'created_date', 'disabled'].includes(field)) expect(authored[field]).toBe(value);
        }
        if (typeof imported.disabled === 'boolean') expect(authored.disabled).toBe(imported.disabled);
        // Authoring twice changes nothing more.
        expect(authoredStoreRecord(storeF, authored)).toEqual(authored);
        expect(storeRecordAgrees(storeF, authored)).toBe(true);
      },
    ),
  );
});

// ---- the store's own name record (functions/domain/config/name-record.ts)

/** translations/name.rs: fields without a serde default (a name lacking one is not integrated). */
const clientRequiredNameFields = [
  'ID', 'name', 'code', 'type', 'customer', 'supplier', 'supplying_store_id', 'first', 'last', 'female', 'date_of_birth', 'phone',
  'charge code', 'comment', 'country', 'bill_address1', 'bill_address2', 'email', 'url', 'manufacturer', 'donor', 'hold',
  'NEXT_OF_KIN_ID', 'next_of_kin_relative', 'created_date', 'national_health_number', 'isDeceased', 'om_created_datetime', 'om_gender',
];
const legacyFacilityName = (JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'shared', 'fixtures', 'legacy-records', 'name.json'), 'utf8')) as Array<{ recordData: Record<string, unknown> }>)
  .map((entry) => entry.recordData)
  .find((data) => data.type === 'facility')!;

test("a store's name with no record gets one from the configuration: every field of a legacy name, of its type, a store's, trading", () => {
  const name = authoredNameRecord(storeF);
  expect(name).toMatchObject({ ID: storeF.nameId, name: storeF.name, code: storeF.code, type: 'store', customer: true, supplier: true, supplying_store_id: '' });
  for (const field of clientRequiredNameFields) expect(name).toHaveProperty([field]);
  for (const [field, value] of Object.entries(legacyFacilityName)) {
    expect(name).toHaveProperty([field]);
    if (value !== null) expect([field, typeof name[field]]).toEqual([field, typeof value]);
  }
  expect(name.date_of_birth).toBe('0000-00-00');
  expect(name.om_gender).toBe('');
});

test("whatever was imported for a store's name, the configuration's fields are rewritten, readable ones kept, and the client can read it", () => {
  const owned = ['ID', 'name', 'code', 'type'];
  fc.assert(
    fc.property(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), anyValue),
      fc.record(Object.fromEntries([...owned, 'customer', 'supplier', 'female', 'phone', 'date_of_birth', 'om_gender', 'om_created_datetime'].map((field) => [field, anyValue])), { requiredKeys: [] }),
      (other, contradicting) => {
        const imported = { ...other, ...contradicting };
        const name = authoredNameRecord(storeF, imported);
        expect(name).toMatchObject({ ID: storeF.nameId, name: storeF.name, code: storeF.code, type: 'store' });
        for (const field of ['customer', 'supplier', 'female']) expect(typeof name[field]).toBe('boolean');
        for (const field of ['phone', 'om_gender', 'om_created_datetime']) expect(typeof name[field]).toBe('string');
        expect(name.date_of_birth).toMatch(/^\d{4}-\d{2}-\d{2}/);
        for (const field of clientRequiredNameFields) expect(name).toHaveProperty([field]);
        // Readable imported values of fields the configuration does not own are kept.
        for (const [field, value] of Object.entries(imported)) if (!owned.includes(field) && !clientRequiredNameFields.includes(field)) expect(name[field]).toBe(value);
        if (typeof imported.customer === 'boolean') expect(name.customer).toBe(imported.customer);
        expect(authoredNameRecord(storeF, name)).toEqual(name);
        expect(nameRecordAgrees(storeF, name)).toBe(true);
      },
    ),
  );
});

test("an imported name calling the store a patient, or naming it otherwise, does not agree with the configuration", () => {
  expect(nameRecordAgrees(storeF, { ...authoredNameRecord(storeF), type: 'patient' })).toBe(false);
  expect(nameRecordAgrees(storeF, { ...authoredNameRecord(storeF), name: 'Someone else' })).toBe(false);
  expect(nameRecordAgrees(storeF, undefined)).toBe(false);
});

test('an imported record naming another active site does not agree with the configuration', () => {
  expect(storeRecordAgrees(storeF, { ...authoredStoreRecord(storeF), sync_id_remote_site: 9 })).toBe(false);
  expect(storeRecordAgrees(storeF, undefined)).toBe(false);
});

const changed = (command: Parameters<typeof applyCommand>[1], before: SyncConfig = demo) => {
  const result = applyCommand(before, command);
  if (!result.ok) throw new Error(result.message);
  return { after: result.config, changes: storeRecordChanges(before, result.config, storeRecordHolders) };
};

test('moving store F to site 3 changes F\'s record: site 3 holds it, and site 2 (no store there sees F, so it keeps no copy) is a former holder', () => {
  const { after, changes } = changed({ type: 'setActiveSite', storeId: 'STORE_F', siteId: 3 });
  expect(storeRecordHolders(after, 'STORE_F')).toEqual([3]);
  expect(changes).toEqual([{ storeId: 'STORE_F', formerHolders: [2] }]);
  expect(authoredStoreRecord(after.stores.STORE_F!)).toMatchObject({ sync_id_remote_site: 3 });
});

test('a move whose old site keeps a collector copy sends the record to both as holders', () => {
  const { after, changes } = changed({ type: 'setActiveSite', storeId: 'STORE_B', siteId: 3 });
  expect(storeRecordHolders(after, 'STORE_B')).toEqual(expect.arrayContaining([3]));
  expect(changes.map((change) => change.storeId)).toContain('STORE_B');
  expect(changes.find((change) => change.storeId === 'STORE_B')!.formerHolders.filter((siteId) => storeRecordHolders(after, 'STORE_B').includes(siteId))).toEqual([]);
});

test('a created store, a renamed store and a changed mode each change their record; a site password does not', () => {
  const newStore: Omit<Store, 'collectorSiteIds'> = { id: 'STORE_G', code: 'G', name: 'Store G', nameId: 'NAME_STORE_G', mode: 'store', activeSiteId: 2, includeTransactionsInSync: true };
  expect(changed({ type: 'createStore', store: newStore }).changes).toEqual([{ storeId: 'STORE_G', formerHolders: [] }]);
  expect(changed({ type: 'updateStore', storeId: 'STORE_C', changes: { name: 'Renamed' } }).changes.map((c) => c.storeId)).toEqual(['STORE_C']);
  expect(changed({ type: 'updateStore', storeId: 'STORE_C', changes: { mode: 'dispensary' } }).changes.map((c) => c.storeId)).toEqual(['STORE_C']);
  expect(changed({ type: 'setSiteCredential', siteId: 2, credential: 'other' }).changes).toEqual([]);
});

describe('only stores whose holders or fields changed are named, and none is missed', () => {
  const naive = (before: SyncConfig, after: SyncConfig) =>
    Object.keys(after.stores)
      .sort()
      .flatMap((storeId) => {
        const was = before.stores[storeId];
        const heldBefore = was ? storeRecordHolders(before, storeId) : [];
        const heldAfter = storeRecordHolders(after, storeId);
        const fields = !was || JSON.stringify(authoredStoreRecord(was)) !== JSON.stringify(authoredStoreRecord(after.stores[storeId]!));
        const holders = JSON.stringify([...heldBefore].sort()) !== JSON.stringify([...heldAfter].sort());
        return fields || holders ? [{ storeId, formerHolders: heldBefore.filter((siteId) => !heldAfter.includes(siteId)) }] : [];
      });

  /** A small change of a random configuration: visibility, a collector listing, an active site or the primary. */
  const changedConfigArb = configArb.chain((before) => {
    const storeIds = Object.keys(before.stores).sort();
    const siteIds = Object.keys(before.sites).map(Number).sort((a, b) => a - b);
    return fc
      .record({
        what: fc.constantFrom('see', 'unsee', 'collector', 'move', 'primary'),
        store: fc.constantFrom(...storeIds),
        other: fc.constantFrom(...storeIds),
        site: fc.constantFrom(...siteIds),
      })
      .map(({ what, store, other, site }) => {
        const after: SyncConfig = structuredClone(before) as SyncConfig;
        const stores = after.stores as Record<string, Store>;
        const visibility = after.visibility as Record<string, string[]>;
        const name = stores[store]!.nameId;
        if (what === 'see') visibility[other] = [...new Set([...(visibility[other] ?? []), name])].sort();
        if (what === 'unsee') visibility[other] = (visibility[other] ?? []).filter((nameId) => nameId !== name);
        if (what === 'collector') stores[store] = { ...stores[store]!, collectorSiteIds: stores[store]!.collectorSiteIds.includes(site) ? stores[store]!.collectorSiteIds.filter((id) => id !== site) : [...stores[store]!.collectorSiteIds, site] };
        if (what === 'move') stores[store] = { ...stores[store]!, activeSiteId: site };
        if (what === 'primary') (after as { preferences: SyncConfig['preferences'] }).preferences = { ...after.preferences, primarySiteId: after.sites[String(site)]?.kind === 'desktop' ? site : null };
        return { before, after };
      });
  });

  test('against computing every store\'s holders', () => {
    fc.assert(fc.property(changedConfigArb, ({ before, after }) => expect(storeRecordChanges(before, after, storeRecordHolders)).toEqual(naive(before, after))), { numRuns: 300 });
  });
});
