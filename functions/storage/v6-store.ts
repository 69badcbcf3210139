/**
 * The v6 central copy and change log on DynamoDB, in the `v6Sync` table:
 *
 * - `rec#<table>#<id>` / 0: the copy of one record (row as JSON text, placement, origin, change
 *   id, version, and where its log entry is: cursor and partitions);
 * - `log#<partition>` / cursor: an entry of the change log (table and id; the data is read from
 *   the copy), one per partition the record is entered in (`domain/sync-v6/audience.ts`);
 * - `meta` / 0: the highest committed cursor;
 * - `wait#<site>` / slot: a site's change waiting for the record it is placed by (one per site and
 *   record, the slot a number derived from the record's key), decided again when that record
 *   arrives (`services/v6-waiting.ts`).
 *
 * A change is written in one transaction with its entries, the deletion of the record's previous
 * entries, and `meta` moved from M to M+n on condition that it is still M: cursors are assigned
 * and committed together and in order, so an entry can never appear below a cursor a reader has
 * passed (readers stop at the `meta` they read first). The copy's condition on the version it
 * replaces makes a concurrent change of the same record fail instead of being overwritten.
 */
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MAX_V6_CURSOR } from '../protocol/v6';
import type { V6Action, V6Placement } from '../domain/sync-v6/placement';
import type { V6Ref } from '../domain/sync-v6/placement';
import {
  v6KeyString,
  type V6Key,
  type V6LogEntry,
  type V6Store,
  type V6StoredRecord,
  type V6WaitingChange,
  type V6WaitingStore,
  type V6Write,
} from '../domain/sync-v6/ports';
import type { TransactWriteItem } from './transactions';
import { batchGetItems } from './batch-get';
import { v6SyncKeys } from './keys';

const META = { pk: 'meta', sk: 0 } as const;
const copyKey = (key: V6Key) => ({ pk: `rec#${key.tableName}#${key.recordId}`, sk: 0 });
const entryKey = (partition: string, cursor: number) => ({ pk: `log#${partition}`, sk: cursor });

/** DynamoDB takes 100 operations per transaction; one is the `meta` update. */
const OPERATIONS_PER_TRANSACTION = 99;
/** And 4 MB per transaction: records' JSON is counted, with room for the rest. */
const BYTES_PER_TRANSACTION = 3_000_000;
const MAX_ATTEMPTS = 50;
/** Change ids remembered per record: a batch changes one record at most this many times and stays idempotent. */
const RECENT_CHANGE_IDS = 16;

const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * (attempt + 1)));

function fromItem(item: Record<string, unknown>): V6StoredRecord {
  return {
    tableName: item.tableName as string,
    recordId: item.recordId as string,
    action: item.action as V6Action,
    recordData: JSON.parse(item.data as string),
    placement: JSON.parse(item.placement as string) as V6Placement,
    originSiteId: item.originSiteId as number,
    changeId: item.changeId as string,
    recentChangeIds: (item.recentChangeIds as string[] | undefined) ?? [item.changeId as string],
    version: item.version as number,
    cursor: item.cursor as number,
    partitions: (item.partitions as string[] | undefined) ?? [],
  };
}

/** Slots of a site's waiting changes: 48 bits of the record key's digest (a safe integer). */
const SLOTS = 2 ** 48;
const waitingSlot = (key: V6Key) => parseInt(createHash('sha256').update(v6KeyString(key)).digest('hex').slice(0, 12), 16);
/** Waiting changes written or removed at once. */
const WAITING_WRITES_AT_ONCE = 25;

function waitingFromItem(item: Record<string, unknown>): V6WaitingChange {
  return {
    siteId: item.siteId as number,
    tableName: item.tableName as string,
    recordId: item.recordId as string,
    changeId: item.changeId as string,
    quarantineId: item.quarantineId as string,
    raw: JSON.parse(item.raw as string),
    waitingFor: { api: item.waitingForApi as V6Ref['api'], table: item.waitingForTable as string, id: item.waitingForId as string },
    seenVersion: item.seenVersion as number,
    since: item.since as string,
  };
}

async function inGroups<T>(items: readonly T[], run: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += WAITING_WRITES_AT_ONCE) await Promise.all(items.slice(i, i + WAITING_WRITES_AT_ONCE).map(run));
}

/** Runs a conditional write; a failed condition means there is nothing to do. */
async function unlessConditionFails(write: Promise<unknown>) {
  try {
    await write;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

const operationsOf = (write: V6Write) => 1 + write.partitions.length + (write.replaces?.cursor ? write.replaces.partitions.length : 0);

export class DynamoV6Store implements V6Store, V6WaitingStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(keys: readonly V6Key[]): Promise<Map<string, V6StoredRecord>> {
    const unique = [...new Map(keys.map((key) => [v6KeyString(key), copyKey(key)])).values()];
    const records = (await batchGetItems(this.db, this.table, unique, 'the v6 central copy')).map(fromItem);
    return new Map(records.map((record) => [v6KeyString(record), record]));
  }

  async latestCursor(): Promise<number> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: META, ConsistentRead: true }));
    return (Item?.committed as number | undefined) ?? 0;
  }

  async readPartition(partition: string, from: number, to: number, limit: number): Promise<{ entries: V6LogEntry[]; more: boolean }> {
    if (to < from) return { entries: [], more: false };
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': entryKey(partition, 0).pk, ':from': from, ':to': to },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return {
      entries: Items.map((item) => ({ cursor: item.sk as number, tableName: item.tableName as string, recordId: item.recordId as string })),
      more: LastEvaluatedKey !== undefined,
    };
  }

  async apply(writes: readonly V6Write[]): Promise<V6Write[]> {
    const stale: V6Write[] = [];
    let chunk: Array<{ write: V6Write; json: string }> = [];
    let operations = 0;
    let bytes = 0;
    for (const write of writes) {
      const json = JSON.stringify(write.recordData ?? null);
      if (chunk.length > 0 && (operations + operationsOf(write) > OPERATIONS_PER_TRANSACTION || bytes + json.length > BYTES_PER_TRANSACTION)) {
        stale.push(...(await this.applyChunk(chunk)));
        chunk = [];
        operations = 0;
        bytes = 0;
      }
      chunk.push({ write, json });
      operations += operationsOf(write);
      bytes += json.length;
    }
    if (chunk.length > 0) stale.push(...(await this.applyChunk(chunk)));
    return stale;
  }

  /** One transaction; retried with a fresh `meta` when another writer committed first. */
  private async applyChunk(initial: ReadonlyArray<{ write: V6Write; json: string }>): Promise<V6Write[]> {
    let chunk = [...initial];
    const stale: V6Write[] = [];
    for (let attempt = 0; chunk.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error('Could not write the v6 change log: too much contention');
      const committed = await this.latestCursor();
      if (committed + chunk.length > MAX_V6_CURSOR) throw new Error('The v6 change log has reached the largest cursor a site can hold');
      const items: TransactWriteItem[] = [
        {
          Update: {
            TableName: this.table,
            Key: META,
            UpdateExpression: 'SET #committed = :next',
            ConditionExpression: committed === 0 ? 'attribute_not_exists(#committed) OR #committed = :current' : '#committed = :current',
            ExpressionAttributeNames: { '#committed': 'committed' },
            ExpressionAttributeValues: { ':next': committed + chunk.length, ':current': committed },
          },
        },
      ];
      // Index of each write's copy operation in `items`, to read which condition failed.
      const copyOperation: number[] = [];
      chunk.forEach(({ write, json }, i) => {
        const cursor = committed + i + 1;
        const previous = write.replaces;
        copyOperation.push(items.length);
        items.push({
          Put: {
            TableName: this.table,
            Item: {
              ...copyKey(write),
              tableName: write.tableName,
              recordId: write.recordId,
              action: write.action,
              data: json,
              placement: JSON.stringify(write.placement),
              originSiteId: write.originSiteId,
              changeId: write.changeId,
              recentChangeIds: [...(previous?.recentChangeIds ?? []).slice(-(RECENT_CHANGE_IDS - 1)), write.changeId],
              version: (previous?.version ?? 0) + 1,
              cursor: write.partitions.length > 0 ? cursor : 0,
              partitions: [...write.partitions],
            },
            ConditionExpression: previous ? '#version = :version' : 'attribute_not_exists(pk)',
            ...(previous ? { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': previous.version } } : {}),
          },
        });
        if (previous?.cursor) {
          for (const partition of previous.partitions) items.push({ Delete: { TableName: this.table, Key: entryKey(partition, previous.cursor) } });
        }
        for (const partition of write.partitions) {
          items.push({ Put: { TableName: this.table, Item: { ...entryKey(partition, cursor), tableName: write.tableName, recordId: write.recordId } } });
        }
      });
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: items }));
        return stale;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const failed = new Set(chunk.filter((_, i) => reasons[copyOperation[i]!]?.Code === 'ConditionalCheckFailed').map(({ write }) => write));
        // A record changed since it was read: hand it back to be decided again; retry the rest.
        stale.push(...failed);
        chunk = chunk.filter(({ write }) => !failed.has(write));
        await pause(attempt);
      }
    }
    return stale;
  }
  async keepWaiting(changes: readonly V6WaitingChange[]): Promise<void> {
    await inGroups(changes, (change) =>
      unlessConditionFails(
        this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              ...v6SyncKeys.waiting(change.siteId, waitingSlot(change)),
              siteId: change.siteId,
              tableName: change.tableName,
              recordId: change.recordId,
              changeId: change.changeId,
              quarantineId: change.quarantineId,
              raw: JSON.stringify(change.raw ?? null),
              waitingForApi: change.waitingFor.api,
              waitingForTable: change.waitingFor.table,
              waitingForId: change.waitingFor.id,
              seenVersion: change.seenVersion,
              since: change.since,
            },
            // The same change refused again (a batch sent again) keeps its first refusal time.
            ConditionExpression: 'attribute_not_exists(pk) OR #changeId <> :changeId',
            ExpressionAttributeNames: { '#changeId': 'changeId' },
            ExpressionAttributeValues: { ':changeId': change.changeId },
          }),
        ),
      ),
    );
  }

  async sampleWaiting(siteId: number, limit: number): Promise<V6WaitingChange[]> {
    const start = Math.floor(Math.random() * SLOTS);
    const query = async (condition: string, count: number) =>
      (
        await this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: `pk = :pk AND ${condition}`,
            ExpressionAttributeValues: { ':pk': v6SyncKeys.waitingSite(siteId), ':start': start },
            ConsistentRead: true,
            Limit: count,
          }),
        )
      ).Items ?? [];
    const from = await query('sk >= :start', limit);
    const wrapped = from.length < limit ? await query('sk < :start', limit - from.length) : [];
    return [...from, ...wrapped].map(waitingFromItem);
  }

  async removeWaiting(siteId: number, keys: ReadonlyArray<V6Key & { readonly changeId?: string }>): Promise<void> {
    await inGroups(keys, (key) =>
      unlessConditionFails(
        this.db.send(
          new DeleteCommand({
            TableName: this.table,
            Key: v6SyncKeys.waiting(siteId, waitingSlot(key)),
            ...(key.changeId
              ? { ConditionExpression: '#changeId = :changeId', ExpressionAttributeNames: { '#changeId': 'changeId' }, ExpressionAttributeValues: { ':changeId': key.changeId } }
              : {}),
          }),
        ),
      ),
    );
  }

  async hasWaiting(siteId: number): Promise<boolean> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': v6SyncKeys.waitingSite(siteId) },
        ProjectionExpression: 'pk',
        ConsistentRead: true,
        Limit: 1,
      }),
    );
    return Items.length > 0;
  }
}
