/**
 * The configuration at scale on DynamoDB Local: a cached reader catches up by reading only what
 * changed and always agrees with a fresh load; a change too large for one transaction commits
 * whole (even when its writer stops half-way); hardware bindings never touch the version; a cold
 * load from a snapshot and the changes since equals a full load, and a snapshot not published
 * whole is never used.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { applyCommand, type ConfigCommand, type SyncConfig } from '../../functions/domain/config';
import { ConfigSnapshots } from '../../functions/storage/config-snapshot';
import { ConfigStore, SITE_CALL_CONFIG_MAX_AGE_MS, SNAPSHOT_EVERY_VERSIONS } from '../../functions/storage/config-store';
import { importConfigFile } from '../../functions/storage/config-import';
import { configKeys } from '../../functions/storage/keys';
import { fleetConfigFile, storeId } from '../../bench/fleet-config';
import { createTestResources } from '../support/stand-ins';

/** A client counting the items DynamoDB returns to it. */
function countingClient() {
  const raw = new DynamoDBClient({});
  const count = { items: 0 };
  raw.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const output = (result.output ?? {}) as { Items?: unknown[]; Item?: unknown; Responses?: Record<string, unknown[]> };
      count.items += (output.Items?.length ?? 0) + (output.Item ? 1 : 0) + Object.values(output.Responses ?? {}).reduce((sum, items) => sum + items.length, 0);
      return result;
    },
    { step: 'initialize', name: 'countItems' },
  );
  return { db: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }), count };
}

const command = (c: ConfigCommand) => (config: SyncConfig) => applyCommand(config, c);

/** A table of its own holding a small fleet. */
async function fleetTable(sites: number, file = fleetConfigFile(sites, () => false)) {
  const own = await createTestResources();
  const writer = new ConfigStore(own.db, own.tables.config);
  const imported = await importConfigFile(writer, file, 'test');
  if (!imported.ok) throw new Error(imported.message);
  return { own, writer };
}

test('a cached reader reads only the items a change wrote, and always agrees with a fresh load', async () => {
  const sites = 300;
  const { own, writer } = await fleetTable(sites);
  const counting = countingClient();
  const reader = new ConfigStore(counting.db, own.tables.config);
  await reader.current();

  counting.count.items = 0;
  const changed = await writer.apply(command({ type: 'updateSite', siteId: 5, changes: { code: 'RENAMED' } }), 'test');
  expect(changed.ok).toBe(true);
  const caughtUp = await reader.current();
  expect(caughtUp.sites['5']?.code).toBe('RENAMED');
  // The version item (twice: before and after), one change entry, one site item: not the fleet.
  expect(counting.count.items).toBeLessThanOrEqual(5);

  const siteIds = fc.integer({ min: 2, max: sites + 1 });
  const nameId = fc.constantFrom('FLEET_SUPPLIER_NAME_1', 'FLEET_SUPPLIER_NAME_2', 'PLAIN_NAME', 'FLEET_NAME_7');
  const commands: fc.Arbitrary<ConfigCommand> = fc.oneof(
    fc.record({ siteId: siteIds, code: fc.constantFrom('A', 'B') }).map(({ siteId, code }) => ({ type: 'updateSite' as const, siteId, changes: { code } })),
    fc.record({ siteId: siteIds, nameId }).map(({ siteId, nameId }) => ({ type: 'addVisibility' as const, storeId: storeId(siteId), nameId })),
    fc.record({ siteId: siteIds, nameId }).map(({ siteId, nameId }) => ({ type: 'removeVisibility' as const, storeId: storeId(siteId), nameId })),
    fc.record({ siteId: siteIds, value: fc.boolean() }).map(({ siteId, value }) => ({ type: 'setIncludeTransactions' as const, storeId: storeId(siteId), value })),
    fc.integer({ min: 400, max: 405 }).map((siteId) => ({ type: 'createSite' as const, site: { siteId, name: `new-${siteId}`, code: 'N', kind: 'desktop' as const } })),
    fc.integer({ min: 400, max: 405 }).map((siteId) => ({ type: 'deleteSite' as const, siteId })),
    fc.constantFrom(true, false).map((centralisedPayments) => ({ type: 'setPreferences' as const, changes: { centralisedPayments } })),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(commands, fc.boolean()), { minLength: 1, maxLength: 6 }), async (steps) => {
      let expected: SyncConfig | undefined;
      for (const [step, readNow] of steps) {
        const result = await writer.apply(command(step), 'test');
        if (result.ok) expected = result.config;
        if (readNow) await reader.current();
      }
      const fresh = await new ConfigStore(own.db, own.tables.config).current();
      expect(await reader.current()).toEqual(fresh);
      // What was written is exactly what the operations made.
      if (expected && expected.version === fresh.version) expect(fresh).toEqual(expected);
    }),
    { numRuns: 15 },
  );
});

test('deleting a store that sees 150 names commits whole, in several transactions', async () => {
  const file = fleetConfigFile(20, () => false);
  const names = Array.from({ length: 150 }, (_, i) => ({ storeId: storeId(21), nameId: `CUSTOMER_${i}` }));
  const { own, writer } = await fleetTable(20, { ...file, visibility: [...file.visibility!, ...names] });
  const reader = new ConfigStore(own.db, own.tables.config);
  const before = await reader.current();
  expect(before.visibility[storeId(21)]!.length).toBeGreaterThan(150);

  // No other store may see it: remove the visibility its neighbours and suppliers have of it.
  for (const seer of [storeId(20), storeId(2), 'FLEET_SUPPLIER_1', 'FLEET_SUPPLIER_2']) {
    const removed = await writer.apply(command({ type: 'removeVisibility', storeId: seer, nameId: 'FLEET_NAME_21' }), 'test');
    expect(removed).toMatchObject({ ok: true });
  }
  const deleted = await writer.apply(command({ type: 'deleteStore', storeId: storeId(21) }), 'test');
  expect(deleted).toMatchObject({ ok: true });
  const after = await reader.current();
  expect(after.stores[storeId(21)]).toBeUndefined();
  expect(after.visibility[storeId(21)]).toBeUndefined();
  expect(after).toEqual(await new ConfigStore(own.db, own.tables.config).current());
});

test('a large change whose writer stops after committing is finished by the next reader', async () => {
  const file = fleetConfigFile(10, () => false);
  const names = Array.from({ length: 120 }, (_, i) => ({ storeId: storeId(5), nameId: `CUSTOMER_${i}` }));
  const { own } = await fleetTable(10, { ...file, visibility: [...file.visibility!, ...names] });
  let clock = Date.UTC(2026, 0, 1);
  const now = () => new Date(clock);
  const crashing = new ConfigStore(own.db, own.tables.config, now);
  // The writer stops between committing the version and applying the writes.
  (crashing as unknown as { finishStaged: () => Promise<void> }).finishStaged = async () => {
    throw new Error('stopped');
  };
  const reader = new ConfigStore(own.db, own.tables.config, now);
  const before = await reader.current();
  const removals = (config: SyncConfig) => {
    let current = config;
    for (const { nameId } of names) {
      const result = applyCommand(current, { type: 'removeVisibility', storeId: storeId(5), nameId });
      if (!result.ok) return result;
      current = result.config;
    }
    return { ok: true as const, config: current };
  };
  await expect(crashing.apply(removals, 'test')).rejects.toThrow('stopped');
  // Within the grace period a reader with a cache keeps the previous version, whole.
  expect(await reader.current()).toEqual(before);
  clock += 60_000;
  const finished = await reader.current();
  expect(finished.version).toBe(before.version + 1);
  expect(finished.visibility[storeId(5)]).toHaveLength(before.visibility[storeId(5)]!.length - names.length);
  expect(finished).toEqual(await new ConfigStore(own.db, own.tables.config).current());
  // And the next change goes through.
  const next = await reader.apply(command({ type: 'updateSite', siteId: 3, changes: { code: 'NEXT' } }), 'test');
  expect(next.ok).toBe(true);
});

test('first bindings are items of their own: concurrent ones never change the version; a different id is refused', async () => {
  const { own, writer } = await fleetTable(12);
  const reader = new ConfigStore(own.db, own.tables.config);
  const before = await reader.current();
  const siteIds = Array.from({ length: 10 }, (_, i) => i + 2);
  const bound = await Promise.all(siteIds.map((siteId) => new ConfigStore(own.db, own.tables.config).bindHardware(siteId, `hw-${siteId}`)));
  expect(bound.every((result) => result.ok)).toBe(true);
  expect((await reader.current()).version).toBe(before.version);
  expect(await reader.hardwareBinding(4)).toBe('hw-4');
  expect(await writer.bindHardware(4, 'hw-4')).toEqual({ ok: true });
  expect(await writer.bindHardware(4, 'other')).toMatchObject({ ok: false, code: 'hardware_mismatch' });
  expect((await writer.load()).sites['4']?.hardwareId).toBe('hw-4');

  // A change to a bound site keeps its binding; releasing one (read afresh) removes it.
  await writer.apply(command({ type: 'updateSite', siteId: 4, changes: { code: 'X' } }), 'test');
  expect((await new ConfigStore(own.db, own.tables.config).load()).sites['4']?.hardwareId).toBe('hw-4');
  const released = await writer.apply(command({ type: 'releaseHardware', siteId: 4 }), 'test', { freshBindings: [4] });
  expect(released).toMatchObject({ ok: true, auditRecord: { details: { previousHardwareId: 'hw-4' } } });
  // As a sync call does: the configuration first (which learns of the release), then the binding.
  expect((await reader.current()).sites['4']?.hardwareId).toBe('');
  expect(await reader.hardwareBinding(4)).toBe('');
  expect(await writer.bindHardware(4, 'new-hardware')).toEqual({ ok: true });
  // Deleting a site deletes its binding: a new site by that id starts unbound.
  await writer.apply(command({ type: 'createSite', site: { siteId: 500, name: 'short-lived', code: 'SL', kind: 'desktop' } }), 'test');
  expect(await writer.bindHardware(500, 'hw-500')).toEqual({ ok: true });
  await writer.apply(command({ type: 'deleteSite', siteId: 500 }), 'test');
  await writer.apply(command({ type: 'createSite', site: { siteId: 500, name: 'short-lived', code: 'SL', kind: 'desktop' } }), 'test');
  expect(await new ConfigStore(own.db, own.tables.config).hardwareBinding(500)).toBe('');
  expect((await reader.load()).sites['500']?.hardwareId).toBe('');
});

/** Reads the whole configuration item by item: what every other way of loading must equal. */
const fullLoad = (own: Awaited<ReturnType<typeof createTestResources>>) => new ConfigStore(own.db, own.tables.config).loadInFull();
const coldStore = (own: Awaited<ReturnType<typeof createTestResources>>) => new ConfigStore(own.db, own.tables.config);

test('a cold load (the snapshot and the changes since) equals a full load, before and after the next snapshot', async () => {
  const sites = 120;
  const { own, writer } = await fleetTable(sites);
  const snapshots = new ConfigSnapshots(own.db, own.tables.config);
  // The import published a snapshot of its version.
  const imported = (await snapshots.pointer())!;
  expect(imported.version).toBe(1);
  const counting = countingClient();
  counting.count.items = 0;
  expect(await new ConfigStore(counting.db, own.tables.config).current()).toEqual(await fullLoad(own));
  // The pointer, one chunk, the version item twice at most: not the fleet's items.
  expect(counting.count.items).toBeLessThanOrEqual(4);

  // A binding made after the snapshot: a cold load asks for it (as for any unbound site); load() has it.
  expect(await writer.bindHardware(7, 'hw-7')).toEqual({ ok: true });
  const siteIds = fc.integer({ min: 2, max: sites + 1 });
  const steps = fc.sample(
    fc.oneof(
      fc.record({ siteId: siteIds, code: fc.constantFrom('A', 'B') }).map(({ siteId, code }): ConfigCommand => ({ type: 'updateSite', siteId, changes: { code } })),
      fc.record({ siteId: siteIds, nameId: fc.constantFrom('FLEET_SUPPLIER_NAME_1', 'PLAIN_NAME', 'FLEET_NAME_9') }).chain(({ siteId, nameId }) =>
        fc.constantFrom<ConfigCommand>({ type: 'addVisibility', storeId: storeId(siteId), nameId }, { type: 'removeVisibility', storeId: storeId(siteId), nameId }),
      ),
      fc.record({ siteId: siteIds, value: fc.boolean() }).map(({ siteId, value }): ConfigCommand => ({ type: 'setIncludeTransactions', storeId: storeId(siteId), value })),
      fc.integer({ min: 400, max: 403 }).chain((siteId) =>
        fc.constantFrom<ConfigCommand>({ type: 'createSite', site: { siteId, name: `new-${siteId}`, code: 'N', kind: 'desktop' } }, { type: 'deleteSite', siteId }),
      ),
    ),
    { numRuns: SNAPSHOT_EVERY_VERSIONS * 3, seed: 11 },
  );
  let committed = 0;
  for (const step of steps) {
    if (!(await writer.apply(command(step), 'test')).ok) continue;
    committed++;
    // The background step, as its schedule would run it now and then.
    if (committed % 10 === 0) await writer.writeSnapshotIfDue(60_000);
    if (committed % 17 === 0) {
      const full = await fullLoad(own);
      expect(await coldStore(own).load()).toEqual(full);
      const cold = await coldStore(own).current();
      // Only the binding made after the snapshot is missing from a snapshot older than it.
      const pointer = await snapshots.pointer();
      if (pointer!.version > 1) expect(cold).toEqual(full);
      else expect({ ...cold, sites: { ...cold.sites, '7': full.sites['7'] } }).toEqual(full);
    }
  }
  expect(committed).toBeGreaterThan(SNAPSHOT_EVERY_VERSIONS + 5);
  const pointer = await snapshots.pointer();
  expect(pointer!.version).toBeGreaterThanOrEqual(SNAPSHOT_EVERY_VERSIONS);
  // The snapshot of two snapshots ago is deleted; the one before the current is kept.
  if (pointer!.previous && pointer!.previous.version > 1) expect(await snapshotChunkExists(own, imported)).toBe(false);
  expect(await coldStore(own).current()).toEqual(await fullLoad(own));
});

async function snapshotChunkExists(own: Awaited<ReturnType<typeof createTestResources>>, { version, id }: { version: number; id: string }): Promise<boolean> {
  const response = await own.db.send(new GetCommand({ TableName: own.tables.config, Key: configKeys.snapshotChunk(version, id, 0) }));
  return response.Item !== undefined;
}

test('a snapshot is used only when published whole: a writer stopped between chunks, a chunk gone or altered', async () => {
  const { own, writer } = await fleetTable(60);
  await writer.apply(command({ type: 'updateSite', siteId: 3, changes: { code: 'BEFORE' } }), 'test');
  const config = await fullLoad(own);
  const small = 100;

  // The writer stops after its first batch of chunks: the pointer still names the import's snapshot.
  const raw = new DynamoDBClient({});
  let batches = 0;
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchWriteItemCommand' && ++batches > 1) throw new Error('stopped');
      return next(args);
    },
    { step: 'initialize', name: 'stopAfterOneBatch' },
  );
  const stopping = new ConfigSnapshots(DynamoDBDocumentClient.from(raw), own.tables.config, () => new Date(), small);
  await expect(stopping.write(config)).rejects.toThrow('stopped');
  expect((await new ConfigSnapshots(own.db, own.tables.config).pointer())?.version).toBe(1);
  expect(await coldStore(own).current()).toEqual(config);

  // A snapshot of many chunks, published: read whole.
  const written = await new ConfigSnapshots(own.db, own.tables.config, () => new Date(), small).write(config);
  expect(written).toMatchObject({ version: config.version, published: true });
  expect(written.chunks).toBeGreaterThan(8);
  expect(await new ConfigSnapshots(own.db, own.tables.config).read()).toEqual(config);
  await writer.apply(command({ type: 'updateSite', siteId: 4, changes: { code: 'AFTER' } }), 'test');
  expect(await coldStore(own).current()).toEqual(await fullLoad(own));

  // An altered chunk, then a missing one: the snapshot is ignored and the load reads every item.
  const key = configKeys.snapshotChunk(config.version, (await new ConfigSnapshots(own.db, own.tables.config).pointer())!.id, 3);
  const chunk = (await own.db.send(new GetCommand({ TableName: own.tables.config, Key: key }))).Item!;
  const altered = Buffer.from(chunk.data as Uint8Array);
  altered[10] = altered[10]! ^ 0xff;
  await own.db.send(new PutCommand({ TableName: own.tables.config, Item: { ...chunk, data: altered } }));
  expect(await new ConfigSnapshots(own.db, own.tables.config).read()).toBeUndefined();
  expect(await coldStore(own).current()).toEqual(await fullLoad(own));
  await own.db.send(new DeleteCommand({ TableName: own.tables.config, Key: key }));
  expect(await new ConfigSnapshots(own.db, own.tables.config).read()).toBeUndefined();
  expect(await coldStore(own).current()).toEqual(await fullLoad(own));
  // An older snapshot, or another of the same version, never replaces the one published.
  expect(await new ConfigSnapshots(own.db, own.tables.config).write({ ...config, version: 1 })).toMatchObject({ published: false });
  expect(await new ConfigSnapshots(own.db, own.tables.config).write(config)).toMatchObject({ published: false });
  expect((await new ConfigSnapshots(own.db, own.tables.config).pointer())?.version).toBe(config.version);
});

test('site calls trust a version read less than a second old; a change committed in the same process is seen at once', async () => {
  const { own, writer } = await fleetTable(10);
  const counting = countingClient();
  const reader = new ConfigStore(counting.db, own.tables.config);
  await reader.current({ maxAgeMs: SITE_CALL_CONFIG_MAX_AGE_MS });
  counting.count.items = 0;
  for (let i = 0; i < 5; i++) await reader.current({ maxAgeMs: 60_000 });
  expect(counting.count.items).toBe(0);
  // Without a maximum age (the admin API, background work) every call reads the version.
  await reader.current();
  expect(counting.count.items).toBe(1);
  await writer.apply(command({ type: 'updateSite', siteId: 3, changes: { code: 'SEEN' } }), 'test');
  expect((await reader.current({ maxAgeMs: 60_000 })).sites['3']?.code).toBe('SEEN');
});

test('a snapshot that cannot be written never fails the import; a later background step writes it', async () => {
  const own = await createTestResources();
  const raw = new DynamoDBClient({});
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      const items = (args.input as { RequestItems?: Record<string, Array<{ PutRequest?: { Item?: Record<string, { S?: string }> } }>> }).RequestItems;
      const chunk = Object.values(items ?? {}).flat().some((request) => request.PutRequest?.Item?.pk?.S?.startsWith('snapshot#'));
      if (context.commandName === 'BatchWriteItemCommand' && chunk) throw new Error('no snapshots today');
      return next(args);
    },
    { step: 'serialize', name: 'refuseSnapshots', priority: 'low' },
  );
  const failing = new ConfigStore(DynamoDBDocumentClient.from(raw), own.tables.config);
  expect(await importConfigFile(failing, fleetConfigFile(8, () => false), 'test')).toMatchObject({ ok: true });
  expect(await new ConfigSnapshots(own.db, own.tables.config).pointer()).toBeUndefined();
  expect(await failing.apply(command({ type: 'updateSite', siteId: 3, changes: { code: 'STANDS' } }), 'test')).toMatchObject({ ok: true });
  // The background step fails the same way: nothing is published, and it is still due.
  await expect(failing.writeSnapshotIfDue(60_000)).rejects.toThrow('no snapshots today');
  expect(await new ConfigSnapshots(own.db, own.tables.config).pointer()).toBeUndefined();
  const cold = await coldStore(own).current();
  expect(cold.sites['3']?.code).toBe('STANDS');
  expect(cold).toEqual(await fullLoad(own));
  // The next step (its failed predecessor gave its claim up) writes it.
  expect(await coldStore(own).writeSnapshotIfDue(60_000)).toMatchObject({ done: 'written', due: 'none', snapshot: { version: 2, published: true } });
  expect(await new ConfigSnapshots(own.db, own.tables.config).read()).toEqual(await fullLoad(own));
});
