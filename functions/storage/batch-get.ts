/**
 * Strongly consistent reads of many items of one table: BatchGetItem in groups of 100, asking
 * again (after a pause that grows) for whatever DynamoDB left unprocessed.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const KEYS_PER_BATCH_GET = 100;
const MAX_ATTEMPTS = 8;

const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** Math.min(attempt, 6)));

export async function batchGetItems(
  db: DynamoDBDocumentClient,
  table: string,
  keys: ReadonlyArray<Record<string, unknown>>,
  what: string,
): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_BATCH_GET) {
    let pending: Array<Record<string, unknown>> = keys.slice(i, i + KEYS_PER_BATCH_GET);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`Could not read ${what}: throttled`);
      const { Responses = {}, UnprocessedKeys = {} } = await db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }));
      items.push(...(Responses[table] ?? []));
      pending = (UnprocessedKeys[table]?.Keys ?? []) as Array<Record<string, unknown>>;
      if (pending.length > 0) await pause(attempt);
    }
  }
  return items;
}
