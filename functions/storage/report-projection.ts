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
 * one, each move a transaction of its own, guarded by the header's version. A header's item says
 * whether it has per-item units (`lines`) and whether moves are unfinished (`settling`), so a
 * header without units is never queried and a crash before the moves is finished by the next
 * delivery that reads the header (report-delivery.ts).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { addsNothing, contributionOf, lineDeltas, parseUsageKey, reportTables, stockDeltas, type Contribution } from '../domain/reports/contributions';
import type { ReportProjection } from '../domain/reports/ports';
import type { StoredRecord } from '../domain/ports';
import { queryPartition } from './report-figures';
import { DeliveryKnowledge, headerView, leavesMoves, mayBeUnsettled, NOTHING_COUNTED, stateOf, usageKeyOf, type CountedState, type HeaderView } from './report-delivery';
import { reportKeys } from './keys';
import { forEachChunk } from './parallel-chunks';
import { ReportWrites } from './report-writes';
import { cancellation } from './transactions';
import { backOff } from './back-off';

/** Attempts at one record's transaction before the batch fails (and its message is retried). */
const MAX_ATTEMPTS = 12;

/** Items in one transaction counting several records (DynamoDB allows 100; kept small so a failed one costs little). */
const RECORDS_TRANSACTION_ITEMS = 25;

/** Headers settled at once: each touches only its own entries and the figures they move between. */
const SETTLE_CONCURRENCY = 8;

/** Headers whose usage must be settled, with the state this delivery wrote (undefined: read it). */
type Unsettled = Map<string, CountedState | undefined>;

/** One transaction being filled: its writes, and what it changes in what the delivery knows once it commits. */
class PendingCount {
  readonly writes: ReportWrites;
  readonly members: StoredRecord[] = [];
  /** Headers it counts, as their lines see them once it commits. */
  readonly headers = new Map<string, HeaderView & { readonly record: StoredRecord }>();
  /** Headers whose `lines` flag it sets: an entry of theirs is new. */
  readonly flagged = new Set<string>();
  /** Entries it creates, with the figure each is counted in. */
  readonly created: Array<{ readonly key: { pk: string; sk: string }; readonly countedAs: string }> = [];
  constructor(table: string) {
    this.writes = new ReportWrites(table);
  }
}

export class DynamoReportProjection implements ReportProjection {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async project(records: readonly StoredRecord[]): Promise<void> {
    // A first version that adds nothing is not written: no older version can be counted after it,
    // and a later one counts over no item exactly as over the item it would have left.
    const counted = records.filter((record) => reportTables.has(record.tableName) && !(record.version === 1 && addsNothing(contributionOf(record))));
    if (counted.length === 0) return;
    const known = new DeliveryKnowledge(this.db, this.table);
    const contributionKey = (record: StoredRecord) => reportKeys.contribution(record.tableName, record.recordId);
    // A first version has nothing counted before it but itself (a redelivery): its write's
    // condition finds that, and the record is then done alone. Later versions need what was counted.
    for (const record of counted) if (record.version === 1) known.assumeNothingCounted(contributionKey(record));
    // Headers that lines of this delivery join without the header being in it are read in the same batch.
    const inDelivery = new Set(counted.filter((record) => record.tableName === 'transact').map((record) => record.recordId));
    const joined = [...new Set(counted.flatMap((record) => {
      const next = contributionOf(record);
      return next?.kind === 'line' && !inDelivery.has(next.headerId) ? [next.headerId] : [];
    }))];
    await known.load([...counted.map(contributionKey), ...joined.map((headerId) => reportKeys.contribution('transact', headerId))]);
    for (const headerId of joined) known.headers.set(headerId, headerView(known.state(reportKeys.contribution('transact', headerId))));
    const unsettled: Unsettled = new Map();
    const due: StoredRecord[] = [];
    for (const record of counted) {
      const state = known.state(contributionKey(record));
      // Counted already: a redelivery, perhaps after a crash between the count and the header's
      // moves, which left the header marked (or an item from before the marks).
      if (state.version >= record.version) {
        if (record.tableName === 'transact' && mayBeUnsettled(state)) unsettled.set(record.recordId, undefined);
      } else due.push(record);
    }
    // Headers first: their lines later in the delivery then count where the header counts now.
    const ordered = [...due.filter((record) => record.tableName === 'transact'), ...due.filter((record) => record.tableName !== 'transact')];
    // The entries their lines add to, in one batch; a header known to have none has none to read.
    const entries = ordered.flatMap((record) => lineDeltas(known.state(contributionKey(record)).contribution, contributionOf(record)));
    for (const { headerId, itemId } of entries) {
      const header = reportKeys.contribution('transact', headerId);
      if (known.hasState(header) && known.state(header).lines === false) known.assumeNoEntry(reportKeys.headerItem(headerId, itemId));
    }
    await known.load([], entries.map((delta) => reportKeys.headerItem(delta.headerId, delta.itemId)));
    await this.countInTransactions(ordered, known, unsettled);
    await forEachChunk([...unsettled.keys()].sort(), 1, SETTLE_CONCURRENCY, async ([headerId]) => this.settleHeader(headerId!, unsettled.get(headerId!)));
  }

  /**
   * Counts records several to a transaction (up to {@link RECORDS_TRANSACTION_ITEMS} items: the
   * figures records share become one update). A transaction whose condition fails (another
   * delivery counted one of its records meanwhile) is done again record by record.
   */
  private async countInTransactions(records: readonly StoredRecord[], known: DeliveryKnowledge, unsettled: Unsettled) {
    let pending = new PendingCount(this.table);
    const flush = async () => {
      if (pending.members.length === 0) return;
      const done = pending;
      pending = new PendingCount(this.table);
      if (await this.commit(done.writes, 0)) this.committed(done, known, unsettled);
      else {
        known.forgetLines();
        for (const record of done.members) await this.projectOne(record, await this.counted(record.tableName, record.recordId), unsettled);
      }
    };
    for (const record of records) {
      let own = await this.writesFor(record, known, pending);
      if (pending.members.length > 0 && pending.writes.sizeWith(own.writes) > RECORDS_TRANSACTION_ITEMS) {
        await flush();
        // Computed again on what the committed transaction left.
        own = await this.writesFor(record, known, pending);
      }
      join(pending, own);
      pending.members.push(record);
    }
    await flush();
  }

  /** What a committed transaction changed: the states it wrote, and the headers whose entries it may have left under another figure. */
  private committed(done: PendingCount, known: DeliveryKnowledge, unsettled: Unsettled) {
    for (const { key, countedAs } of done.created) known.setEntry(key, countedAs);
    for (const [headerId, { record, state: read, countsAs }] of done.headers) {
      const lines = done.flagged.has(headerId) ? true : read.lines;
      const next = contributionOf(record);
      const moves = leavesMoves(read, next);
      const written: CountedState = { version: record.version, exists: true, ...(next ? { contribution: next } : {}), ...(lines === undefined ? {} : { lines }), ...(moves ? { settling: true } : {}) };
      known.setState(reportKeys.contribution('transact', headerId), written);
      known.headers.set(headerId, { state: written, countsAs });
      // Entries from before this transaction (its condition proved there were none when the flag
      // said so). Its own lines' entries took its new figure: headers come first in a delivery.
      if (moves) unsettled.set(headerId, written);
    }
    // Headers it gave their first entry (an item at version 0 when they are not counted yet).
    for (const headerId of done.flagged) {
      const view = known.headers.get(headerId);
      if (!view || done.headers.has(headerId)) continue;
      const state: CountedState = { ...view.state, exists: true, lines: true };
      known.setState(reportKeys.contribution('transact', headerId), state);
      known.headers.set(headerId, { state, countsAs: view.countsAs });
    }
  }

  /** One record alone, reading what is counted again after each failed condition. */
  private async projectOne(record: StoredRecord, read: CountedState, unsettled: Unsettled): Promise<void> {
    let state = read;
    let counted = false;
    for (let attempt = 0; !counted; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`Could not count ${record.tableName} ${record.recordId} in the reports: too much contention`);
      if (state.version >= record.version) break;
      const known = new DeliveryKnowledge(this.db, this.table);
      known.setState(reportKeys.contribution(record.tableName, record.recordId), state);
      counted = await this.commit((await this.writesFor(record, known, new PendingCount(this.table))).writes, attempt);
      if (!counted) state = await this.counted(record.tableName, record.recordId);
    }
    if (record.tableName !== 'transact') return;
    // Counted here: settled when its count left moves. Counted by another delivery: settled too
    // while marked unsettled (that delivery may have crashed before its moves).
    if (counted ? leavesMoves(state, contributionOf(record)) : mayBeUnsettled(state)) unsettled.set(record.recordId, undefined);
  }

  /** What counting this version (over the one counted) writes, under the conditions it was computed on. */
  private async writesFor(record: StoredRecord, known: DeliveryKnowledge, pending: PendingCount): Promise<PendingCount> {
    const own = new PendingCount(this.table);
    const { writes } = own;
    const key = reportKeys.contribution(record.tableName, record.recordId);
    const state = known.state(key);
    const next = contributionOf(record);
    writes.set(key, { version: record.version, contribution: next ?? null });
    if (state.exists) writes.require(key, '#version = :counted', { ':counted': state.version });
    else writes.require(key, 'attribute_not_exists(#pk)');
    if (record.tableName === 'transact') {
      // The flag stays proof: a header said to have no entries is counted only if none came meanwhile.
      if (!state.exists) writes.setIfMissing(key, { lines: false });
      else if (state.lines === false) writes.require(key, '#lines = :none', { ':none': false });
      // Marked until its entries have moved: a crash before then leaves the moves to whoever reads it next.
      if (leavesMoves(state, next)) writes.set(key, { settling: true });
      own.headers.set(record.recordId, { state, countsAs: usageKeyOf(next), record });
    }
    addStock(writes, state.contribution, next);
    await this.addLines(own, state.contribution, next, known, pending);
    addMerge(writes, state.contribution, next);
    return own;
  }

  /** A line's units go to its header's per-item units, and to usage where that header counts now. */
  private async addLines(own: PendingCount, previous: Contribution | undefined, next: Contribution | undefined, known: DeliveryKnowledge, pending: PendingCount) {
    const { writes } = own;
    const deltas = lineDeltas(previous, next);
    if (deltas.length === 0) return;
    await known.load([], deltas.map((delta) => reportKeys.headerItem(delta.headerId, delta.itemId)));
    for (const delta of deltas) {
      const key = reportKeys.headerItem(delta.headerId, delta.itemId);
      const entry = known.entry(key);
      let countedAs: string;
      if (typeof entry === 'string') {
        countedAs = entry;
        writes.require(key, '#countedAs = :countedAs', { ':countedAs': countedAs });
      } else {
        // A new (header, item): counted where the header counts now, unless the header changes meanwhile.
        const header = pending.headers.get(delta.headerId) ?? (await this.headerView(delta.headerId, known));
        countedAs = header.countsAs;
        writes.require(key, 'attribute_not_exists(#pk)');
        writes.set(key, { countedAs, headerId: delta.headerId, itemId: delta.itemId });
        const headerKey = reportKeys.contribution('transact', delta.headerId);
        if (header.state.exists) writes.require(headerKey, '#version = :counted', { ':counted': header.state.version });
        else writes.require(headerKey, 'attribute_not_exists(#pk)');
        // The header's item says it has entries (made, at version 0, when it is not counted yet).
        if (header.state.lines !== true) {
          writes.set(headerKey, { lines: true });
          writes.setIfMissing(headerKey, { version: 0 });
          own.flagged.add(delta.headerId);
        }
        own.created.push({ key, countedAs });
      }
      writes.add(key, { units: delta.units });
      addUsage(writes, countedAs, delta.itemId, delta.units);
    }
  }

  private async headerView(headerId: string, known: DeliveryKnowledge): Promise<HeaderView> {
    const view = known.headers.get(headerId) ?? headerView(await this.counted('transact', headerId));
    known.headers.set(headerId, view);
    return view;
  }

  /**
   * Moves a header's per-item units to the usage figure the header's counted version names, then
   * unmarks it. Runs when a count leaves moves, or a delivery finds the header still marked (a
   * crash before its moves); each move checks the header is still at that version and the units unchanged.
   */
  private async settleHeader(headerId: string, written?: CountedState): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`Could not move the usage of transaction ${headerId}: too much contention`);
      // The state this delivery wrote serves the first pass (each move checks it still holds); later passes read.
      const header = attempt === 0 && written ? written : await this.counted('transact', headerId);
      const target = header.contribution?.kind === 'header' ? header.contribution.usageKey : '';
      const misplaced = (await this.query(reportKeys.headerItems(headerId))).filter((item) => String(item.countedAs ?? '') !== target);
      if (misplaced.length === 0) {
        if (header.settling) await this.markSettled(headerId, header.version);
        return;
      }
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
      if (settled) {
        if (header.settling) await this.markSettled(headerId, header.version);
        return;
      }
    }
  }

  /**
   * Clears the header's mark once every entry counts where its version says. A newer version
   * counted meanwhile keeps the mark: its own count read it and settles.
   */
  private async markSettled(headerId: string, version: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: reportKeys.contribution('transact', headerId),
          UpdateExpression: 'REMOVE #settling',
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#settling': 'settling', '#version': 'version' },
          ExpressionAttributeValues: { ':version': version },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
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

  private query(pk: string): Promise<Array<Record<string, unknown>>> {
    return queryPartition(this.db, this.table, pk);
  }
}

/** A record's own writes joining the transaction being filled. */
function join(pending: PendingCount, own: PendingCount) {
  pending.writes.merge(own.writes);
  for (const [headerId, view] of own.headers) pending.headers.set(headerId, view);
  for (const headerId of own.flagged) pending.flagged.add(headerId);
  pending.created.push(...own.created);
}

function addStock(writes: ReportWrites, previous: Contribution | undefined, next: Contribution | undefined) {
  for (const delta of stockDeltas(previous, next)) {
    const { storeId, itemId, locationId, units, value } = delta;
    writes.add(reportKeys.stock(storeId, itemId, locationId), { units, value }, { storeId, itemId, locationId });
    writes.add(reportKeys.storeValue(storeId), { units, value }, { storeId });
    writes.set(reportKeys.store(storeId), { storeId });
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

