/**
 * The outgoing queue (the legacy `sync_out`) on DynamoDB: one entry per (site, record), read
 * oldest first through the `bySequence` local index with one strongly consistent Query.
 * Each site's exact queue length is a counter changed in the same transaction as its entries.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { forEachChunk } from './parallel-chunks';
import { cancellation, type Cancellation, type TransactWriteItem } from './transactions';
import type { OutgoingQueue, QueuedRecord, RoutedRecord } from '../domain/ports';
import { siteStateKeys, syncOutKeys } from './keys';
import { recordDataOfItem, storedRecordData } from './record-data';
import { backOff } from './back-off';

/**
 * Entries per transaction, plus one counter shard: small transactions, several in flight, cost
 * less than large ones in a row (bench/write-styles.ts).
 */
const ENTRIES_PER_TRANSACTION = 24;
const MAX_ATTEMPTS = 12;
/** Counter shards per site: enough that parallel routing to one site seldom conflicts. */
const COUNTER_SHARDS = 16;
const anyShard = () => randomInt(COUNTER_SHARDS);
/** Transactions of one call in flight at once. */
const WRITE_CONCURRENCY = 8;

interface AckedEntry {
  readonly tableName: string;
  readonly recordId: string;
  readonly sequence: string;
}

interface PendingWrite {
  readonly record: RoutedRecord;
  mode: 'new' | 'replace';
}

export class DynamoOutgoingQueue implements OutgoingQueue {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { readonly syncOut: string; readonly siteState: string },
  ) {}

  async enqueue(records: readonly RoutedRecord[]): Promise<void> {
    const latest = new Map<string, RoutedRecord>();
    for (const record of records) {
      const key = `${record.siteId}\u0000${record.tableName}\u0000${record.recordId}`;
      const seen = latest.get(key);
      if (!seen || seen.version <= record.version) latest.set(key, record);
    }
    const bySite = new Map<number, RoutedRecord[]>();
    for (const record of latest.values()) bySite.set(record.siteId, [...(bySite.get(record.siteId) ?? []), record]);
    // Each entry is in one chunk only; chunks meet at most on a counter shard, and retry then.
    const chunks = [...bySite].flatMap(([siteId, siteRecords]) =>
      Array.from({ length: Math.ceil(siteRecords.length / ENTRIES_PER_TRANSACTION) }, (_, i) => ({
        siteId,
        records: siteRecords.slice(i * ENTRIES_PER_TRANSACTION, (i + 1) * ENTRIES_PER_TRANSACTION),
      })),
    );
    await forEachChunk(chunks, 1, WRITE_CONCURRENCY, async ([chunk]) => this.writeChunk(chunk!.siteId, chunk!.records));
  }

  /**
   * Tries every entry as new; entries that already exist are replaced (only by a version at
   * least as new), entries acknowledged meanwhile are created again. Loops until settled.
   */
  private async writeChunk(siteId: number, records: readonly RoutedRecord[]) {
    let pending: PendingWrite[] = records.map((record) => ({ record, mode: 'new' }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`Could not queue ${pending.length} records for site ${siteId}: too much contention`);
      const { conditionFailed: failed, conflict } = await this.tryWrite(siteId, pending);
      if (failed.length === 0 && !conflict) return;
      // Writes that only met a concurrent transaction are retried as they are.
      const next: PendingWrite[] = pending.filter((write) => !failed.includes(write));
      if (conflict) await backOff(attempt);
      for (const write of failed) {
        if (write.mode === 'new') next.push({ record: write.record, mode: 'replace' });
        else {
          const current = await this.currentVersion(write.record);
          if (current === undefined) next.push({ record: write.record, mode: 'new' });
          // else: a newer version is already waiting for the site, which supersedes this one.
        }
      }
      pending = next;
    }
  }

  /** Nothing was applied unless both the failures and the conflict are empty. */
  private async tryWrite(siteId: number, writes: readonly PendingWrite[]): Promise<Cancellation<PendingWrite>> {
    const added = writes.filter((write) => write.mode === 'new').length;
    const items: TransactWriteItem[] = writes.map(({ record, mode }) => ({
      Put: {
        TableName: this.tables.syncOut,
        Item: this.toItem(record),
        ...(mode === 'new' ? newEntryCondition : replaceEntryCondition(record.version)),
      },
    }));
    const counter: TransactWriteItem[] = added
      ? [
          {
            Update: {
              TableName: this.tables.siteState,
              Key: siteStateKeys.queueCounter(siteId, anyShard()),
              UpdateExpression: 'ADD #length :added',
              ExpressionAttributeNames: { '#length': 'length' },
              ExpressionAttributeValues: { ':added': added },
            },
          },
        ]
      : [];
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: [...items, ...counter] }));
      return { conditionFailed: [], conflict: false };
    } catch (error) {
      return cancellation(error, writes);
    }
  }

  private async currentVersion(record: RoutedRecord): Promise<number | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tables.syncOut,
        Key: syncOutKeys.entry(record.siteId, record.tableName, record.recordId),
        ConsistentRead: true,
        ProjectionExpression: '#version',
        ExpressionAttributeNames: { '#version': 'version' },
      }),
    );
    return Item ? Number(Item.version) : undefined;
  }

  private toItem(record: RoutedRecord) {
    const sequence = newSequence();
    return {
      ...syncOutKeys.entry(record.siteId, record.tableName, record.recordId),
      sequence,
      syncOutId: encodeSyncOutId(record.tableName, record.recordId, sequence),
      tableName: record.tableName,
      recordId: record.recordId,
      action: record.action,
      ...(record.recordData === undefined ? {} : { recordData: storedRecordData(record.recordData) }),
      version: record.version,
    };
  }

  async pull(siteId: number, limit: number): Promise<{ queueLength: number; records: QueuedRecord[] }> {
    const [{ Items = [] }, queueLength] = await Promise.all([
      this.db.send(
        new QueryCommand({
          TableName: this.tables.syncOut,
          IndexName: 'bySequence',
          KeyConditionExpression: '#site = :site',
          ExpressionAttributeNames: { '#site': 'site' },
          ExpressionAttributeValues: { ':site': syncOutKeys.site(siteId) },
          ConsistentRead: true,
          Limit: limit,
        }),
      ),
      this.queueLength(siteId),
    ]);
    const records = Items.map((item) => ({
      syncOutId: item.syncOutId as string,
      tableName: item.tableName as string,
      recordId: item.recordId as string,
      action: item.action as QueuedRecord['action'],
      recordData: recordDataOfItem(item.recordData),
    }));
    // The counter and the query are read separately; never report fewer than were delivered.
    return { queueLength: Math.max(queueLength, records.length), records };
  }

  async acknowledge(siteId: number, syncOutIds: readonly string[]): Promise<void> {
    // A transaction may touch an entry once: ids naming the same entry (an old and a new
    // delivery) go in successive rounds; at most one of them can still match.
    const rounds: Array<Map<string, AckedEntry>> = [];
    for (const id of new Set(syncOutIds)) {
      const decoded = decodeSyncOutId(id);
      if (!decoded) continue;
      const key = `${decoded.tableName}\u0000${decoded.recordId}`;
      const round = rounds.find((candidate) => !candidate.has(key)) ?? (rounds.push(new Map()), rounds.at(-1)!);
      round.set(key, decoded);
    }
    for (const round of rounds) {
      // Each entry is in one chunk of the round: its chunks go out side by side.
      await forEachChunk([...round.values()], ENTRIES_PER_TRANSACTION, WRITE_CONCURRENCY, async (entries) => {
        let chunk = [...entries];
        for (let attempt = 0; chunk.length > 0 && attempt < MAX_ATTEMPTS; attempt++) {
          const { conditionFailed: failed, conflict } = await this.tryDelete(siteId, chunk);
          if (failed.length === 0 && !conflict) break;
          // Unknown, repeated, or superseded by a newer version: those stay (or were never there).
          chunk = chunk.filter((entry) => !failed.includes(entry));
          if (conflict) await backOff(attempt);
        }
      });
    }
  }

  private async tryDelete(siteId: number, chunk: readonly AckedEntry[]) {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            ...chunk.map((entry) => ({
              Delete: {
                TableName: this.tables.syncOut,
                Key: syncOutKeys.entry(siteId, entry.tableName, entry.recordId),
                ConditionExpression: '#sequence = :sequence',
                ExpressionAttributeNames: { '#sequence': 'sequence' },
                ExpressionAttributeValues: { ':sequence': entry.sequence },
              },
            })),
            {
              Update: {
                TableName: this.tables.siteState,
                Key: siteStateKeys.queueCounter(siteId, anyShard()),
                UpdateExpression: 'ADD #length :removed',
                ExpressionAttributeNames: { '#length': 'length' },
                ExpressionAttributeValues: { ':removed': -chunk.length },
              },
            },
          ],
        }),
      );
      return { conditionFailed: [], conflict: false };
    } catch (error) {
      return cancellation(error, chunk);
    }
  }

  async queueLength(siteId: number): Promise<number> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tables.siteState,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :counter)',
        ExpressionAttributeValues: { ':pk': siteStateKeys.queueCounter(siteId, 0).pk, ':counter': siteStateKeys.queueCounterPrefix },
        ProjectionExpression: '#length',
        ExpressionAttributeNames: { '#length': 'length' },
        ConsistentRead: true,
      }),
    );
    // Shards move independently (an acknowledgement may lower one another raised): only the sum counts.
    return Math.max(0, Items.reduce((sum, item) => sum + Number(item.length ?? 0), 0));
  }
}

const newEntryCondition = {
  ConditionExpression: 'attribute_not_exists(#entry)',
  ExpressionAttributeNames: { '#entry': 'entry' } as Record<string, string>,
};
const replaceEntryCondition = (version: number) => ({
  ConditionExpression: 'attribute_exists(#entry) AND #version <= :version',
  ExpressionAttributeNames: { '#entry': 'entry', '#version': 'version' } as Record<string, string>,
  ExpressionAttributeValues: { ':version': version } as Record<string, unknown>,
});

let lastMillis = 0;
let counter = 0;
/** Sortable, unique within the process, time-ordered across processes. */
function newSequence(): string {
  const now = Date.now();
  counter = now === lastMillis ? counter + 1 : 0;
  lastMillis = now;
  return `${now.toString().padStart(15, '0')}.${counter.toString().padStart(6, '0')}.${randomBytes(4).toString('hex')}`;
}

/** The syncOutId names the entry and the version delivered, so a stale acknowledgement is harmless. */
export function encodeSyncOutId(tableName: string, recordId: string, sequence: string): string {
  return Buffer.from(JSON.stringify([tableName, recordId, sequence])).toString('base64url');
}

export function decodeSyncOutId(id: string): { tableName: string; recordId: string; sequence: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(id, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 3 && value.every((part) => typeof part === 'string')) {
      const [tableName, recordId, sequence] = value as [string, string, string];
      return { tableName, recordId, sequence };
    }
  } catch {
    // not one of ours
  }
  return undefined;
}
