/**
 * `GET central_records` for one site: the central change log read from the site's cursor, keeping
 * only the records the site holds (domain/sync/central-relevance.ts, docs/central-data.md).
 *
 * The client's cursor contract is kept: records come in cursor order with their log `ID`, and the
 * client carries on from the last `ID` it received. Entries the site does not hold are skipped; a
 * page reads on past them (within a budget) until it has something. When a read finds nothing for
 * the site, or reaches the end of the log after the last record it keeps, the page ends with a
 * record the site holds anyway (its own store's name, as the central copy has it now) under the
 * last `ID` read, so the client's cursor moves over what was skipped instead of reading it again.
 */
import type { SyncConfig } from '../domain/config/model';
import { getStore, storesOnSite } from '../domain/config/queries';
import type { CentralCopy, ChangeLog, ChangeLogEntry, RecordKey, StoredRecord } from '../domain/ports';
import { recordKeyString } from '../domain/ports';
import type { RecordData } from '../domain/legacy-fields';
import {
  centralLookupNeeded,
  holdsCentral,
  isEveryonesName,
  listsOfOwnStores,
  namesNotHeld,
  siteCentralView,
  type SiteCentralView,
} from '../domain/sync/central-relevance';
import { RESPONSE_BUDGET_BYTES, takeWithinBudget } from '../protocol/response-budget';

export interface CentralRecordsDeps {
  readonly changeLog: ChangeLog;
  readonly centralCopy: CentralCopy;
  /** Milliseconds, for the read's time budget. */
  readonly clock?: () => number;
}

export interface CentralReadLimits {
  /** Log entries read per round trip at most (fewer while the page needs fewer). */
  readonly chunk: number;
  /** Stop reading past this many entries in one answer. */
  readonly maxEntries: number;
  /** Stop reading after this long (the answer must come well within API Gateway's 30 s). */
  readonly maxMs: number;
  readonly budgetBytes: number;
}

/**
 * Fewest log entries a read past skipped entries asks for: a page nearly full still reads on in
 * steps this long, never a round trip per entry.
 */
const MIN_READ = 100;

/** Store names tried as the page's last record (one batch read). */
const MAX_CARRIER_CANDIDATES = 25;

export const DEFAULT_CENTRAL_READ: CentralReadLimits = { chunk: 1000, maxEntries: 50_000, maxMs: 8_000, budgetBytes: RESPONSE_BUDGET_BYTES };

/** A central record as `central_records` answers it. */
export interface CentralWireRecord {
  readonly ID: number;
  readonly tableName: string;
  readonly recordId: string;
  readonly action: ChangeLogEntry['action'];
  readonly recordData?: Record<string, unknown>;
}

const wire = (id: number, entry: Omit<ChangeLogEntry, 'cursor'>): CentralWireRecord => ({
  ID: id,
  tableName: entry.tableName,
  recordId: entry.recordId,
  action: entry.action,
  ...(entry.recordData === undefined ? {} : { recordData: { ...entry.recordData } }),
});

/** The master lists the site's own stores use, from the joins held under their names. */
export const listsOfSite = (centralCopy: CentralCopy, view: SiteCentralView): Promise<Set<string>> =>
  listsJoinedTo(centralCopy, view, view.ownStoreNameIds);

/** The master lists joined to these of the site's own stores' names. */
export async function listsJoinedTo(centralCopy: CentralCopy, view: SiteCentralView, nameIds: Iterable<string>): Promise<Set<string>> {
  const joins = [];
  for (const nameId of [...nameIds].sort()) {
    for await (const page of centralCopy.byParent('name', nameId)) joins.push(...page.filter((record) => record.tableName === 'list_master_name_join'));
  }
  return listsOfOwnStores(view, joins);
}

export async function centralRecordsFor(
  deps: CentralRecordsDeps,
  config: SyncConfig,
  siteId: number,
  cursor: number,
  limit: number,
  limits: CentralReadLimits = DEFAULT_CENTRAL_READ,
): Promise<{ maxCursor: number; data: CentralWireRecord[] }> {
  const view = siteCentralView(config, siteId);
  if (view.everything) {
    const { maxCursor, entries } = await deps.changeLog.read(cursor, limit);
    return { maxCursor, data: takeWithinBudget(entries.map((entry) => wire(entry.cursor, entry)), limits.budgetBytes) };
  }
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const lists = await listsOfSite(deps.centralCopy, view);
  const kept: CentralWireRecord[] = [];
  let maxCursor: number | undefined;
  let readTo = cursor;
  let scanned = 0;
  for (;;) {
    const page = await deps.changeLog.read(readTo, nextReadSize(limits, limit, kept.length, scanned));
    // Nothing above the maximum read first: a later commit is read by a later request.
    maxCursor ??= page.maxCursor;
    const entries = page.entries.filter((entry) => entry.cursor <= maxCursor!);
    const names = await manufacturers(deps.centralCopy, view, entries);
    for (const entry of entries) {
      if (holdsCentral(view, lists, entry, (nameId) => names.get(nameId))) {
        kept.push(wire(entry.cursor, entry));
        if (kept.length >= limit) return { maxCursor, data: takeWithinBudget(kept, limits.budgetBytes) };
      }
      readTo = entry.cursor;
    }
    scanned += entries.length;
    if (entries.length === 0 || readTo >= maxCursor) break;
    if (scanned >= limits.maxEntries || clock() - started > limits.maxMs) break;
  }
  const data = takeWithinBudget(kept, limits.budgetBytes);
  // Cut by the byte budget, or nothing skipped after the last record: the client resumes from it.
  if (data.length < kept.length || readTo <= (data.at(-1)?.ID ?? cursor)) return { maxCursor, data };
  const carrier = await carrierRecord(deps.centralCopy, config, siteId);
  // No record to carry the cursor (a site with no active store): it reads the skipped entries again next time.
  if (!carrier) return data.length > 0 ? { maxCursor, data } : { maxCursor: cursor, data: [] };
  return { maxCursor, data: takeWithinBudget([...data, wire(readTo, carrier)], limits.budgetBytes) };
}

/**
 * Entries the next read asks for: what the page still needs, at the share of entries kept so far
 * in this answer. A site that holds every entry (items, most central data) so reads each entry
 * once over its pages, instead of decoding entries one page drops and the next reads again.
 */
function nextReadSize(limits: CentralReadLimits, limit: number, kept: number, scanned: number): number {
  if (scanned === 0) return Math.min(limits.chunk, limit);
  const share = Math.max(kept, 1) / scanned;
  return Math.min(limits.chunk, Math.max(MIN_READ, Math.ceil((limit - kept) / share)));
}

/** The names barcodes in these entries are made by, where the rule needs the name's own data. */
async function manufacturers(centralCopy: CentralCopy, view: SiteCentralView, entries: readonly ChangeLogEntry[]): Promise<Map<string, RecordData>> {
  const keys: RecordKey[] = [];
  for (const entry of entries) {
    const nameId = centralLookupNeeded(view, entry);
    if (nameId !== undefined) keys.push({ tableName: 'name', recordId: nameId });
  }
  if (keys.length === 0) return new Map();
  const found = await centralCopy.get(keys);
  const names = new Map<string, RecordData>();
  for (const key of keys) {
    const name = found.get(recordKeyString(key));
    if (name?.recordData && name.action !== 'delete') names.set(key.recordId, name.recordData);
  }
  return names;
}

/** A record the site holds whatever the log says: the name of a store on it (an active one first), as it is now. */
async function carrierRecord(centralCopy: CentralCopy, config: SyncConfig, siteId: number): Promise<Omit<ChangeLogEntry, 'cursor'> | undefined> {
  const stores = storesOnSite(config, siteId).sort((a, b) => Number(b.type === 'active') - Number(a.type === 'active')).slice(0, MAX_CARRIER_CANDIDATES);
  const keys = stores.flatMap(({ storeId }): RecordKey[] => {
    const store = getStore(config, storeId);
    return store ? [{ tableName: 'name', recordId: store.nameId }] : [];
  });
  if (keys.length === 0) return undefined;
  const found = await centralCopy.get(keys);
  for (const key of keys) {
    const name = found.get(recordKeyString(key));
    if (name && (name.action === 'insert' || name.action === 'update') && name.recordData !== undefined) {
      return { tableName: name.tableName, recordId: name.recordId, action: name.action, recordData: name.recordData };
    }
  }
  return undefined;
}

/**
 * The name records that these records, on their way to the site, point at and the site does not
 * hold (`namesNotHeld`: a name hidden in the store after the store traded with it), in their
 * current version, to be sent with them: the client refuses an invoice whose name it lacks. Names
 * every site holds (manufacturers, system names) come through the log, and patients only where
 * they are visible: both are left out. One batch read, and none when every name is held.
 */
export async function namesSentWith(
  centralCopy: CentralCopy,
  view: SiteCentralView,
  records: ReadonlyArray<{ readonly tableName: string; readonly recordData?: RecordData }>,
): Promise<Map<string, StoredRecord>> {
  return (await namesSentToEach(centralCopy, [{ view, records }]))[0]!;
}

/** {@link namesSentWith} for several sites at once: one batch read of the names any of them lacks. */
export async function namesSentToEach(
  centralCopy: CentralCopy,
  sites: ReadonlyArray<{ readonly view: SiteCentralView; readonly records: ReadonlyArray<{ readonly tableName: string; readonly recordData?: RecordData }> }>,
): Promise<Array<Map<string, StoredRecord>>> {
  const wantedBySite = sites.map(({ view, records }) => {
    const wanted = new Set<string>();
    for (const record of records) for (const nameId of namesNotHeld(view, record)) wanted.add(nameId);
    return wanted;
  });
  const everyWanted = new Set(wantedBySite.flatMap((wanted) => [...wanted]));
  if (everyWanted.size === 0) return sites.map(() => new Map());
  const found = await centralCopy.get([...everyWanted].map((recordId) => ({ tableName: 'name', recordId })), { routing: false });
  return wantedBySite.map((wanted) => {
    const names = new Map<string, StoredRecord>();
    for (const nameId of wanted) {
      const name = found.get(recordKeyString({ tableName: 'name', recordId: nameId }));
      if (!name || (name.action !== 'insert' && name.action !== 'update') || name.recordData === undefined) continue;
      if (name.placement.dataClass === 'central' && !isEveryonesName(name.recordData)) names.set(nameId, name);
    }
    return names;
  });
}
