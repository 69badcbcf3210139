/**
 * Strongly consistent reads of many items of one table: BatchGetItem in groups of 100, a few
 * groups in flight at once (a 1,024-record push costs the latency of two or three reads, not
 * eleven in a row), asking again (after a pause that grows) for whatever DynamoDB left
 * unprocessed.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { forEachChunk } from './parallel-chunks';
import { backOff } from './back-off';

const KEYS_PER_BATCH_GET = 100;
/** Reads of one call in flight at once. */
const READ_CONCURRENCY = 4;
const MAX_ATTEMPTS = 8;


export async function batchGetItems(
  db: DynamoDBDocumentClient,
  table: string,
  keys: ReadonlyArray<Record<string, unknown>>,
  what: string,
): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  await forEachChunk(keys, KEYS_PER_BATCH_GET, READ_CONCURRENCY, async (chunk) => {
    let pending: Array<Record<string, unknown>> = [...chunk];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`Could not read ${what}: throttled`);
      const { Responses = {}, UnprocessedKeys = {} } = await db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }));
      items.push(...(Responses[table] ?? []));
      pending = (UnprocessedKeys[table]?.Keys ?? []) as Array<Record<string, unknown>>;
      if (pending.length > 0) await backOff(attempt);
    }
  });
  return items;
}
