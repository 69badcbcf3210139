/** The configuration store on DynamoDB Local: import, atomic guarded changes, audit, concurrency. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { configFromFile } from '../../functions/domain/config/config-file';
import { applyCommand, emptyConfig, instanceType, type ConfigCommand } from '../../functions/domain/config';
import { configFileSchema } from '../../functions/protocol/admin';
import { ConfigStore } from '../../functions/storage/config-store';
import { createTestResources, type TestResources } from '../support/stand-ins';

let resources: TestResources;
let store: ConfigStore;
beforeAll(async () => {
  resources = await createTestResources();
  let tick = 0;
  store = new ConfigStore(resources.db, resources.tables.config, () => new Date(Date.UTC(2026, 0, 2, 3, 4, tick++)));
});

const demo = configFileSchema.parse(JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config', 'demo.json'), 'utf8')));
const built = configFromFile(emptyConfig(), demo, (password) => `plain:${password}`);
if (!built.ok) throw new Error(built.message);
const command = (c: ConfigCommand) => (config: Parameters<typeof applyCommand>[0]) => applyCommand(config, c);

test('an empty table loads as the empty configuration', async () => {
  expect(await store.load()).toEqual(emptyConfig());
});

test('imports a whole configuration into an empty system only', async () => {
  const imported = await store.importInto(built.config, 'test');
  expect(imported.ok).toBe(true);
  const loaded = await store.load();
  expect(loaded).toEqual({ ...built.config, version: 1 });
  expect(instanceType(loaded, 'STORE_F', 1)).toBe('transfer');
  expect(await store.importInto(built.config, 'test')).toMatchObject({ ok: false, status: 409, code: 'not_empty' });
});

test('a change is committed with its audit entry; a refused change writes nothing', async () => {
  const result = await store.apply(command({ type: 'setIncludeTransactions', storeId: 'STORE_D', value: false }), 'admin:alice');
  expect(result).toMatchObject({ ok: true, auditRecord: { actor: 'admin:alice', at: expect.stringMatching(/^2026-01-02T03:04:/), action: 'store.includeTransactionsInSync' } });
  const loaded = await store.load();
  expect(loaded.version).toBe(2);
  expect(loaded.stores.STORE_D?.includeTransactionsInSync).toBe(false);

  const refused = await store.apply(command({ type: 'deleteStore', storeId: 'STORE_B' }), 'admin:alice');
  expect(refused).toMatchObject({ ok: false, status: 409, code: 'store_in_use' });
  expect(await store.load()).toEqual(loaded);

  const audit = await store.audit();
  expect(audit[0]).toMatchObject({ action: 'store.includeTransactionsInSync', target: 'store/STORE_D', details: { from: true, to: false } });
  expect(audit.map((a) => a.action)).toContain('config.import');
});

test('removing visibility deletes both joins and the collector copy it allowed, in one version', async () => {
  const result = await store.apply(command({ type: 'removeVisibility', storeId: 'STORE_B', nameId: 'NAME_STORE_A' }), 'admin');
  expect(result.ok).toBe(true);
  const loaded = await store.load();
  expect(loaded.visibility.STORE_A).toBeUndefined();
  expect(loaded.visibility.STORE_B).toEqual(['NAME_STORE_C']);
  expect(instanceType(loaded, 'STORE_A', 2)).toBe('none');
  expect(loaded.stores.STORE_A?.collectorSiteIds).toEqual([]);
});

test('concurrent changes are serialised by the version item: none is lost', async () => {
  const before = await store.load();
  const names = ['X1', 'X2', 'X3', 'X4', 'X5'];
  const results = await Promise.all(names.map((nameId) => store.apply(command({ type: 'addVisibility', storeId: 'STORE_E', nameId }), 'admin')));
  expect(results.every((r) => r.ok)).toBe(true);
  const after = await store.load();
  expect(after.visibility.STORE_E).toEqual(names);
  expect(after.version).toBe(before.version + names.length);
});

test('an operation that loses a race is re-applied on fresh data', async () => {
  let calls = 0;
  const result = await store.apply((config) => {
    calls++;
    if (calls === 1) {
      // Someone else commits between this load and this write.
      void store.apply(command({ type: 'addVisibility', storeId: 'STORE_E', nameId: 'RACE' }), 'other');
    }
    return applyCommand(config, { type: 'updateStore', storeId: 'STORE_E', changes: { name: 'Store E (renamed)' } });
  }, 'admin');
  expect(result.ok).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const loaded = await store.load();
  expect(loaded.stores.STORE_E?.name).toBe('Store E (renamed)');
});
