/**
 * The central change log on DynamoDB. Each central record has one entry; changing the record
 * moves its entry to a new cursor. Cursors are assigned inside the transaction that commits the
 * entry, conditional on the committed maximum (`meta`) being what the writer read, so entries
 * commit in cursor order whatever the number of writers. Readers never look past the committed
 * maximum they read first, so an entry can never appear later below a cursor already passed.
 *
 * A bulk append is a pipeline: the pointers of the next records are read while a transaction
 * commits, and each transaction starts from the maximum the previous one committed, so a writer
 * alone spends one round trip per transaction. Anything read ahead that turned stale (another
 * writer moved the maximum or a pointer) fails a condition; that transaction's records are read
 * again and retried.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { batchGetItems } from './batch-get';
import { CoalescedCalls } from './coalesced-calls';
import type { TransactWriteItem } from './transactions';
import type { ChangeLog, ChangeLogEntry, SyncRecord } from '../domain/ports';
import { changeLogKeys } from './keys';
import { recordDataOfItem, storedRecordData } from './record-data';

/** DynamoDB's limit of items in one transaction: the meta update, then 2 or 3 per record. */
const ITEMS_PER_TRANSACTION = 100;
/** Below DynamoDB's 4 MB per transaction, whatever the records' sizes (estimated from their JSON). */
const BYTES_PER_TRANSACTION = 3_500_000;
/** Records whose pointers one read fetches ahead (one BatchGetItem of at most 100 keys). */
const READ_AHEAD = 98;
const MAX_ATTEMPTS = 50;

/** A record to append with where its entry was when last read (`undefined`: it has none). */
interface Pending {
  readonly record: SyncRecord;
  readonly pointerKey: { pk: string; sk: number };
  /** Estimated size of its entry. */
  readonly bytes: number;
  previous: number | undefined;
}

/** Items a record's move writes: its entry, its pointer, and the deletion of its previous entry. */
const itemsOf = (pending: Pending) => (pending.previous === undefined ? 2 : 3);

/** How many records from the front fit in one transaction beside the meta update (at least one). */
function fitting(pending: readonly Pending[]): number {
  let items = 1;
  let bytes = 0;
  let count = 0;
  for (const next of pending) {
    if (count > 0 && (items + itemsOf(next) > ITEMS_PER_TRANSACTION || bytes + next.bytes > BYTES_PER_TRANSACTION)) break;
    items += itemsOf(next);
    bytes += next.bytes;
    count++;
  }
  return count;
}

/** The most records a transaction can hold (all of them new). */
const MAX_RECORDS_PER_TRANSACTION = Math.floor((ITEMS_PER_TRANSACTION - 1) / 2);

const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));

/**
 * The appends of one process (one client) to one log, so concurrent appends from anywhere in the
 * process run as one pipeline instead of retrying against each other on `meta`.
 */
const appendsByClient = new WeakMap<DynamoDBDocumentClient, Map<string, CoalescedCalls<SyncRecord>>>();

export class DynamoChangeLog implements ChangeLog {
  private readonly appends: CoalescedCalls<SyncRecord>;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {
    const byTable = appendsByClient.get(db) ?? new Map<string, CoalescedCalls<SyncRecord>>();
    appendsByClient.set(db, byTable);
    const appends = byTable.get(table) ?? new CoalescedCalls((records) => this.appendNow(records));
    byTable.set(table, appends);
    this.appends = appends;
  }

  /** Appends concurrent with one under way wait for it, then run together; a record in several keeps the last call's version. */
  append(records: readonly SyncRecord[]): Promise<void> {
    return records.length === 0 ? Promise.resolve() : this.appends.call(records);
  }

  private async appendNow(records: readonly SyncRecord[]): Promise<void> {
    const latest = new Map(records.map((record) => [`${record.tableName}\u0000${record.recordId}`, record]));
    const unique = [...latest.values()].map(
      (record): Pending => ({
        record,
        pointerKey: changeLogKeys.pointer(record.tableName, record.recordId),
        bytes: 200 + record.recordId.length * 2 + JSON.stringify(record.recordData ?? null).length,
        previous: undefined,
      }),
    );
    if (unique.length === 0) return;
    let ready = unique.slice(0, MAX_RECORDS_PER_TRANSACTION);
    let readTo = ready.length;
    const readAhead = () => {
      const next = unique.slice(readTo, (readTo += READ_AHEAD));
      if (next.length === 0) return undefined;
      const read = this.readPointers(next).then(() => next);
      // Awaited later; an append that fails first must not leave its rejection unhandled.
      read.catch(() => {});
      return read;
    };
    // The first read also takes the maximum; each later transaction starts from the one before's.
    const first = this.readPointers(ready, true);
    let reading = readAhead();
    let maxCursor = await first;
    while (ready.length > 0 || reading) {
      // A transaction's worth ready, and the next read in flight while it commits.
      while (ready.length < MAX_RECORDS_PER_TRANSACTION && reading) {
        ready = [...ready, ...(await reading)];
        reading = readAhead();
      }
      const { committed, max } = await this.commitFront(ready, maxCursor);
      ready = ready.slice(committed);
      maxCursor = max;
    }
  }

  /**
   * Commits as many records from the front of `pending` as fit in one transaction, at cursors
   * above `maxCursor` (a guess: the maximum is read again when the guess fails); answers how many
   * and the new maximum.
   */
  private async commitFront(pending: readonly Pending[], maxCursor: number | undefined): Promise<{ committed: number; max: number }> {
    let max = maxCursor;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (max === undefined) max = await this.readPointers(pending.slice(0, MAX_RECORDS_PER_TRANSACTION), true);
      const chunk = pending.slice(0, fitting(pending));
      // A pointer read after the maximum may be above it: this maximum is stale, read both again.
      if (chunk.some(({ previous }) => previous !== undefined && previous > max!)) {
        max = undefined;
        await pause(attempt);
        continue;
      }
      const items = this.transaction(chunk, max!);
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: items }));
        return { committed: chunk.length, max: max! + chunk.length };
      } catch (error) {
        // Another writer committed first (or is committing), or throttling: read the maximum and pointers again.
        if (!(error instanceof TransactionCanceledException)) throw error;
        max = undefined;
        await pause(attempt);
      }
    }
    throw new Error('Could not append to the change log: too much contention');
  }

  /** `meta` = M + n on condition that it is M, the entries at M+1.., the pointers, the old entries deleted. */
  private transaction(chunk: readonly Pending[], maxCursor: number): TransactWriteItem[] {
    const items: TransactWriteItem[] = [
      {
        Update: {
          TableName: this.table,
          Key: changeLogKeys.meta(),
          UpdateExpression: 'SET #max = :next',
          ConditionExpression: maxCursor === 0 ? 'attribute_not_exists(#max) OR #max = :current' : '#max = :current',
          ExpressionAttributeNames: { '#max': 'maxCursor' },
          ExpressionAttributeValues: { ':next': maxCursor + chunk.length, ':current': maxCursor },
        },
      },
    ];
    chunk.forEach(({ record, pointerKey, previous }, i) => {
      const cursor = maxCursor + i + 1;
      items.push({
        Put: {
          TableName: this.table,
          Item: { ...changeLogKeys.entry(cursor), tableName: record.tableName, recordId: record.recordId, action: record.action, ...(record.recordData === undefined ? {} : { recordData: storedRecordData(record.recordData) }) },
        },
      });
      // The pointer must still be what was read, or this writer would orphan a newer entry.
      items.push({
        Put: {
          TableName: this.table,
          Item: { ...pointerKey, cursor },
          ConditionExpression: previous === undefined ? 'attribute_not_exists(pk)' : '#cursor = :previous',
          ...(previous === undefined ? {} : { ExpressionAttributeNames: { '#cursor': 'cursor' }, ExpressionAttributeValues: { ':previous': previous } }),
        },
      });
      if (previous !== undefined) items.push({ Delete: { TableName: this.table, Key: changeLogKeys.entry(previous) } });
    });
    return items;
  }

  private async maxCursor(): Promise<number> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: changeLogKeys.meta(), ConsistentRead: true }));
    return Number(Item?.maxCursor ?? 0);
  }

  /**
   * Reads where these records' entries are (strongly consistent), into `previous`; with `meta`,
   * also the committed maximum in the same request (answered; 0 for an empty log).
   */
  private async readPointers(pending: readonly Pending[], meta = false): Promise<number | undefined> {
    const metaKey = changeLogKeys.meta();
    const keys = [...(meta ? [metaKey] : []), ...pending.map(({ pointerKey }) => pointerKey)];
    const items = await batchGetItems(this.db, this.table, keys, 'the change log pointers');
    const cursors = new Map(items.map((item) => [item.pk as string, item]));
    for (const record of pending) {
      const item = cursors.get(record.pointerKey.pk);
      record.previous = item === undefined ? undefined : Number(item.cursor);
    }
    return meta ? Number(cursors.get(metaKey.pk)?.maxCursor ?? 0) : undefined;
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
        recordData: recordDataOfItem(item.recordData),
      })),
    };
  }
}
