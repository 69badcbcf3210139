/**
 * The central copy (`records` table): one item per record, written with a condition on the
 * change id so a retried change is applied once, and a version that grows with every change.
 * Indexed by holding store (`byStore`) and by patient (`byPatient`) for initialisation, and by
 * parent record (`byParent`) so transfers find a header's lines.
 */
import { QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AcceptedChange, CentralCopy, CentralCopyIndex, CentralCopyReadOptions, KeyedRecord, RecordKey, RecordSource, StoredRecord } from '../domain/ports';
import { recordKeyString, versionAfter } from '../domain/ports';
import { holderOf, parentKeyOf, type Placement } from '../domain/sync/placement';
import { recordsKeys } from './keys';
import { batchGetItems } from './batch-get';
import { batchWriteAll } from './batch-write';
import { recordDataOfItem, storedRecordData } from './record-data';
import { forEachChunk } from './parallel-chunks';
import { cancellation, type TransactWriteItem } from './transactions';
import { executeConditional, insertStatement, STATEMENTS_PER_BATCH, updateStatement, type ConditionalStatement } from './conditional-batch';
import { backOff } from './back-off';

/**
 * Updates (with `if_not_exists`, which PartiQL lacks) go in small transactions, several in flight:
 * nothing needs them to be all-or-nothing, and a transaction's cost grows faster than its size
 * (bench/write-styles.ts).
 */
const ITEMS_PER_TRANSACTION = 25;
/** Requests (statement batches, transactions) of one call in flight at once. */
const WRITE_CONCURRENCY = 8;
const MAX_ATTEMPTS = 8;
const RECEIPT_PREFIX = 'receipt:';

export class DynamoCentralCopy implements CentralCopy {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(keys: readonly RecordKey[], options: CentralCopyReadOptions = {}): Promise<Map<string, StoredRecord>> {
    const unique = [...new Map(keys.map((key) => [recordKeyString(key), key])).values()];
    // Each record with its routed marker, in the same requests.
    const itemKeys = unique.flatMap(({ tableName, recordId }) =>
      options.routing === false ? [recordsKeys.record(tableName, recordId)] : [recordsKeys.record(tableName, recordId), recordsKeys.routed(tableName, recordId)],
    );
    const items = await batchGetItems(this.db, this.table, itemKeys, 'the central copy');
    const markers = new Map<string, number>();
    const records: StoredRecord[] = [];
    for (const item of items) {
      // A marker holds nothing but its key and the version.
      if (item.tableName === undefined) markers.set(item.pk as string, Number(item.routedVersion));
      else records.push(fromItem(item));
    }
    return new Map(
      records.map((record) => {
        const marked = markers.get(recordsKeys.routed(record.tableName, record.recordId).pk) ?? 0;
        return [recordKeyString(record), marked > record.routedVersion ? { ...record, routedVersion: marked } : record];
      }),
    );
  }

  async apply(changes: readonly AcceptedChange[]): Promise<StoredRecord[]> {
    const latest = [...new Map(changes.map((change) => [recordKeyString(change.record), change])).values()];
    // A change read as applied already (or guarded against the site that changed it last) writes nothing.
    const unsettled = latest.filter((change) => !settledAsRead(change));
    // A change decided on a copy it read is written over that copy; one not read, as the update.
    const updates = unsettled.filter((change) => change.stored === undefined);
    const overRead = unsettled.flatMap((change) => (change.stored === undefined ? [] : [{ change, stored: change.stored, record: this.storedAsRead(change) }]));
    const writtenAsRead: StoredRecord[] = [];
    // Each record is in one chunk only, so the writes never contend with each other.
    await forEachChunk(overRead, STATEMENTS_PER_BATCH, WRITE_CONCURRENCY, async (chunk) => {
      const moved = await executeConditional(this.db, chunk.map(({ record, stored }) => this.writeAsRead(record, stored)));
      // A copy that changed since it was read: the change is made as the update. A write as read
      // stored a version known here; an update's version is only known by reading it.
      chunk.forEach((write, i) => (moved.has(i) ? updates.push(write.change) : writtenAsRead.push(write.record)));
    });
    await forEachChunk(updates, ITEMS_PER_TRANSACTION, WRITE_CONCURRENCY, (chunk) => this.writeUpdates(chunk));
    return writtenAsRead;
  }

  /**
   * Plain batch puts of each record's routed marker: no transaction and no condition, so marking
   * costs a small write per record. Two routings of one record that finish out of order may leave
   * the older version marked; the record is then routed once more, which routing does safely.
   */
  async markRouted(routed: ReadonlyArray<RecordKey & { readonly version: number }>): Promise<void> {
    const latest = new Map<string, RecordKey & { readonly version: number }>();
    for (const entry of routed) {
      const key = recordKeyString(entry);
      if ((latest.get(key)?.version ?? 0) < entry.version) latest.set(key, entry);
    }
    const puts = [...latest.values()].map(({ tableName, recordId, version }) => ({ PutRequest: { Item: { ...recordsKeys.routed(tableName, recordId), routedVersion: version } } }));
    await batchWriteAll(this.db, this.table, puts, { concurrency: WRITE_CONCURRENCY });
  }

  /** The conditional updates in one transaction until settled: an update whose condition failed is done already (dropped). */
  private async writeUpdates(changes: readonly AcceptedChange[]): Promise<void> {
    let pending = [...changes];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`Could not write ${pending.length} central records: too much contention`);
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: pending.map((change) => this.applyItem(change)) }));
        return;
      } catch (error) {
        const { conditionFailed, conflict } = cancellation(error, pending);
        pending = pending.filter((item) => !conditionFailed.includes(item));
        if (conflict) await backOff(attempt);
      }
    }
  }

  /**
   * The change as a whole item, on condition that the copy is still the one it was decided on:
   * inserted where none existed, else set over the copy on condition of its version (and what the
   * whole item would not hold removed). It writes what the update below would, from what was read,
   * without a transaction: less of DynamoDB Local's CPU than the update (bench/write-styles.ts), and
   * half the write units of a transactional write in DynamoDB.
   */
  private writeAsRead(record: StoredRecord, stored: StoredRecord | null): ConditionalStatement {
    const indexed = indexKeysOf(record.placement);
    const attributes: Record<string, unknown> = {
      tableName: record.tableName,
      recordId: record.recordId,
      action: record.action,
      placement: record.placement satisfies Placement,
      originSiteId: record.originSiteId,
      changeId: record.changeId,
      updatedAt: this.now().toISOString(),
      version: record.version,
      routedVersion: record.routedVersion,
      ...(record.recordData === undefined ? {} : { recordData: storedRecordData(record.recordData) }),
      ...indexed,
    };
    const key = recordsKeys.record(record.tableName, record.recordId);
    if (!stored) return insertStatement(this.table, { ...key, ...attributes });
    const absent = [...INDEX_ATTRIBUTES, 'recordData'].filter((name) => attributes[name] === undefined);
    return updateStatement(this.table, key, attributes, absent, { version: stored.version });
  }

  /** The record a write over the copy the change was decided on stores. */
  private storedAsRead(change: AcceptedChange): StoredRecord {
    const { record, placement, stored } = change;
    const version = versionAfter(stored);
    // A delete keeps the last data: it still says whose record it was.
    const recordData = record.action !== 'delete' && record.recordData !== undefined ? record.recordData : stored?.recordData;
    return {
      tableName: record.tableName,
      recordId: record.recordId,
      action: record.action,
      ...(recordData === undefined ? {} : { recordData }),
      placement,
      originSiteId: change.originSiteId,
      changeId: change.changeId,
      version,
      // A change that routes nowhere, or that its push routes, is routed as it is stored; any other waits for its routing.
      routedVersion: change.routesNowhere || change.routedByPush ? version : (stored?.routedVersion ?? 0),
    };
  }

  private applyItem(change: AcceptedChange): TransactWriteItem {
    const { record, placement } = change;
    const set = [
      'tableName = :tableName',
      'recordId = :recordId',
      '#action = :action',
      'placement = :placement',
      'originSiteId = :origin',
      'changeId = :changeId',
      'updatedAt = :now',
      'version = if_not_exists(version, :zero) + :one',
      // A change that routes nowhere is routed as it is stored; any other waits for its routing.
      change.routesNowhere ? 'routedVersion = if_not_exists(version, :zero) + :one' : 'routedVersion = if_not_exists(routedVersion, :zero)',
    ];
    const remove: string[] = [];
    const values: Record<string, unknown> = {
      ':tableName': record.tableName,
      ':recordId': record.recordId,
      ':action': record.action,
      ':placement': placement satisfies Placement,
      ':origin': change.originSiteId,
      ':changeId': change.changeId,
      ':now': this.now().toISOString(),
      ':zero': 0,
      ':one': 1,
    };
    // A delete keeps the last data: it still says whose record it was.
    if (record.action !== 'delete' && record.recordData !== undefined) {
      set.push('recordData = :data');
      values[':data'] = storedRecordData(record.recordData);
    }
    const indexed = indexKeysOf(placement);
    for (const attribute of INDEX_ATTRIBUTES) {
      const value = indexed[attribute];
      if (value === undefined) remove.push(attribute);
      else {
        set.push(`${attribute} = :${attribute}`);
        values[`:${attribute}`] = value;
      }
    }
    return {
      Update: {
        TableName: this.table,
        Key: recordsKeys.record(record.tableName, record.recordId),
        UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression:
          change.onlyIfLastChangedBy === undefined
            ? 'attribute_not_exists(pk) OR changeId <> :changeId'
            : 'attribute_not_exists(pk) OR (changeId <> :changeId AND originSiteId = :guard)',
        ExpressionAttributeNames: { '#action': 'action' },
        ExpressionAttributeValues: change.onlyIfLastChangedBy === undefined ? values : { ...values, ':guard': change.onlyIfLastChangedBy },
      },
    };
  }

  byStore(storeId: string): AsyncIterable<StoredRecord[]> {
    return this.pages('byStore', storeId);
  }

  byPatient(patientId: string): AsyncIterable<StoredRecord[]> {
    return this.pages('byPatient', patientId);
  }

  byParent(tableName: string, recordId: string): AsyncIterable<StoredRecord[]> {
    return this.pages('byParent', `${tableName}#${recordId}`);
  }

  async recordReceipt(orderLineId: string, goodsReceivedLineId: string, quantity: number): Promise<Record<string, number>> {
    // One attribute per goods received line: setting it again is idempotent, and needs no map to exist first.
    const { Attributes = {} } = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: recordsKeys.receipts(orderLineId),
        UpdateExpression: 'SET #line = :quantity',
        ExpressionAttributeNames: { '#line': `${RECEIPT_PREFIX}${goodsReceivedLineId}` },
        ExpressionAttributeValues: { ':quantity': quantity },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Object.fromEntries(
      Object.entries(Attributes)
        .filter(([attribute]) => attribute.startsWith(RECEIPT_PREFIX))
        .map(([attribute, value]) => [attribute.slice(RECEIPT_PREFIX.length), Number(value)]),
    );
  }

  async page(index: CentralCopyIndex, value: string, after?: string): Promise<{ records: StoredRecord[]; next?: string }> {
    const { attribute } = indexAttributes[index];
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: index,
        KeyConditionExpression: '#key = :value',
        ExpressionAttributeNames: { '#key': attribute },
        ExpressionAttributeValues: { ':value': value },
        ...(after ? { ExclusiveStartKey: JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as Record<string, unknown> } : {}),
      }),
    );
    const records = (page.Items ?? []).map(fromItem);
    return page.LastEvaluatedKey ? { records, next: Buffer.from(JSON.stringify(page.LastEvaluatedKey)).toString('base64url') } : { records };
  }

  async keyedPage(source: RecordSource, limit: number, afterKey?: string): Promise<{ records: KeyedRecord[]; more: boolean }> {
    const { attribute } = indexAttributes[source.index];
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: source.index,
        KeyConditionExpression: '#key = :value',
        ExpressionAttributeNames: { '#key': attribute },
        ExpressionAttributeValues: { ':value': source.value },
        Limit: limit,
        // A record's own key resumes the index right after it: its index key plus the table key.
        ...(afterKey === undefined ? {} : { ExclusiveStartKey: { [attribute]: source.value, pk: afterKey } }),
      }),
    );
    const records = (page.Items ?? []).map((item) => ({ key: item.pk as string, record: fromItem(item) }));
    return { records, more: page.LastEvaluatedKey !== undefined };
  }

  private async *pages(index: CentralCopyIndex, value: string): AsyncIterable<StoredRecord[]> {
    let after: string | undefined;
    do {
      const { records, next } = await this.page(index, value, after);
      yield records;
      after = next;
    } while (after);
  }
}

const indexAttributes: Readonly<Record<CentralCopyIndex, { attribute: string }>> = {
  byStore: { attribute: 'storeId' },
  byPatient: { attribute: 'patientId' },
  byParent: { attribute: 'parentKey' },
};

/** What the update's condition would refuse, seen in the copy the change was decided on. */
function settledAsRead(change: AcceptedChange): boolean {
  const { stored } = change;
  if (!stored) return false;
  return stored.changeId === change.changeId || (change.onlyIfLastChangedBy !== undefined && stored.originSiteId !== change.onlyIfLastChangedBy);
}

/** The attributes that place a record in an index; absent where the record is not in it. */
const INDEX_ATTRIBUTES = ['storeId', 'patientId', 'parentKey'] as const;

/** The index keys a placement gives a record (absent: not in that index). */
function indexKeysOf(placement: Placement): { storeId?: string; patientId?: string; parentKey?: string } {
  const attributes = { storeId: holderOf(placement), patientId: placement.patientId, parentKey: parentKeyOf(placement) };
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== undefined));
}

function fromItem(item: Record<string, unknown>): StoredRecord {
  return {
    tableName: item.tableName as string,
    recordId: item.recordId as string,
    action: item.action as StoredRecord['action'],
    ...(item.recordData !== undefined ? { recordData: recordDataOfItem(item.recordData) } : {}),
    placement: item.placement as Placement,
    originSiteId: Number(item.originSiteId),
    changeId: item.changeId as string,
    version: Number(item.version),
    routedVersion: Number(item.routedVersion ?? 0),
  };
}

