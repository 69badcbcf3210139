/**
 * The configuration snapshot is written in the background, never inside a change (DynamoDB
 * Local): a change past the threshold answers without writing one; the scheduled step writes it
 * and a cold load then reads it; a step that dies (its claim left behind, or its chunks refused)
 * leaves the snapshot due and a later step writes it; while the snapshot lags, cold loads stay
 * equal to a load of every item.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { applyCommand, type ConfigCommand, type SyncConfig } from '../../functions/domain/config';
import { createSnapshotConfigHandler } from '../../functions/handlers/snapshot-config';
import { ConfigSnapshots } from '../../functions/storage/config-snapshot';
import { ConfigStore, SNAPSHOT_EVERY_VERSIONS } from '../../functions/storage/config-store';
import { importConfigFile } from '../../functions/storage/config-import';
import { fleetConfigFile, storeId } from '../../bench/fleet-config';
import { createTestResources } from '../support/stand-ins';

type Resources = Awaited<ReturnType<typeof createTestResources>>;

const command = (c: ConfigCommand) => (config: SyncConfig) => applyCommand(config, c);
const context = { getRemainingTimeInMillis: () => 60_000, functionName: 'snapshotConfig', awsRequestId: 'test' } as unknown as Context;

/**
 * A client that records every request touching a snapshot (chunks or pointer), counts the items
 * DynamoDB returns, and refuses chunk writes while `refuseChunks` is set.
 */
function watchedClient() {
  const raw = new DynamoDBClient({});
  const seen = { snapshotWrites: 0, items: 0, refuseChunks: false };
  raw.middlewareStack.add(
    (next, ctx) => async (args) => {
      const input = args.input as { RequestItems?: Record<string, Array<{ PutRequest?: { Item?: Record<string, { S?: string }> } }>>; Key?: Record<string, { S?: string }> };
      const chunks = Object.values(input.RequestItems ?? {}).flat().some((request) => request.PutRequest?.Item?.pk?.S?.startsWith('snapshot#'));
      const pointer = input.Key?.pk?.S === 'config' && input.Key?.sk?.S === 'snapshot' && ctx.commandName !== 'GetItemCommand';
      if (chunks || pointer) seen.snapshotWrites++;
      if (chunks && seen.refuseChunks) throw new Error('chunks refused');
      const result = await next(args);
      const output = (result.output ?? {}) as { Items?: unknown[]; Item?: unknown; Responses?: Record<string, unknown[]> };
      seen.items += (output.Items?.length ?? 0) + (output.Item ? 1 : 0) + Object.values(output.Responses ?? {}).reduce((sum, items) => sum + items.length, 0);
      return result;
    },
    { step: 'serialize', name: 'watchSnapshots', priority: 'low' },
  );
  return { db: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }), seen };
}

async function fleetTable(sites: number, file = fleetConfigFile(sites, () => false)) {
  const own = await createTestResources();
  const imported = await importConfigFile(new ConfigStore(own.db, own.tables.config), file, 'test');
  if (!imported.ok) throw new Error(imported.message);
  return own;
}

/** `count` ordinary changes, each committed. */
async function changeSites(store: ConfigStore, count: number, tag: string) {
  for (let i = 0; i < count; i++) {
    const result = await store.apply(command({ type: 'updateSite', siteId: 2 + (i % 20), changes: { code: `${tag}${i}` } }), 'test');
    if (!result.ok) throw new Error(result.message);
  }
}

const fullLoad = (own: Resources) => new ConfigStore(own.db, own.tables.config).loadInFull();
const pointerVersion = async (own: Resources) => (await new ConfigSnapshots(own.db, own.tables.config).pointer())?.version;

test('a change past the threshold answers without writing a snapshot; the background step writes it and a cold load reads it', async () => {
  const own = await fleetTable(40);
  expect(await pointerVersion(own)).toBe(1);
  const watched = watchedClient();
  const writer = new ConfigStore(watched.db, own.tables.config);
  await changeSites(writer, SNAPSHOT_EVERY_VERSIONS, 'P');
  // Version 51 is 50 past the import's snapshot: due, and not one snapshot write during the changes.
  expect(watched.seen.snapshotWrites).toBe(0);
  expect(await pointerVersion(own)).toBe(1);
  expect(await writer.snapshotDue()).toBe('behind');

  const handler = createSnapshotConfigHandler({ store: new ConfigStore(own.db, own.tables.config) });
  expect(await handler({ source: 'aws.events', detail: {} }, context)).toMatchObject({ done: 'written', due: 'behind', snapshot: { version: 1 + SNAPSHOT_EVERY_VERSIONS, published: true } });
  expect(await pointerVersion(own)).toBe(1 + SNAPSHOT_EVERY_VERSIONS);

  // A cold load reads the pointer, the chunk and the version item: not the fleet's items nor 50 change entries.
  const cold = watchedClient();
  expect(await new ConfigStore(cold.db, own.tables.config).current()).toEqual(await fullLoad(own));
  expect(cold.seen.items).toBeLessThanOrEqual(4);
  expect(await handler({ detail: {} }, context)).toEqual({ done: 'not_due' });
  // One change since, listed in its entry: not due.
  await changeSites(writer, 1, 'Q');
  expect(await handler({ detail: {} }, context)).toEqual({ done: 'not_due' });
});

test('a change too large to list its keys makes a snapshot due at once; the step writes it', async () => {
  // A store seeing 2,001 names: deleting it writes more items than a change entry lists.
  const file = fleetConfigFile(10, () => false);
  const names = Array.from({ length: 2001 }, (_, i) => ({ storeId: storeId(5), nameId: `CUSTOMER_${i}` }));
  const own = await fleetTable(10, { ...file, visibility: [...file.visibility!, ...names] });
  const writer = new ConfigStore(own.db, own.tables.config);
  for (const seer of [storeId(4), storeId(6), 'FLEET_SUPPLIER_5', 'FLEET_SUPPLIER_6', 'FLEET_SUPPLIER_1', 'FLEET_SUPPLIER_2']) {
    await writer.apply(command({ type: 'removeVisibility', storeId: seer, nameId: 'FLEET_NAME_5' }), 'test');
  }
  expect(await writer.snapshotDue()).toBeUndefined();
  expect(await writer.apply(command({ type: 'deleteStore', storeId: storeId(5) }), 'test')).toMatchObject({ ok: true });
  expect(await writer.snapshotDue()).toBe('large_change');
  const step = await new ConfigStore(own.db, own.tables.config).writeSnapshotIfDue(60_000);
  expect(step).toMatchObject({ done: 'written', due: 'large_change', snapshot: { published: true } });
  const cold = watchedClient();
  expect(await new ConfigStore(cold.db, own.tables.config).current()).toEqual(await fullLoad(own));
  expect(cold.seen.items).toBeLessThanOrEqual(4);
});

test('a step that dies holding its claim, or whose chunks are refused, leaves the snapshot due; a later step writes it', async () => {
  const own = await fleetTable(30);
  await changeSites(new ConfigStore(own.db, own.tables.config), SNAPSHOT_EVERY_VERSIONS + 2, 'C');

  // A writer claimed the work and died: later steps leave it alone until the claim lapses.
  let clock = Date.now();
  const now = () => new Date(clock);
  expect(await new ConfigSnapshots(own.db, own.tables.config, now).claim('dead-writer', clock + 60_000)).toBe(true);
  const step = () => new ConfigStore(own.db, own.tables.config, now).writeSnapshotIfDue(60_000);
  expect(await step()).toEqual({ done: 'claimed_elsewhere', due: 'behind' });
  expect(await pointerVersion(own)).toBe(1);

  // Past the claim, a step whose chunk writes fail: nothing published, its claim given up.
  clock += 61_000;
  const refusing = watchedClient();
  refusing.seen.refuseChunks = true;
  await expect(new ConfigStore(refusing.db, own.tables.config, now).writeSnapshotIfDue(60_000)).rejects.toThrow('chunks refused');
  expect(await pointerVersion(own)).toBe(1);
  // Meanwhile a cold load is the import's snapshot and the 52 change entries since: the same configuration.
  expect(await new ConfigStore(own.db, own.tables.config).current()).toEqual(await fullLoad(own));

  // The next step writes it.
  expect(await step()).toMatchObject({ done: 'written', due: 'behind', snapshot: { version: SNAPSHOT_EVERY_VERSIONS + 3, published: true } });
  expect(await new ConfigSnapshots(own.db, own.tables.config).read()).toEqual(await fullLoad(own));
});

test('while the snapshot lags far behind (many changes before the step runs) a cold load still equals a load of every item', async () => {
  const own = await fleetTable(30);
  // More than a cold load applies on top of a snapshot (100 change entries): it reads every item instead.
  await changeSites(new ConfigStore(own.db, own.tables.config), 2 * SNAPSHOT_EVERY_VERSIONS + 10, 'L');
  const lagging = watchedClient();
  expect(await new ConfigStore(lagging.db, own.tables.config).current()).toEqual(await fullLoad(own));
  // Bounded: one load of every item (30 sites: about 240 items) and the snapshot it could not use.
  const items = lagging.seen.items;
  expect(items).toBeGreaterThan(200);

  expect(await new ConfigStore(own.db, own.tables.config).writeSnapshotIfDue(60_000)).toMatchObject({ done: 'written', snapshot: { published: true } });
  const cold = watchedClient();
  expect(await new ConfigStore(cold.db, own.tables.config).current()).toEqual(await fullLoad(own));
  expect(cold.seen.items).toBeLessThanOrEqual(4);
  expect(cold.seen.items).toBeLessThan(items);
});

test('an older snapshot finishing late never replaces a newer one published meanwhile', async () => {
  const own = await fleetTable(20);
  const writer = new ConfigStore(own.db, own.tables.config);
  await changeSites(writer, 1, 'O');
  const older = await new ConfigStore(own.db, own.tables.config).load();
  await changeSites(writer, 2, 'N');
  expect(await new ConfigStore(own.db, own.tables.config).writeSnapshot()).toMatchObject({ version: 4, published: true });
  // A slow writer publishes what it read two versions ago: refused, its chunks deleted.
  expect(older.version).toBe(2);
  expect(await new ConfigSnapshots(own.db, own.tables.config).write(older)).toMatchObject({ version: 2, published: false });
  expect(await pointerVersion(own)).toBe(4);
  expect(await new ConfigStore(own.db, own.tables.config).current()).toEqual(await fullLoad(own));
});
