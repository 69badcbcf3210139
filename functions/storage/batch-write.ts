/**
 * Plain BatchWriteItem of many put or delete requests to one table: `perRequest` at a time,
 * `concurrency` requests in flight, asking again (after a pause that grows) for whatever DynamoDB
 * left unprocessed. For items that need no condition and no order.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { forEachChunk } from './parallel-chunks';
import { backOff } from './back-off';

export type WriteRequest = { readonly PutRequest: { readonly Item: Record<string, unknown> } } | { readonly DeleteRequest: { readonly Key: Record<string, unknown> } };


export async function batchWriteAll(
  db: DynamoDBDocumentClient,
  table: string,
  requests: readonly WriteRequest[],
  { perRequest = 25, concurrency }: { readonly perRequest?: number; readonly concurrency: number },
): Promise<void> {
  await forEachChunk(requests, perRequest, concurrency, async (chunk) => {
    let pending = [...chunk];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await backOff(attempt);
      const response = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (response.UnprocessedItems?.[table] ?? []) as WriteRequest[];
    }
  });
}
