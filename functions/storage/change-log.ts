/**
 * The central change log on DynamoDB. Each central record has one entry; changing the record
 * moves its entry to a new cursor. Cursors are assigned inside the transaction that commits the
 * entry, conditional on the committed maximum (`meta`) being what the writer read, so entries
 * commit in cursor order whatever the number of writers. Readers never look past the committed
 * maximum they read first, so an entry can never appear later below a cursor already passed.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { TransactWriteItem } from './transactions';
import type { ChangeLog, ChangeLogEntry, SyncRecord } from '../domain/ports';
import { changeLogKeys } from './keys';

/** Three writes per record (entry, pointer, old entry) plus the meta update fit in 100. */
const RECORDS_PER_TRANSACTION = 33;
const MAX_ATTEMPTS = 50;

export class DynamoChangeLog implements ChangeLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async append(records: readonly SyncRecord[]): Promise<void> {
    const latest = new Map(records.map((record) => [`${record.tableName}\u0000${record.recordId}`, record]));
    const unique = [...latest.values()];
    for (let i = 0; i < unique.length; i += RECORDS_PER_TRANSACTION) {
      await this.appendChunk(unique.slice(i, i + RECORDS_PER_TRANSACTION));
    }
  }

  private async appendChunk(records: readonly SyncRecord[]) {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // Pointers first, then the maximum: every pointer read is then at or below that maximum,
      // so an old entry to delete never collides with a new cursor.
      const pointers = await this.pointers(records);
      const maxCursor = await this.maxCursor();
      const items: TransactWriteItem[] = [
        {
          Update: {
            TableName: this.table,
            Key: changeLogKeys.meta(),
            UpdateExpression: 'SET #max = :next',
            ConditionExpression: maxCursor === 0 ? 'attribute_not_exists(#max) OR #max = :current' : '#max = :current',
            ExpressionAttributeNames: { '#max': 'maxCursor' },
            ExpressionAttributeValues: { ':next': maxCursor + records.length, ':current': maxCursor },
          },
        },
      ];
      records.forEach((record, i) => {
        const cursor = maxCursor + i + 1;
        const pointerKey = changeLogKeys.pointer(record.tableName, record.recordId);
        const previous = pointers.get(pointerKey.pk);
        items.push({
          Put: {
            TableName: this.table,
            Item: { ...changeLogKeys.entry(cursor), tableName: record.tableName, recordId: record.recordId, action: record.action, recordData: record.recordData },
          },
        });
        // The pointer must still be what was read, or this writer would orphan a newer entry.
        items.push({
          Put: {
            TableName: this.table,
            Item: { ...pointerKey, cursor },
            ConditionExpression: previous === undefined ? 'attribute_not_exists(pk)' : '#cursor = :previous',
            ...(previous === undefined
              ? {}
              : { ExpressionAttributeNames: { '#cursor': 'cursor' }, ExpressionAttributeValues: { ':previous': previous } }),
          },
        });
        if (previous !== undefined) items.push({ Delete: { TableName: this.table, Key: changeLogKeys.entry(previous) } });
      });
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: items }));
        return;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        // Another writer committed first (or is committing): read the new maximum and retry.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * (attempt + 1)));
      }
    }
    throw new Error('Could not append to the change log: too much contention');
  }

  private async maxCursor(): Promise<number> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: changeLogKeys.meta(), ConsistentRead: true }));
    return Number(Item?.maxCursor ?? 0);
  }

  private async pointers(records: readonly SyncRecord[]): Promise<Map<string, number>> {
    const keys = records.map((record) => changeLogKeys.pointer(record.tableName, record.recordId));
    const { Responses = {} } = await this.db.send(
      new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }),
    );
    return new Map((Responses[this.table] ?? []).map((item) => [item.pk as string, Number(item.cursor)]));
  }

  async read(after: number, limit: number): Promise<{ maxCursor: number; entries: ChangeLogEntry[] }> {
    const maxCursor = await this.maxCursor();
    if (after >= maxCursor) return { maxCursor, entries: [] };
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :log AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':log': changeLogKeys.entry(0).pk, ':from': after + 1, ':to': maxCursor },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return {
      maxCursor,
      entries: Items.map((item) => ({
        cursor: Number(item.sk),
        tableName: item.tableName as string,
        recordId: item.recordId as string,
        action: item.action as ChangeLogEntry['action'],
        recordData: item.recordData as ChangeLogEntry['recordData'],
      })),
    };
  }
}
