/**
 * End-to-end push benchmark: the whole central server in-process (`startLocalServer`, in memory),
 * K remote sites behaving as the Open mSupply client over HTTP (real-time waits: each sync pushes,
 * waits for site_status idle as the client does, 1 s polls, failing after 30 s, then pulls), one
 * collector relationship so store data fans out; a fifth of the workload goes through first, not
 * timed, so DynamoDB Local's JVM is warm for both the run and the floor (BENCH_WARM_UP). Also prints how long integration took after the
 * push (the server's own figure, and what each client's wait saw).
 *   BENCH_RECORDS (default 20000)   store records (legacy `transact`) pushed in total, spread over the sites
 *                                   (enough that the client's fixed waits, about 2 s a sync, do not set the rate)
 *   BENCH_BACKLOG (default 100000)  the large backlog of the pull-latency figure
 *   BENCH_WARM_UP (default 20)      percent of the workload sent first, not timed (0: none)
 *   BENCH_LATENCY_MS (default 0)    ms added before every DynamoDB request, the floor's too (a
 *                                   stand-in for the network to DynamoDB, where round trips set the pace)
 * Prints end-to-end records/s (push start to the last acknowledgement) and, per record and per
 * phase, DynamoDB requests, items written (how many in transactions), estimated write units and
 * items read; then the honest floor measured in the same run on the same DynamoDB Local (the
 * writes a correct sync of this workload needs: central copy, change log or queue entries,
 * deletes on acknowledgement, as plain BatchWriteItem, one and four requests in flight; the first
 * three times, the ratio also given to the median) and the ratio of the two; the same writes with the central copy's version guard (conditional puts, 25 to
 * a request, as a push stores records) for comparison; and the time of one pull with a 1,000-entry and a BENCH_BACKLOG-entry
 * backlog. Figures only: nothing here asserts a time. Run through `npm run bench`, or alone
 * with `tsx bench/push-e2e.ts`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../functions/commons/clients';
import { tableName } from '../functions/commons/environment';
import { sha256Hex } from '../functions/domain/config/credentials';
import type { RoutedRecord } from '../functions/domain/ports';
import { DynamoOutgoingQueue } from '../functions/storage/outgoing-queue';
import { forEachChunk } from '../functions/storage/parallel-chunks';
import { storedRecordData } from '../functions/storage/record-data';
import { DynamoSiteProgress } from '../functions/storage/site-progress';
import { startLocalServer } from '../lib/local/local-server';
import { RemoteSite, type SyncStep } from '../lib/remote-site/client';
import { addRequestLatency, adminClient, cpuMeter, describeCpu, envNumber, insertNew, meterDynamoDb, perRecord, seconds, type DynamoDbMeter } from './bench-support';

const FIXTURES = path.join(__dirname, '..', '..', 'shared', 'fixtures', 'legacy-records');
/** Remote sites pushing: the demo configuration's two, plus sites created through the admin API. */
const REMOTE_SITES = 10;
const BACKLOG_SITE_ID = 99;
const DRAIN_TIMEOUT_MS = 10 * 60 * 1000;
/** Runs of the floor with one request in flight (the target's floor): the ratio is to their median. */
const FLOOR_RUNS = 3;

interface LegacyRecord {
  tableName: string;
  recordId: string;
  action: string;
  recordData?: Record<string, unknown>;
}

const fixtures = (table: string): LegacyRecord[] =>
  (JSON.parse(readFileSync(path.join(FIXTURES, `${table}.json`), 'utf8')) as LegacyRecord[]).filter(
    (record) => record.action === 'update' && record.recordData !== undefined,
  );


export interface PushEndToEndOptions {
  readonly records?: number;
  readonly backlog?: number;
}

export async function runPushEndToEnd(options: PushEndToEndOptions = {}): Promise<void> {
  const records = options.records ?? envNumber('BENCH_RECORDS', 20_000);
  const backlog = options.backlog ?? envNumber('BENCH_BACKLOG', 100_000);
  const warmUpPercent = process.env.BENCH_WARM_UP === '0' ? 0 : envNumber('BENCH_WARM_UP', 20);
  const latencyMs = process.env.BENCH_LATENCY_MS ? envNumber('BENCH_LATENCY_MS', 1) : 0;
  const centralRecords = Math.max(100, Math.round(records / 10));
  const serverLog: string[] = [];
  const server = await startLocalServer({
    inMemory: true,
    port: 0,
    log: (line) => {
      serverLog.push(line);
      if (/fail|error/i.test(line)) console.log(`  [server] ${line}`);
    },
  });
  try {
    addRequestLatency(dynamoDb(), latencyMs);
    const meter = meterDynamoDb(dynamoDb());
    const admin = adminClient(server);

    // --- sites: the demo's two remote sites (stores B and C) and more, each with an active store.
    const sites: Array<{ siteId: number; name: string; password: string; storeId: string }> = [
      { siteId: 2, name: 'remote-site-1', password: passwordOf(server.sitePasswords, 'remote-site-1'), storeId: 'STORE_B' },
      { siteId: 3, name: 'remote-site-2', password: passwordOf(server.sitePasswords, 'remote-site-2'), storeId: 'STORE_C' },
    ];
    for (let siteId = 4; sites.length < REMOTE_SITES; siteId++) {
      const site = { siteId, name: `bench-site-${siteId}`, password: `bench-site-${siteId}-pass`, storeId: `STORE_S${siteId}` };
      await admin('POST', '/sites', { siteId, name: site.name, code: `BS${siteId}`, kind: 'desktop', password: site.password });
      await admin('POST', '/stores', { id: site.storeId, code: `S${siteId}`, name: `Bench store ${siteId}`, nameId: `NAME_${site.storeId}`, activeSiteId: siteId });
      sites.push(site);
    }
    // One collector relationship: everything of store B (active on remote-site-1) also goes to remote-site-2.
    const collector = { storeId: 'STORE_B', siteId: 3 };
    await admin('PUT', `/stores/${collector.storeId}/sync-with/${collector.siteId}`, { syncWith: 'activeCollector' });
    await admin('POST', '/sites', { siteId: BACKLOG_SITE_ID, name: 'bench-backlog', code: 'BBL', kind: 'desktop', password: 'bench-backlog-pass' });
    await admin('POST', '/stores', { id: 'STORE_BACKLOG', code: 'BBL', name: 'Backlog store', nameId: 'NAME_STORE_BACKLOG', activeSiteId: BACKLOG_SITE_ID });

    // The stores' names, as an operator imports them: a site counts a store as active only once
    // it holds the store's record and its name.
    const stores = (await admin('GET', '/stores')).stores as Array<{ id: string; code: string; name: string; nameId: string }>;
    const nameTemplate = fixtures('name').find((record) => record.recordData?.type !== 'patient')!.recordData!;
    await admin('POST', '/records', {
      records: stores.map((store) => ({ tableName: 'name', recordId: store.nameId, action: 'update', recordData: { ...nameTemplate, ID: store.nameId, name: store.name, code: store.code, type: 'store' } })),
    });

    /** When each site's steps started and ended, for the figures. */
    const steps = new Map<string, Map<SyncStep, { start: bigint; done?: bigint }>>();
    const remote = (name: string, password: string) =>
      new RemoteSite({
        baseUrl: server.url,
        siteName: name,
        password,
        hardwareId: `bench-${name}`,
        onStep: (step, phase) => {
          const ofSite = steps.get(name) ?? new Map();
          steps.set(name, ofSite);
          if (phase === 'start') ofSite.set(step, { start: process.hrtime.bigint() });
          else ofSite.get(step)!.done = process.hrtime.bigint();
        },
      });
    const clients = sites.map((site) => remote(site.name, site.password));
    // Initialise (not timed), one site at a time: concurrent first initialisations race on the
    // configuration (hardware binding) and some are refused as bound elsewhere.
    for (const client of clients) await client.sync();
    for (const [s, client] of clients.entries()) {
      if (!client.activeStoreIds.includes(sites[s]!.storeId)) {
        throw new Error(`${client.siteName} does not count ${sites[s]!.storeId} as active (active: [${client.activeStoreIds.join(', ')}]): the server sent no store record it can integrate`);
      }
    }

    // --- records: legacy transact copies with new ids and each site's store; central items.
    const transacts = fixtures('transact');
    const items = fixtures('item');
    const transactsOf = (site: (typeof sites)[number], prefix: string, count: number) =>
      Array.from({ length: count }, (_, i) => {
        const recordId = `${prefix}-${site.siteId}-${i}`;
        const source = transacts[i % transacts.length]!;
        return { tableName: 'transact', recordId, action: 'update' as const, recordData: { ...source.recordData, ID: recordId, store_ID: site.storeId, name_ID: 'BENCH_CUSTOMER' } };
      });
    const watch = new DynamoSiteProgress(DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName('siteState'));
    const untilIdle = async (deadline: number) => {
      for (const siteId of [1, ...sites.map((site) => site.siteId)]) {
        while (await watch.workInProgress(siteId)) {
          if (Date.now() > deadline) throw new Error(`site ${siteId}'s pushed records were not routed within ${DRAIN_TIMEOUT_MS / 60_000} minutes`);
          await sleep(20);
        }
      }
    };
    // Warm-up (not timed): a fifth of the workload through the same path, so the timed run and
    // the floor after it both meet a warmed-up DynamoDB Local (its JVM compiles what it runs).
    const warmUp = Math.ceil((records / sites.length) * (warmUpPercent / 100));
    if (warmUp > 0) {
      sites.forEach((site, s) => clients[s]!.changes(transactsOf(site, 'bench-warm', warmUp)));
      await Promise.all(clients.map((client) => client.sync()));
      await untilIdle(Date.now() + DRAIN_TIMEOUT_MS);
      await Promise.all(clients.map((client) => client.sync()));
    }

    const pushed = new Map<number, string[]>();
    sites.forEach((site, s) => {
      const count = Math.floor(records / sites.length) + (s < records % sites.length ? 1 : 0);
      const changes = transactsOf(site, 'bench-tx', count);
      clients[s]!.changes(changes);
      pushed.set(site.siteId, changes.map((change) => change.recordId));
    });
    const central = Array.from({ length: centralRecords }, (_, i) => {
      const recordId = `bench-item-${i}`;
      return { tableName: 'item', recordId, action: 'update', recordData: { ...items[i % items.length]!.recordData, ID: recordId } };
    });
    /** What each site must end up holding: every central item, and for the collector store B's records. */
    const expected = sites.map((site) => [
      ...central.map((record) => ['item', record.recordId] as const),
      ...(site.siteId === collector.siteId ? (pushed.get(2) ?? []).map((id) => ['transact', id] as const) : []),
    ]);

    // --- timed: every site syncs (push, the client's integration wait, pulls) while the central
    // data is imported; then every destination syncs until it holds what it should.
    meter.reset();
    steps.clear();
    const cpu = cpuMeter(server.javaPid);
    const start = process.hrtime.bigint();
    let pushesEnded = start;
    const settled = clients.map(() => false);
    const syncs = Promise.allSettled(clients.map((client, s) => client.sync().finally(() => (settled[s] = true))));
    const pushes = (async () => {
      // The pushes have ended when every site's v5 push step reached its integration wait (or failed).
      while (clients.some((client, s) => !settled[s] && steps.get(client.siteName)?.get('integrationWait') === undefined)) await sleep(5);
      pushesEnded = process.hrtime.bigint();
    })();
    let importSeconds = 0;
    const imports = (async () => {
      const importStart = process.hrtime.bigint();
      for (let i = 0; i < central.length; i += 1024) {
        const answer = await admin('POST', '/records', { records: central.slice(i, i + 1024) });
        if ((answer.refused as unknown[]).length > 0) throw new Error(`central import refused: ${JSON.stringify(answer.refused).slice(0, 300)}`);
      }
      importSeconds = seconds(importStart);
    })();
    await Promise.all([pushes, imports]);
    const pushSeconds = Number(pushesEnded - start) / 1e9;
    const afterPush = meter.snapshot();

    // Integration: the fan-out consumer routes what was pushed. Watched through a client of our
    // own, so the watching is not counted.
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    await untilIdle(deadline);
    const integratedSeconds = seconds(start);
    const afterRouting = meter.snapshot();
    const firstSyncs = await syncs;
    // When each step of the first syncs ran, from the timed start (median over the sites).
    const stepTimes = (['prepareInitial', 'pushV6', 'push', 'integrationWait', 'pullCentral', 'pullRemote', 'pullV6', 'integrate'] as const).flatMap((step) => {
      const spans = clients.flatMap((client) => {
        const span = steps.get(client.siteName)?.get(step);
        return span?.done === undefined ? [] : [{ from: Number(span.start - start) / 1e9, to: Number(span.done - start) / 1e9 }];
      });
      if (spans.length === 0) return [];
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      return [`${step} ${median(spans.map((span) => span.from)).toFixed(1)}–${median(spans.map((span) => span.to)).toFixed(1)} s`];
    });
    // Each site's first push step (its push and its integration wait), before the later syncs start theirs.
    const pushSteps = clients.flatMap((client) => {
      const push = steps.get(client.siteName)?.get('push');
      return push?.done === undefined ? [] : [Number(push.done - push.start) / 1e9];
    });
    /** The pushes alone: from the push step's start to the integration wait's. */
    const pushCalls = clients.flatMap((client) => {
      const push = steps.get(client.siteName)?.get('push');
      const wait = steps.get(client.siteName)?.get('integrationWait');
      return push === undefined || wait === undefined ? [] : [Number(wait.start - push.start) / 1e9];
    });
    const waits = clients.flatMap((client) => {
      const wait = steps.get(client.siteName)?.get('integrationWait');
      return wait?.done === undefined ? [] : [Number(wait.done - wait.start) / 1e9];
    });
    const failed = firstSyncs.flatMap((result, s) => (result.status === 'rejected' ? [`${clients[s]!.siteName}: ${(result.reason as Error).message}`] : []));

    // Every destination syncs again until it holds what it should.
    await Promise.all(
      clients.map(async (client, s) => {
        for (;;) {
          if (expected[s]!.every(([table, id]) => client.held(table, id) !== undefined)) return;
          if (Date.now() > deadline) throw new Error(`${client.siteName} did not receive everything within ${DRAIN_TIMEOUT_MS / 60_000} minutes`);
          await client.sync();
        }
      }),
    );
    const totalSeconds = seconds(start);
    const atEnd = meter.snapshot();
    const endToEndCpu = cpu();
    const written = records + centralRecords;
    const delivered = expected.reduce((sum, list) => sum + list.length, 0);
    const collected = pushed.get(2) ?? [];
    const phase = (from: Snapshot, to: Snapshot) => perRecord(difference(to.totals, from.totals), written);
    const none = { byOperation: new Map(), totals: difference(atEnd.totals, atEnd.totals) };

    console.log(`\nEnd to end push (HTTP, local server in-process): ${records} store records from ${sites.length} sites + ${centralRecords} central records${latencyMs > 0 ? `, ${latencyMs} ms added to every DynamoDB request` : ''}`);
    console.log(`  ${delivered} deliveries (${centralRecords} central records to each site through the change log, store ${collector.storeId}'s ${collected.length} to its collector's queue)`);
    console.log(`  push + import:      ${pushSeconds.toFixed(1)} s, ${(written / pushSeconds).toFixed(0)} records/s; ${phase(none, afterPush)}`);
    console.log(`  routing (fan-out):  ${(integratedSeconds - pushSeconds).toFixed(1)} s after the last push; ${phase(afterPush, afterRouting)}`);
    const spread = (values: number[]) => {
      values.sort((a, b) => a - b);
      return `median ${(values[Math.floor(values.length / 2)] ?? NaN).toFixed(1)} s, max ${(values.at(-1) ?? NaN).toFixed(1)} s`;
    };
    console.log(`  each site's first v5 push step: ${spread(pushSteps)} (its pushes alone: ${spread(pushCalls)}); the central import: ${importSeconds.toFixed(1)} s`);
    waits.sort((a, b) => a - b);
    console.log(
      `  client integration wait (1 s polls, fails at 30 s): median ${(waits[Math.floor(waits.length / 2)] ?? NaN).toFixed(1)} s, max ${(waits.at(-1) ?? NaN).toFixed(1)} s over ${waits.length} sites` +
        (failed.length > 0 ? `; ${failed.length} first syncs failed: ${failed.join('; ').slice(0, 400)}` : ''),
    );
    console.log(`  the first syncs' steps (median start–end, from the timed start): ${stepTimes.join(', ')}`);
    console.log(`  pulls (whole syncs): ${(totalSeconds - integratedSeconds).toFixed(1)} s, ${(delivered / (totalSeconds - integratedSeconds)).toFixed(0)} deliveries/s; ${phase(afterRouting, atEnd)}`);
    console.log(`  end to end:         ${(written / totalSeconds).toFixed(0)} records/s (push start to last acknowledgement, ${totalSeconds.toFixed(1)} s); ${phase(none, atEnd)}`);
    console.log(`    ${describeCpu(endToEndCpu)} (the server's functions and the ${clients.length} clients)`);
    console.log(`  by operation (end to end): ${[...atEnd.byOperation].sort((x, y) => y[1].requests - x[1].requests).map(
          ([operation, count]) =>
            `${operation} ${count.requests} (${count.itemsWritten} written, ${count.itemsRead} read, ${(count.milliseconds / count.requests).toFixed(0)} ms each, at most ${count.maxMilliseconds.toFixed(0)}` +
            `${count.retries > 0 ? `, ${count.retries} retried after ${(count.retryDelayMs / 1000).toFixed(1)} s in all` : ''})`,
        ).join(', ')}`);

    console.log(`  where the time goes (by operation and table, summed round trips): ${[...meter.byOperationAndTable].sort((x, y) => y[1].milliseconds - x[1].milliseconds).map(
          ([kind, count]) => `${kind} ${(count.milliseconds / 1000).toFixed(1)} s (${count.requests} requests, ${count.itemsWritten} written, ${count.itemsRead} read)`,
        ).join(', ')}`);

    // The honest floor, on the same DynamoDB Local in the same run: the writes no correct sync of
    // this workload can avoid, as plain BatchWriteItem (no transactions, no reads): each record's
    // central copy (with its holding store, which the byStore index needs for initialisation), a
    // change-log entry per central record, a queue entry per delivery to a site's queue (with its
    // sequence, which orders the pull), and its deletion when acknowledged; each holding the
    // record's data as the server does (functions/storage/record-data.ts). Built inside each
    // floor's timed part: turning records into items (JSON, deflated data) is part of writing
    // them, for the floor as for the server.
    const floorWritesOf = (): FloorWrite[] => [
      ...sites.flatMap((site) =>
        (pushed.get(site.siteId) ?? []).map((id, i) => put('records', { pk: `floor#transact#${id}`, storeId: `floor#${site.storeId}`, recordData: storedRecordData({ ...transacts[i % transacts.length]!.recordData, ID: id }) })),
      ),
      ...central.map((record) => put('records', { pk: `floor#item#${record.recordId}`, recordData: storedRecordData(record.recordData) })),
      ...central.map((record, i) => put('changeLog', { pk: 'floor#log', sk: i, tableName: 'item', recordId: record.recordId, action: 'update', recordData: storedRecordData(record.recordData) })),
      ...collected.map((id, i) => put('syncOut', { site: `floor#site#${collector.siteId}`, entry: `rec#transact#${id}`, sequence: String(i).padStart(12, '0'), recordData: storedRecordData({ ...transacts[i % transacts.length]!.recordData, ID: id }) })),
    ];
    const floorDeletes: FloorWrite[] = collected.map((id) => ({ table: 'syncOut', request: { DeleteRequest: { Key: { site: `floor#site#${collector.siteId}`, entry: `rec#transact#${id}` } } } }));
    // The same writes with the central copy's version guard: its puts conditional, 25 to a
    // request as the push writes them (PartiQL INSERT, 8 in flight), beside the other writes as
    // plain batches (4 in flight). Printed for comparison; the target is the plain floor.
    const guarded = async (floorWrites: readonly FloorWrite[]) => {
      const central = floorWrites.filter((write) => write.table === 'records');
      await Promise.all([
        insertNew(dynamoDb(), tableName('records'), central.map((write) => (write.request as { PutRequest: { Item: Record<string, unknown> } }).PutRequest.Item), 8),
        batchWriteAll(floorWrites.filter((write) => write.table !== 'records'), 4),
      ]);
    };
    // The floor with one request in flight, the target's, runs three times: a single run of it
    // varied by a third between runs on this shared machine; the ratio is taken to the median.
    const singleFloorSeconds: number[] = [];
    for (const inFlight of [1, 1, 1, 4, 'guarded'] as const) {
      meter.reset();
      const floorCpu = cpuMeter(server.javaPid);
      const floorStart = process.hrtime.bigint();
      const floorWrites = floorWritesOf();
      await (inFlight === 'guarded' ? guarded(floorWrites) : batchWriteAll(floorWrites, inFlight));
      await batchWriteAll(floorDeletes, inFlight === 'guarded' ? 4 : inFlight);
      const floorSeconds = seconds(floorStart);
      const floorCpuUsed = floorCpu();
      const floor = meter.totals();
      const how = inFlight === 'guarded' ? 'central copy as conditional puts, 25 to a request, the rest BatchWriteItem' : `BatchWriteItem writes, ${inFlight} request${inFlight > 1 ? 's' : ''} in flight`;
      console.log(
        `  ${inFlight === 'guarded' ? 'guarded floor' : 'floor'} (${floorWrites.length + floorDeletes.length} ${how}): ${(written / floorSeconds).toFixed(0)} records/s (${floorSeconds.toFixed(2)} s); ${perRecord(floor, written)}; ${describeCpu(floorCpuUsed)}`,
      );
      console.log(
        `    end to end / ${inFlight === 'guarded' ? 'guarded floor' : 'floor'}: ${((100 * floorSeconds) / totalSeconds).toFixed(0)}% of its throughput (${(totalSeconds / floorSeconds).toFixed(2)}x its time), ` +
          `${(atEnd.totals.requests / floor.requests).toFixed(2)}x its requests, ${(atEnd.totals.itemsWritten / floor.itemsWritten).toFixed(2)}x its items written, ${(atEnd.totals.writeUnits / floor.writeUnits).toFixed(2)}x its write units`,
      );
      // From nothing again for the next floor (the guarded one's puts need the keys absent).
      await batchWriteAll(floorWrites.map(toDelete), 4);
      if (inFlight === 1 && singleFloorSeconds.push(floorSeconds) === FLOOR_RUNS) {
        const median = [...singleFloorSeconds].sort((a, b) => a - b)[Math.floor(FLOOR_RUNS / 2)]!;
        console.log(
          `  end to end / floor (1 request in flight), median of ${FLOOR_RUNS} floor runs (${singleFloorSeconds.map((run) => run.toFixed(2)).join(', ')} s): ` +
            `${((100 * median) / totalSeconds).toFixed(0)}% of its throughput (${(totalSeconds / median).toFixed(2)}x its time)`,
        );
      }
    }

    // --- one pull over HTTP with a small and a large backlog, filled straight through the adapter.
    console.log(`\nPull over HTTP by backlog (GET /sync/v5/queued_records?limit=500, median of 5)`);
    const backlogSite = remote('bench-backlog', 'bench-backlog-pass');
    await backlogSite.sync(); // its first whole sync (binds the hardware id, drains its initial queue)
    const queue = new DynamoOutgoingQueue(dynamoDb(), { syncOut: tableName('syncOut'), siteState: tableName('siteState') });
    const headers = {
      authorization: `Basic ${Buffer.from(`bench-backlog:${sha256Hex('bench-backlog-pass')}`).toString('base64')}`,
      'msupply-site-uuid': 'bench-bench-backlog',
      'app-name': 'bench',
      'app-version': '1',
      version: '14',
    };
    const line = (i: number): RoutedRecord => {
      const recordId = `backlog-tx-${i}`;
      return { siteId: BACKLOG_SITE_ID, tableName: 'transact', recordId, action: 'update', version: 1, recordData: { ...transacts[i % transacts.length]!.recordData, ID: recordId, store_ID: 'STORE_BACKLOG' } };
    };
    let filled = 0;
    for (const size of [1000, Math.max(backlog, 1000)]) {
      const fillStart = process.hrtime.bigint();
      for (let i = filled; i < size; i += 5000) await queue.enqueue(Array.from({ length: Math.min(5000, size - i) }, (_, j) => line(i + j)));
      const fillSeconds = seconds(fillStart);
      filled = size;
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = process.hrtime.bigint();
        const response = await fetch(`${server.url}/sync/v5/queued_records?limit=500`, { headers });
        const body = (await response.json()) as { queueLength: number; data: unknown[] };
        times.push(seconds(t) * 1000);
        if (response.status !== 200 || body.queueLength !== size || body.data.length !== 500) {
          throw new Error(`pull with backlog ${size}: ${response.status}, queueLength ${body.queueLength}, ${body.data?.length} records`);
        }
      }
      times.sort((a, b) => a - b);
      console.log(`  backlog ${String(size).padStart(7)}: pull ${times[2]!.toFixed(1)} ms (filled in ${fillSeconds.toFixed(1)} s)`);
    }
  } catch (error) {
    if (serverLog.length > 0) console.log(`  last server output:\n    ${serverLog.slice(-20).join('\n    ')}`);
    throw error;
  } finally {
    await server.stop();
  }
}

type Snapshot = ReturnType<DynamoDbMeter['snapshot']>;
type Totals = Snapshot['totals'];

function difference(to: Totals, from: Totals): Totals {
  return {
    requests: to.requests - from.requests,
    itemsWritten: to.itemsWritten - from.itemsWritten,
    itemsRead: to.itemsRead - from.itemsRead,
    transactionalItems: to.transactionalItems - from.transactionalItems,
    writeUnits: to.writeUnits - from.writeUnits,
  };
}

interface FloorWrite {
  readonly table: 'records' | 'changeLog' | 'syncOut';
  readonly request: { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };
}

const put = (table: FloorWrite['table'], item: Record<string, unknown>): FloorWrite => ({ table, request: { PutRequest: { Item: item } } });

const keyAttributes: Record<FloorWrite['table'], readonly string[]> = { records: ['pk'], changeLog: ['pk', 'sk'], syncOut: ['site', 'entry'] };

/** The delete of a floor put (to run the floor again on the same keys, from nothing). */
function toDelete(write: FloorWrite): FloorWrite {
  if (!('PutRequest' in write.request)) return write;
  const item = write.request.PutRequest.Item;
  return { table: write.table, request: { DeleteRequest: { Key: Object.fromEntries(keyAttributes[write.table].map((name) => [name, item[name]])) } } };
}

/** BatchWriteItem in groups of 25 (one table each), `inFlight` requests at once, resending what is unprocessed. */
async function batchWriteAll(writes: readonly FloorWrite[], inFlight: number): Promise<void> {
  const groups: FloorWrite[][] = [];
  for (const table of ['records', 'changeLog', 'syncOut'] as const) {
    const ofTable = writes.filter((write) => write.table === table);
    for (let i = 0; i < ofTable.length; i += 25) groups.push(ofTable.slice(i, i + 25));
  }
  await forEachChunk(groups, 1, inFlight, async ([group]) => {
    const name = tableName(group![0]!.table);
    let requests = group!.map((write) => write.request) as Array<Record<string, unknown>>;
    while (requests.length > 0) {
      const { UnprocessedItems = {} } = await dynamoDb().send(new BatchWriteCommand({ RequestItems: { [name]: requests } }));
      requests = (UnprocessedItems[name] ?? []) as Array<Record<string, unknown>>;
    }
  });
}

function passwordOf(passwords: ReadonlyArray<{ name: string; password: string }>, name: string): string {
  const found = passwords.find((entry) => entry.name === name);
  if (!found) throw new Error(`The demo configuration gave no password to ${name}`);
  return found.password;
}

if (require.main === module) {
  runPushEndToEnd().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
