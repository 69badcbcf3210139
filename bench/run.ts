/**
 * `npm run bench`: storage figures on DynamoDB Local (started here, in memory).
 *   --sites K --records N   outgoing queue: enqueue N records spread over K sites, pull and acknowledge all
 *   --backlog B             pull time with a 1,000-entry and a B-entry backlog (default 100,000)
 * Prints records/s, DynamoDB requests per record, the floor (the same items written with plain
 * BatchWriteItem) and the ratio between the two. DynamoDB Local is slower than DynamoDB: compare
 * figures with each other, not with AWS.
 * Then the end-to-end push benchmark over HTTP (bench/push-e2e.ts; BENCH_RECORDS, BENCH_BACKLOG), and
 * a real site's two waits: integration after a push, and a large initialisation (bench/sync-window.ts;
 * BENCH_SYNC_RECORDS, BENCH_INIT_RECORDS), a rural health post's initialisation against a large
 * central log (bench/health-post.ts), and each function's bundle size and require time
 * (bench/bundles.ts).
 * `npm run bench -- --fleet` runs only the fleet benchmark instead (bench/fleet.ts; --fleet-sizes,
 * default 1000,10000,40000).
 */
import './quiet-functions';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RoutedRecord } from '../functions/domain/ports';
import { DynamoChangeLog } from '../functions/storage/change-log';
import { DynamoOutgoingQueue } from '../functions/storage/outgoing-queue';
import { startDynamoDbLocal } from '../lib/local/dynamodb-local';
import { useLocalAwsEnvironment } from '../lib/local/local-server';
import { provisionTables } from '../lib/local/provision';
import { runPushEndToEnd } from './push-e2e';
import { runSyncWindow } from './sync-window';
import { seconds } from './bench-support';
import { runFleet } from './fleet';
import { runBundles } from './bundles';
import { runHealthPost } from './health-post';

const { values } = parseArgs({
  options: {
    sites: { type: 'string', default: '20' },
    records: { type: 'string', default: '5000' },
    backlog: { type: 'string', default: '100000' },
    fleet: { type: 'boolean', default: false },
    'fleet-sizes': { type: 'string', default: '1000,10000,40000' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const USAGE = `usage: npm run bench [-- options]

Storage figures on DynamoDB Local (started here, in memory), then the end-to-end push bench over
HTTP, a real site's sync waits, a rural health post's initialisation and each function's bundle
size and import time. DynamoDB Local is slower than DynamoDB: compare figures with each other.

options:
  --sites K             outgoing queue: records spread over K sites (default 20)
  --records N           outgoing queue: N records enqueued, pulled and acknowledged (default 5000)
  --backlog B           pull time with a 1,000-entry and a B-entry backlog (default 100000)
  --fleet               run only the fleet benchmark instead (bench/fleet.ts)
  --fleet-sizes LIST    its fleet sizes (default 1000,10000,40000)
  --help                this text

environment: BENCH_RECORDS, BENCH_BACKLOG, BENCH_WARM_UP (end-to-end push), BENCH_SYNC_RECORDS,
BENCH_INIT_RECORDS (sync waits); see the comments at the top of each bench/*.ts.`;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const sites = Number(values.sites);
const records = Number(values.records);
const backlog = Number(values.backlog);

function countingClient() {
  const raw = new DynamoDBClient({});
  const counter = { requests: 0 };
  raw.middlewareStack.add((next) => async (args) => {
    counter.requests++;
    return next(args);
  }, { step: 'initialize', name: 'countRequests' });
  return { db: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }), raw, counter };
}

const record = (siteId: number, i: number): RoutedRecord => ({
  siteId,
  tableName: 'trans_line',
  recordId: `line-${siteId}-${i}`,
  action: 'update',
  version: 1,
  recordData: { ID: `line-${siteId}-${i}`, transaction_ID: `t-${i % 50}`, item_ID: 'item-a', quantity: i, pack_size: 1, batch: 'B1' },
});


async function main() {
  const dynamo = await startDynamoDbLocal({ log: (line) => console.log(line) });
  try {
    useLocalAwsEnvironment(dynamo.endpoint, 'http://127.0.0.1:1');
    const { db, raw, counter } = countingClient();
    const tables = await provisionTables(raw, 'bench-');
    const queue = new DynamoOutgoingQueue(db, tables);

    console.log(`\nOutgoing queue: ${records} records over ${sites} sites`);
    const routed = Array.from({ length: records }, (_, i) => record((i % sites) + 1, i));
    counter.requests = 0;
    let start = process.hrtime.bigint();
    await queue.enqueue(routed);
    const enqueueSeconds = seconds(start);
    const enqueueRequests = counter.requests;

    counter.requests = 0;
    start = process.hrtime.bigint();
    for (let site = 1; site <= sites; site++) {
      for (;;) {
        const { records: pulled } = await queue.pull(site, 500);
        if (pulled.length === 0) break;
        await queue.acknowledge(site, pulled.map((r) => r.syncOutId));
      }
    }
    const drainSeconds = seconds(start);
    const drainRequests = counter.requests;
    const total = enqueueSeconds + drainSeconds;
    console.log(`  enqueue:            ${(records / enqueueSeconds).toFixed(0)} records/s, ${(enqueueRequests / records).toFixed(3)} requests/record`);
    console.log(`  pull + acknowledge: ${(records / drainSeconds).toFixed(0)} records/s, ${(drainRequests / records).toFixed(3)} requests/record`);
    console.log(`  end to end:         ${(records / total).toFixed(0)} records/s, ${((enqueueRequests + drainRequests) / records).toFixed(3)} requests/record`);

    // Floor: the same items written with plain BatchWriteItem (25 per request), nothing else.
    counter.requests = 0;
    start = process.hrtime.bigint();
    for (let i = 0; i < routed.length; i += 25) {
      await db.send(
        new BatchWriteCommand({
          RequestItems: {
            [tables.syncOut]: routed.slice(i, i + 25).map((r) => ({
              PutRequest: { Item: { site: `floor#${r.siteId}`, entry: r.recordId, sequence: String(i), recordData: r.recordData } },
            })),
          },
        }),
      );
    }
    const floorSeconds = seconds(start);
    console.log(`  floor (BatchWriteItem only): ${(records / floorSeconds).toFixed(0)} records/s, ${(counter.requests / records).toFixed(3)} requests/record`);
    console.log(`  ratio enqueue/floor: ${(enqueueSeconds / floorSeconds).toFixed(2)}x time, ${(enqueueRequests / counter.requests).toFixed(2)}x requests`);

    console.log(`\nPull latency by backlog (limit 500, median of 5)`);
    for (const size of [1000, backlog]) {
      const site = 100_000 + size;
      const fill = Array.from({ length: size }, (_, i) => record(site, i));
      start = process.hrtime.bigint();
      await queue.enqueue(fill);
      const fillSeconds = seconds(start);
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = process.hrtime.bigint();
        const { queueLength } = await queue.pull(site, 500);
        times.push(seconds(t) * 1000);
        if (queueLength !== size) throw new Error(`queueLength ${queueLength} != ${size}`);
      }
      times.sort((a, b) => a - b);
      console.log(`  backlog ${String(size).padStart(7)}: pull ${times[2]!.toFixed(1)} ms (filled in ${fillSeconds.toFixed(1)} s)`);
    }

    console.log(`\nChange log: append 2,000 central records in batches of 100, then read all`);
    const log = new DynamoChangeLog(db, tables.changeLog);
    counter.requests = 0;
    start = process.hrtime.bigint();
    for (let i = 0; i < 2000; i += 100) {
      await log.append(Array.from({ length: 100 }, (_, j) => ({ tableName: 'item', recordId: `item-${i + j}`, action: 'update' as const, recordData: { ID: `item-${i + j}` } })));
    }
    const appendSeconds = seconds(start);
    console.log(`  append: ${(2000 / appendSeconds).toFixed(0)} records/s, ${(counter.requests / 2000).toFixed(3)} requests/record`);
    start = process.hrtime.bigint();
    let cursor = 0;
    for (;;) {
      const { entries } = await log.read(cursor, 500);
      if (entries.length === 0) break;
      cursor = entries.at(-1)!.cursor;
    }
    console.log(`  read all: ${(2000 / seconds(start)).toFixed(0)} records/s`);
  } finally {
    await dynamo.stop();
  }

  await runPushEndToEnd();
  await runSyncWindow();
  await runHealthPost();
  await runBundles();
}

(values.fleet ? runFleet(values['fleet-sizes'].split(',').map(Number)).then(() => undefined) : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
