/**
 * Bulk appends to the central change log on DynamoDB Local (started here, in memory):
 *   - new: N records no entry exists for, in one append;
 *   - moved: the same N records again (every entry moves to a new cursor);
 *   - 4 writers: four appenders at once, appends of 500, half of each writer's records shared with
 *     another writer (entries keep moving under each other's feet), in one process (one client:
 *     its appends run together) and in a process each (they contend on the log's maximum);
 *   - configured records: a fleet configuration of K sites imported, then `writeConfiguredRecords`
 *     (every store's record and name; the names go through the change log).
 * Prints records/s, requests per record by operation (cancelled transactions apart).
 *   BENCH_LOG_RECORDS (default 10000), BENCH_LOG_BYTES (record size, default 600),
 *   BENCH_LOG_SITES (default 3000; 0 skips the configured records),
 *   BENCH_LOG_LATENCY_MS (added to every request, a stand-in for the network to DynamoDB; default 0),
 *   BENCH_LOG_MODULE (a module exporting another `DynamoChangeLog` to compare, e.g. an older
 *   version written out with `git show`; its imports must resolve from where it lies).
 * Figures only. Run alone with `tsx bench/change-log-append.ts`.
 */
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ChangeLog, SyncRecord } from '../functions/domain/ports';
import { DynamoChangeLog } from '../functions/storage/change-log';
import { DynamoCentralCopy } from '../functions/storage/central-copy';
import { DynamoOutgoingQueue } from '../functions/storage/outgoing-queue';
import { importConfigFile } from '../functions/storage/config-import';
import { ConfigStore } from '../functions/storage/config-store';
import { writeConfiguredRecords } from '../functions/services/configured-records';
import { startDynamoDbLocal } from '../lib/local/dynamodb-local';
import { useLocalAwsEnvironment } from '../lib/local/local-server';
import { provisionTables } from '../lib/local/provision';
import { addRequestLatency, cpuMeter, envNumber, meterDynamoDb, seconds } from './bench-support';
import { fleetConfigFile } from './fleet-config';

type LogClass = new (db: DynamoDBDocumentClient, table: string) => ChangeLog;

async function main() {
  const n = envNumber('BENCH_LOG_RECORDS', 10_000);
  const bytes = envNumber('BENCH_LOG_BYTES', 600);
  const sites = Number(process.env.BENCH_LOG_SITES ?? 3000);
  const latencyMs = Number(process.env.BENCH_LOG_LATENCY_MS ?? 0);
  const other = process.env.BENCH_LOG_MODULE;
  const Log: LogClass = other ? ((await import(path.resolve(other))) as { DynamoChangeLog: LogClass }).DynamoChangeLog : DynamoChangeLog;
  const dynamo = await startDynamoDbLocal({});
  try {
    useLocalAwsEnvironment(dynamo.endpoint, 'http://127.0.0.1:1');
    const meters: Array<ReturnType<typeof meterDynamoDb>> = [];
    /** A client of its own (as another process would have), counted with the others. */
    const client = () => {
      const raw = new DynamoDBClient({});
      addRequestLatency(raw, latencyMs);
      meters.push(meterDynamoDb(raw));
      return { raw, db: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }) };
    };
    const { raw, db } = client();
    const name = (id: string, version: number): SyncRecord => ({
      tableName: 'name',
      recordId: id,
      action: 'update',
      recordData: { ID: id, version, name: `Store ${id}`, comment: 'x'.repeat(bytes) },
    });
    const run = async (label: string, count: () => number, body: () => Promise<void>) => {
      for (const meter of meters) meter.reset();
      const cpu = cpuMeter(dynamo.pid);
      const start = process.hrtime.bigint();
      await body();
      const s = seconds(start);
      const { java } = cpu();
      const records = count();
      const requests = new Map<string, number>();
      for (const [operation, c] of meters.flatMap((meter) => [...meter.byOperation])) requests.set(operation, (requests.get(operation) ?? 0) + c.requests);
      const perOperation = [...requests]
        .map(([operation, count]) => `${operation} ${(count / records).toFixed(3)}`)
        .sort()
        .join(', ');
      const total = [...requests.values()].reduce((sum, count) => sum + count, 0);
      console.log(
        `  ${label.padEnd(36)} ${(records / s).toFixed(0).padStart(6)} records/s (${s.toFixed(1)} s), ${(total / records).toFixed(3)} requests/record ` +
          `[${perOperation}], DynamoDB Local CPU ${((1000 * java) / records).toFixed(2)} ms/record`,
      );
    };
    console.log(`Change log appends (${other ?? 'functions/storage/change-log.ts'}): ${n} records of ~${bytes} bytes${latencyMs > 0 ? `, ${latencyMs} ms added to every request` : ''}`);
    // DynamoDB Local's JIT warms up on a throw-away log first.
    const warmUp = await provisionTables(raw, 'warm-');
    await new Log(db, warmUp.changeLog).append(Array.from({ length: 3000 }, (_, i) => name(`warm${i}`, 1)));
    const tables = await provisionTables(raw, 'log-');
    const log = new Log(db, tables.changeLog);
    const ids = Array.from({ length: n }, (_, i) => `r${i}`);
    await run('new, one append', () => n, () => log.append(ids.map((id) => name(id, 1))));
    await run('moved, one append', () => n, () => log.append(ids.map((id) => name(id, 2))));
    await expectEntries(log, n);

    const writers = 4;
    const perWriter = Math.ceil(n / writers);
    /** Four writers at once, appends of 500, half of each writer's records shared with the next writer. */
    const concurrently = async (label: string, clientOf: (w: number) => DynamoDBDocumentClient) => {
      const concurrentTables = await provisionTables(raw, `${label.replace(/\W/g, '')}-`);
      await run(`${writers} writers, ${label}`, () => writers * perWriter, () =>
        Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            const own = new Log(clientOf(w), concurrentTables.changeLog);
            const mine = Array.from({ length: perWriter }, (_, i) => (i % 2 === 0 ? `w${w}-${i}` : `w${(w + 1) % writers}-${i - 1}`));
            for (let i = 0; i < mine.length; i += 500) await own.append(mine.slice(i, i + 500).map((id) => name(id, w + 1)));
          }),
        ).then(() => undefined),
      );
      await expectEntries(new Log(db, concurrentTables.changeLog), writers * Math.ceil(perWriter / 2));
    };
    await concurrently('one process', () => db);
    const processes = Array.from({ length: writers }, () => client().db);
    await concurrently('one process each', (w) => processes[w]!);

    if (sites > 0) {
      const fleetTables = await provisionTables(raw, 'fleet-');
      const store = new ConfigStore(db, fleetTables.config);
      const imported = await importConfigFile(store, fleetConfigFile(sites, () => false), 'bench', { generatePasswords: true });
      if (!imported.ok) throw new Error(`import: ${imported.message}`);
      const config = await store.current();
      const fleetLog = new Log(db, fleetTables.changeLog);
      await run(`configured records, ${sites} sites`, () => sites, async () => {
        await writeConfiguredRecords(
          {
            centralCopy: new DynamoCentralCopy(db, fleetTables.records),
            changeLog: fleetLog,
            outgoing: new DynamoOutgoingQueue(db, { syncOut: fleetTables.syncOut, siteState: fleetTables.siteState }),
          },
          config,
        );
      });
    }
  } finally {
    await dynamo.stop();
  }
}

/** Reads the whole log as a client does and checks it holds `count` entries. */
async function expectEntries(log: ChangeLog, count: number) {
  let entries = 0;
  for (let cursor = 0, page = await log.read(0, 1000); page.entries.length > 0; page = await log.read(cursor, 1000)) {
    entries += page.entries.length;
    cursor = page.entries.at(-1)!.cursor;
  }
  if (entries !== count) throw new Error(`expected ${count} entries, read ${entries}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
