/**
 * How a legacy record's data is best held in an item, on DynamoDB Local: as a map of its fields
 * (what the SDK marshals by default), as JSON text in one string, or deflated (binary, what the server stores from 512 bytes). The same
 * real `transact` records (83 fields, ~2 KB) written as transactions of 25 conditional puts (the
 * central copy's push), as BatchWriteItem puts (the floor), and read back with consistent
 * BatchGetItem; DynamoDB Local's CPU and this process's CPU per record, two rounds (the first
 * warms the JVM). Figures only. Run alone with `tsx bench/record-shapes.ts`.
 *   BENCH_SHAPE_RECORDS (default 3000)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { startDynamoDbLocal } from '../lib/local/dynamodb-local';
import { useLocalAwsEnvironment } from '../lib/local/local-server';
import { provisionTables } from '../lib/local/provision';
import { forEachChunk } from '../functions/storage/parallel-chunks';
import { cpuMeter, envNumber, seconds } from './bench-support';

async function main() {
  const n = envNumber('BENCH_SHAPE_RECORDS', 3000);
  const dynamo = await startDynamoDbLocal({});
  try {
    useLocalAwsEnvironment(dynamo.endpoint, 'http://127.0.0.1:1');
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
    const tables = await provisionTables(new DynamoDBClient({}), 'shape-');
    const table = tables.records;
    const fixtures = (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'shared', 'fixtures', 'legacy-records', 'transact.json'), 'utf8')) as Array<{ recordData?: Record<string, unknown> }>).flatMap(
      (record) => (record.recordData ? [record.recordData] : []),
    );
    const sample = fixtures[0]!;
    console.log(`Record shapes: ${n} transact records of ${Object.keys(sample).length} fields, ${JSON.stringify(sample).length} bytes as JSON, ${deflateRawSync(JSON.stringify(sample)).length} deflated`);
    const ids = Array.from({ length: n }, (_, i) => i);
    const shapes: Record<string, (i: number) => unknown> = {
      map: (i) => ({ ...fixtures[i % fixtures.length], ID: `r${i}` }),
      json: (i) => JSON.stringify({ ...fixtures[i % fixtures.length], ID: `r${i}` }),
      deflated: (i) => deflateRawSync(JSON.stringify({ ...fixtures[i % fixtures.length], ID: `r${i}` })),
    };
    const run = async (name: string, body: () => Promise<void>) => {
      const cpu = cpuMeter(dynamo.pid);
      const cpuSelf = process.cpuUsage();
      const start = process.hrtime.bigint();
      await body();
      const s = seconds(start);
      const { java } = cpu();
      const self = process.cpuUsage(cpuSelf);
      console.log(`  ${name.padEnd(50)} ${(n / s).toFixed(0).padStart(6)} records/s, DDB Local CPU ${((1000 * java) / n).toFixed(2)} ms/record, node CPU ${((self.user + self.system) / 1000 / n).toFixed(3)} ms/record`);
    };
    for (const round of [1, 2]) {
      console.log(round === 1 ? ' round 1 (warming up)' : ' round 2');
      for (const [shape, data] of Object.entries(shapes)) {
      const item = (i: number) => ({ pk: `${shape}${round}#${i}`, tableName: 'transact', recordId: `r${i}`, recordData: data(i), changeId: `c${i}`, version: 1, routedVersion: 0, storeId: 'S', placement: { dataClass: 'store', flags: [], storeId: 'S' } });
      await run(`${shape}: transactions of 25 conditional puts, 8 in flight`, () =>
        forEachChunk(ids, 25, 8, async (chunk) => {
          await db.send(new TransactWriteCommand({ TransactItems: chunk.map((i) => ({ Put: { TableName: table, Item: item(i), ConditionExpression: 'attribute_not_exists(pk)' } })) }));
        }),
      );
      await run(`${shape}: BatchWriteItem puts, 4 in flight`, () =>
        forEachChunk(ids, 25, 4, async (chunk) => {
          await db.send(new BatchWriteCommand({ RequestItems: { [table]: chunk.map((i) => ({ PutRequest: { Item: { ...item(i), pk: `b${item(i).pk}` } } })) } }));
        }),
      );
      await run(`${shape}: consistent BatchGetItem 100, 4 in flight`, () =>
        forEachChunk(ids, 100, 4, async (chunk) => {
          const r = await db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: chunk.map((i) => ({ pk: `${shape}${round}#${i}` })), ConsistentRead: true } } }));
          if (shape === 'deflated') for (const it of r.Responses?.[table] ?? []) JSON.parse(inflateRawSync(it.recordData as Uint8Array).toString());
          if (shape === 'json') for (const it of r.Responses?.[table] ?? []) JSON.parse(it.recordData as string);
        }),
      );
      }
    }
  } finally {
    await dynamo.stop();
  }
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
