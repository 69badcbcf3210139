/**
 * What a remote site holds: its records (by table and id), its outgoing queue of local changes not
 * yet accepted by the central server, and its central-data cursor. In memory, or in a JSON file
 * written atomically (temp file, then rename) so an interrupted save never leaves half a state.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { describeZodError, mergeIds, recordData, wireRecord } from '../../functions/protocol/v5';
import type { WireAction, WireRecord } from '../../functions/protocol/v5';

/** A record as the site holds it. */
export interface HeldRecord {
  readonly tableName: string;
  readonly recordId: string;
  readonly recordData: Record<string, unknown>;
}

/** What every received or local record carries, whatever its source. */
export interface RecordChange {
  readonly tableName: string;
  readonly recordId: string;
  readonly action: WireAction;
  readonly recordData?: Record<string, unknown>;
}

const stateFile = z.object({
  version: z.literal(1),
  centralCursor: z.int().min(0),
  held: z.array(z.object({ tableName: z.string(), recordId: z.string(), recordData })),
  outgoing: z.array(wireRecord),
});
type StateFile = z.input<typeof stateFile>;

const keyOf = (tableName: string, recordId: string) => `${tableName}#${recordId}`;

export class SiteState {
  private readonly records = new Map<string, HeldRecord>();
  private queue: WireRecord[] = [];
  private cursor = 0;

  private constructor(private readonly path: string | undefined) {}

  /** The state saved at `path`, or an empty one (in memory only when `path` is absent). */
  static load(path?: string): SiteState {
    const state = new SiteState(path);
    if (path === undefined || !existsSync(path)) return state;
    const parsed = stateFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success) throw new Error(`${path}: ${describeZodError(parsed.error, 'site state file').message}`);
    state.cursor = parsed.data.centralCursor;
    for (const record of parsed.data.held) state.records.set(keyOf(record.tableName, record.recordId), record);
    state.queue = parsed.data.outgoing;
    return state;
  }

  get centralCursor(): number {
    return this.cursor;
  }

  set centralCursor(cursor: number) {
    this.cursor = cursor;
  }

  /** Local changes not yet accepted by the central server, oldest first. */
  get outgoing(): readonly WireRecord[] {
    return this.queue;
  }

  held(tableName: string, recordId: string): Record<string, unknown> | undefined {
    return this.records.get(keyOf(tableName, recordId))?.recordData;
  }

  heldRecords(tableName?: string): HeldRecord[] {
    const all = [...this.records.values()];
    return tableName === undefined ? all : all.filter((record) => record.tableName === tableName);
  }

  /** Insert and update are upserts; a merge removes the record merged away. */
  apply(change: RecordChange): void {
    switch (change.action) {
      case 'insert':
      case 'update':
        if (change.recordData === undefined) throw new Error(`${change.action} of ${change.tableName} ${change.recordId} carries no recordData`);
        this.records.set(keyOf(change.tableName, change.recordId), {
          tableName: change.tableName,
          recordId: change.recordId,
          recordData: change.recordData,
        });
        return;
      case 'delete':
        this.records.delete(keyOf(change.tableName, change.recordId));
        return;
      case 'merge': {
        const ids = mergeIds(change);
        if (ids === undefined) throw new Error(`merge of ${change.tableName} ${change.recordId} carries no mergeIdToKeep/mergeIdToDelete`);
        this.records.delete(keyOf(change.tableName, ids.mergeIdToDelete));
        return;
      }
    }
  }

  enqueue(record: WireRecord): void {
    this.queue.push(record);
  }

  removeOutgoing(syncOutIds: ReadonlySet<string>): void {
    this.queue = this.queue.filter((record) => !syncOutIds.has(record.syncOutId));
  }

  save(): void {
    if (this.path === undefined) return;
    const content: StateFile = {
      version: 1,
      centralCursor: this.cursor,
      held: [...this.records.values()],
      outgoing: this.queue,
    };
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(content, null, 2)}\n`);
    renameSync(temp, this.path);
  }
}
