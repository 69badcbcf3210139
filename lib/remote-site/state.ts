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
  siteId: number | null = null;
  syncQueueInitialised = false;
  initialised = false;

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
    };
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(content)}\n`);
    renameSync(temp, this.path);
  }
}

export { cursorNames };
