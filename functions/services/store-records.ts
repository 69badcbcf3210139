/**
 * Store records authored by the configuration (see domain/config/store-record.ts and
 * name-record.ts): the central copy holds, for every configured store, the `store` record and
 * the store's own `name` record the configuration says, written as a new version by the central
 * site where they disagreed; a configuration change sends the store record to every site that
 * holds the store and to every site that held it before the change. A name is central data: it
 * goes into the change log before its store record is queued for any site, because a site pulls
 * central records before its queue and ignores a store whose name it does not hold.
 */
import { createHash } from 'node:crypto';
import type { SyncConfig } from '../domain/config/model';
import type { Store } from '../domain/config/model';
import { authoredNameRecord, nameRecordAgrees } from '../domain/config/name-record';
import { centralSite, getSite, getStore, storeByNameId } from '../domain/config/queries';
import { authoredStoreRecord, storeRecordAgrees, type StoreRecordChange } from '../domain/config/store-record';
import type { RecordData } from '../domain/legacy-fields';
import type { AcceptedChange, CentralCopy, ChangeLog, OutgoingQueue, RecordKey, RoutedRecord, StoredRecord, SyncRecord } from '../domain/ports';
import { recordKeyString } from '../domain/ports';
import type { Placement } from '../domain/sync/placement';
import { destinations } from '../domain/sync/routing';
import { wireForm } from './route';

export interface StoreRecordDeps {
  readonly centralCopy: CentralCopy;
  readonly outgoing: OutgoingQueue;
  readonly changeLog: ChangeLog;
}

/** Where a store record is placed: central store data of the store itself (as a pushed one is). */
export const storeRecordPlacement = (storeId: string): Placement => ({ dataClass: 'centralStore', flags: [], storeId });

/** The remote sites a store's record goes to in a configuration. */
export const storeRecordHolders = (config: SyncConfig, storeId: string): number[] =>
  [...destinations('store', storeRecordPlacement(storeId), config).siteIds];

/** Where a store's name is placed: central data (it is a store's, never a patient's). */
export const storeNamePlacement = (): Placement => ({ dataClass: 'central', flags: [] });

const storeKey = (storeId: string): RecordKey => ({ tableName: 'store', recordId: storeId });
const nameKey = (store: Store): RecordKey => ({ tableName: 'name', recordId: store.nameId });

/** What the configuration authors for a store: its record and its name's. */
const authored = [
  { table: 'store', key: (store: Store) => storeKey(store.id), agrees: storeRecordAgrees, author: authoredStoreRecord, placement: (store: Store) => storeRecordPlacement(store.id) },
  { table: 'name', key: nameKey, agrees: nameRecordAgrees, author: authoredNameRecord, placement: storeNamePlacement },
] as const;

/**
 * A pushed or imported record the configuration authors (a configured store's record, or its
 * name), with its configuration-owned fields rewritten and placed as such; undefined for any
 * other record, and for deletes and merges.
 */
export function configuredRecord(config: SyncConfig, record: SyncRecord): { record: SyncRecord; placement: Placement } | undefined {
  if (record.action !== 'insert' && record.action !== 'update') return undefined;
  const store = configuredStoreOf(config, record);
  const kind = store && authored.find((entry) => entry.table === record.tableName);
  if (!store || !kind) return undefined;
  return { record: { ...record, recordData: kind.author(store, record.recordData) }, placement: kind.placement(store) };
}

/** The configured store whose `store` or own `name` record this is. */
export function configuredStoreOf(config: SyncConfig, key: RecordKey): Store | undefined {
  if (key.tableName === 'store') return getStore(config, key.recordId);
  if (key.tableName === 'name') return storeByNameId(config, key.recordId);
  return undefined;
}

/**
 * Makes the central copy hold the configured store record and name record of each store (those
 * it does not know are skipped): a new version, written as the central site, where one is missing
 * or disagrees. With a change log, names not yet in it are appended there at once. Answers the
 * current central copies of the store records.
 */
export async function writeStoreRecords(
  deps: { readonly centralCopy: CentralCopy; readonly changeLog?: ChangeLog },
  config: SyncConfig,
  storeIds: readonly string[],
): Promise<StoredRecord[]> {
  const written = await writeAuthoredRecords(deps.centralCopy, config, storeIds);
  if (deps.changeLog) await publishNames({ centralCopy: deps.centralCopy, changeLog: deps.changeLog }, written.names);
  return written.stores;
}

/** The keys of the records the configuration authors for these stores (store and name). */
export const authoredRecordKeys = (stores: readonly Store[]): RecordKey[] => stores.flatMap((store) => authored.map((kind) => kind.key(store)));

/**
 * The changes that make the central copy hold what the configuration authors for `stores`, given
 * what it holds now (`existing`, by record key string): one for each record missing or disagreeing.
 */
export function authoredChanges(config: SyncConfig, stores: readonly Store[], existing: ReadonlyMap<string, StoredRecord>): AcceptedChange[] {
  const central = centralSite(config)?.siteId;
  if (central === undefined) return [];
  const changes: AcceptedChange[] = [];
  for (const store of stores) {
    for (const kind of authored) {
      const key = kind.key(store);
      const stored = existing.get(recordKeyString(key));
      const current: RecordData | undefined = stored && stored.action !== 'delete' ? stored.recordData : undefined;
      if (kind.agrees(store, current)) continue;
      const recordData = kind.author(store, current);
      changes.push({
        record: { ...key, action: stored ? 'update' : 'insert', recordData },
        placement: kind.placement(store),
        originSiteId: central,
        // The same authored record is one change, however often it is written.
        changeId: `config:${kind.table}:${key.recordId}:${createHash('sha256').update(JSON.stringify(recordData)).digest('hex').slice(0, 32)}`,
      });
    }
  }
  return changes;
}

async function writeAuthoredRecords(centralCopy: CentralCopy, config: SyncConfig, storeIds: readonly string[]): Promise<{ stores: StoredRecord[]; names: StoredRecord[] }> {
  const stores = storeIds.map((id) => getStore(config, id)).filter((store) => store !== undefined);
  if (centralSite(config) === undefined || stores.length === 0) return { stores: [], names: [] };
  const keys = authoredRecordKeys(stores);
  const existing = await centralCopy.get(keys);
  const changes = authoredChanges(config, stores, existing);
  if (changes.length > 0) await centralCopy.apply(changes);
  const current = changes.length > 0 ? await centralCopy.get(keys) : existing;
  const records = [...current.values()];
  return { stores: records.filter((record) => record.tableName === 'store'), names: records.filter((record) => record.tableName === 'name') };
}

/** Appends to the change log the store names whose current version is not there yet. */
async function publishNames(deps: { readonly centralCopy: CentralCopy; readonly changeLog: ChangeLog }, names: readonly StoredRecord[]) {
  const due = names.filter((record) => record.routedVersion < record.version);
  if (due.length === 0) return;
  await deps.changeLog.append(due.map(wireForm));
  await deps.centralCopy.markRouted(due.map(({ tableName, recordId, version }) => ({ tableName, recordId, version })));
}

/**
 * Routing a configured store's name that was imported or pushed (it may come after its store
 * record, which a site then ignored): once the name is in the change log, its store record is
 * queued again for every site holding the store, so those sites integrate it with the name.
 */
export async function resendStoreRecordsOfNames(
  deps: { readonly centralCopy: CentralCopy; readonly outgoing: OutgoingQueue },
  config: SyncConfig,
  routed: readonly RecordKey[],
): Promise<void> {
  const stores = routed.filter((key) => key.tableName === 'name').map((key) => configuredStoreOf(config, key)).filter((store) => store !== undefined);
  if (stores.length === 0) return;
  const records = await deps.centralCopy.get(stores.map((store) => storeKey(store.id)));
  const deliveries: RoutedRecord[] = [];
  for (const record of records.values()) {
    if (record.action === 'delete' || record.action === 'merge') continue;
    const remote = storeRecordHolders(config, record.recordId).filter((siteId) => getSite(config, siteId)?.kind !== 'central');
    for (const siteId of remote) deliveries.push({ ...wireForm(record), siteId, version: record.version });
  }
  await deps.outgoing.enqueue(deliveries);
}

/**
 * After a configuration change: writes the affected stores' records and queues each for every
 * site holding the store now and every site that held it before (an old active site that keeps
 * no copy still learns it is no longer active). Safe to repeat.
 */
export async function sendStoreRecords(deps: StoreRecordDeps, config: SyncConfig, changes: readonly StoreRecordChange[]): Promise<{ readonly deliveries: number }> {
  const written = await writeAuthoredRecords(deps.centralCopy, config, changes.map((change) => change.storeId));
  // Each name is in the change log before its store record is queued for any site.
  await publishNames(deps, written.names);
  const records = written.stores;
  const formerHolders = new Map(changes.map((change) => [change.storeId, change.formerHolders]));
  const deliveries: RoutedRecord[] = [];
  for (const record of records) {
    const siteIds = new Set([...storeRecordHolders(config, record.recordId), ...(formerHolders.get(record.recordId) ?? [])]);
    for (const siteId of [...siteIds].sort((a, b) => a - b)) {
      const site = getSite(config, siteId);
      if (site && site.kind !== 'central') deliveries.push({ ...wireForm(record), siteId, version: record.version });
    }
  }
  await deps.outgoing.enqueue(deliveries);
  // Routed here to every holder: the fan-out consumer has nothing more to route for this version.
  await deps.centralCopy.markRouted(records.map(({ tableName, recordId, version }) => ({ tableName, recordId, version })));
  return { deliveries: deliveries.length };
}
