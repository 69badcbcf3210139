/**
 * The report figures (`reports` table), kept up to date as records are routed. Each record has a
 * contribution item holding the version counted and what it added; a new version's transaction
 * replaces that contribution and adds the difference to the figures, on condition that the
 * contribution is still the one read. So a redelivered batch counts nothing twice, two batches
 * meeting on one figure both count (ADD), and nothing is ever read from the central copy.
 *
 * Usage joins a line to its header (the header decides store and month): lines add to their
 * header's per-item units, and each of those remembers the usage figure it is counted in
 * (`countedAs`); when a header changes, its per-item units move from the old figure to the new
 * one, each move a transaction of its own, guarded by the header's version.
 */
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { contributionOf, lineDeltas, parseUsageKey, stockDeltas, type Contribution } from '../domain/reports/contributions';
import { reportTables } from '../domain/reports/contributions';
import type { ReportProjection } from '../domain/reports/ports';
import type { StoredRecord } from '../domain/ports';
import { batchGetItems } from './batch-get';
import { queryPartition } from './report-figures';
import { reportKeys } from './keys';
import { ReportWrites } from './report-writes';
import { cancellation } from './transactions';

/** Attempts at one record's transaction before the batch fails (and its message is retried). */
const MAX_ATTEMPTS = 12;

/** Items in one transaction counting several records (DynamoDB allows 100; kept small so a failed one costs little). */
const RECORDS_TRANSACTION_ITEMS = 25;

interface CountedState {
  readonly version: number;
  readonly contribution?: Contribution;
  readonly exists: boolean;
}

const NOTHING_COUNTED: CountedState = { version: 0, exists: false };

export class DynamoReportProjection implements ReportProjection {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async project(records: readonly StoredRecord[]): Promise<void> {
    const counted = records.filter((record) => reportTables.has(record.tableName));
    if (counted.length === 0) return;
    const items = await batchGetItems(this.db, this.table, counted.map((record) => reportKeys.contribution(record.tableName, record.recordId)), 'report contributions');
    const known = new Map(items.map((item) => [`${item.pk as string}`, stateOf(item)]));
    const stateAt = (record: StoredRecord) => known.get(reportKeys.contribution(record.tableName, record.recordId).pk) ?? NOTHING_COUNTED;
    // Headers whose usage may sit under another figure than the one they count in now.
    // With the header's state when this delivery just wrote it (else read when settling).
    const unsettled = new Map<string, CountedState | undefined>();
    const due: StoredRecord[] = [];
    for (const record of counted) {
      // Counted already: a redelivery, perhaps after a crash between the count and the header's moves.
      if (stateAt(record).version >= record.version) {
        if (record.tableName === 'transact') unsettled.set(record.recordId, undefined);
      } else due.push(record);
    }
    await this.countInTransactions(due, stateAt, unsettled);
    for (const headerId of [...unsettled.keys()].sort()) await this.settleHeader(headerId, unsettled.get(headerId));
  }

  /**
   * Counts records several to a transaction (up to {@link RECORDS_TRANSACTION_ITEMS} items: the
   * figures records share become one update). A transaction whose condition fails (another
   * delivery counted one of its records meanwhile) is done again record by record.
   */
  private async countInTransactions(records: readonly StoredRecord[], stateAt: (record: StoredRecord) => CountedState, unsettled: Map<string, CountedState | undefined>) {
    let writes = new ReportWrites(this.table);
    let members: StoredRecord[] = [];
    let moved: StoredRecord[] = [];
    let headers = new Map<string, CountedState>();
    const flush = async () => {
      if (members.length === 0) return;
      if (await this.commit(writes, 0)) {
        for (const header of moved) unsettled.set(header.recordId, { version: header.version, exists: true, contribution: contributionOf(header) });
      } else {
        for (const record of members) await this.projectOne(record, await this.counted(record.tableName, record.recordId), unsettled);
      }
      writes = new ReportWrites(this.table);
      members = [];
      moved = [];
      // A header counted by this transaction is read again by the next one's lines.
      headers = new Map();
    };
    for (const record of records) {
      const state = stateAt(record);
      const own = await this.writesFor(record, state, headers);
      if (members.length > 0 && writes.sizeWith(own) > RECORDS_TRANSACTION_ITEMS) await flush();
      writes.merge(own);
      members.push(record);
      if (usageMoves(record, state)) moved.push(record);
    }
    await flush();
  }

  /** One record alone, reading what is counted again after each failed condition. */
  private async projectOne(record: StoredRecord, read: CountedState, unsettled: Map<string, CountedState | undefined>): Promise<void> {
    let state = read;
    for (let attempt = 0; ; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`Could not count ${record.tableName} ${record.recordId} in the reports: too much contention`);
      if (state.version >= record.version) break;
      if (await this.commit(await this.writesFor(record, state, new Map()), attempt)) break;
      state = await this.counted(record.tableName, record.recordId);
    }
    // Contended: which version moved its usage is not known here, so the header is settled anyway.
    if (record.tableName === 'transact') unsettled.set(record.recordId, undefined);
  }

  /** What counting this version (over the one counted, `state`) writes, under the conditions it was computed on. */
  private async writesFor(record: StoredRecord, state: CountedState, headers: Map<string, CountedState>): Promise<ReportWrites> {
    const next = contributionOf(record);
    const writes = new ReportWrites(this.table);
    const key = reportKeys.contribution(record.tableName, record.recordId);
    writes.set(key, { version: record.version, contribution: next ?? null });
    if (state.exists) writes.require(key, '#version = :counted', { ':counted': state.version });
    else writes.require(key, 'attribute_not_exists(#pk)');
    await this.addStock(writes, state.contribution, next);
    await this.addLines(writes, state.contribution, next, headers);
    addMerge(writes, state.contribution, next);
    return writes;
  }

  private async addStock(writes: ReportWrites, previous: Contribution | undefined, next: Contribution | undefined) {
    for (const delta of stockDeltas(previous, next)) {
      const { storeId, itemId, locationId, units, value } = delta;
      writes.add(reportKeys.stock(storeId, itemId, locationId), { units, value }, { storeId, itemId, locationId });
      writes.add(reportKeys.storeValue(storeId), { units, value }, { storeId });
      writes.set(reportKeys.store(storeId), { storeId });
    }
  }

  /** A line's units go to its header's per-item units, and to usage where that header counts now. */
  private async addLines(writes: ReportWrites, previous: Contribution | undefined, next: Contribution | undefined, headers: Map<string, CountedState>) {
    const deltas = lineDeltas(previous, next);
    if (deltas.length === 0) return;
    const headerItems = await this.items(deltas.map((delta) => reportKeys.headerItem(delta.headerId, delta.itemId)));
    for (const delta of deltas) {
      const key = reportKeys.headerItem(delta.headerId, delta.itemId);
      const item = headerItems.get(`${key.pk}\u0000${key.sk}`);
      let countedAs: string;
      if (item) {
        countedAs = String(item.countedAs ?? '');
        writes.require(key, '#countedAs = :countedAs', { ':countedAs': countedAs });
      } else {
        // A new (header, item): counted where the header counts now, unless the header changes meanwhile.
        const header = headers.get(delta.headerId) ?? (await this.counted('transact', delta.headerId));
        headers.set(delta.headerId, header);
        countedAs = header.contribution?.kind === 'header' ? header.contribution.usageKey : '';
        writes.require(key, 'attribute_not_exists(#pk)');
        writes.set(key, { countedAs, headerId: delta.headerId, itemId: delta.itemId });
        const headerKey = reportKeys.contribution('transact', delta.headerId);
        if (header.exists) writes.require(headerKey, '#version = :counted', { ':counted': header.version });
        else writes.require(headerKey, 'attribute_not_exists(#pk)');
      }
      writes.add(key, { units: delta.units });
      addUsage(writes, countedAs, delta.itemId, delta.units);
    }
  }

  /**
   * Moves a header's per-item units to the usage figure the header's counted version names.
   * Runs whenever the header is routed (a crash between its count and its moves is finished by
   * the redelivery); each move checks the header is still at that version and the units unchanged.
   */
  private async settleHeader(headerId: string, written?: CountedState): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`Could not move the usage of transaction ${headerId}: too much contention`);
      // The state this delivery wrote serves the first pass (each move checks it still holds); later passes read.
      const header = attempt === 0 && written ? written : await this.counted('transact', headerId);
      const target = header.contribution?.kind === 'header' ? header.contribution.usageKey : '';
      const misplaced = (await this.query(reportKeys.headerItems(headerId))).filter((item) => String(item.countedAs ?? '') !== target);
      if (misplaced.length === 0) return;
      let settled = true;
      for (const item of misplaced) {
        const writes = new ReportWrites(this.table);
        const key = reportKeys.headerItem(headerId, item.sk as string);
        const units = Number(item.units ?? 0);
        const countedAs = String(item.countedAs ?? '');
        writes.set(key, { countedAs: target });
        writes.require(key, '#countedAs = :countedAs AND #units = :units', { ':countedAs': countedAs, ':units': item.units ?? 0 });
        writes.require(reportKeys.contribution('transact', headerId), '#version = :counted', { ':counted': header.version });
        addUsage(writes, countedAs, item.itemId as string, -units);
        addUsage(writes, target, item.itemId as string, units);
        if (!(await this.commit(writes, attempt))) settled = false;
      }
      if (settled) return;
    }
  }

  /** True when committed; false when a condition failed (read again); retries conflicts itself. */
  private async commit(writes: ReportWrites, attempt: number): Promise<boolean> {
    const items = writes.items();
    for (let conflictAttempt = attempt; ; conflictAttempt++) {
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: items }));
        return true;
      } catch (error) {
        const { conditionFailed, conflict } = cancellation(error, items);
        if (conditionFailed.length > 0) return false;
        if (!conflict || conflictAttempt >= MAX_ATTEMPTS * 2) throw error;
        await backOff(conflictAttempt);
      }
    }
  }

  private async counted(tableName: string, recordId: string): Promise<CountedState> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: reportKeys.contribution(tableName, recordId), ConsistentRead: true }));
    return Item ? stateOf(Item) : NOTHING_COUNTED;
  }

  private async items(keys: ReadonlyArray<{ pk: string; sk: string }>): Promise<Map<string, Record<string, unknown>>> {
    const items = await batchGetItems(this.db, this.table, keys, 'report figures');
    return new Map(items.map((item) => [`${item.pk as string}\u0000${item.sk as string}`, item]));
  }

  private query(pk: string): Promise<Array<Record<string, unknown>>> {
    return queryPartition(this.db, this.table, pk);
  }
}

function addUsage(writes: ReportWrites, usageKey: string, itemId: string, units: number) {
  const at = usageKey ? parseUsageKey(usageKey) : undefined;
  if (!at || units === 0) return;
  writes.add(reportKeys.usage(at.storeId, at.month, itemId), { units }, { storeId: at.storeId, month: at.month, itemId });
  writes.set(reportKeys.store(at.storeId), { storeId: at.storeId });
}

/** A merge names the item kept for the item merged away; a merge undone (deleted) names none. */
function addMerge(writes: ReportWrites, previous: Contribution | undefined, next: Contribution | undefined) {
  if (previous?.kind === 'itemMerge' && !(next?.kind === 'itemMerge' && next.removeId === previous.removeId)) {
    writes.set(reportKeys.mergedItem(previous.removeId), { keepId: '' });
  }
  if (next?.kind === 'itemMerge') writes.set(reportKeys.mergedItem(next.removeId), { keepId: next.keepId });
}

/** A header whose usage figure changes with this version: its lines' units must move (settleHeader). */
function usageMoves(record: StoredRecord, state: CountedState): boolean {
  if (record.tableName !== 'transact') return false;
  const usageKey = (contribution: Contribution | undefined) => (contribution?.kind === 'header' ? contribution.usageKey : '');
  return usageKey(state.contribution) !== usageKey(contributionOf(record));
}

function stateOf(item: Record<string, unknown>): CountedState {
  const contribution = item.contribution as Contribution | null | undefined;
  return { version: Number(item.version ?? 0), exists: true, ...(contribution ? { contribution } : {}) };
}

const backOff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** Math.min(attempt, 6)));
