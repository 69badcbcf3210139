/**
 * What an Open mSupply site keeps locally, as far as sync reads it: its records, its change log
 * (one entry per record, the latest change: the client's `changelog_deduped`), the sync buffer of
 * pulled records not yet integrated (keyed by record id alone, as the client's `sync_buffer`),
 * its cursors (kept as 32-bit integers, `cursor_controller.rs`) and the two facts that decide
 * initialisation (`sync_status/status.rs`). In memory, or in a JSON file written atomically.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

export interface HeldRecord {
  readonly tableName: string;
  readonly recordId: string;
  readonly recordData: Record<string, unknown>;
}

export interface ChangelogEntry {
  readonly cursor: number;
  readonly tableName: string;
  readonly recordId: string;
  readonly action: 'upsert' | 'delete';
  /** The store the change belongs to (`changelog.store_id`), null for records of no store. */
  readonly storeId: string | null;
  /** Written by integrating a pulled record (not pushed unless changed locally after). */
  readonly isSyncUpdate: boolean;
  /** Integrated from a v5 pull (`source_site_id` = the mSupply central site). */
  readonly fromV5: boolean;
}

export interface BufferRow {
  readonly key: string;
  readonly tableName: string;
  readonly recordId: string;
  readonly action: 'upsert' | 'delete' | 'merge';
  readonly recordData: unknown;
  readonly fromV5: boolean;
}

/** `user_account` as the site keeps it (`login.rs` update_user, `translations/user.rs`). */
export interface UserAccount {
  readonly id: string;
  readonly username: string;
  /** A local salted hash of the password; empty until the user logged in online once. */
  readonly hashedPassword: string;
  readonly email: string | null;
  readonly language: string;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly phoneNumber: string | null;
  readonly jobTitle: string | null;
  readonly lastSuccessfulSync: string | null;
  readonly isActive: boolean;
}

/** `user_store_join` with the store's `user_permission` rows (no context). */
export interface UserStore {
  readonly id: string;
  readonly userId: string;
  readonly storeId: string;
  readonly isDefault: boolean;
  readonly permissions: readonly string[];
}

/** The local-only columns of `sync_file_reference` (never pushed: `skip_serializing`). */
export interface FileStatus {
  readonly status: 'New' | 'InProgress' | 'Error' | 'Done' | 'PermanentFailure';
  readonly direction: 'Upload' | 'Download';
  readonly retries: number;
  /** Epoch milliseconds. */
  readonly retryAt: number | null;
  readonly error: string | null;
  readonly uploadedBytes: number;
  readonly downloadedBytes: number;
}

/** What a pulled reference starts with (`SyncFileReferenceRow` serde defaults). */
export const pulledFileStatus: FileStatus = { status: 'New', direction: 'Download', retries: 0, retryAt: null, error: null, uploadedBytes: 0, downloadedBytes: 0 };

export interface StoredFile {
  readonly name: string;
  readonly bytes: Buffer;
}

const fileKey = (tableName: string, recordId: string, id: string) => `${tableName}\u0000${recordId}\u0000${id}`;

const cursorNames = ['centralPull', 'pushV5', 'pushV6', 'pullV6', 'processors'] as const;
export type CursorName = (typeof cursorNames)[number];

const stateFile = z.object({
  version: z.literal(2),
  records: z.array(z.object({ tableName: z.string(), recordId: z.string(), recordData: z.record(z.string(), z.unknown()) })),
  changelog: z.array(
    z.object({
      cursor: z.number().int(),
      tableName: z.string(),
      recordId: z.string(),
      action: z.enum(['upsert', 'delete']),
      storeId: z.string().nullable(),
      isSyncUpdate: z.boolean(),
      fromV5: z.boolean(),
    }),
  ),
  latestCursor: z.number().int().min(0),
  buffer: z.array(z.object({ key: z.string(), tableName: z.string(), recordId: z.string(), action: z.enum(['upsert', 'delete', 'merge']), recordData: z.unknown(), fromV5: z.boolean() })),
  cursors: z.object({ centralPull: z.number().int(), pushV5: z.number().int(), pushV6: z.number().int(), pullV6: z.number().int(), processors: z.number().int() }),
  siteId: z.number().int().nullable(),
  syncQueueInitialised: z.boolean(),
  initialised: z.boolean(),
  users: z.array(z.record(z.string(), z.unknown())).optional(),
  userStores: z.array(z.record(z.string(), z.unknown())).optional(),
  fileStatus: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  files: z.array(z.object({ key: z.string(), name: z.string(), base64: z.string() })).optional(),
  v6Url: z.string().nullable().optional(),
});
type StateFile = z.output<typeof stateFile>;

const keyOf = (tableName: string, recordId: string) => `${tableName}\u0000${recordId}`;

/** `cursor as i32` on write. */
const toI32 = (cursor: bigint) => Number(BigInt.asIntN(32, cursor));

export class SiteState {
  private readonly records = new Map<string, HeldRecord>();
  private readonly changes = new Map<string, ChangelogEntry>();
  private readonly bufferRows = new Map<string, BufferRow>();
  private latest = 0;
  private readonly cursorValues: Record<CursorName, number> = { centralPull: 0, pushV5: 0, pushV6: 0, pullV6: 0, processors: 0 };
  private readonly userAccounts = new Map<string, UserAccount>();
  private userStoreJoins: UserStore[] = [];
  private readonly fileStatuses = new Map<string, FileStatus>();
  private readonly fileContents = new Map<string, StoredFile>();
  siteId: number | null = null;
  syncQueueInitialised = false;
  initialised = false;
  /** The v6 URL of the last site info (`CentralServerConfig`): what file sync and downloads use. */
  v6Url: string | null = null;

  private constructor(private readonly path: string | undefined) {}

  static load(path?: string): SiteState {
    const state = new SiteState(path);
    if (path === undefined || !existsSync(path)) return state;
    const parsed = stateFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success) throw new Error(`${path}: not a site state file of this version (${parsed.error.issues[0]?.message}); delete it to start afresh`);
    const data = parsed.data;
    for (const record of data.records) state.records.set(keyOf(record.tableName, record.recordId), record);
    for (const entry of data.changelog) state.changes.set(keyOf(entry.tableName, entry.recordId), entry);
    for (const row of data.buffer) state.bufferRows.set(row.key, row);
    state.latest = data.latestCursor;
    Object.assign(state.cursorValues, data.cursors);
    state.siteId = data.siteId;
    state.syncQueueInitialised = data.syncQueueInitialised;
    state.initialised = data.initialised;
    for (const user of data.users ?? []) state.userAccounts.set(String(user.id), user as unknown as UserAccount);
    state.userStoreJoins = (data.userStores ?? []) as unknown as UserStore[];
    for (const [id, status] of Object.entries(data.fileStatus ?? {})) state.fileStatuses.set(id, status as unknown as FileStatus);
    for (const file of data.files ?? []) state.fileContents.set(file.key, { name: file.name, bytes: Buffer.from(file.base64, 'base64') });
    state.v6Url = data.v6Url ?? null;
    return state;
  }

  // ---- records

  held(tableName: string, recordId: string): Record<string, unknown> | undefined {
    return this.records.get(keyOf(tableName, recordId))?.recordData;
  }

  heldRecords(tableName?: string): HeldRecord[] {
    const all = [...this.records.values()];
    return tableName === undefined ? all : all.filter((record) => record.tableName === tableName);
  }

  put(record: HeldRecord): void {
    this.records.set(keyOf(record.tableName, record.recordId), record);
  }

  remove(tableName: string, recordId: string): boolean {
    return this.records.delete(keyOf(tableName, recordId));
  }

  // ---- users (`user_account`, `user_store_join`, `user_permission`)

  users(): UserAccount[] {
    return [...this.userAccounts.values()];
  }

  user(id: string): UserAccount | undefined {
    return this.userAccounts.get(id);
  }

  putUser(user: UserAccount): void {
    this.userAccounts.set(user.id, user);
  }

  userStores(userId?: string): UserStore[] {
    return userId === undefined ? [...this.userStoreJoins] : this.userStoreJoins.filter((join) => join.userId === userId);
  }

  /** `upsert_user`: the user's store joins and their permissions are replaced. */
  replaceUserStores(userId: string, joins: readonly UserStore[]): void {
    this.userStoreJoins = [...this.userStoreJoins.filter((join) => join.userId !== userId), ...joins];
  }

  // ---- sync files: the local columns of each reference, and the files themselves

  fileStatus(id: string): FileStatus | undefined {
    return this.fileStatuses.get(id);
  }

  setFileStatus(id: string, status: FileStatus | undefined): void {
    if (status === undefined) this.fileStatuses.delete(id);
    else this.fileStatuses.set(id, status);
  }

  file(tableName: string, recordId: string, id: string): StoredFile | undefined {
    return this.fileContents.get(fileKey(tableName, recordId, id));
  }

  putFile(tableName: string, recordId: string, id: string, file: StoredFile): void {
    this.fileContents.set(fileKey(tableName, recordId, id), file);
  }

  // ---- change log

  /** Records a change as the newest entry of the change log (replacing the record's older one). */
  logChange(change: Omit<ChangelogEntry, 'cursor'>): ChangelogEntry {
    const entry = { ...change, cursor: ++this.latest };
    const key = keyOf(change.tableName, change.recordId);
    this.changes.delete(key);
    this.changes.set(key, entry);
    return entry;
  }

  /** `ChangelogRepository::latest_cursor`. */
  get latestCursor(): number {
    return this.latest;
  }

  /** Entries from `cursor` on (inclusive) that `keep` accepts, oldest first. */
  changelog(cursor: number, keep: (entry: ChangelogEntry) => boolean): ChangelogEntry[] {
    return [...this.changes.values()].filter((entry) => entry.cursor >= cursor && keep(entry)).sort((a, b) => a.cursor - b.cursor);
  }

  // ---- sync buffer

  buffer(row: BufferRow): void {
    this.bufferRows.delete(row.key);
    this.bufferRows.set(row.key, row);
  }

  /** Every row not yet integrated, in arrival order; they leave the buffer. */
  takeBuffer(): BufferRow[] {
    const rows = [...this.bufferRows.values()];
    this.bufferRows.clear();
    return rows;
  }

  get bufferedCount(): number {
    return this.bufferRows.size;
  }

  // ---- cursors: stored as `cursor as i32`, read back as `i32 as u64`

  cursor(name: CursorName): bigint {
    return BigInt.asUintN(64, BigInt(this.cursorValues[name]));
  }

  setCursor(name: CursorName, cursor: bigint | number): void {
    this.cursorValues[name] = toI32(BigInt(cursor));
  }

  save(): void {
    if (this.path === undefined) return;
    const content: StateFile = {
      version: 2,
      records: [...this.records.values()],
      changelog: [...this.changes.values()],
      latestCursor: this.latest,
      buffer: [...this.bufferRows.values()],
      cursors: { ...this.cursorValues },
      siteId: this.siteId,
      syncQueueInitialised: this.syncQueueInitialised,
      initialised: this.initialised,
      users: this.users() as unknown as Array<Record<string, unknown>>,
      userStores: this.userStoreJoins as unknown as Array<Record<string, unknown>>,
      fileStatus: Object.fromEntries(this.fileStatuses) as unknown as Record<string, Record<string, unknown>>,
      files: [...this.fileContents].map(([key, file]) => ({ key, name: file.name, base64: file.bytes.toString('base64') })),
      v6Url: this.v6Url,
    };
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(content)}\n`);
    renameSync(temp, this.path);
  }
}

export { cursorNames };
