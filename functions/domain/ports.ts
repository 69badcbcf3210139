/**
 * The storage the sync rules need, as interfaces the domain owns; adapters in
 * functions/storage implement them on DynamoDB.
 */

export type SyncAction = 'insert' | 'update' | 'delete' | 'merge';

/** A record as it travels: legacy table name, id, action and the legacy-format body. */
export interface SyncRecord {
  readonly tableName: string;
  readonly recordId: string;
  readonly action: SyncAction;
  readonly recordData?: Readonly<Record<string, unknown>>;
}

/** A record waiting for a site, identified by the syncOutId the site acknowledges. */
export interface QueuedRecord extends SyncRecord {
  readonly syncOutId: string;
}

/** A record routed to a site, with the version of the central copy it carries. */
export interface RoutedRecord extends SyncRecord {
  readonly siteId: number;
  /** Increases with every accepted change of the record; an older version never replaces a newer one. */
  readonly version: number;
}

export interface OutgoingQueue {
  /** Queues records for sites; a record already waiting for a site is replaced by its newer version. */
  enqueue(records: readonly RoutedRecord[]): Promise<void>;
  /** Oldest first, at most `limit`; `queueLength` counts everything waiting, this batch included. */
  pull(siteId: number, limit: number): Promise<{ queueLength: number; records: QueuedRecord[] }>;
  /** Removes acknowledged entries that still hold the delivered version; unknown ids are ignored. */
  acknowledge(siteId: number, syncOutIds: readonly string[]): Promise<void>;
  queueLength(siteId: number): Promise<number>;
}

/** One central-log entry, at its cursor. */
export interface ChangeLogEntry extends SyncRecord {
  readonly cursor: number;
}

export interface ChangeLog {
  /** Appends (or moves to the end) each record's single entry. */
  append(records: readonly SyncRecord[]): Promise<void>;
  /** Entries with cursor > `after`, ascending, at most `limit`, never past the committed maximum. */
  read(after: number, limit: number): Promise<{ maxCursor: number; entries: ChangeLogEntry[] }>;
}
