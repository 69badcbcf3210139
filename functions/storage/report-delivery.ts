/**
 * What one delivery of records to the report projection knows while it counts them: the counted
 * state of records and headers, and the (header, item) entries, read in batches up front and kept
 * current as its own transactions commit. Every write built from it carries the conditions it
 * was computed under, so knowledge gone stale (another delivery wrote meanwhile) fails a
 * condition, never counts wrong; after a failed transaction the delivery reads its headers and
 * entries again.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Contribution } from '../domain/reports/contributions';
import { batchGetItems } from './batch-get';

export interface CountedState {
  readonly version: number;
  readonly contribution?: Contribution;
  readonly exists: boolean;
  /**
   * A header's: whether it has (header, item) entries. Every entry is created together with this
   * flag on the header's item, so `false` (or no item at all) proves there are none; undefined:
   * not known (an item written before the flag existed), the entries must be queried.
   */
  readonly lines?: boolean;
  /**
   * A header's: its usage moved and its entries may not all have followed yet. Set by the count
   * that moves it, cleared once they have: whoever reads it set (a redelivery after a crash, a
   * later version's count) moves them.
   */
  readonly settling?: boolean;
}

export const NOTHING_COUNTED: CountedState = { version: 0, exists: false, lines: false };

/** A header as lines joining it see it: the state their conditions name, and where they count. */
export interface HeaderView {
  readonly state: CountedState;
  readonly countsAs: string;
}

type Key = { readonly pk: string; readonly sk: string };

export const keyId = (key: Key): string => `${key.pk}\u0000${key.sk}`;

export const usageKeyOf = (contribution: Contribution | undefined): string => (contribution?.kind === 'header' ? contribution.usageKey : '');

export const headerView = (state: CountedState): HeaderView => ({ state, countsAs: usageKeyOf(state.contribution) });

export function stateOf(item: Record<string, unknown>): CountedState {
  const contribution = item.contribution as Contribution | null | undefined;
  const lines = typeof item.lines === 'boolean' ? { lines: item.lines } : {};
  return { version: Number(item.version ?? 0), exists: true, ...(contribution ? { contribution } : {}), ...lines, ...(item.settling === true ? { settling: true } : {}) };
}

/** Whether counting `next` over a header's `state` leaves entries to move: its usage moves and it may have entries, or earlier moves are unfinished. */
export function leavesMoves(state: CountedState, next: Contribution | undefined): boolean {
  return state.settling === true || (usageKeyOf(state.contribution) !== usageKeyOf(next) && state.lines !== false);
}

/** A header counted already (by another delivery, or a redelivered one) whose entries may still have to move. */
export const mayBeUnsettled = (state: CountedState): boolean => state.settling === true || state.lines === undefined;

export class DeliveryKnowledge {
  /** Contribution items by key id: the state read, or written by this delivery. */
  private readonly states = new Map<string, CountedState>();
  /** Header views by header id, as this delivery's committed transactions left them. */
  readonly headers = new Map<string, HeaderView>();
  /** (header, item) entries by key id: the figure they are counted in, or null when there is none. */
  private readonly entries = new Map<string, string | null>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Reads, in batches, the contribution items and entries not known yet; what is missing is known missing. */
  async load(contributions: readonly Key[], entries: readonly Key[] = []): Promise<void> {
    const unknownContributions = contributions.filter((key) => !this.states.has(keyId(key)));
    const unknownEntries = entries.filter((key) => !this.entries.has(keyId(key)));
    const keys = [...new Map([...unknownContributions, ...unknownEntries].map((key) => [keyId(key), key])).values()];
    if (keys.length === 0) return;
    const found = new Map((await batchGetItems(this.db, this.table, keys, 'report contributions')).map((item) => [keyId(item as Key), item]));
    for (const key of unknownContributions) {
      const item = found.get(keyId(key));
      this.states.set(keyId(key), item ? stateOf(item) : NOTHING_COUNTED);
    }
    for (const key of unknownEntries) {
      const item = found.get(keyId(key));
      this.entries.set(keyId(key), item ? String(item.countedAs ?? '') : null);
    }
  }

  /** Known to hold nothing without a read: a record's first version, whose write's condition finds any count. */
  assumeNothingCounted(key: Key): void {
    if (!this.states.has(keyId(key))) this.states.set(keyId(key), NOTHING_COUNTED);
  }

  /** An entry of a header whose flag says it has none: the entry's write's condition finds one made meanwhile. */
  assumeNoEntry(key: Key): void {
    if (!this.entries.has(keyId(key))) this.entries.set(keyId(key), null);
  }

  state(key: Key): CountedState {
    return this.states.get(keyId(key)) ?? NOTHING_COUNTED;
  }

  hasState(key: Key): boolean {
    return this.states.has(keyId(key));
  }

  setState(key: Key, state: CountedState): void {
    this.states.set(keyId(key), state);
  }

  /** The figure an entry is counted in, null when it does not exist; undefined when never read. */
  entry(key: Key): string | null | undefined {
    return this.entries.get(keyId(key));
  }

  setEntry(key: Key, countedAs: string): void {
    this.entries.set(keyId(key), countedAs);
  }

  /** After a failed transaction: what other deliveries may have changed under the lines is read again. */
  forgetLines(): void {
    this.headers.clear();
    this.entries.clear();
  }
}
