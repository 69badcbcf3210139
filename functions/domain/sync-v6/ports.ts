/**
 * The storage sync v6 needs, as interfaces the domain owns; `functions/storage/v6-store.ts`
 * implements them on DynamoDB.
 */
import type { V6Action, V6Placement, V6Ref } from './placement';

export interface V6Key {
  readonly tableName: string;
  readonly recordId: string;
}

export const v6KeyString = (key: V6Key): string => `${key.tableName}\u0000${key.recordId}`;

/** The central copy of one v6 record. */
export interface V6StoredRecord extends V6Key {
  readonly action: V6Action;
  /** The row as last pushed or imported. */
  readonly recordData: unknown;
  readonly placement: V6Placement;
  readonly originSiteId: number;
  /** Names the change that wrote it: the same change pushed again is recognised and left alone. */
  readonly changeId: string;
  /**
   * The last changes applied to it, newest last (`changeId` included): a batch changing a record
   * twice, sent again, repeats neither change.
   */
  readonly recentChangeIds: readonly string[];
  /** Grows with every accepted change (1 for the first). */
  readonly version: number;
  /** Its change-log cursor (0: never entered in the log). */
  readonly cursor: number;
  /** The partitions its change-log entry is in, at `cursor`. */
  readonly partitions: readonly string[];
}

/** An accepted change to write: the copy, and its entries in the change log. */
export interface V6Write extends V6Key {
  readonly action: V6Action;
  readonly recordData: unknown;
  readonly placement: V6Placement;
  readonly originSiteId: number;
  readonly changeId: string;
  readonly partitions: readonly string[];
  /** The copy this change replaces (undefined: the record is new); written only if still current. */
  readonly replaces?: V6StoredRecord;
}

export interface V6LogEntry extends V6Key {
  readonly cursor: number;
}

export interface V6Store {
  get(keys: readonly V6Key[]): Promise<Map<string, V6StoredRecord>>;
  /**
   * Writes each change with the next cursors, atomically with its log entries and the committed
   * maximum. Returns the writes whose `replaces` was no longer current (nothing of those written).
   */
  apply(writes: readonly V6Write[]): Promise<V6Write[]>;
  /** The highest committed cursor (0 while the log is empty): every entry at or below it is written. */
  latestCursor(): Promise<number>;
  /** Entries of one partition with `from <= cursor <= to`, ascending, at most `limit`. */
  readPartition(partition: string, from: number, to: number, limit: number): Promise<{ entries: V6LogEntry[]; more: boolean }>;
}

/**
 * A pushed change refused only because a record it is placed by was not held yet
 * (`parent_not_found`), kept to be decided again once that record arrives (one per site and
 * record: the site's latest such change of it).
 */
export interface V6WaitingChange extends V6Key {
  readonly siteId: number;
  /** The push's change id (the same change decided again is recognised as one). */
  readonly changeId: string;
  /** Its quarantine entry (the digest of the record as pushed). */
  readonly quarantineId: string;
  /** The record as pushed, `{cursor, record}`. */
  readonly raw: unknown;
  /** The record it waits for. */
  readonly waitingFor: V6Ref;
  /** The version of the record's copy when it was refused (0: not held): applied only over it. */
  readonly seenVersion: number;
  /** When it was refused (ISO 8601). */
  readonly since: string;
}

export interface V6WaitingStore {
  /** Keeps each change as its site's waiting change of its record, replacing an earlier one. */
  keepWaiting(changes: readonly V6WaitingChange[]): Promise<void>;
  /**
   * At most `limit` of the site's waiting changes, starting at a random place in the site's
   * list (so every waiting change is looked at in turn, however many there are).
   */
  sampleWaiting(siteId: number, limit: number): Promise<V6WaitingChange[]>;
  /**
   * Forgets these waiting changes of the site; `changeId` given: only while that change is
   * the one waiting (a newer change of the record stays).
   */
  removeWaiting(siteId: number, keys: ReadonlyArray<V6Key & { readonly changeId?: string }>): Promise<void>;
  /** Whether the site has any waiting change (one small read). */
  hasWaiting(siteId: number): Promise<boolean>;
}
