/**
 * Which change the central copy last stored for each record, and when: what a replayed refusal
 * is compared with, so a change refused days ago never overwrites a later one.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { recordKeyString, type RecordKey } from '../domain/ports';
import { batchGetItems } from './batch-get';
import { recordsKeys } from './keys';

export interface LastChange {
  readonly changeId: string;
  /** When the central copy stored it (ISO 8601). */
  readonly storedAt: string;
}

/** Record key string (domain/ports.ts recordKeyString) → its last stored change; absent: not held. */
export async function lastChanges(db: DynamoDBDocumentClient, table: string, keys: readonly RecordKey[]): Promise<Map<string, LastChange>> {
  const unique = [...new Map(keys.map((key) => [recordKeyString(key), recordsKeys.record(key.tableName, key.recordId)])).values()];
  const items = await batchGetItems(db, table, unique, 'the central copy');
  const changes = new Map<string, LastChange>();
  for (const item of items) {
    if (typeof item.tableName !== 'string' || typeof item.recordId !== 'string') continue;
    changes.set(recordKeyString({ tableName: item.tableName, recordId: item.recordId }), { changeId: String(item.changeId), storedAt: String(item.updatedAt ?? '') });
  }
  return changes;
}
