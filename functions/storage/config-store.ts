/**
 * The sync configuration in the `config` table, one item per site, store, visibility join,
 * user and the preferences, and a version item that guards every change.
 *
 * A change writes only the items it changes, in one transaction with the version item, its
 * audit entry and a change entry listing the changed item keys. A function that cached the
 * configuration then catches up by reading the change entries since its version and only the
 * items they list; it loads everything only when it has none or is far behind.
 *
 * A change too large for one transaction (DynamoDB takes 100 items) is staged first: its writes
 * go to staging items nobody reads, then one transaction commits the version with a marker
 * naming the stage, then the writes are applied in transactions that each check the marker is
 * still there, and the marker is removed. Whoever finds a marker left by a writer that stopped
 * finishes the work (the same writes again: idempotent); until then cached readers keep the
 * previous version, complete and consistent.
 *
 * A site's hardware binding is an item of its own, written conditionally on the site's first
 * initialisation: never a configuration change, so concurrent first bindings never meet.
 *
 * A function with nothing cached reads the latest snapshot (config-snapshot.ts: a few large
 * items) and the change entries since, and loads every item only when there is no usable
 * snapshot. Snapshots are written by the import and, in the background, by
 * `writeSnapshotIfDue` (functions/handlers/snapshot-config.ts, on a schedule): never inside a
 * change, whose answer would otherwise wait for the whole configuration to be compressed.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { emptyConfig, type Preferences, type Site, type Store, type SyncConfig, type User } from '../domain/config/model';
import { refuse, type AuditEntry, type OperationResult, type Refusal } from '../domain/config/operations';
import { batchGetItems } from './batch-get';
import { batchWriteAll } from './batch-write';
import { ConfigSnapshots, SNAPSHOT_FORMAT, type WrittenSnapshot } from './config-snapshot';
import { configKeys, configPartitions } from './keys';

type Item = Record<string, unknown> & { pk: string; sk: string };
type Key = { pk: string; sk: string };

export interface AuditRecord extends AuditEntry {
  readonly at: string;
  readonly actor: string;
}

/** Operations are pure: `(config) => result`. */
export type ConfigOperation = (config: SyncConfig) => OperationResult;

export type CommittedResult = OperationResult & { readonly auditRecord?: AuditRecord };

export interface ApplyOptions {
  /**
   * Sites whose hardware binding the operation reads (releasing one): read afresh first, since
   * a cached configuration learns new bindings only when it next loads in full.
   */
  readonly freshBindings?: readonly number[];
}

/** The version item: the committed version, and the stage a large change is still applying. */
interface VersionState {
  readonly version: number;
  readonly applying?: { readonly stageId: string; readonly count: number; readonly at: string };
}

const MAX_TRANSACTION_ITEMS = 100;
const ATTEMPTS = 6;
/** Batch writes in flight at once during an import. */
const IMPORT_WRITE_CONCURRENCY = 8;
/** A cached configuration this many versions behind loads in full instead of catching up. */
const MAX_VERSIONS_BEHIND = 100;
/** Beyond this many changed items a change entry says "load in full" instead of listing them. */
const MAX_LISTED_KEYS = 2000;
/** How long a large change's own writer is left to finish before a reader finishes it. */
const STAGED_GRACE_MS = 10_000;
/** A new snapshot is due once the committed version is this many past the published one. */
export const SNAPSHOT_EVERY_VERSIONS = 50;
/**
 * How stale a site's call may find the configuration (docs/config.md, "Reading the version"):
 * an instance reads the version item at most this often for site calls, so a change another
 * instance committed is seen by site calls up to this long after it.
 */
export const SITE_CALL_CONFIG_MAX_AGE_MS = 1_000;

/** Why a snapshot is due: none usable is published, it is far behind, or a change since could not list its keys. */
export type SnapshotDue = 'none' | 'behind' | 'large_change';

/** What one background step did: nothing due, another writer's claim still running, or a snapshot written. */
export type SnapshotStep =
  | { readonly done: 'not_due' }
  | { readonly done: 'claimed_elsewhere'; readonly due: SnapshotDue }
  | { readonly done: 'written'; readonly due: SnapshotDue; readonly snapshot: WrittenSnapshot };

export interface CurrentOptions {
  /**
   * Answer the cached configuration without reading the version item when this instance read it
   * less than this long ago (and no change was committed in this process since). 0: always read.
   */
  readonly maxAgeMs?: number;
}

/**
 * Changes committed in this process, per table: a reader in the same process (the local server
 * runs every function in one) never answers from a version check made before one of them.
 */
const committedHere = new Map<string, number>();

const keyText = ({ pk, sk }: Key) => `${pk}\u0000${sk}`;
const keyOf = (text: string): Key => {
  const [pk, sk] = text.split('\u0000') as [string, string];
  return { pk, sk };
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ConfigStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private cached: SyncConfig | undefined;
  /** Bindings read since the cached configuration was loaded, by site id. */
  private readonly bindings = new Map<number, string>();
  /** When (performance.now) the cached configuration was last confirmed current, and `committedHere` then. */
  private confirmed = { at: -Infinity, commits: -1 };
  private snapshotStore: ConfigSnapshots | undefined;
  private get snapshots(): ConfigSnapshots {
    return (this.snapshotStore ??= new ConfigSnapshots(this.db, this.tableName, this.now));
  }

  /**
   * The current configuration: one read of the version item per call; when it moved, only the
   * items changed since the cached version are read (a full load when none is cached or it is
   * far behind). Hardware bindings made since the last full load are not in it: ask
   * `hardwareBinding` for a site it shows unbound. With `maxAgeMs`, a version read that recent
   * is trusted instead of reading it again.
   */
  async current(options: CurrentOptions = {}): Promise<SyncConfig> {
    const commits = committedHere.get(this.tableName) ?? 0;
    if (this.cached && options.maxAgeMs && this.confirmed.commits === commits && performance.now() - this.confirmed.at < options.maxAgeMs) return this.cached;
    // Stamped before the read: what is answered was current at least from this moment.
    const checkedAt = performance.now();
    const config = await this.read();
    this.confirmed = { at: checkedAt, commits };
    return config;
  }

  private async read(): Promise<SyncConfig> {
    for (let attempt = 0; ; attempt++) {
      const state = await this.versionState();
      if (state.applying) {
        if (this.cached && this.stageIsYoung(state)) return this.cached;
        await this.waitOrFinish(state);
        continue;
      }
      const cached = this.cached;
      if (cached && cached.version === state.version) return cached;
      const behind = cached ? state.version - cached.version : Infinity;
      const next =
        cached && behind > 0 && behind <= MAX_VERSIONS_BEHIND ? await this.catchUp(cached, state.version) : await this.loadAt(state.version, attempt >= ATTEMPTS);
      if (!next) continue;
      this.cached = next;
      return next;
    }
  }

  /**
   * The whole configuration as of one committed version, hardware bindings included (what the
   * admin API shows): the current configuration with every binding read afresh.
   */
  async load(): Promise<SyncConfig> {
    return this.withAllBindings(await this.current());
  }

  /** Every item read, whatever snapshot there is (what a snapshot must always agree with). */
  async loadInFull(): Promise<SyncConfig> {
    for (let attempt = 0; ; attempt++) {
      const state = await this.versionState();
      if (state.applying) {
        await this.waitOrFinish(state);
        continue;
      }
      const config = await this.loadItems(state.version, attempt >= ATTEMPTS);
      if (config) return config;
    }
  }

  /**
   * Writes a snapshot of the current configuration (bindings read afresh) and publishes it
   * (unless a newer one was published meanwhile), due or not.
   */
  async writeSnapshot(): Promise<WrittenSnapshot> {
    return this.snapshots.write(normalised(await this.load()));
  }

  /**
   * Whether a snapshot is due: none of this format is published, the committed version is
   * SNAPSHOT_EVERY_VERSIONS or more past it, or a change since was too large for its change
   * entry to list its keys (every cold load would then read every item). Two reads, and a query
   * of the few change entries since when neither of the first two says so.
   */
  async snapshotDue(): Promise<SnapshotDue | undefined> {
    const [state, published] = await Promise.all([this.versionState(), this.snapshots.pointer()]);
    if (state.version === 0) return undefined;
    if (!published || published.format !== SNAPSHOT_FORMAT) return 'none';
    if (state.version - published.version >= SNAPSHOT_EVERY_VERSIONS) return 'behind';
    if (state.version <= published.version) return undefined;
    // Fewer than SNAPSHOT_EVERY_VERSIONS entries, each a list of keys or "load in full".
    const entries = await this.query('change', [configKeys.change(published.version + 1).sk, configKeys.change(state.version).sk]);
    return entries.some((entry) => entry.full) ? 'large_change' : undefined;
  }

  /**
   * The background step (functions/handlers/snapshot-config.ts): when a snapshot is due, claims
   * the writing for `claimMs` (another writer's live claim: nothing done), writes and publishes
   * it. Nothing here depends on a message: whatever stopped a previous step (a crash, a timeout,
   * a failed write), the next step finds the snapshot still due and writes it.
   */
  async writeSnapshotIfDue(claimMs: number): Promise<SnapshotStep> {
    const due = await this.snapshotDue();
    if (!due) return { done: 'not_due' };
    const holder = randomUUID();
    if (!(await this.snapshots.claim(holder, this.now().getTime() + claimMs))) return { done: 'claimed_elsewhere', due };
    let snapshot: WrittenSnapshot | undefined;
    try {
      snapshot = await this.writeSnapshot();
      return { done: 'written', due, snapshot };
    } finally {
      // Publishing replaced the pointer item and its claim; otherwise give the claim up (if this
      // fails too, it lapses at its time).
      if (!snapshot?.published) await this.snapshots.release(holder).catch(() => undefined);
    }
  }

  private stageIsYoung(state: VersionState): boolean {
    return this.now().getTime() - Date.parse(state.applying!.at) < STAGED_GRACE_MS;
  }

  /** A large change is being applied: its writer is given a moment, then whoever reads finishes it. */
  private async waitOrFinish(state: VersionState): Promise<void> {
    if (this.stageIsYoung(state)) await sleep(100);
    else await this.finishStaged(state);
  }

  /** `config` with every binding read afresh. */
  private async withAllBindings(config: SyncConfig): Promise<SyncConfig> {
    const bindings = await this.query('binding');
    let sites: Record<string, Site> | undefined;
    const bound = new Map(bindings.map((item) => [Number(item.siteId), String(item.hardwareId)]));
    for (const site of Object.values(config.sites)) {
      const hardwareId = bound.get(site.siteId) ?? site.hardwareId;
      if (hardwareId !== site.hardwareId) (sites ??= { ...config.sites })[String(site.siteId)] = { ...site, hardwareId };
    }
    return sites ? { ...config, sites } : config;
  }

  /** The hardware a site is bound to ('' = none), for a site the cached configuration shows unbound. */
  async hardwareBinding(siteId: number): Promise<string> {
    const known = this.bindings.get(siteId);
    if (known !== undefined) return known;
    const response = await this.db.send(new GetCommand({ TableName: this.tableName, Key: configKeys.binding(siteId), ConsistentRead: true }));
    const hardwareId = (response.Item?.hardwareId as string | undefined) ?? '';
    if (hardwareId !== '') this.bindings.set(siteId, hardwareId);
    return hardwareId;
  }

  /**
   * Binds a site to the hardware of its first initialisation: one conditional write of its
   * binding item, refused (`hardware_mismatch`) when it is bound to other hardware.
   */
  async bindHardware(siteId: number, hardwareId: string): Promise<{ ok: true } | Refusal> {
    if (hardwareId === '') return refuse(400, 'invalid_hardware_id', 'The hardware id must not be empty.');
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...configKeys.binding(siteId), siteId, hardwareId, at: this.now().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk) OR hardwareId = :hardwareId',
          ExpressionAttributeValues: { ':hardwareId': hardwareId },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        return refuse(409, 'hardware_mismatch', `Site ${siteId} is bound to other hardware; an administrator must release the binding first.`);
      throw error;
    }
    this.bindings.set(siteId, hardwareId);
    return { ok: true };
  }

  /** Applies a pure operation and commits its result with its audit entry, or refuses. */
  async apply(operation: ConfigOperation, actor: string, options: ApplyOptions = {}): Promise<CommittedResult> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = await this.withFreshBindings(await this.current(), options.freshBindings ?? []);
      const result = operation(current);
      if (!result.ok) return result;
      const writes = diff(current, result.config);
      if (writes.length === 0 && !result.audit) return { ...result, config: current };
      const auditRecord = result.audit ? { ...result.audit, at: this.now().toISOString(), actor } : undefined;
      const version = current.version + 1;
      const committed =
        writes.length + 3 <= MAX_TRANSACTION_ITEMS ? await this.commitAtOnce(current.version, writes, auditRecord) : await this.commitStaged(current.version, writes, auditRecord);
      if (!committed) {
        // Another change committed first: back off a little so concurrent writers spread out.
        await sleep(Math.random() * 25 * 2 ** attempt);
        continue;
      }
      for (const siteId of touchedSites(writes)) this.bindings.delete(siteId);
      committedHere.set(this.tableName, (committedHere.get(this.tableName) ?? 0) + 1);
      // No snapshot here, however far behind the published one is: the background step writes it.
      return { ...result, config: { ...result.config, version }, ...(auditRecord ? { auditRecord } : {}) };
    }
    return refuse(409, 'concurrent_change', 'The configuration kept changing while this change was applied; try again.');
  }

  /**
   * Loads a whole configuration into an empty system (import). Refused unless the system is
   * empty; the items are plain batch writes (no reader looks before the version exists), the
   * version item last, so a configuration is only ever seen complete.
   */
  async importInto(config: SyncConfig, actor: string): Promise<CommittedResult> {
    const current = await this.current();
    if (current.version !== 0 || Object.keys(current.sites).length > 0)
      return refuse(409, 'not_empty', 'The configuration is not empty; import only loads into an empty system.');
    const auditRecord: AuditRecord = {
      action: 'config.import',
      target: 'config',
      details: { sites: Object.keys(config.sites).length, stores: Object.keys(config.stores).length },
      at: this.now().toISOString(),
      actor,
    };
    await this.putAll([...toItems(config).values(), { ...configKeys.audit(auditRecord.at, randomUUID()), ...auditRecord }]);
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [this.versionPut(0), { Put: { TableName: this.tableName, Item: { ...configKeys.change(1), full: true } } }],
        }),
      );
    } catch (error) {
      if (error instanceof TransactionCanceledException) return refuse(409, 'not_empty', 'Another change was committed during the import.');
      throw error;
    }
    committedHere.set(this.tableName, (committedHere.get(this.tableName) ?? 0) + 1);
    // Every cold start after an import would otherwise read every item.
    await this.snapshotQuietly(async () => normalised({ ...config, version: 1 }));
    return { ok: true, config: { ...config, version: 1 }, audit: auditRecord, auditRecord };
  }

  /** Privileged changes, newest first. */
  async audit(limit = 100): Promise<AuditRecord[]> {
    const response = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'audit' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (response.Items ?? []).map(({ at, actor, action, target, details }) => ({ at, actor, action, target, details }) as AuditRecord);
  }

  // --- committing --------------------------------------------------------------------------

  /** One transaction: version, writes, change entry, audit. False when another change won. */
  private async commitAtOnce(expected: number, writes: readonly Write[], auditRecord: AuditRecord | undefined): Promise<boolean> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            this.versionPut(expected),
            ...writes.map((write) => this.writeRequest(write)),
            this.changeEntryPut(expected + 1, writes),
            ...this.auditPut(auditRecord),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * A change larger than one transaction: staged, committed by the version item (with a marker
   * naming the stage), applied, unmarked. False when another change won before the commit.
   */
  private async commitStaged(expected: number, writes: readonly Write[], auditRecord: AuditRecord | undefined): Promise<boolean> {
    const stageId = randomUUID();
    await this.putAll(writes.map((write, index) => ({ ...configKeys.staged(stageId, index), ...(write.put ? { put: write.put } : { delete: write.delete }) })));
    const applying = { stageId, count: writes.length, at: this.now().toISOString() };
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [this.versionPut(expected, applying), this.changeEntryPut(expected + 1, writes), ...this.auditPut(auditRecord)],
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        await this.deleteStage(stageId, writes.length);
        return false;
      }
      throw error;
    }
    await this.finishStaged({ version: expected + 1, applying }, writes);
    return true;
  }

  /**
   * Applies a committed stage's writes (read back from the stage when not given), each chunk in
   * a transaction that checks the marker is still there, then removes the marker and the stage.
   * Safe to run by several callers at once, or again: the writes are the same.
   */
  private async finishStaged(state: VersionState, known?: readonly Write[]): Promise<void> {
    const applying = state.applying!;
    const writes = known ?? (await this.query(`staged#${applying.stageId}`)).map((item) => (item.put ? { put: item.put as Item } : { delete: item.delete as Key }));
    try {
      for (let i = 0; i < writes.length; i += MAX_TRANSACTION_ITEMS - 1) {
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName: this.tableName,
                  Key: configKeys.version(),
                  ConditionExpression: 'applying.stageId = :stageId',
                  ExpressionAttributeValues: { ':stageId': applying.stageId },
                },
              },
              ...writes.slice(i, i + MAX_TRANSACTION_ITEMS - 1).map((write) => this.writeRequest(write)),
            ],
          }),
        );
      }
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: configKeys.version(),
          UpdateExpression: 'REMOVE applying',
          ConditionExpression: 'applying.stageId = :stageId',
          ExpressionAttributeValues: { ':stageId': applying.stageId },
        }),
      );
    } catch (error) {
      // Someone else finished it first.
      if (!isConditionFailure(error)) throw error;
    }
    await this.deleteStage(applying.stageId, applying.count);
  }

  private async deleteStage(stageId: string, count: number): Promise<void> {
    const keys = Array.from({ length: count }, (_, index) => configKeys.staged(stageId, index));
    await batchWriteAll(this.db, this.tableName, keys.map((Key) => ({ DeleteRequest: { Key } })), { concurrency: IMPORT_WRITE_CONCURRENCY });
  }

  private writeRequest(write: Write) {
    return write.put ? { Put: { TableName: this.tableName, Item: write.put } } : { Delete: { TableName: this.tableName, Key: write.delete } };
  }

  private changeEntryPut(version: number, writes: readonly Write[]) {
    const keys = writes.map((write) => keyText(write.put ?? write.delete));
    const entry = keys.length > MAX_LISTED_KEYS ? { full: true } : { keys };
    return { Put: { TableName: this.tableName, Item: { ...configKeys.change(version), ...entry, at: this.now().toISOString() } } };
  }

  private auditPut(auditRecord: AuditRecord | undefined) {
    return auditRecord ? [{ Put: { TableName: this.tableName, Item: { ...configKeys.audit(auditRecord.at, randomUUID()), ...auditRecord } } }] : [];
  }

  private versionPut(expected: number, applying?: VersionState['applying']) {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...configKeys.version(), version: expected + 1, ...(applying ? { applying } : {}) },
        ...(expected === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: 'version = :expected AND attribute_not_exists(applying)',
              ExpressionAttributeValues: { ':expected': expected },
            }),
      },
    };
  }

  /**
   * The import is committed whatever happens here: a snapshot that fails only leaves cold loads
   * on every item until the background step writes one.
   */
  private async snapshotQuietly(snapshot: () => Promise<SyncConfig | undefined>): Promise<void> {
    try {
      const config = await snapshot();
      if (config) await this.snapshots.write(config);
    } catch {
      // Deliberately not an error of the change.
    }
  }

  // --- reading -----------------------------------------------------------------------------

  private async versionState(): Promise<VersionState> {
    const response = await this.db.send(new GetCommand({ TableName: this.tableName, Key: configKeys.version(), ConsistentRead: true }));
    const item = response.Item;
    return { version: (item?.version as number | undefined) ?? 0, ...(item?.applying ? { applying: item.applying as VersionState['applying'] } : {}) };
  }

  /**
   * The configuration at `version` with nothing usable cached: the published snapshot and the
   * changes since when there is one, otherwise every item. Undefined when the version moved
   * meanwhile (unless `anyway`).
   */
  private async loadAt(version: number, anyway: boolean): Promise<SyncConfig | undefined> {
    const snapshot = await this.snapshots.read();
    const usable = snapshot && version - snapshot.version <= MAX_VERSIONS_BEHIND && snapshot.version > (this.cached?.version ?? 0);
    if (!usable) return this.loadItems(version, anyway);
    this.bindings.clear();
    // A complete committed version: if the version moves on meanwhile, the next try catches up from it.
    this.cached = snapshot;
    // Newer than the version read: published since, by the writer that committed it.
    return snapshot.version >= version ? snapshot : this.catchUp(snapshot, version);
  }

  /** Every item, read at `version`; undefined when the version moved meanwhile (unless `anyway`). */
  private async loadItems(version: number, anyway: boolean): Promise<SyncConfig | undefined> {
    const partitions = await Promise.all(configPartitions.map((pk) => this.query(pk)));
    const after = await this.versionState();
    if (!anyway && (after.version !== version || after.applying)) return undefined;
    this.bindings.clear();
    return fromItems(version, partitions.flat());
  }

  /** The cached configuration brought to `version` by reading only the items changed since. */
  private async catchUp(cached: SyncConfig, version: number): Promise<SyncConfig | undefined> {
    const entries = await this.query('change', [configKeys.change(cached.version + 1).sk, configKeys.change(version).sk]);
    if (entries.length !== version - cached.version || entries.some((entry) => entry.full || !Array.isArray(entry.keys))) return this.loadItems(version, false);
    const keys = [...new Set(entries.flatMap((entry) => entry.keys as string[]))];
    const items = (await batchGetItems(this.db, this.tableName, keys.map(keyOf), 'the changed configuration items')) as Item[];
    const after = await this.versionState();
    if (after.version !== version || after.applying) return undefined;
    const next = withItems(cached, version, keys.map(keyOf), items);
    for (const siteId of touchedSites(keys.map((key) => ({ delete: keyOf(key) })))) this.bindings.delete(siteId);
    return next;
  }

  /** The configuration with the named sites' bindings read afresh. */
  private async withFreshBindings(config: SyncConfig, siteIds: readonly number[]): Promise<SyncConfig> {
    let sites: Record<string, Site> | undefined;
    for (const siteId of siteIds) {
      const site = config.sites[String(siteId)];
      if (!site) continue;
      this.bindings.delete(siteId);
      // A binding the cache shows is never stale (releasing one is a change); one it lacks may be.
      const hardwareId = (await this.hardwareBinding(siteId)) || site.hardwareId;
      if (hardwareId !== site.hardwareId) (sites ??= { ...config.sites })[String(siteId)] = { ...site, hardwareId };
    }
    return sites ? { ...config, sites } : config;
  }

  /** Plain batch writes, several at once: for items no reader sees before the version moves. */
  private async putAll(items: readonly Item[]): Promise<void> {
    await batchWriteAll(this.db, this.tableName, items.map((Item) => ({ PutRequest: { Item } })), { concurrency: IMPORT_WRITE_CONCURRENCY });
  }

  /** Every item of a partition (between two sort keys, when given), consistently. */
  private async query(pk: string, between?: readonly [string, string]): Promise<Item[]> {
    const items: Item[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const response = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: between ? 'pk = :pk AND sk BETWEEN :from AND :to' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk, ...(between ? { ':from': between[0], ':to': between[1] } : {}) },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      items.push(...((response.Items ?? []) as Item[]));
      ExclusiveStartKey = response.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }
}

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof TransactionCanceledException && (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed'));

// --- item mapping ----------------------------------------------------------------------------

const siteItem = (site: Site): Item => ({ ...configKeys.site(site.siteId), ...site, hardwareId: '' });
const storeItem = (store: Store): Item => ({ ...configKeys.store(store.id), ...store, collectorSiteIds: [...store.collectorSiteIds] });
const bindingItem = (site: Site): Item => ({ ...configKeys.binding(site.siteId), siteId: site.siteId, hardwareId: site.hardwareId });

/** Every item of a configuration (an import), bindings of bound sites included. */
function toItems(config: SyncConfig): Map<string, Item> {
  const items = new Map<string, Item>();
  const add = (item: Item) => items.set(keyText(item), item);
  for (const site of Object.values(config.sites)) add(siteItem(site));
  for (const store of Object.values(config.stores)) add(storeItem(store));
  for (const [storeId, nameIds] of Object.entries(config.visibility)) {
    for (const nameId of nameIds) add({ ...configKeys.visibility(storeId, nameId), storeId, nameId });
  }
  add({ ...configKeys.preferences(), ...config.preferences });
  for (const user of Object.values(config.users ?? {})) add({ ...configKeys.user(user.id), ...user });
  for (const site of Object.values(config.sites)) if (site.hardwareId !== '') add(bindingItem(site));
  return items;
}

const siteFromItem = ({ pk: _pk, sk: _sk, ...item }: Item): Site => item as unknown as Site;
const storeFromItem = ({ pk: _pk, sk: _sk, ...item }: Item): Store => {
  const store = item as unknown as Store;
  return { ...store, collectorSiteIds: [...(store.collectorSiteIds ?? [])].sort((a, b) => a - b) };
};
const userFromItem = ({ pk: _pk, sk: _sk, ...item }: Item): User => item as unknown as User;

function fromItems(version: number, items: Item[]): SyncConfig {
  const config = emptyConfig();
  const sites: Record<string, Site> = {};
  const stores: Record<string, Store> = {};
  const visibility: Record<string, string[]> = {};
  let preferences: Preferences = config.preferences;
  const users: Record<string, User> = {};
  const bindings = new Map<number, string>();
  for (const item of items) {
    if (item.pk === 'site') {
      const site = siteFromItem(item);
      sites[String(site.siteId)] = site;
    } else if (item.pk === 'store') {
      const store = storeFromItem(item);
      stores[store.id] = store;
    } else if (item.pk === 'visibility') {
      const { storeId, nameId } = item as unknown as { storeId: string; nameId: string };
      (visibility[storeId] ??= []).push(nameId);
    } else if (item.pk === 'preferences') {
      const { pk: _pk, sk: _sk, ...rest } = item;
      preferences = { ...preferences, ...(rest as Partial<Preferences>) };
    } else if (item.pk === 'user') {
      const user = userFromItem(item);
      users[user.id] = user;
    } else if (item.pk === 'binding') {
      bindings.set(Number(item.siteId), String(item.hardwareId));
    }
  }
  for (const [siteId, hardwareId] of bindings) {
    const site = sites[String(siteId)];
    if (site) sites[String(siteId)] = { ...site, hardwareId };
  }
  for (const names of Object.values(visibility)) names.sort();
  // Configurations without users keep their old shape.
  return { version, sites, stores, visibility, preferences, ...(Object.keys(users).length > 0 ? { users } : {}) };
}

/** A configuration as a full load reads it back from its items (what a snapshot holds). */
const normalised = (config: SyncConfig): SyncConfig => fromItems(config.version, [...toItems(config).values()]);

/**
 * `base` with the items under `keys` replaced by `items` (a key without an item was deleted):
 * the maps that changed are copied, everything else is shared with `base`.
 */
function withItems(base: SyncConfig, version: number, keys: readonly Key[], items: readonly Item[]): SyncConfig {
  const found = new Map(items.map((item) => [keyText(item), item]));
  let sites: Record<string, Site> | undefined;
  let stores: Record<string, Store> | undefined;
  let users: Record<string, User> | undefined;
  let preferences = base.preferences;
  const visibilityChanges = new Map<string, Map<string, boolean>>();
  const bindingChanges = new Map<number, string>();
  for (const key of keys) {
    const item = found.get(keyText(key));
    if (key.pk === 'site') {
      sites ??= { ...base.sites };
      const siteId = String(Number(key.sk));
      if (item) {
        const site = siteFromItem(item);
        sites[siteId] = { ...site, hardwareId: base.sites[siteId]?.hardwareId ?? site.hardwareId };
      } else delete sites[siteId];
    } else if (key.pk === 'store') {
      stores ??= { ...base.stores };
      if (item) stores[key.sk] = storeFromItem(item);
      else delete stores[key.sk];
    } else if (key.pk === 'visibility') {
      const separator = key.sk.indexOf('#');
      const storeId = key.sk.slice(0, separator);
      const changes = visibilityChanges.get(storeId) ?? new Map<string, boolean>();
      changes.set(key.sk.slice(separator + 1), item !== undefined);
      visibilityChanges.set(storeId, changes);
    } else if (key.pk === 'preferences') {
      const { pk: _pk, sk: _sk, ...rest } = item ?? {};
      preferences = { ...emptyConfig().preferences, ...(rest as Partial<Preferences>) };
    } else if (key.pk === 'user') {
      users ??= { ...(base.users ?? {}) };
      if (item) users[key.sk] = userFromItem(item);
      else delete users[key.sk];
    } else if (key.pk === 'binding') {
      bindingChanges.set(Number(key.sk), item ? String(item.hardwareId) : '');
    }
  }
  for (const [siteId, hardwareId] of bindingChanges) {
    const site = (sites ?? base.sites)[String(siteId)];
    if (site) (sites ??= { ...base.sites })[String(siteId)] = { ...site, hardwareId };
  }
  let visibility = base.visibility;
  if (visibilityChanges.size > 0) {
    const next: Record<string, readonly string[]> = { ...base.visibility };
    for (const [storeId, changes] of visibilityChanges) {
      const names = new Set(Object.prototype.hasOwnProperty.call(next, storeId) ? next[storeId] : []);
      for (const [nameId, present] of changes) {
        if (present) names.add(nameId);
        else names.delete(nameId);
      }
      if (names.size > 0) next[storeId] = [...names].sort();
      else delete next[storeId];
    }
    visibility = next;
  }
  const nextUsers = users ?? base.users;
  const { users: _users, ...rest } = base;
  return {
    ...rest,
    version,
    sites: sites ?? base.sites,
    stores: stores ?? base.stores,
    visibility,
    preferences,
    ...(nextUsers && Object.keys(nextUsers).length > 0 ? { users: nextUsers } : {}),
  };
}

type Write = { put: Item; delete?: undefined } | { put?: undefined; delete: Key };

/**
 * The items to write for `after`, given `before`. Operations share every object they did not
 * change, so only maps and entries that are new objects are compared: the cost follows the
 * change, not the configuration. Bindings follow the sites' hardware ids.
 */
function diff(before: SyncConfig, after: SyncConfig): Write[] {
  const writes: Write[] = [];
  const put = (item: Item, old?: Item) => {
    if (!old || stableJson(old) !== stableJson(item)) writes.push({ put: item });
  };
  eachChanged(before.sites, after.sites, (_key, old, site) => {
    const siteId = (site ?? old)!.siteId;
    const binding = configKeys.binding(siteId);
    if (!site) {
      writes.push({ delete: configKeys.site(siteId) }, { delete: binding });
      return;
    }
    const item = siteItem(site);
    const released = old !== undefined && old.hardwareId !== '' && site.hardwareId === '';
    // A released site's item is rewritten too: items of older versions carried the binding.
    if (released) writes.push({ put: item });
    else put(item, old && siteItem(old));
    const itemWritten = writes.at(-1)?.put === item;
    if (site.hardwareId !== '' && (site.hardwareId !== old?.hardwareId || itemWritten)) writes.push({ put: bindingItem(site) });
    else if (site.hardwareId === '' && (!old || released)) writes.push({ delete: binding });
  });
  eachChanged(before.stores, after.stores, (storeId, old, store) => {
    if (store) put(storeItem(store), old && storeItem(old));
    else writes.push({ delete: configKeys.store(storeId) });
  });
  eachChanged(before.visibility, after.visibility, (storeId, old, names) => {
    const previous = new Set(old ?? []);
    const next = new Set(names ?? []);
    for (const nameId of next) if (!previous.has(nameId)) writes.push({ put: { ...configKeys.visibility(storeId, nameId), storeId, nameId } });
    for (const nameId of previous) if (!next.has(nameId)) writes.push({ delete: configKeys.visibility(storeId, nameId) });
  });
  if (before.preferences !== after.preferences) put({ ...configKeys.preferences(), ...after.preferences }, { ...configKeys.preferences(), ...before.preferences });
  eachChanged(before.users ?? {}, after.users ?? {}, (userId, old, user) => {
    if (user) put({ ...configKeys.user(user.id), ...user }, old && { ...configKeys.user(old.id), ...old });
    else writes.push({ delete: configKeys.user(userId) });
  });
  return writes;
}

/** Calls `changed` for every key whose value is not the same object in both maps. */
function eachChanged<T>(before: Readonly<Record<string, T>>, after: Readonly<Record<string, T>>, changed: (key: string, old: T | undefined, next: T | undefined) => void) {
  if (before === after) return;
  const has = (map: Readonly<Record<string, T>>, key: string) => Object.prototype.hasOwnProperty.call(map, key);
  for (const key of Object.keys(after)) {
    const old = has(before, key) ? before[key] : undefined;
    if (old !== after[key]) changed(key, old, after[key]);
  }
  for (const key of Object.keys(before)) if (!has(after, key)) changed(key, before[key], undefined);
}

/** Sites whose site or binding item is among `writes`. */
function touchedSites(writes: readonly Write[]): number[] {
  return writes.map((write) => write.put ?? write.delete).filter((key) => key.pk === 'site' || key.pk === 'binding').map((key) => Number(key.sk));
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
