/**
 * `npm run bench -- --fleet [--fleet-sizes 1000,10000,40000]`: the central server at fleet size.
 * For each size (remote sites, one active store each, plus SUPPLIERS supplier stores on the
 * central site; bench/fleet-config.ts):
 *  - configuration: import of the whole file (passwords hashed) and of the configured records,
 *    a full load (every item), a cold load (the snapshot the import wrote), one change and the
 *    reload after it, a cold load 21 changes past the snapshot, and writing a snapshot (on a
 *    DynamoDB Local of its own);
 *  - routing CPU per record: `destinations` in process over many records, so the figure is free
 *    of I/O; the index build apart;
 *  - on the local server (in process): a site pushes 100 records, then asks `site_status` until
 *    idle (push-to-idle); its neighbour pulls them (pull latency); an idle sync of the faithful
 *    client (lib/remote-site) for a connection's cost; capacity units and requests per record and
 *    per connection as DynamoDB Local reports them; process memory.
 * Prints figures and their ratio to the first size. Nothing here asserts a time.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../functions/commons/clients';
import { configLookup } from '../functions/domain/config/lookup';
import type { SyncConfig } from '../functions/domain/config/model';
import { applyCommand } from '../functions/domain/config/operations';
import { destinations } from '../functions/domain/sync/routing';
import type { Placement } from '../functions/domain/sync/placement';
import { writeConfiguredRecords } from '../functions/services/configured-records';
import { DynamoCentralCopy } from '../functions/storage/central-copy';
import { DynamoChangeLog } from '../functions/storage/change-log';
import { ConfigStore, SNAPSHOT_EVERY_VERSIONS } from '../functions/storage/config-store';
import { importConfigFile } from '../functions/storage/config-import';
import { DynamoOutgoingQueue } from '../functions/storage/outgoing-queue';
import { RemoteSite } from '../lib/remote-site/client';
import { startDynamoDbLocal } from '../lib/local/dynamodb-local';
import { startLocalServer, useLocalAwsEnvironment } from '../lib/local/local-server';
import { provisionTables } from '../lib/local/provision';
import { seconds, v5SiteHeaders } from './bench-support';
import { countCapacity, emptyCount, type CapacityCount } from './fleet-capacity';
import { fleetConfigFile, neighbour, remoteSiteIds, siteName, sitePassword, storeId, storeNameId, SUPPLIERS, supplierNameId } from './fleet-config';

const PUSH_RECORDS = 100;
/** BENCH_FLEET_ONLY=configuration: import, load, change, reload and routing only (no records, no server). */
const configurationOnly = process.env.BENCH_FLEET_ONLY === 'configuration';
/** Calls answered 500 while functions were still loading the configuration for the first time. */
const COLD_ATTEMPTS = 20;
let coldRetries = 0;
const ROUTED_RECORDS = 20_000;
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;
const FIXTURES = path.join(__dirname, '..', '..', 'shared', 'fixtures', 'legacy-records');

interface FleetFigures {
  sites: number;
  importSeconds: number;
  configuredRecordsSeconds: number;
  configItems: number;
  fullLoadMs: number;
  coldLoadMs: number;
  coldLoadAfterChangesMs: number;
  snapshotWriteMs: number;
  /** The change that makes a snapshot due (50 versions past the published one): before 2026-11-29 it also wrote the snapshot. */
  dueChangeMs: number;
  snapshotChunks: number;
  snapshotKb: number;
  changeMs: number;
  reloadAfterChangeMs: number;
  indexBuildMs: number;
  routingMicrosPerRecord: number;
  routingDestinationsPerRecord: number;
  dispensaryOnlyMicros: number;
  serverStartSeconds: number;
  coldPushToIdleSeconds: number;
  coldRetries: number;
  pushSeconds: number;
  closingToIdleSeconds: number;
  pushToIdleSeconds: number;
  pullMs: number;
  emptyPullMs: number;
  idleSyncMs: number;
  idleSyncCalls: number;
  perRecord: CapacityCount;
  perConnection: CapacityCount;
  rssMb: number;
  heapMb: number;
}

const transactTemplate = (JSON.parse(readFileSync(path.join(FIXTURES, 'transact.json'), 'utf8')) as Array<{ recordData?: Record<string, unknown> }>).find(
  (record) => record.recordData,
)!.recordData!;

/** Which sites get a password in the file: every one (the operator's file), or the few the bench logs in as. */
export type PasswordPlan = 'every' | 'generated';

function v5Client(baseUrl: string, name: string, password: string) {
  const headers = v5SiteHeaders(name, password, `fleet-${name}`);
  const call = async (method: string, route: string, body?: unknown): Promise<any> => {
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${baseUrl}/sync/v5/${route}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await response.text();
      // A function whose first (full) configuration load outlasts its timeout answers 500; the
      // client tries again, and the load it started has filled its cache by then.
      if (response.status >= 500 && attempt < COLD_ATTEMPTS) {
        coldRetries++;
        await sleep(2000);
        continue;
      }
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 300)}`);
      return JSON.parse(text);
    }
  };
  return { get: (route: string) => call('GET', route), post: (route: string, body: unknown) => call('POST', route, body) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (start: bigint) => seconds(start) * 1000;

/** Import, load, change, reload on a DynamoDB Local of its own; returns the loaded configuration. */
async function measureConfiguration(sites: number, plan: PasswordPlan, log: (line: string) => void) {
  const dynamo = await startDynamoDbLocal({});
  try {
    useLocalAwsEnvironment(dynamo.endpoint, 'http://127.0.0.1:1');
    const raw = new DynamoDBClient({});
    const tables = await provisionTables(raw, 'fleet-');
    const db = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
    const store = new ConfigStore(db, tables.config);
    const file = fleetConfigFile(sites, () => plan === 'every');
    let start = process.hrtime.bigint();
    const imported = await importConfigFile(store, file, 'bench', { generatePasswords: plan === 'generated' });
    if (!imported.ok) throw new Error(`import: ${imported.message}`);
    const importSeconds = seconds(start);
    log(`  import: ${importSeconds.toFixed(1)} s`);

    start = process.hrtime.bigint();
    let config = await store.loadInFull();
    const fullLoadMs = ms(start);
    // A function's first call: the snapshot the import published (no change since).
    start = process.hrtime.bigint();
    const cold = await new ConfigStore(db, tables.config).current();
    const coldLoadMs = ms(start);
    if (cold.version !== config.version || Object.keys(cold.sites).length !== Object.keys(config.sites).length) throw new Error('the cold load differs from the full load');
    start = process.hrtime.bigint();
    if (!configurationOnly)
      await writeConfiguredRecords(
        {
          centralCopy: new DynamoCentralCopy(db, tables.records),
          changeLog: new DynamoChangeLog(db, tables.changeLog),
          outgoing: new DynamoOutgoingQueue(db, { syncOut: tables.syncOut, siteState: tables.siteState }),
        },
        config,
      );
    const configuredRecordsSeconds = configurationOnly ? NaN : seconds(start);
    log(`  configured records: ${configuredRecordsSeconds.toFixed(1)} s; full load ${fullLoadMs.toFixed(0)} ms`);

    // One ordinary change by a warm writer, then what a function that cached the configuration pays to catch up.
    await store.current();
    const reader = new ConfigStore(db, tables.config);
    await reader.current();
    start = process.hrtime.bigint();
    const changed = await store.apply((current) => applyCommand(current, { type: 'updateSite', siteId: 2, changes: { code: 'CHANGED' } }), 'bench');
    if (!changed.ok) throw new Error(`change: ${changed.message}`);
    const changeMs = ms(start);
    start = process.hrtime.bigint();
    config = await reader.current();
    const reloadAfterChangeMs = ms(start);
    if (config.sites['2']?.code !== 'CHANGED') throw new Error('the reload after a change did not see it');
    // 20 more changes: a cold load then reads the snapshot and 21 change entries.
    for (let i = 0; i < 20; i++) {
      const more = await store.apply((current) => applyCommand(current, { type: 'updateSite', siteId: 3 + i, changes: { code: `C${i}` } }), 'bench');
      if (!more.ok) throw new Error(`change: ${more.message}`);
    }
    start = process.hrtime.bigint();
    const coldAfterChanges = await new ConfigStore(db, tables.config).current();
    const coldLoadAfterChangesMs = ms(start);
    if (coldAfterChanges.sites['22']?.code !== 'C19') throw new Error('the cold load did not see the changes after the snapshot');
    // On to the change that makes a snapshot due; the background step then writes it.
    let dueChangeMs = NaN;
    for (let i = 0; (await store.snapshotDue()) === undefined; i++) {
      start = process.hrtime.bigint();
      const more = await store.apply((current) => applyCommand(current, { type: 'updateSite', siteId: 3 + (i % 20), changes: { code: `D${i}` } }), 'bench');
      if (!more.ok) throw new Error(`change: ${more.message}`);
      dueChangeMs = ms(start);
    }
    // Due 50 versions past the import's snapshot (version 1), and not written by the change.
    if ((await store.current()).version !== 1 + SNAPSHOT_EVERY_VERSIONS) throw new Error('the snapshot was due at another version');
    start = process.hrtime.bigint();
    const step = await store.writeSnapshotIfDue(300_000);
    if (step.done !== 'written' || !step.snapshot.published) throw new Error(`the background step wrote no snapshot: ${step.done}`);
    const snapshot = step.snapshot;
    const snapshotWriteMs = ms(start);
    const configItems = sites * 2 + SUPPLIERS + 2 + Object.values(config.visibility).reduce((sum, names) => sum + names.length, 0);
    return {
      config,
      importSeconds,
      configuredRecordsSeconds,
      fullLoadMs,
      coldLoadMs,
      coldLoadAfterChangesMs,
      snapshotWriteMs,
      dueChangeMs,
      snapshotChunks: snapshot.chunks,
      snapshotKb: snapshot.bytes / 1024,
      changeMs,
      reloadAfterChangeMs,
      configItems,
    };
  } finally {
    await dynamo.stop();
  }
}

/** Routing CPU in process: the index build, then `destinations` over many records. */
function measureRouting(config: SyncConfig, sites: number) {
  // Indexes are built on first use: force every one (every store's holders) to time them all.
  let start = process.hrtime.bigint();
  const lookup = configLookup(config);
  void [lookup.siteById, lookup.storeByNameId, lookup.activeStoresBySite, lookup.dispensarySiteIds, lookup.storesSeeingName, lookup.holdingsBySite];
  const indexBuildMs = ms(start);
  const remote = remoteSiteIds(sites);
  const placements: Array<[string, Placement]> = [];
  for (let i = 0; i < ROUTED_RECORDS; i++) {
    const siteId = remote[(i * 7919) % remote.length]!;
    const kind = i % 4;
    if (kind === 0) placements.push(['transact', { dataClass: 'store', flags: [], storeId: storeId(siteId), counterpartNameId: 'BENCH_CUSTOMER' }]);
    else if (kind === 1) placements.push(['transact', { dataClass: 'store', flags: [], storeId: storeId(siteId), counterpartNameId: storeNameId(neighbour(siteId, sites)) }]);
    else if (kind === 2) placements.push(['requisition', { dataClass: 'store', flags: [], storeId: storeId(siteId), counterpartNameId: supplierNameId(siteId % SUPPLIERS) }]);
    else placements.push(['name', { dataClass: 'patient', flags: [], storeId: storeId(siteId), patientId: storeNameId(neighbour(siteId, sites)) }]);
  }
  let destinationCount = 0;
  start = process.hrtime.bigint();
  for (const [tableName, placement] of placements) destinationCount += destinations(tableName, placement, config).siteIds.length;
  const routingMicrosPerRecord = (ms(start) * 1000) / ROUTED_RECORDS;
  // Dispensary-only central data goes to every site with a dispensary: its cost follows that list.
  start = process.hrtime.bigint();
  for (let i = 0; i < 100; i++) destinations('item', { dataClass: 'central', flags: ['dispensaryOnly'] }, config);
  const dispensaryOnlyMicros = (ms(start) * 1000) / 100;
  return { indexBuildMs, routingMicrosPerRecord, routingDestinationsPerRecord: destinationCount / ROUTED_RECORDS, dispensaryOnlyMicros };
}

/** Push-to-idle, pull latency, an idle sync's cost and memory on the local server. */
async function measureServer(sites: number, log: (line: string) => void) {
  const directory = mkdtempSync(path.join(tmpdir(), 'fleet-'));
  const configFile = path.join(directory, 'fleet.json');
  const pusherId = 2;
  const pullerId = neighbour(pusherId, sites);
  const idleId = remoteSiteIds(sites).at(-1)!;
  const loggedIn = new Set([pusherId, pullerId, idleId]);
  writeFileSync(configFile, JSON.stringify(fleetConfigFile(sites, (siteId) => loggedIn.has(siteId))));
  let start = process.hrtime.bigint();
  const server = await startLocalServer({ inMemory: true, port: 0, configFile, demoDataFile: null, log: (line) => (/fail|error/i.test(line) ? log(`  [server] ${line}`) : undefined) });
  const serverStartSeconds = seconds(start);
  log(`  local server started (import included): ${serverStartSeconds.toFixed(1)} s`);
  const count = { current: emptyCount() };
  countCapacity(dynamoDb(), count);
  try {
    const pusher = v5Client(server.url, siteName(pusherId), sitePassword(pusherId));
    const puller = v5Client(server.url, siteName(pullerId), sitePassword(pullerId));
    for (const site of [pusher, puller]) {
      await site.post('initialise', {});
      for (;;) {
        const page = await site.get('queued_records?limit=500');
        if (page.data.length === 0) break;
        await site.post('acknowledged_records', { syncIDs: page.data.map((record: { syncOutId: string }) => record.syncOutId) });
      }
    }

    // --- push-to-idle: the client's push of one batch, its closing call, then site_status every 100 ms
    const records = (prefix: string, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        syncOutId: String(i + 1),
        tableName: 'transact',
        recordId: `${prefix}-${i}`,
        action: 'update',
        recordData: { ...transactTemplate, ID: `${prefix}-${i}`, store_ID: storeId(pusherId), name_ID: 'BENCH_CUSTOMER' },
      }));
    const pushToIdle = async (data: ReturnType<typeof records>) => {
      const pushStart = process.hrtime.bigint();
      await pusher.post('queued_records', { queueLength: data.length, data });
      const closing = await pusher.post('queued_records', { queueLength: 0, data: [] });
      if (closing.integrationStarted !== true) throw new Error('the closing push did not answer integrationStarted: true');
      const pushed = seconds(pushStart);
      const idleStart = process.hrtime.bigint();
      for (;;) {
        if ((await pusher.get('site_status')).code === 'idle') break;
        if (ms(idleStart) > IDLE_TIMEOUT_MS) throw new Error('site_status never became idle');
        await sleep(100);
      }
      return { pushSeconds: pushed, closingToIdleSeconds: seconds(idleStart), pushToIdleSeconds: seconds(pushStart) };
    };
    // The first push after start also pays each function's first (full) configuration load.
    const coldPushToIdleSeconds = (await pushToIdle(records('fleet-warm', 1))).pushToIdleSeconds;
    const warmUp = await puller.get('queued_records?limit=500');
    await puller.post('acknowledged_records', { syncIDs: warmUp.data.map((record: { syncOutId: string }) => record.syncOutId) });
    count.current = emptyCount();
    const { pushSeconds, closingToIdleSeconds, pushToIdleSeconds } = await pushToIdle(records('fleet-push', PUSH_RECORDS));

    // --- pull latency: the neighbour (a collector of the pusher's store) pulls what was routed to it
    start = process.hrtime.bigint();
    const page = await puller.get('queued_records?limit=500');
    const pullMs = ms(start);
    if (page.data.length < PUSH_RECORDS) throw new Error(`the neighbour pulled ${page.data.length} records, expected ${PUSH_RECORDS}`);
    await puller.post('acknowledged_records', { syncIDs: page.data.map((record: { syncOutId: string }) => record.syncOutId) });
    const perRecord = scaled(count.current, PUSH_RECORDS);
    const emptyPulls: number[] = [];
    for (let i = 0; i < 5; i++) {
      start = process.hrtime.bigint();
      await puller.get('queued_records?limit=500');
      emptyPulls.push(ms(start));
    }

    // --- a connection with nothing to do: the faithful client's whole sync, once initialised
    const idleSite = new RemoteSite({ baseUrl: server.url, siteName: siteName(idleId), password: sitePassword(idleId), hardwareId: `fleet-${idleId}`, timeScale: 0.05 });
    for (let attempt = 1; ; attempt++) {
      try {
        await idleSite.sync();
        break;
      } catch (error) {
        if (attempt >= COLD_ATTEMPTS) throw error;
        coldRetries++;
        await sleep(2000);
      }
    }
    count.current = emptyCount();
    // Each HTTP call is one function invocation: their number and time give Lambda's concurrency.
    // (The faithful client calls node:http directly.)
    const realRequest = http.request;
    let idleSyncCalls = 0;
    (http as { request: typeof http.request }).request = ((...args: Parameters<typeof http.request>) => {
      idleSyncCalls++;
      return realRequest(...args);
    }) as typeof http.request;
    start = process.hrtime.bigint();
    try {
      await idleSite.sync();
    } finally {
      (http as { request: typeof http.request }).request = realRequest;
    }
    const idleSyncMs = ms(start);
    const perConnection = count.current;

    const memory = process.memoryUsage();
    return {
      serverStartSeconds,
      coldPushToIdleSeconds,
      coldRetries,
      pushSeconds,
      closingToIdleSeconds,
      pushToIdleSeconds,
      pullMs,
      emptyPullMs: median(emptyPulls),
      idleSyncMs,
      idleSyncCalls,
      perRecord,
      perConnection,
      rssMb: memory.rss / 2 ** 20,
      heapMb: memory.heapUsed / 2 ** 20,
    };
  } finally {
    await server.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

function scaled(count: CapacityCount, by: number): CapacityCount {
  return {
    requests: count.requests / by,
    readUnits: count.readUnits / by,
    writeUnits: count.writeUnits / by,
    byCommand: Object.fromEntries(
      Object.entries(count.byCommand).map(([name, c]) => [name, { requests: c.requests / by, readUnits: c.readUnits / by, writeUnits: c.writeUnits / by }]),
    ),
  };
}

/** One size, in this process (fresh clients and memory figures of its own). */
async function measureSize(sites: number, plan: PasswordPlan): Promise<FleetFigures> {
  const log = (line: string) => console.log(line);
  const configuration = await measureConfiguration(sites, plan, log);
  const routing = measureRouting(configuration.config, sites);
  const server = configurationOnly ? {} : await measureServer(sites, log);
  const { config: _config, ...configurationFigures } = configuration;
  return { sites, ...configurationFigures, ...routing, ...server } as FleetFigures;
}

/**
 * Each size runs in a process of its own: the functions' AWS clients are made once per process
 * for one endpoint, as in Lambda, and memory is then the size's alone.
 */
export async function runFleet(sizes: readonly number[], plan: PasswordPlan = 'generated'): Promise<FleetFigures[]> {
  const figures: FleetFigures[] = [];
  const directory = mkdtempSync(path.join(tmpdir(), 'fleet-figures-'));
  try {
    for (const sites of sizes) {
      const started = process.hrtime.bigint();
      console.log(`\nFleet of ${sites} sites (${plan === 'every' ? 'every password in the file' : 'passwords generated by the import'})`);
      const out = path.join(directory, `${sites}.json`);
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, [...process.execArgv, __filename], {
          stdio: 'inherit',
          env: { ...process.env, BENCH_FLEET_ONE: String(sites), BENCH_FLEET_PASSWORDS: plan, BENCH_FLEET_OUT: out },
        });
        child.once('error', reject);
        child.once('exit', resolve);
      });
      if (code !== 0) throw new Error(`the fleet of ${sites} sites failed (exit ${code})`);
      const row = JSON.parse(readFileSync(out, 'utf8')) as FleetFigures;
      figures.push(row);
      print(row, figures[0]!);
      console.log(`  (this size took ${seconds(started).toFixed(0)} s to measure)`);
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  return figures;
}

function print(row: FleetFigures, base: FleetFigures) {
  const ratio = (key: keyof FleetFigures) => (row === base ? '' : `  (${((row[key] as number) / (base[key] as number)).toFixed(2)}x vs ${base.sites})`);
  const line = (label: string, key: keyof FleetFigures, unit: string, digits = 1) => {
    const value = row[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) return;
    console.log(`  ${label.padEnd(44)} ${value.toFixed(digits).padStart(10)} ${unit}${ratio(key)}`);
  };
  line('configuration import (hashing included)', 'importSeconds', 's');
  line('configured store and user records', 'configuredRecordsSeconds', 's');
  line('configuration items', 'configItems', '', 0);
  line('full configuration load (every item)', 'fullLoadMs', 'ms', 0);
  line('cold load: the snapshot the import wrote', 'coldLoadMs', 'ms', 0);
  line('cold load: snapshot + 21 changes since', 'coldLoadAfterChangesMs', 'ms', 0);
  line('the 50th change (a snapshot due after it)', 'dueChangeMs', 'ms', 0);
  line('background step: writing that snapshot', 'snapshotWriteMs', 'ms', 0);
  line('snapshot chunks', 'snapshotChunks', '', 0);
  line('snapshot size (compressed)', 'snapshotKb', 'KB', 0);
  line('one change (update a site)', 'changeMs', 'ms', 0);
  line('reload after that change (cached reader)', 'reloadAfterChangeMs', 'ms', 0);
  line('every routing index, every store (on first use)', 'indexBuildMs', 'ms', 0);
  line('routing CPU per record', 'routingMicrosPerRecord', 'µs', 2);
  line('destinations per routed record', 'routingDestinationsPerRecord', '', 2);
  line('dispensary-only central record (all dispensaries)', 'dispensaryOnlyMicros', 'µs', 0);
  line('first push-to-idle after start (1 record)', 'coldPushToIdleSeconds', 's', 2);
  line('calls retried after a cold function timed out', 'coldRetries', '', 0);
  line('push of 100 records (push + closing call)', 'pushSeconds', 's', 2);
  line('closing call -> site_status idle', 'closingToIdleSeconds', 's', 2);
  line('push-to-idle, 100 records', 'pushToIdleSeconds', 's', 2);
  line('pull of 100 routed records', 'pullMs', 'ms', 0);
  line('empty pull (median of 5)', 'emptyPullMs', 'ms', 0);
  line('idle sync of the faithful client', 'idleSyncMs', 'ms', 0);
  line('HTTP calls in that sync (function invocations)', 'idleSyncCalls', '', 0);
  line('process RSS after the run', 'rssMb', 'MiB', 0);
  line('process heap used', 'heapMb', 'MiB', 0);
  const units = (count: CapacityCount) =>
    `${count.requests.toFixed(2)} requests, ${count.readUnits.toFixed(2)} RCU, ${count.writeUnits.toFixed(2)} WCU`;
  if (row.perRecord) console.log(`  per pushed record (push, route, pull, acknowledge): ${units(row.perRecord)}`);
  if (row.perConnection) {
    console.log(`  per idle connection (a whole sync, nothing to move): ${units(row.perConnection)}, ${row.perConnection.configVersionReads ?? 0} of them reads of the configuration version`);
    for (const [command, c] of Object.entries(row.perConnection.byCommand)) console.log(`    ${command.padEnd(28)} ${units({ ...c, byCommand: {} })}`);
  }
}

if (require.main === module) {
  const plan = (process.env.BENCH_FLEET_PASSWORDS as PasswordPlan | undefined) ?? 'generated';
  const one = process.env.BENCH_FLEET_ONE;
  const run = one
    ? measureSize(Number(one), plan).then((row) => writeFileSync(process.env.BENCH_FLEET_OUT!, JSON.stringify(row)))
    : runFleet((process.env.BENCH_FLEET_SIZES ?? '1000,10000,40000').split(',').map(Number), plan);
  run.catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
