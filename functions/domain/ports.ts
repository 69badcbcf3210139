/**
 * The storage the sync rules need, as interfaces the domain owns; adapters in
 * functions/storage implement them on DynamoDB.
 */
import type { StreamPosition } from './sync/initial-stream';
import type { GateDecision } from './auth/attempt-gate';

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

/** Names one record: legacy table and id. */
export interface RecordKey {
  readonly tableName: string;
  readonly recordId: string;
}

export const recordKeyString = (key: RecordKey): string => `${key.tableName}\u0000${key.recordId}`;

/** An accepted change, as the central copy stores it. */
export interface AcceptedChange {
  readonly record: SyncRecord;
  readonly placement: import('./sync/placement').Placement;
  readonly originSiteId: number;
  /** Unique per change at its origin (site id + the site's syncOutId): a retried change is applied once. */
  readonly changeId: string;
  /** Apply only if the record is new or its last change came from this site (a site's own edit wins). */
  readonly onlyIfLastChangedBy?: number;
  /** Routing it would do nothing (no site, no change log, no transfer): stored as routed already. */
  readonly routesNowhere?: boolean;
  /**
   * The push that stores it routes it, under work marked before the write that names this
   * version: a write over the copy as read stores it as routed (no routed marker is written for it). An update (the copy
   * moved since it was read) does not; routing then reads it.
   */
  readonly routedByPush?: boolean;
  /**
   * The central copy this change was decided on, when the writer read it (null: none was held).
   * The write is then the whole record on condition that the copy is still that one; a change that
   * landed meanwhile makes it fall back to the conditional update. Absent: not read.
   */
  readonly stored?: StoredRecord | null;
}

/** The version a change written on this copy gets (versions start at 1 and grow by one). */
export const versionAfter = (stored: Pick<StoredRecord, 'version'> | null | undefined): number => (stored?.version ?? 0) + 1;

/** The central copy of one record. */
export interface StoredRecord extends SyncRecord {
  readonly placement: import('./sync/placement').Placement;
  readonly originSiteId: number;
  readonly changeId: string;
  /** Increases with every accepted change. */
  readonly version: number;
  /** The version last routed to its destinations (0: never); read from an index, only a lower bound. */
  readonly routedVersion: number;
}

export type CentralCopyIndex = 'byStore' | 'byPatient' | 'byParent';

/** A stored record with the key it is ordered by in the central copy's indexes. */
export interface KeyedRecord {
  readonly key: string;
  readonly record: StoredRecord;
}

/** The records of one index key: a store's (`byStore`), a patient's (`byPatient`), a header's lines. */
export interface RecordSource {
  readonly index: CentralCopyIndex;
  readonly value: string;
}

/**
 * What a site is sent when it becomes entitled to more: one index source of the central copy,
 * every patient visible in a store with the dispensary data (a store saved with "resync patient
 * records"), or every central record (a site made primary), expanded by the consumer so the
 * request that asks for it stays small.
 */
export type EntitlementSource =
  | RecordSource
  | { readonly index: 'patientsVisibleIn'; readonly value: string }
  /** Every central record in the change log (a site made primary holds them all); `value` is unused. */
  | { readonly index: 'centralLog'; readonly value: string };

export interface CentralCopyReadOptions {
  /**
   * false: skip what routing recorded, so `routedVersion` is only a lower bound (a push deciding
   * records needs none of it). Default: the version last routed, read with the record.
   */
  readonly routing?: boolean;
}

/** The central server's copy of every record: the reporting hub and every site's backup. */
export interface CentralCopy {
  /** One page of an index, from where the previous page stopped (`after` = its `next`). */
  page(index: CentralCopyIndex, value: string, after?: string): Promise<{ records: StoredRecord[]; next?: string }>;
  /**
   * Up to `limit` records of one index key, in key order, after the record whose key is
   * `afterKey`; each with its key, so a reader can resume after any record it delivered.
   */
  keyedPage(source: RecordSource, limit: number, afterKey?: string): Promise<{ records: KeyedRecord[]; more: boolean }>;
  get(keys: readonly RecordKey[], options?: CentralCopyReadOptions): Promise<Map<string, StoredRecord>>;
  /**
   * Stores each change once: a change already applied (same changeId) is left as it is. Returns
   * the records written over the copy they were decided on (`stored`), whose new version is
   * known without reading them again; changes written otherwise are not listed.
   */
  apply(changes: readonly AcceptedChange[]): Promise<StoredRecord[]>;
  /**
   * Records that `version` reached its destinations. Two routings of one record finishing out of
   * order may record the older version: the record is then routed again, never skipped.
   */
  markRouted(routed: ReadonlyArray<RecordKey & { readonly version: number }>): Promise<void>;
  /** Every record owned by a store (or home store), page by page. */
  byStore(storeId: string): AsyncIterable<StoredRecord[]>;
  /** Every record of a patient, page by page. */
  byPatient(patientId: string): AsyncIterable<StoredRecord[]>;
  /** The lines of a header record (records whose nearest parent it is), page by page. */
  byParent(tableName: string, recordId: string): AsyncIterable<StoredRecord[]>;
  /** Records what one goods received line received against an order line; returns every receipt of that order line. */
  recordReceipt(orderLineId: string, goodsReceivedLineId: string, quantity: number): Promise<Record<string, number>>;
}

/** A pushed record that was not applied, kept for an operator with the reason. */
export interface QuarantinedRecord {
  readonly siteId: number;
  /** The site's own id of the change (syncOutId), or a digest when the record was unreadable. */
  readonly changeId: string;
  readonly tableName: string;
  readonly recordId: string;
  readonly action: string;
  readonly reason: string;
  readonly message: string;
  readonly receivedAt: string;
  readonly raw: unknown;
}

export interface Quarantine {
  keep(records: readonly QuarantinedRecord[]): Promise<void>;
  list(options: { siteId?: number; limit: number; after?: string }): Promise<{ records: QuarantinedRecord[]; next?: string }>;
}

/**
 * A record to route. `version`: the version its push stored as routed before delivering it
 * (AcceptedChange.routedByPush), delivered even though the record says routed.
 */
export interface RouteKey extends RecordKey {
  readonly version?: number;
}

/** Work handed to the background consumer (fan-out queue). */
export type BackgroundWork =
  | {
      readonly kind: 'route';
      readonly workId: string;
      readonly originSiteId: number;
      readonly keys: readonly RouteKey[];
      /**
       * Names among `keys` this push made manufacturers: every site holds them from now on, so
       * routing sends the barcodes they make again, which a site's cursor may have passed while
       * it did not hold the name (docs/central-data.md).
       */
      readonly newManufacturers?: readonly string[];
    }
  /** Queue what a site has just become entitled to: a store's data, or a patient's records. */
  | { readonly kind: 'sendRecords'; readonly workId: string; readonly siteId: number; readonly source: EntitlementSource; readonly resume?: InitialisationProgress }
  /** Complete the transfer a header starts (or answer its numbering): `originSiteId` pushed it. */
  | { readonly kind: 'transfer'; readonly workId: string; readonly originSiteId: number; readonly header: RecordKey }
  /**
   * Store records after a configuration change: write each store's record as the configuration
   * says, and send it to the sites holding the store and to `formerHolders`; `siteIds` show the
   * work in their `site_status` until it is done.
   */
  | {
      readonly kind: 'storeRecords';
      readonly workId: string;
      readonly siteIds: readonly number[];
      readonly stores: ReadonlyArray<{ readonly storeId: string; readonly formerHolders: readonly number[] }>;
    };

export interface WorkQueue {
  send(work: BackgroundWork): Promise<void>;
}

/** A work marker due for a resend: the site it shows for, and the work. */
export interface PendingWork {
  readonly siteId: number;
  readonly work: BackgroundWork;
}

/** Per-site progress of background work, for `site_status`. */
export interface SiteProgress {
  /**
   * Marks work queued on behalf of a site; it counts as in progress until finished (or, when no
   * sweeper resends it, until long after it was due). The marker keeps the work itself until it
   * is finished, so work whose message never left or was lost can be sent again from it.
   */
  begin(siteId: number, workId: string, work: BackgroundWork): Promise<void>;
  /** The work's message is on its queue: it is due again only if still unfinished much later. */
  sent(siteId: number, workId: string): Promise<void>;
  /**
   * Unfinished work due for a resend by `dueBy` (epoch ms), across every site, at most
   * `limitPerShard` from each shard of the index: the sweeper's read.
   */
  dueWork(options: { readonly dueBy: number; readonly limitPerShard: number }): Promise<PendingWork[]>;
  /** The work could not be sent now: due again at `dueAt` (epoch ms), so it never blocks the sweep. */
  postpone(siteId: number, workId: string, dueAt: number): Promise<void>;
  /** Work marked more than `olderThanMs` ago whose message was never recorded as sent. */
  unsentWork(siteId: number, olderThanMs: number): Promise<BackgroundWork[]>;
  finish(siteId: number, workId: string): Promise<void>;
  workInProgress(siteId: number): Promise<boolean>;
  initialisation(siteId: number): Promise<InitialisationState>;
  /** A new initialisation: its stream starts from the first source (a previous one is abandoned). */
  startInitialisation(siteId: number, generation: string, at: string): Promise<void>;
  /**
   * Moves the stream of `generation` from `from` (the position read) to `to`; false when the
   * stream moved meanwhile or belongs to another initialisation (nothing is written then).
   */
  advanceInitialStream(siteId: number, generation: string, from: StreamPosition | undefined, to: StreamPosition | 'done'): Promise<boolean>;
}

/** Where a long queue build (records sent to a newly entitled site) stopped: the next source and page. */
export interface InitialisationProgress {
  readonly source: number;
  readonly after?: string;
  /** Records queued so far. */
  readonly queued: number;
  /** Parts processed so far (each one message). */
  readonly part: number;
}

export interface InitialisationState {
  /** `started` and `error` are only ever found on sites initialised by an older version. */
  readonly status: 'new' | 'started' | 'completed' | 'error';
  readonly workId?: string;
  readonly at?: string;
  /** The initialisation being served at pull time; absent before the first initialise. */
  readonly stream?: InitialStreamState;
}

/** How far the site has acknowledged its initialisation stream (see domain/sync/initial-stream.ts). */
export interface InitialStreamState {
  readonly generation: string;
  /** The last acknowledged entry; absent: nothing acknowledged yet. */
  readonly position?: StreamPosition;
  readonly done: boolean;
}

/** Counts and throttles attempts at a secret per (scope, name, source) (domain/auth/attempt-gate.ts). */
export interface AttemptGate {
  /** Counts the attempt before it is evaluated, or refuses it while its back-off lasts. */
  enter(scope: string, name: string, source: string, nowSeconds: number): Promise<GateDecision>;
  /** A success: the name and source start afresh. */
  clear(scope: string, name: string, source: string): Promise<void>;
  /** An administrator's reset of a name, from every source; the number of sources cleared. */
  clearAll(scope: string, name: string): Promise<number>;
}
