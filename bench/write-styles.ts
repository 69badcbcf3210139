/**
 * Write and read styles on DynamoDB Local, to choose how adapters write: the same N records stored as
 * transactions of 100 conditional updates, as single conditional updates (several in flight),
 * as transactions of conditional puts of the whole item (on the version read, as the central copy
 * stored a push before it used PartiQL), and as BatchWriteItem puts; then conditional transactions,
 * PartiQL INSERTs (as the central copy stores a new record) and BatchWriteItem puts with 1, 4 and
 * 16 requests in flight; the same INSERTs into the central copy's table with 0, 1 and all of its
 * global indexes; with what each reports as consumed write capacity and the CPU DynamoDB
 * Local spent per record (steadier than the time on a shared machine) and how many of its cores
 * that was.
 *   BENCH_STYLE_RECORDS (default 5000)
 * Figures only. Run alone with `tsx bench/write-styles.ts`.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchExecuteStatementCommand, BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startDynamoDbLocal } from '../lib/local/dynamodb-local';
import { useLocalAwsEnvironment } from '../lib/local/local-server';
import { createTableInput, provisionTables } from '../lib/local/provision';
import { tables as tableDescriptions } from '../lib/resources';
import { forEachChunk } from '../functions/storage/parallel-chunks';
import { cpuMeter, envNumber, insertNew, seconds } from './bench-support';

async function main() {
  const n = envNumber('BENCH_STYLE_RECORDS', 5000);
  const dynamo = await startDynamoDbLocal({});
  try {
    useLocalAwsEnvironment(dynamo.endpoint, 'http://127.0.0.1:1');
    const raw = new DynamoDBClient({});
    const capacity = { units: 0, requests: 0 };
    raw.middlewareStack.add(
      (next) => async (args) => {
        capacity.requests++;
        (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) capacity.units += Number((entry as { CapacityUnits?: number }).CapacityUnits ?? 0);
        return result;
      },
      { step: 'initialize', name: 'capacity' },
    );
    const db = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
    const tables = await provisionTables(raw, 'style-');
    const table = tables.records;
    const bytes = envNumber('BENCH_STYLE_BYTES', 2000);
    const data = (i: number) => ({ ID: `r${i}`, store_ID: 'S', quantity: i, comment: 'x'.repeat(bytes) });
    const update = (prefix: string, i: number) => ({
      TableName: table,
      Key: { pk: `${prefix}#${i}` },
      UpdateExpression: 'SET recordData = :data, changeId = :c, version = if_not_exists(version, :zero) + :one',
      ConditionExpression: 'attribute_not_exists(pk) OR changeId <> :c',
      ExpressionAttributeValues: { ':data': data(i), ':c': `c${i}`, ':zero': 0, ':one': 1 },
    });
    const ids = Array.from({ length: n }, (_, i) => i);
    const run = async (name: string, body: () => Promise<void>) => {
      capacity.units = 0;
      capacity.requests = 0;
      const cpu = cpuMeter(dynamo.pid);
      const start = process.hrtime.bigint();
      await body();
      const s = seconds(start);
      const { java } = cpu();
      console.log(
        `  ${name.padEnd(56)} ${(n / s).toFixed(0).padStart(6)} records/s, ${(capacity.requests / n).toFixed(3)} requests/record, ${(capacity.units / n).toFixed(2)} write units/record, ` +
          `DynamoDB Local CPU ${((1000 * java) / n).toFixed(2)} ms/record (${(java / s).toFixed(2)} of its cores)`,
      );
    };
    /** The whole item of a central copy record, as a push stores it. */
    const whole = (prefix: string, i: number, version: number) => ({ pk: `${prefix}#${i}`, recordData: data(i), changeId: `c${i}v${version}`, version, routedVersion: 0, storeId: 'S' });
    console.log(`Write styles: ${n} records of ~${bytes} bytes`);
    for (const concurrency of [4, 16]) {
      await run(`PartiQL batches of 25 INSERTs, ${concurrency} in flight`, () =>
        forEachChunk(ids, 25, concurrency, async (chunk) => {
          const { Responses = [] } = await db.send(
            new BatchExecuteStatementCommand({
              Statements: chunk.map((i) => ({ Statement: `INSERT INTO "${table}" VALUE {'pk': ?, 'recordData': ?, 'changeId': ?, 'version': ?}`, Parameters: [`p${concurrency}#${i}`, data(i), `c${i}`, 1] })),
            }),
          );
          if (Responses.some((response) => response.Error)) throw new Error(`PartiQL insert failed: ${JSON.stringify(Responses.find((response) => response.Error)?.Error)}`);
        }),
      );
      await run(`PartiQL batches of 25 conditional UPDATEs, ${concurrency} in flight`, () =>
        forEachChunk(ids, 25, concurrency, async (chunk) => {
          const { Responses = [] } = await db.send(
            new BatchExecuteStatementCommand({
              Statements: chunk.map((i) => ({
                Statement: `UPDATE "${table}" SET recordData = ? SET changeId = ? SET version = ? WHERE pk = ? AND changeId <> ? AND version = ?`,
                Parameters: [data(i + 1), `d${i}`, 2, `p${concurrency}#${i}`, `d${i}`, 1],
              })),
            }),
          );
          if (Responses.some((response) => response.Error)) throw new Error(`PartiQL update failed: ${JSON.stringify(Responses.find((response) => response.Error)?.Error)}`);
        }),
      );
    }
    for (const [size, concurrency] of [[100, 4], [25, 16]] as const) {
      await run(`transactions of ${size}, ${concurrency} in flight`, () =>
        forEachChunk(ids, size, concurrency, async (chunk) => {
          await db.send(new TransactWriteCommand({ TransactItems: chunk.map((i) => ({ Update: update(`t${size}-${concurrency}`, i) })) }));
        }),
      );
    }
    await run('transactions of 25 conditional puts (new), 8 in flight', () =>
      forEachChunk(ids, 25, 8, async (chunk) => {
        await db.send(new TransactWriteCommand({ TransactItems: chunk.map((i) => ({ Put: { TableName: table, Item: whole('put', i, 1), ConditionExpression: 'attribute_not_exists(pk)' } })) }));
      }),
    );
    await run('transactions of 25 puts on the version read, 8 in flight', () =>
      forEachChunk(ids, 25, 8, async (chunk) => {
        await db.send(
          new TransactWriteCommand({
            TransactItems: chunk.map((i) => ({
              Put: { TableName: table, Item: whole('put', i, 2), ConditionExpression: 'version = :read AND routedVersion = :routed', ExpressionAttributeValues: { ':read': 1, ':routed': 0 } },
            })),
          }),
        );
      }),
    );
    await run('consistent BatchGetItem of 100 absent keys, 4 in flight', () =>
      forEachChunk(ids, 100, 4, async (chunk) => {
        await db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: chunk.map((i) => ({ pk: `absent#${i}` })), ConsistentRead: true } } }));
      }),
    );
    await run('consistent BatchGetItem of 100 present keys, 4 in flight', () =>
      forEachChunk(ids, 100, 4, async (chunk) => {
        await db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: chunk.map((i) => ({ pk: `t100-4#${i}` })), ConsistentRead: true } } }));
      }),
    );
    for (const concurrency of [16, 64]) {
      await run(`single conditional updates, ${concurrency} in flight`, () =>
        forEachChunk(ids, 1, concurrency, async ([i]) => {
          await db.send(new UpdateCommand(update(`u${concurrency}`, i!)));
        }),
      );
    }
    for (const concurrency of [1, 4]) {
      await run(`BatchWriteItem puts of 25, ${concurrency} in flight`, () =>
        forEachChunk(ids, 25, concurrency, async (chunk) => {
          await db.send(new BatchWriteCommand({ RequestItems: { [table]: chunk.map((i) => ({ PutRequest: { Item: { pk: `b${concurrency}#${i}`, recordData: data(i), version: 1 } } })) } }));
        }),
      );
    }
    // How each style scales with requests in flight: DynamoDB Local runs conditional writes (in a
    // transaction or not) one at a time, on about one of its cores, whatever the concurrency;
    // plain batch puts use more. This, not the number of requests, bounds a correct sync there.
    console.log(`\nWrite styles by requests in flight (whole central copy items, new keys): DynamoDB Local's cores = its CPU over the time`);
    for (const concurrency of [1, 4, 16]) {
      await run(`transactions of 25 conditional puts, ${concurrency} in flight`, () =>
        forEachChunk(ids, 25, concurrency, async (chunk) => {
          await db.send(new TransactWriteCommand({ TransactItems: chunk.map((i) => ({ Put: { TableName: table, Item: whole(`fc${concurrency}`, i, 1), ConditionExpression: 'attribute_not_exists(pk)' } })) }));
        }),
      );
      await run(`PartiQL INSERTs, 25 a request, ${concurrency} in flight`, () => insertNew(db, table, ids.map((i) => whole(`fi${concurrency}`, i, 1)), concurrency));
      await run(`BatchWriteItem puts of 25, ${concurrency} in flight`, () =>
        forEachChunk(ids, 25, concurrency, async (chunk) => {
          await db.send(new BatchWriteCommand({ RequestItems: { [table]: chunk.map((i) => ({ PutRequest: { Item: whole(`fb${concurrency}`, i, 1) } })) } }));
        }),
      );
    }
    // DynamoDB Local holds a table's lock for the whole of each write and, on its one database
    // thread, reads the table's description again (its indexes included) for every item: the
    // same statements cost more the more indexes the table has (docs/fleet-scale.md).
    console.log(`\nThe same PartiQL INSERTs (4 in flight) into the central copy's table with fewer of its global indexes`);
    const records = tableDescriptions.records;
    const withIndexes = (indexes: number) => `style-records-${indexes}-indexes`;
    const indexCounts = [0, 1, records.globalIndexes.length];
    for (const indexes of indexCounts) {
      await raw.send(new CreateTableCommand(createTableInput({ ...records, globalIndexes: indexes > 0 ? records.globalIndexes.slice(0, indexes) : undefined }, withIndexes(indexes))));
    }
    for (const round of [1, 2]) {
      for (const indexes of indexCounts) {
        await run(`${indexes} of its ${records.globalIndexes.length} global indexes (round ${round})`, () => insertNew(db, withIndexes(indexes), ids.map((i) => whole(`gi${round}`, i, 1)), 4));
      }
    }
  } finally {
    await dynamo.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
