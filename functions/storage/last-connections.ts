/** When each of many sites last connected: one strongly consistent read per site, batched. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetItems } from './batch-get';
import { siteStateKeys } from './keys';

/** Site id → the time of its last authenticated call (ISO 8601); absent: never connected. */
export async function lastConnectionTimes(db: DynamoDBDocumentClient, table: string, siteIds: readonly number[]): Promise<Map<number, string>> {
  const items = await batchGetItems(db, table, siteIds.map(siteStateKeys.connection), 'last connections');
  const times = new Map<number, string>();
  for (const item of items) {
    const siteId = Number(String(item.pk).slice('site#'.length));
    if (typeof item.at === 'string' && Number.isInteger(siteId)) times.set(siteId, item.at);
  }
  return times;
}
