/**
 * Sending a site what it has just become entitled to (a store moved there, a new collector, new
 * visibility, a store joined to a master list): the records of one index source, queued from the
 * central copy, with the central records that entitlement brings (docs/central-data.md, "Later
 * changes"). A large source is queued in parts that each fit a function's timeout. Safe to
 * repeat: a record already waiting is replaced, not doubled. (A whole initialisation is served at
 * pull time: initial-stream.ts and central-records.ts.)
 */
import type { SyncConfig } from '../domain/config/model';
import { configLookup } from '../domain/config/lookup';
import { getStore, instanceType, namesVisibleIn, storeByNameId, storeHolders } from '../domain/config/queries';
import { reference } from '../domain/legacy-fields';
import type { CentralCopy, ChangeLog, EntitlementSource, InitialisationProgress, OutgoingQueue, RecordKey, RecordSource, RoutedRecord, SiteProgress, StoredRecord, SyncRecord, WorkQueue } from '../domain/ports';
import { holdsCentral, siteCentralView } from '../domain/sync/central-relevance';
import { DISPENSARY_ONLY_HOLDER } from '../domain/sync/placement';
import { destinations, hasActiveDispensary } from '../domain/sync/routing';
import { recordKeyString } from '../domain/ports';
import { listsJoinedTo, listsOfSite, namesSentWith } from './central-records';
import { wireForm } from './route';
import { queueSiteWork } from './site-work';
import { awaitingResponseAt } from './transfers';

export interface InitialiseDeps {
  readonly centralCopy: CentralCopy;
  readonly outgoing: OutgoingQueue;
  /** Read for a site made primary (every central record); without it that send fails. */
  readonly changeLog?: ChangeLog;
}

export type InitialisationStep =
  | { readonly done: true; readonly queued: number }
  | { readonly done: false; readonly resume: InitialisationProgress };

/** One part of what a site is sent: an index key, or records named one by one (names have no index). */
type Part = { readonly source: RecordSource } | { readonly keys: readonly RecordKey[] };

/** Names fetched per part. */
const KEYS_PER_PART = 100;

/** What a site has just become entitled to (a store moved there, new collector, new visibility). */
export async function sendRecordsTo(deps: InitialiseDeps, config: SyncConfig, siteId: number, source: EntitlementSource, options: QueueSourcesOptions = {}) {
  const view = siteCentralView(config, siteId);
  const lists = await listsOfSite(deps.centralCopy, view);
  if (source.index === 'patientsVisibleIn') return queueParts(deps, config, siteId, lists, patientPartsFor(config, siteId, source.value), options);
  if (source.index === 'centralLog') return queueCentralLog(deps, siteId, options);
  const store = source.index === 'byStore' ? getStore(config, source.value) : undefined;
  const storeLists = store ? await listsJoinedTo(deps.centralCopy, view, [store.nameId]) : new Set<string>();
  return queueParts(deps, config, siteId, lists, [{ source }, ...centralPartsFor(config, siteId, source, storeLists)], options);
}

/**
 * The central records an entitlement brings besides its own source: a store's name (and, for a
 * store the site uses, the names visible in it and the lines of the lists joined to it), a newly
 * visible name with its joins, dispensary data for an active dispensary. Derived from the
 * configuration and the site's lists in a fixed order, so a build resumed in a later part finds
 * the same parts.
 */
export function centralPartsFor(config: SyncConfig, siteId: number, source: RecordSource, storeLists: ReadonlySet<string>): Part[] {
  const names: string[] = [];
  const extra: Part[] = [];
  if (source.index === 'byPatient') names.push(source.value);
  const store = source.index === 'byStore' ? getStore(config, source.value) : undefined;
  if (store) {
    const type = instanceType(config, store.id, siteId);
    names.push(store.nameId);
    if (type === 'active' || type === 'collector') {
      names.push(...namesVisibleIn(config, store.id));
      for (const listId of [...storeLists].sort()) extra.push({ source: { index: 'byParent', value: `list_master#${listId}` } });
    }
    if (type === 'active' && store.mode === 'dispensary') extra.push({ source: { index: 'byStore', value: DISPENSARY_ONLY_HOLDER } });
  }
  return [...namesAndTheirJoins([...new Set(names)]), ...extra];
}

/** Name records fetched by key, a part per hundred, then each name's own joins, contacts and tags (they hang under it). */
function namesAndTheirJoins(nameIds: readonly string[]): Part[] {
  const parts: Part[] = [];
  for (let i = 0; i < nameIds.length; i += KEYS_PER_PART) {
    parts.push({ keys: nameIds.slice(i, i + KEYS_PER_PART).map((recordId) => ({ tableName: 'name', recordId })) });
  }
  for (const nameId of nameIds) parts.push({ source: { index: 'byParent', value: `name#${nameId}` } });
  return parts;
}

/**
 * A store saved with "resync patient records": every patient visible in it (its record, joins and
 * patient data), then the dispensary data when the site has an active dispensary, for the store's site. Names of stores are trading
 * partners, not patients, and stay out. Nothing for a site that does not hold the store as active.
 */
export function patientPartsFor(config: SyncConfig, siteId: number, storeId: string): Part[] {
  const store = getStore(config, storeId);
  if (!store || instanceType(config, store.id, siteId) !== 'active') return [];
  const patients = namesVisibleIn(config, store.id).filter((nameId) => !storeByNameId(config, nameId));
  const parts: Part[] = patients.map((nameId) => ({ source: { index: 'byPatient', value: nameId } }));
  parts.push(...namesAndTheirJoins(patients));
  if (hasActiveDispensary(config, siteId)) parts.push({ source: { index: 'byStore', value: DISPENSARY_ONLY_HOLDER } });
  return parts;
}

/** Change-log entries read per page when a site is sent every central record. */
const CENTRAL_LOG_PAGE = 500;

/**
 * A site made primary holds every central record, but its cursor passed those its filter skipped
 * (docs/central-data.md): each record in the change log is queued for it in its current version
 * (records it holds already arrive once more and replace themselves). Deletes and merges are left
 * out: a site is sent what exists. Resumes at the change-log cursor it stopped at.
 */
async function queueCentralLog(deps: InitialiseDeps, siteId: number, options: QueueSourcesOptions): Promise<InitialisationStep> {
  if (!deps.changeLog) throw new Error('Sending every central record needs the change log');
  let cursor = Number(options.resume?.after ?? 0);
  let { queued, part } = options.resume ?? { queued: 0, part: 0 };
  for (let pages = 0; ; pages++) {
    if (pages > 0 && options.shouldStop?.()) return { done: false, resume: { source: 0, after: String(cursor), queued, part: part + 1 } };
    const { entries } = await deps.changeLog.read(cursor, CENTRAL_LOG_PAGE);
    if (entries.length === 0) return { done: true, queued };
    const stored = await deps.centralCopy.get(entries.map(({ tableName, recordId }) => ({ tableName, recordId })));
    const due: RoutedRecord[] = [...stored.values()]
      .filter((record) => record.placement.dataClass === 'central' && !record.placement.flags.includes('dispensaryOnly'))
      .filter((record) => record.action !== 'delete' && record.action !== 'merge')
      .map((record) => ({ ...wireForm(record), siteId, version: record.version }));
    await deps.outgoing.enqueue(due);
    queued += due.length;
    cursor = entries[entries.length - 1]!.cursor;
  }
}

export interface QueueSourcesOptions {
  readonly resume?: InitialisationProgress;
  readonly shouldStop?: () => boolean;
}

async function queueParts(
  deps: InitialiseDeps,
  config: SyncConfig,
  siteId: number,
  lists: ReadonlySet<string>,
  parts: readonly Part[],
  options: QueueSourcesOptions,
): Promise<InitialisationStep> {
  let { source, after, queued, part } = options.resume ?? { source: 0, queued: 0, part: 0 };
  let pages = 0;
  const view = siteCentralView(config, siteId);
  // Central data the site holds by its own rules; everything else by routing.
  const holds = (record: StoredRecord) =>
    record.placement.dataClass === 'central' && !record.placement.flags.includes('dispensaryOnly')
      ? holdsCentral(view, lists, record)
      : destinations(record.tableName, record.placement, config).siteIds.includes(siteId);
  for (; source < parts.length; source++, after = undefined) {
    const current = parts[source]!;
    do {
      // Every part queues at least one page, so an initialisation always moves on.
      if (pages > 0 && options.shouldStop?.()) return { done: false, resume: { source, ...(after ? { after } : {}), queued, part: part + 1 } };
      pages++;
      const page =
        'keys' in current
          ? { records: [...(await deps.centralCopy.get(current.keys)).values()], next: undefined }
          : await deps.centralCopy.page(current.source.index, current.source.value, after);
      // An initiating half whose responding half does not exist yet reaches the site with it, from the transfers consumer.
      const awaiting = await awaitingResponseAt(deps.centralCopy, config, siteId, page.records);
      const due: RoutedRecord[] = page.records
        // A new site needs what exists, not the history of deletes and merges.
        .filter((record) => record.action !== 'delete' && record.action !== 'merge')
        .filter(holds)
        .filter((record) => !awaiting.has(recordKeyString(record)))
        .map((record) => ({ ...wireForm(record), siteId, version: record.version }));
      // Names these records point at that the site does not hold (hidden since), queued before them.
      const names = [...(await namesSentWith(deps.centralCopy, view, due)).values()].map((name): RoutedRecord => ({ ...wireForm(name), siteId, version: name.version }));
      // A record found through two sources is queued twice in its one version: the second replaces the first.
      await deps.outgoing.enqueue([...names, ...due]);
      queued += due.length;
      after = page.next;
    } while (after);
  }
  return { done: true, queued };
}

export interface JoinedListDeps {
  readonly work: WorkQueue;
  readonly progress: SiteProgress;
  readonly newId: () => string;
}

/**
 * A store joined to a master list (a `list_master_name_join` entering the change log): the sites
 * using that store now hold the list's lines, which their cursor may have passed. Each gets them
 * through its queue (the primary holds every line already).
 */
export async function sendNewlyJoinedLists(deps: JoinedListDeps, config: SyncConfig, central: readonly SyncRecord[]): Promise<void> {
  const lookup = configLookup(config);
  for (const record of central) {
    if (record.tableName !== 'list_master_name_join' || (record.action !== 'insert' && record.action !== 'update')) continue;
    const nameId = reference(record.recordData, 'name_ID');
    const listId = reference(record.recordData, 'list_master_ID');
    const store = nameId === undefined ? undefined : storeByNameId(config, nameId);
    if (!store || listId === undefined) continue;
    for (const [siteId, type] of storeHolders(config, store.id)) {
      const remote = lookup.siteById.get(siteId)?.kind !== 'central' && config.preferences.primarySiteId !== siteId;
      if (!remote || (type !== 'active' && type !== 'collector')) continue;
      const source: RecordSource = { index: 'byParent', value: `list_master#${listId}` };
      await queueSiteWork(deps, siteId, { kind: 'sendRecords', workId: deps.newId(), siteId, source });
    }
  }
}
