/**
 * A remote site that syncs exactly as an Open mSupply remote site does (docs/remote-site.md):
 * the order of `sync_inner` (`service/src/sync/synchroniser.rs`), its own local state deciding
 * initialisation, the batch sizes of `sync/settings.rs`, the client's cursors, waits and
 * retries. A time scale shrinks every wait and timeout for tests; no step is ever skipped.
 */
import { SyncApiError, SyncApiV5, SyncApiV6, sha256Hex, type PushRecord, type SyncApiSettings } from './api';
import { randomUUID } from 'node:crypto';
import { fetchUserFromCentral, integrateUserRecord, loginLocally, storeUser, type LoginResult } from './login';
import { noProcessors, type Processor, type ProcessorChange } from './processors';
import { pulledFileStatus, SiteState, type BufferRow, type ChangelogEntry, type FileStatus, type HeldRecord, type StoredFile, type UserAccount, type UserStore } from './state';
import {
  afterFailedUpload,
  downloadFile,
  dueForUpload,
  FILE_SYNC_UPLOAD_DELAY_SECONDS,
  naiveNow,
  pulledReference,
  uploadFile,
  type SyncFileReference,
} from './sync-files';
import { activeStoreIds, changeStore, integrationRank, storeNotIntegrated, v6PushTables } from './tables';
import {
  INITIALISATION_POLL_SECONDS,
  INITIALISATION_TIMEOUT_SECONDS,
  INTEGRATION_POLL_SECONDS,
  INTEGRATION_TIMEOUT_SECONDS,
  Timing,
} from './timing';
import type { CommonRecord, SiteInfo, SiteStatus } from './wire';

export { SyncApiError } from './api';
export type { HeldRecord, UserAccount, UserStore, FileStatus, StoredFile } from './state';
export type { LoginResult, CentralLogin } from './login';
export type { SyncFileReference } from './sync-files';
export type { Processor, ProcessorChange, ProcessorInput } from './processors';

/** `sync/settings.rs` BatchSize::default(). */
export const DEFAULT_BATCH_SIZE = { remotePull: 500, remotePush: 1024, centralPull: 500 } as const;
/** `sync/settings.rs` SYNC_V5_VERSION and SYNC_V6_VERSION. */
export const SYNC_V5_VERSION = 14;
export const SYNC_V6_VERSION = 5;

export interface RemoteSiteOptions {
  /** The sync URL configured on the site (the mSupply central server). */
  baseUrl: string;
  siteName: string;
  /** The clear password: only its SHA-256 hex is ever sent. */
  password: string;
  /** The installation's hardware id, sent as `msupply-site-uuid`. */
  hardwareId: string;
  /** @default 'Open mSupply Desktop' (`api/core.rs` APP_NAME) */
  appName?: string;
  /** @default '2.20.00' */
  appVersion?: string;
  /** @default 14 */
  syncApiVersion?: number;
  /** @default 5 */
  syncV6Version?: number;
  batchSize?: Partial<Record<keyof typeof DEFAULT_BATCH_SIZE, number>>;
  /** Every wait and timeout multiplied by this. @default 1 (real time) */
  timeScale?: number;
  /** JSON file holding the site's local state between runs; in memory when absent. */
  statePath?: string;
  /** The site's processors after integration. @default none */
  processors?: Processor;
  /** Told when each step of a sync starts and ends (the client's SyncLogger steps). */
  onStep?: (step: SyncStep, phase: 'start' | 'done') => void;
}

/** The steps of `sync_inner` (`sync_status/logger.rs` SyncStep), with the integration wait apart. */
export type SyncStep = 'prepareInitial' | 'pushV6' | 'push' | 'integrationWait' | 'pullCentral' | 'pullRemote' | 'pullV6' | 'integrate';

/** A local change: what a user does on the site. */
export interface LocalChange {
  tableName: string;
  recordId: string;
  /** Insert and update are the same upsert; a merge is refused (only the central server merges). */
  action: 'insert' | 'update' | 'delete' | 'merge' | 'Insert' | 'Update' | 'Delete' | 'Merge';
  recordData?: Record<string, unknown> | null;
}

export type ReceivedRecord = CommonRecord & { source: 'central' | 'queue' | 'v6'; syncOutId?: string; ID?: number };

export interface SyncSummary {
  /** This sync asked the server to initialise (the site's queue had never been initialised). */
  requestedInitialisation: boolean;
  /** This was the site's first whole sync: it is initialised now. */
  initialised: boolean;
  /** Records pushed with v5 (and with v6). */
  pushed: number;
  pushedV6: number;
  centralRecordsReceived: number;
  queueRecordsReceived: number;
  v6RecordsReceived: number;
  /** Pulled records integrated, and those the client ignored (with why). */
  integrated: number;
  ignored: ReadonlyArray<{ tableName: string; recordId: string; reason: string }>;
  /** Records the processors made (local changes, pushed by the next sync). */
  processorChanges: number;
}

/** The sync could not go on, though every call was answered (the client's own errors). */
export class SyncFlowError extends Error {
  override readonly name = 'SyncFlowError';

  constructor(
    readonly code: 'integration_not_started' | 'timeout_reached' | 'v6_url' | 'queue_length_below_data' | 'max_cursor_below_cursor',
    message: string,
  ) {
    super(message);
  }
}

/** A file attached on the site (what a user uploads through `POST /sync_files/{table}/{record}`). */
export interface AttachedFile {
  tableName: string;
  recordId: string;
  fileName: string;
  bytes: Buffer;
  /** The upload's content type, kept as the reference's `mime_type`. @default null */
  mimeType?: string | null;
}

/** What one run of the file synchroniser did (each pass uploads at most one file). */
export interface FileSyncSummary {
  /** Why nothing ran: the site is not initialised, or has no v6 URL (a central server, or no sync yet). */
  skipped?: string;
  uploaded: string[];
  failed: Array<{ id: string; error: string; status: FileStatus['status'] }>;
}

export class RemoteSite {
  readonly siteName: string;
  readonly timing: Timing;
  private readonly settings: SyncApiSettings;
  private readonly api: SyncApiV5;
  private readonly syncV6Version: number;
  private readonly batch: Record<keyof typeof DEFAULT_BATCH_SIZE, number>;
  private readonly processors: Processor;
  private readonly onStep: NonNullable<RemoteSiteOptions['onStep']>;
  private readonly state: SiteState;
  private readonly received: ReceivedRecord[] = [];

  constructor(options: RemoteSiteOptions) {
    this.siteName = options.siteName;
    this.timing = new Timing(options.timeScale ?? 1);
    this.settings = {
      serverUrl: options.baseUrl,
      username: options.siteName,
      passwordSha256: sha256Hex(options.password),
      siteUuid: options.hardwareId,
      appVersion: options.appVersion ?? '2.20.00',
      appName: options.appName ?? 'Open mSupply Desktop',
      syncVersion: String(options.syncApiVersion ?? SYNC_V5_VERSION),
    };
    this.api = new SyncApiV5(this.settings, this.timing);
    this.syncV6Version = options.syncV6Version ?? SYNC_V6_VERSION;
    this.batch = { ...DEFAULT_BATCH_SIZE, ...options.batchSize };
    this.processors = options.processors ?? noProcessors;
    this.onStep = options.onStep ?? (() => undefined);
    this.state = SiteState.load(options.statePath);
  }

  // -------------------------------------------------------------------------------------------
  // What the site holds

  held(tableName: string, recordId: string): Record<string, unknown> | undefined {
    return this.state.held(tableName, recordId);
  }

  heldRecords(tableName?: string): HeldRecord[] {
    return this.state.heldRecords(tableName);
  }

  /** Every record pulled since this object was made, in order (integrated or not). */
  get receivedLog(): readonly ReceivedRecord[] {
    return this.received;
  }

  /** The central-records cursor as stored (`cursor as i32`). */
  get centralCursor(): number {
    return Number(BigInt.asIntN(32, this.state.cursor('centralPull')));
  }

  get isInitialised(): boolean {
    return this.state.initialised;
  }

  get isSyncQueueInitialised(): boolean {
    return this.state.syncQueueInitialised;
  }

  /** The site id learnt from site info when the site was first set up. */
  get siteId(): number | null {
    return this.state.siteId;
  }

  /** `ActiveStoresOnSite`: the held stores whose `sync_id_remote_site` is this site's id. */
  get activeStoreIds(): string[] {
    return activeStoreIds(this.state);
  }

  /** Change log entries the next v5 push would send, oldest first. */
  get outgoing(): ChangelogEntry[] {
    return this.state.changelog(Number(this.state.cursor('pushV5')), this.pushFilter());
  }

  /** Applies a local change and records it in the change log. */
  change(record: LocalChange): ChangelogEntry {
    return this.changes([record])[0] as ChangelogEntry;
  }

  /** Several local changes, all checked before any is applied. */
  changes(records: readonly LocalChange[]): ChangelogEntry[] {
    records.forEach(checkLocalChange);
    const entries = records.map((record) => {
      const action = record.action.toLowerCase() === 'delete' ? 'delete' : 'upsert';
      if (action === 'upsert') this.state.put({ tableName: record.tableName, recordId: record.recordId, recordData: record.recordData as Record<string, unknown> });
      const data = action === 'upsert' ? (record.recordData as Record<string, unknown>) : this.state.held(record.tableName, record.recordId);
      const storeId = changeStore(record.tableName, data, (table, id) => this.state.held(table, id));
      if (action === 'delete') this.state.remove(record.tableName, record.recordId);
      return this.state.logChange({ tableName: record.tableName, recordId: record.recordId, action, storeId, isSyncUpdate: false, fromV5: false });
    });
    this.state.save();
    return entries;
  }

  // -------------------------------------------------------------------------------------------
  // Single calls, for tests of the server (a sync never calls them out of order)

  site(): Promise<SiteInfo> {
    return this.api.getSiteInfo();
  }

  siteStatus(): Promise<SiteStatus> {
    return this.api.getSiteStatus();
  }

  /** One `POST initialise` (the answer is `{queueLength, data}`). */
  initialise() {
    return this.api.postInitialise();
  }

  /** The pull-remote step, then integration of what it pulled (part of a sync, not a whole one). */
  async pullQueue(): Promise<number> {
    const count = await this.pullRemote();
    this.integrate();
    this.state.save();
    return count;
  }

  // -------------------------------------------------------------------------------------------
  // One sync: `sync_inner`

  async sync(): Promise<SyncSummary> {
    const info = await this.api.getSiteInfo();
    // Set when the site is set up (`site_info.rs`), kept afterwards.
    if (this.state.siteId === null) this.state.siteId = info.siteId;
    const isCentral = info.isOmSupplyCentralServer;
    // `CentralServerConfig::set_central_server_config`: what file sync and downloads use from now on.
    this.state.v6Url = isCentral ? null : info.omSupplyCentralServerUrl;
    const isInitialised = this.state.initialised;
    const requestedInitialisation = !this.state.syncQueueInitialised;

    await this.step('prepareInitial', async () => {
      if (requestedInitialisation) await this.requestInitialisation(info);
    });
    this.state.syncQueueInitialised = true; // the PrepareInitial step is done
    this.state.save();

    let v6: SyncApiV6 | undefined;
    if (!isCentral) {
      try {
        v6 = new SyncApiV6(info.omSupplyCentralServerUrl, this.settings, this.syncV6Version, this.timing);
      } catch (error) {
        throw new SyncFlowError('v6_url', (error as Error).message);
      }
    }

    const pushedV6 = await this.step('pushV6', async () => {
      if (!(isInitialised && v6)) return 0;
      const count = await this.pushV6(v6, isCentral);
      await this.waitForV6Integration(v6);
      return count;
    });
    const pushed = await this.step('push', async () => {
      if (!isInitialised) return 0;
      const count = await this.pushV5(isCentral);
      await this.step('integrationWait', () => this.waitForSyncOperation(INTEGRATION_POLL_SECONDS, INTEGRATION_TIMEOUT_SECONDS));
      return count;
    });

    const centralRecordsReceived = await this.step('pullCentral', () => this.pullCentral());
    const queueRecordsReceived = await this.step('pullRemote', () => this.pullRemote());
    const v6RecordsReceived = v6 ? await this.step('pullV6', () => this.pullV6(v6, isInitialised)) : 0;

    const { integrated, ignored } = await this.step('integrate', async () => this.integrate());
    if (!isInitialised) {
      // `advance_push_cursor`: what the site held before its first whole sync is never pushed.
      this.state.setCursor('pushV5', this.state.latestCursor + 1);
      if (v6) this.state.setCursor('pushV6', this.state.latestCursor + 1);
    }
    const processorChanges = this.runProcessors();
    this.state.initialised = true; // the sync finished: `get_initialisation_status`
    this.state.save();
    return {
      requestedInitialisation,
      initialised: !isInitialised,
      pushed,
      pushedV6,
      centralRecordsReceived,
      queueRecordsReceived,
      v6RecordsReceived,
      integrated: integrated.length,
      ignored,
      processorChanges,
    };
  }

  private async step<T>(step: SyncStep, run: () => Promise<T>): Promise<T> {
    this.onStep(step, 'start');
    const result = await run();
    this.onStep(step, 'done');
    return result;
  }

  // -------------------------------------------------------------------------------------------
  // Steps

  /** `request_initialisation`: poll if the server says started; else POST, trusting a 2xx. */
  private async requestInitialisation(info: SiteInfo): Promise<void> {
    if (info.initialisationStatus !== 'started') {
      try {
        await this.api.postInitialise();
        return;
      } catch (error) {
        if (!(error instanceof SyncApiError && (error.isConnection() || error.isUnknown()))) throw error;
      }
    }
    await this.waitForSyncOperation(INITIALISATION_POLL_SECONDS, INITIALISATION_TIMEOUT_SECONDS);
  }

  /** `wait_for_sync_operation`: sleep, ask site_status, until idle; fails once the timeout has passed. */
  async waitForSyncOperation(pollSeconds = INTEGRATION_POLL_SECONDS, timeoutSeconds = INTEGRATION_TIMEOUT_SECONDS): Promise<void> {
    const started = Date.now();
    for (;;) {
      await this.timing.sleep(pollSeconds);
      const status = await this.api.getSiteStatus();
      if (status.code === 'idle') return;
      if (Date.now() - started >= this.timing.ms(timeoutSeconds)) {
        throw new SyncFlowError('timeout_reached', `site_status still "${status.code}" after ${timeoutSeconds} s (scaled: ${this.timing.ms(timeoutSeconds)} ms)`);
      }
    }
  }

  /** `get_sync_push_changelogs_filter`. */
  private pushFilter(isCentral = false): (entry: ChangelogEntry) => boolean {
    if (isCentral) return (entry) => !entry.fromV5;
    const stores = new Set(activeStoreIds(this.state));
    return (entry) => (entry.storeId === null || stores.has(entry.storeId)) && !entry.isSyncUpdate;
  }

  /** The record as it is now (`translate_changelogs_to_sync_records`). */
  private pushRecord(entry: ChangelogEntry): PushRecord | undefined {
    if (entry.action === 'delete') return { tableName: entry.tableName, recordId: entry.recordId, action: 'Delete', recordData: null };
    const data = this.state.held(entry.tableName, entry.recordId);
    return data === undefined ? undefined : { tableName: entry.tableName, recordId: entry.recordId, action: 'Update', recordData: data };
  }

  /** `RemoteDataSynchroniser::push`. */
  private async pushV5(isCentral: boolean): Promise<number> {
    const filter = this.pushFilter(isCentral);
    let pushed = 0;
    for (;;) {
      const pending = this.state.changelog(Number(this.state.cursor('pushV5')), filter);
      const total = pending.length;
      const entries = pending.slice(0, this.batch.remotePush);
      const records = entries.flatMap((entry) => {
        if (v6PushTables.has(entry.tableName) && !['name', 'name_store_join'].includes(entry.tableName)) return [];
        const record = this.pushRecord(entry);
        return record ? [{ syncOutId: String(entry.cursor), ...record }] : [];
      });
      const answer = await this.api.postQueuedRecords(total, records);
      const last = entries.at(-1);
      if (last) this.state.setCursor('pushV5', last.cursor + 1);
      this.state.save();
      pushed += records.length;
      if (total === 0) {
        if (answer.integrationStarted) return pushed;
        throw new SyncFlowError('integration_not_started', 'Total remaining sent to server is 0 but integration not started');
      }
    }
  }

  /** `SynchroniserV6::push`: whenever entries wait, even if none of them is a v6 table. */
  private async pushV6(v6: SyncApiV6, isCentral: boolean): Promise<number> {
    const filter = this.pushFilter(isCentral);
    let pushed = 0;
    for (;;) {
      const pending = this.state.changelog(Number(this.state.cursor('pushV6')), filter);
      const total = pending.length;
      if (total === 0) return pushed;
      const entries = pending.slice(0, this.batch.remotePush);
      const last = entries.at(-1) as ChangelogEntry;
      const records = entries.flatMap((entry) => {
        const record = v6PushTables.has(entry.tableName) ? this.pushRecord(entry) : undefined;
        return record ? [{ cursor: entry.cursor, record }] : [];
      });
      await v6.push({ total_records: total, end_cursor: last.cursor, records, is_last_batch: total <= this.batch.remotePush });
      this.state.setCursor('pushV6', last.cursor + 1);
      this.state.save();
      pushed += records.length;
    }
  }

  /** `SynchroniserV6::wait_for_sync_operation`, with the integration poll and timeout. */
  private async waitForV6Integration(v6: SyncApiV6): Promise<void> {
    const started = Date.now();
    for (;;) {
      await this.timing.sleep(INTEGRATION_POLL_SECONDS);
      const status = await v6.siteStatus();
      if (!status.is_integrating) return;
      if (Date.now() - started >= this.timing.ms(INTEGRATION_TIMEOUT_SECONDS)) {
        throw new SyncFlowError('timeout_reached', `v6 site_status still integrating after ${INTEGRATION_TIMEOUT_SECONDS} s (scaled)`);
      }
    }
  }

  /** `CentralDataSynchroniser::pull`: the cursor becomes the last ID; an empty page below maxCursor steps it by one. */
  private async pullCentral(): Promise<number> {
    let count = 0;
    for (;;) {
      const start = this.state.cursor('centralPull');
      const { maxCursor, data } = await this.api.getCentralRecords(start, this.batch.centralPull);
      const max = BigInt(maxCursor);
      if (max < start) {
        // The client computes `max_cursor - start_cursor` unsigned: a debug build panics.
        throw new SyncFlowError('max_cursor_below_cursor', `central_records answered maxCursor ${max} below the cursor ${start} asked with`);
      }
      const last = data.length > 0 ? BigInt((data.at(-1) as { ID: number }).ID) : start;
      for (const record of data) this.bufferRecord(record, true, { source: 'central', ID: record.ID });
      this.state.setCursor('centralPull', last);
      this.state.save();
      count += data.length;
      if (data.length > 0) continue;
      if (last < max) this.state.setCursor('centralPull', last + 1n);
      else return count;
      this.state.save();
    }
  }

  /** `RemoteDataSynchroniser::pull`: store, acknowledge, until a page has no data. */
  private async pullRemote(): Promise<number> {
    let count = 0;
    for (;;) {
      const { queueLength, data } = await this.api.getQueuedRecords(this.batch.remotePull);
      if (data.length === 0) return count;
      for (const record of data) this.bufferRecord(record, true, { source: 'queue', syncOutId: record.syncOutId });
      this.state.save();
      await this.api.postAcknowledgedRecords(data.map((record) => record.syncOutId));
      count += data.length;
      if (queueLength < data.length) {
        // `remaining - number_of_pulled_records` is unsigned in the client: a debug build panics.
        throw new SyncFlowError('queue_length_below_data', `queued_records answered queueLength ${queueLength} with ${data.length} records`);
      }
    }
  }

  /** `SynchroniserV6::pull`. */
  private async pullV6(v6: SyncApiV6, isInitialised: boolean): Promise<number> {
    let count = 0;
    for (;;) {
      const start = this.state.cursor('pullV6');
      const batch = await v6.pull(start, this.batch.centralPull, isInitialised);
      const last = batch.records.length > 0 ? BigInt((batch.records.at(-1) as { cursor: number }).cursor) : start;
      for (const { record } of batch.records) this.bufferRecord(record, false, { source: 'v6' });
      this.state.setCursor('pullV6', last + 1n);
      this.state.setCursor('pullV6', BigInt(batch.end_cursor) + 1n);
      this.state.save();
      count += batch.records.length;
      if (batch.is_last_batch) return count;
    }
  }

  private bufferRecord(record: CommonRecord, fromV5: boolean, meta: { source: ReceivedRecord['source']; syncOutId?: string; ID?: number }) {
    this.received.push({ ...record, ...meta });
    const action = record.action === 'merge' ? 'merge' : record.action === 'delete' ? 'delete' : 'upsert';
    // The sync buffer is keyed by record id alone; a merge gets a key of its own.
    const key = action === 'merge' ? `merge:${this.received.length}:${record.recordId}` : record.recordId;
    this.state.buffer({ key, tableName: record.tableName, recordId: record.recordId, action, recordData: record.recordData, fromV5 });
  }

  /** Integrates the whole buffer: upserts in dependency order, deletes in reverse, then merges. */
  private integrate(): { integrated: HeldRecord[]; ignored: Array<{ tableName: string; recordId: string; reason: string }> } {
    const rows = this.state.takeBuffer();
    const byRank = (sign: number) => (a: BufferRow, b: BufferRow) => sign * (integrationRank(a.tableName) - integrationRank(b.tableName));
    const upserts = rows.filter((row) => row.action === 'upsert').sort(byRank(1));
    const deletes = rows.filter((row) => row.action === 'delete').sort(byRank(-1));
    const merges = rows.filter((row) => row.action === 'merge');
    const lookup = (table: string, id: string) => this.state.held(table, id);
    const integrated: HeldRecord[] = [];
    const ignored: Array<{ tableName: string; recordId: string; reason: string }> = [];
    const log = (tableName: string, recordId: string, action: 'upsert' | 'delete', data: Record<string, unknown> | undefined, fromV5: boolean) =>
      this.state.logChange({ tableName, recordId, action, storeId: changeStore(tableName, data, lookup), isSyncUpdate: true, fromV5 });

    for (const row of upserts) {
      const data = row.recordData;
      if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        ignored.push({ tableName: row.tableName, recordId: row.recordId, reason: 'recordData is not an object' });
        continue;
      }
      const reason = this.translateUpsert(row.tableName, data);
      if (reason !== undefined) {
        ignored.push({ tableName: row.tableName, recordId: row.recordId, reason });
        continue;
      }
      const record = { tableName: row.tableName, recordId: row.recordId, recordData: data as Record<string, unknown> };
      this.state.put(record);
      log(row.tableName, row.recordId, 'upsert', record.recordData, row.fromV5);
      integrated.push(record);
    }
    for (const row of deletes) {
      const data = this.state.held(row.tableName, row.recordId);
      if (this.state.remove(row.tableName, row.recordId)) log(row.tableName, row.recordId, 'delete', data, row.fromV5);
    }
    for (const row of merges) {
      const body = row.recordData as { mergeIdToDelete?: unknown } | null;
      const gone = typeof body?.mergeIdToDelete === 'string' ? body.mergeIdToDelete : undefined;
      if (gone === undefined) continue;
      const data = this.state.held(row.tableName, gone);
      if (this.state.remove(row.tableName, gone)) log(row.tableName, gone, 'delete', data, row.fromV5);
    }
    return { integrated, ignored };
  }

  /** Tables whose translation the client applies: why a pulled upsert is not integrated, or undefined. */
  private translateUpsert(tableName: string, data: unknown): string | undefined {
    const lookup = (table: string, id: string) => this.state.held(table, id);
    if (tableName === 'store') return storeNotIntegrated(data, lookup);
    if (tableName === 'user') return integrateUserRecord(this.state, data);
    if (tableName === 'sync_file_reference') {
      const parsed = pulledReference.safeParse(data);
      if (!parsed.success) return `${parsed.error.issues[0]?.path.join('.') || 'record'}: ${parsed.error.issues[0]?.message}`;
      // The pulled row replaces the site's: its local columns take their defaults (a download).
      this.state.setFileStatus(parsed.data.id, undefined);
    }
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Login (`service/src/login.rs`)

  /**
   * A user logs in on the site: the central server is asked first, what it answers is stored,
   * then the site checks the password against its own copy and that the user has a store here.
   */
  async login(username: string, password: string): Promise<LoginResult> {
    const { central, userInfo } = await fetchUserFromCentral(this.settings.serverUrl, this.siteName, username, password, this.timing);
    let name = username;
    if (userInfo) {
      storeUser(this.state, password, userInfo, new Date());
      name = userInfo.user.name;
      this.state.save();
    }
    return loginLocally(this.state, name, password, central);
  }

  /** The site's user accounts (`user_account`), from logins and pulled `user` records. */
  get users(): UserAccount[] {
    return this.state.users();
  }

  /** A user's store joins with their permissions, as the last online login stored them. */
  userStores(userId: string): UserStore[] {
    return this.state.userStores(userId);
  }

  // -------------------------------------------------------------------------------------------
  // Sync files

  /**
   * Attaches a file to a record, as the site's `upload_sync_file` does: the file is kept under
   * its table, record and a new id, and a `sync_file_reference` (status New, direction Upload)
   * enters the change log like any local change, to be pushed by the next v6 push.
   */
  attachFile(file: AttachedFile): SyncFileReference {
    const reference: SyncFileReference = {
      id: randomUUID(),
      table_name: file.tableName,
      record_id: file.recordId,
      file_name: file.fileName,
      mime_type: file.mimeType ?? null,
      total_bytes: file.bytes.length,
      created_datetime: naiveNow(new Date()),
      deleted_datetime: null,
    };
    this.state.putFile(file.tableName, file.recordId, reference.id, { name: file.fileName, bytes: Buffer.from(file.bytes) });
    this.state.setFileStatus(reference.id, { ...pulledFileStatus, direction: 'Upload' });
    this.changes([{ tableName: 'sync_file_reference', recordId: reference.id, action: 'update', recordData: { ...reference } }]);
    return reference;
  }

  /** A held reference with its local columns. */
  fileReference(id: string): (SyncFileReference & FileStatus) | undefined {
    const reference = this.state.held('sync_file_reference', id) as SyncFileReference | undefined;
    return reference && { ...reference, ...(this.state.fileStatus(id) ?? pulledFileStatus) };
  }

  /** The file of a held reference, if the site has it (attached here or downloaded). */
  file(id: string): StoredFile | undefined {
    const reference = this.state.held('sync_file_reference', id) as SyncFileReference | undefined;
    return reference && this.state.file(reference.table_name, reference.record_id, id);
  }

  /**
   * The file sync driver after a sync (`file_sync_driver.rs`): once the site is initialised and
   * knows its v6 URL, passes of the file synchroniser 100 ms apart while the last one found files
   * to upload; a pass uploads the first due file, and a failed one ends the run (the driver then
   * waits 10 s, or for the next sync).
   */
  async fileSync(): Promise<FileSyncSummary> {
    const summary: FileSyncSummary = { uploaded: [], failed: [] };
    if (!this.state.initialised) return { ...summary, skipped: 'the site is not initialised' };
    if (this.state.v6Url === null) return { ...summary, skipped: 'no Open mSupply central URL (this is a central server, or no sync ran yet)' };
    let v6: SyncApiV6;
    try {
      v6 = new SyncApiV6(this.state.v6Url, this.settings, this.syncV6Version, this.timing);
    } catch (error) {
      return { ...summary, skipped: `problem creating the file synchroniser: ${(error as Error).message}` };
    }
    while ((await this.fileSyncPass(v6.url, summary)) > 0) await this.timing.sleep(FILE_SYNC_UPLOAD_DELAY_SECONDS);
    return summary;
  }

  /** `FileSynchroniser::sync`: the number of files that were due (0 after an error). */
  private async fileSyncPass(v6Url: URL, summary: FileSyncSummary): Promise<number> {
    const now = Date.now();
    const due = this.state.heldRecords('sync_file_reference').filter((held) => dueForUpload(held.recordData as unknown as SyncFileReference, this.state.fileStatus(held.recordId) ?? pulledFileStatus, now));
    const next = due[0];
    if (next === undefined) return 0;
    const reference = next.recordData as unknown as SyncFileReference;
    const status = this.state.fileStatus(reference.id) ?? pulledFileStatus;
    this.state.setFileStatus(reference.id, { ...status, status: 'InProgress' });
    this.state.save();
    const file = this.state.file(reference.table_name, reference.record_id, reference.id);
    if (file === undefined) {
      // FileSyncError::FileNotFound: the row stays InProgress and is picked again next time.
      summary.failed.push({ id: reference.id, error: `Cannot find file with id ${reference.id}`, status: 'InProgress' });
      return 0;
    }
    try {
      await uploadFile(v6Url, this.settings, this.syncV6Version, reference.id, file.name, file.bytes, this.timing);
    } catch (error) {
      if (!(error instanceof SyncApiError)) throw error;
      const failed = afterFailedUpload(status, error, Date.now(), this.timing);
      this.state.setFileStatus(reference.id, failed);
      this.state.save();
      summary.failed.push({ id: reference.id, error: error.message, status: failed.status });
      return 0;
    }
    this.state.setFileStatus(reference.id, { ...status, status: 'Done', uploadedBytes: reference.total_bytes, error: null });
    this.state.save();
    summary.uploaded.push(reference.id);
    return due.length;
  }

  /**
   * A user opens a file (`static_files.rs`, `download_sync_file`): the local copy if the site has
   * it, otherwise `download_file_from_central` for a reference the site holds; the reference is
   * marked Done (or Error, with the error's text) either way.
   */
  async downloadFile(id: string): Promise<StoredFile> {
    const reference = this.state.held('sync_file_reference', id) as SyncFileReference | undefined;
    if (reference === undefined) throw new Error(`File with id ${id} does not exist`);
    const local = this.state.file(reference.table_name, reference.record_id, id);
    if (local) return local;
    if (this.state.v6Url === null) throw new Error('File not found locally and this site has no Open mSupply central URL');
    const v6 = new SyncApiV6(this.state.v6Url, this.settings, this.syncV6Version, this.timing);
    const status = this.state.fileStatus(id) ?? pulledFileStatus;
    let bytes: Buffer;
    try {
      bytes = await downloadFile(v6.url, this.settings, this.syncV6Version, reference, this.timing);
    } catch (error) {
      this.state.setFileStatus(id, { ...status, status: 'Error', error: (error as Error).message });
      this.state.save();
      throw error;
    }
    const file = { name: reference.file_name, bytes };
    this.state.putFile(reference.table_name, reference.record_id, id, file);
    this.state.setFileStatus(id, { ...status, status: 'Done', downloadedBytes: reference.total_bytes });
    this.state.save();
    return file;
  }

  /** The processors read the change log from their cursor; what they make becomes local changes. */
  private runProcessors(): number {
    const changed = this.state.changelog(Number(this.state.cursor('processors')), () => true).flatMap((entry) => {
      const data = this.state.held(entry.tableName, entry.recordId);
      return data === undefined ? [] : [{ tableName: entry.tableName, recordId: entry.recordId, recordData: data }];
    });
    const changes: readonly ProcessorChange[] = this.processors({
      activeStoreIds: activeStoreIds(this.state),
      integrated: changed,
      held: (table, id) => this.state.held(table, id),
      heldRecords: (table) => this.state.heldRecords(table),
    });
    if (changes.length > 0) this.changes(changes.map((change) => ({ ...change, action: change.action === 'delete' ? ('delete' as const) : ('update' as const) })));
    // Their own changes were processed in the same run.
    this.state.setCursor('processors', this.state.latestCursor + 1);
    return changes.length;
  }
}

function checkLocalChange(record: LocalChange, index: number): void {
  const where = `change [${index}]`;
  if (typeof record !== 'object' || record === null) throw new Error(`${where} must be an object {tableName, recordId, action, recordData}`);
  if (typeof record.tableName !== 'string' || record.tableName === '') throw new Error(`${where}: tableName must be a non-empty string`);
  if (typeof record.recordId !== 'string' || record.recordId === '') throw new Error(`${where}: recordId must be a non-empty string`);
  const action = typeof record.action === 'string' ? record.action.toLowerCase() : '';
  if (!['insert', 'update', 'delete'].includes(action)) throw new Error(`${where}: action must be insert, update or delete (a site never makes a merge)`);
  const data = record.recordData;
  if (action !== 'delete' && (typeof data !== 'object' || data === null || Array.isArray(data))) throw new Error(`${where}: recordData must be an object`);
}
