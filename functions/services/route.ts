/**
 * Routing accepted records (the background half of a push): each record's current central copy
 * goes to the sites entitled to it and, for central data, into the change log. Reads the current
 * copy rather than a snapshot, so work delivered late or twice routes the newest version once.
 */
import type { SyncConfig } from '../domain/config/model';
import { reference, type RecordData } from '../domain/legacy-fields';
import type { AcceptedChange, CentralCopy, ChangeLog, OutgoingQueue, RecordKey, RouteKey, RoutedRecord, SiteProgress, StoredRecord, SyncRecord, WorkQueue } from '../domain/ports';
import { recordKeyString } from '../domain/ports';
import { awaitsResponse } from '../domain/transfers/claims';
import { transferHeaderFor, transferHeaderTables, transferLineTables } from '../domain/transfers/rules';
import { destinationsAfterPush } from '../domain/sync/routing';
import { isManufacturer, namesNotHeld, pointsAtStoreNames, siteCentralView } from '../domain/sync/central-relevance';
import { namesSentToEach } from './central-records';
import { reportTables } from '../domain/reports/contributions';
import type { ReportProjection } from '../domain/reports/ports';
import { queueSiteWork } from './site-work';
import { resendStoreRecordsOfNames } from './store-records';
import { sendNewlyJoinedLists } from './initialise';

export interface RouteDeps {
  readonly centralCopy: CentralCopy;
  readonly outgoing: OutgoingQueue;
  readonly changeLog: ChangeLog;
  /** Where transfers to complete are sent; without it, no transfer is started. */
  readonly transfers?: { readonly work: WorkQueue; readonly progress: SiteProgress; readonly newId: () => string };
  /** Report figures kept up to date with the routed records (docs/reports.md); without it, none. */
  readonly reports?: ReportProjection;
}

export interface RouteOutcome {
  readonly routed: number;
  readonly alreadyRouted: number;
  readonly deliveries: number;
}

export interface RouteOptions {
  /** Names among the keys their push made manufacturers: the barcodes they make are logged again. */
  readonly newManufacturers?: readonly string[];
}

export async function routeRecords(deps: RouteDeps, config: SyncConfig, keys: readonly RouteKey[], options: RouteOptions = {}): Promise<RouteOutcome> {
  const stored = [...(await deps.centralCopy.get(keys)).values()];
  // A version its push stored as routed before delivering it is delivered here (the push was cut short).
  const namedVersions = new Map(keys.flatMap((key) => (key.version === undefined ? [] : [[recordKeyString(key), key.version] as const])));
  const due = stored.filter((record) => record.routedVersion < record.version || namedVersions.get(recordKeyString(record)) === record.version);
  return deliverRoutes(deps, config, await planRoutes(deps.centralCopy, config, due, stored.length - due.length), options);
}

/** Where records go: worked out before anything is written. */
export interface RoutePlan {
  /** The records whose version is not routed yet. */
  readonly due: readonly StoredRecord[];
  readonly alreadyRouted: number;
  readonly deliveries: readonly RoutedRecord[];
  /** Central data for the change log. */
  readonly central: readonly SyncRecord[];
  readonly lookupHeader: HeaderLookup;
}

/**
 * Where records due for routing go, from their stored copies as the caller holds them (read by
 * routing, or handed on by the push that has just stored them: services/push.ts). A version
 * routed twice reaches each site once.
 */
export async function planRoutes(centralCopy: CentralCopy, config: SyncConfig, due: readonly StoredRecord[], alreadyRouted = 0): Promise<RoutePlan> {
  const lookupHeader = await headerLookup(centralCopy, due);
  const deliveries: RoutedRecord[] = [];
  const central: SyncRecord[] = [];
  for (const record of due) {
    const awaiting = awaitingSite(record, lookupHeader, config);
    const { siteIds, changeLog } = destinationsAfterPush(record.tableName, record.placement, config, record.originSiteId, awaiting);
    for (const siteId of siteIds) deliveries.push({ ...wireForm(record), siteId, version: record.version });
    if (changeLog) central.push(wireForm(record));
  }
  deliveries.push(...(await namesNotHeldBy(centralCopy, config, deliveries)));
  return { due, alreadyRouted, deliveries, central, lookupHeader };
}

/**
 * Delivers a plan, then records its versions as routed: a crash before the mark repeats it all.
 * Records their push stored as routed (its marked work delivers them) need no mark (`storedAsRouted`).
 */
export async function deliverRoutes(deps: RouteDeps, config: SyncConfig, plan: RoutePlan, options: RouteOptions & { readonly storedAsRouted?: boolean } = {}): Promise<RouteOutcome> {
  const { due, deliveries, central, lookupHeader } = plan;
  const deliver = async () => {
    // The queues and the change log side by side: they share no item.
    await Promise.all([deps.outgoing.enqueue(deliveries), deps.changeLog.append(central)]);
    // After the name: a site reading its barcodes then finds it a manufacturer and takes them.
    await relogBarcodesOf(deps, madeManufacturers(due, options.newManufacturers));
    // A configured store's name that came after its store record: the record is sent again.
    await resendStoreRecordsOfNames(deps, config, central);
    // A store newly joined to a master list: its sites get the list's lines (docs/central-data.md).
    if (deps.transfers) await sendNewlyJoinedLists(deps.transfers, config, central);
    // Transfers are started before the records count as routed: a crash here repeats both.
    if (deps.transfers) await startTransfers(deps.transfers, config, due, lookupHeader);
  };
  // Counted before they count as routed: a crash repeats the count, which counts each version
  // once. The reports share no item with the deliveries, so both go at once.
  await allSettledOrThrow([deliver(), deps.reports?.project(due)]);
  if (!options.storedAsRouted) await deps.centralCopy.markRouted(due.map(({ tableName, recordId, version }) => ({ tableName, recordId, version })));
  return { routed: due.length, alreadyRouted: plan.alreadyRouted, deliveries: deliveries.length };
}

/**
 * The names delivered store records point at that their site does not hold (a name hidden in the
 * store since it traded with it, docs/central-data.md), sent with them as an initialisation sends
 * them; no read while every name is held, which is nearly always.
 */
async function namesNotHeldBy(centralCopy: CentralCopy, config: SyncConfig, deliveries: readonly RoutedRecord[]): Promise<RoutedRecord[]> {
  const bySite = new Map<number, RoutedRecord[]>();
  for (const delivery of deliveries) {
    // The table first: a site's view is built (once per configuration) only for records naming names.
    if (!pointsAtStoreNames(delivery.tableName) || namesNotHeld(siteCentralView(config, delivery.siteId), delivery).length === 0) continue;
    const records = bySite.get(delivery.siteId);
    if (records) records.push(delivery);
    else bySite.set(delivery.siteId, [delivery]);
  }
  // One read for every site: routing to many sites costs no round trip per site.
  const sites = [...bySite].map(([siteId, records]) => ({ siteId, view: siteCentralView(config, siteId), records }));
  const namesBySite = await namesSentToEach(centralCopy, sites);
  return sites.flatMap(({ siteId }, i) => [...namesBySite[i]!.values()].map((name) => ({ ...wireForm(name), siteId, version: name.version })));
}

/** The names due for routing that their push made manufacturers and that still are. */
function madeManufacturers(due: readonly StoredRecord[], named: readonly string[] | undefined): StoredRecord[] {
  if (!named || named.length === 0) return [];
  const ids = new Set(named);
  return due.filter((record) => record.tableName === 'name' && ids.has(record.recordId) && record.action !== 'delete' && isManufacturer(record.recordData));
}

/**
 * A name just made a manufacturer is held by every site from now on, but a site that did not
 * hold it skipped the barcodes it makes, and its cursor has passed them: they are moved to the end
 * of the change log (their byParent key is the name), so every site reads them once more. Done
 * again if the routing is (a redelivery moves them again, which costs a repeat, never a loss).
 */
async function relogBarcodesOf(deps: Pick<RouteDeps, 'centralCopy' | 'changeLog'>, names: readonly StoredRecord[]): Promise<void> {
  for (const name of names) {
    let after: string | undefined;
    do {
      const page = await deps.centralCopy.page('byParent', `name#${name.recordId}`, after);
      const barcodes = page.records.filter((record) => record.tableName === 'barcode' && record.action !== 'delete').map(wireForm);
      if (barcodes.length > 0) await deps.changeLog.append(barcodes);
      after = page.next;
    } while (after !== undefined);
  }
}

/** Waits for every step (none is left running behind a failure), then throws the first failure. */
async function allSettledOrThrow(steps: ReadonlyArray<Promise<unknown> | undefined>): Promise<void> {
  const failed = (await Promise.allSettled(steps)).find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Whether routing this change would do nothing at all: no remote site entitled to it but its
 * origin, not central data, and no part in a transfer (a header, a line or a received order
 * line). The push then stores it as routed and queues no work for it, so a site's own data
 * costs no second read and no second write. Decided with the same configuration routing uses.
 */
export function routesNowhere(change: Pick<AcceptedChange, 'record' | 'placement' | 'originSiteId'>, config: SyncConfig, lookupHeader: HeaderLookup): boolean {
  const { record, placement, originSiteId } = change;
  // Records the reports count are projected when routed.
  if (reportTables.has(record.tableName)) return false;
  const line = transferLineTables.get(record.tableName);
  const headerId = line ? reference(record.recordData, line.parentField) : undefined;
  // A line whose header is not known here: routing looks for it.
  if (line && headerId && lookupHeader(line.headerTable, headerId) === undefined) return false;
  if (awaitingSite(record, lookupHeader, config) !== undefined) return false;
  if (startsTransfer(record, lookupHeader, config)) return false;
  const { siteIds, changeLog } = destinationsAfterPush(record.tableName, placement, config, originSiteId);
  return siteIds.length === 0 && !changeLog;
}

export type HeaderLookup = (table: string, id: string) => RecordData | undefined;

/** The headers of these records' transfer lines, from the records themselves or the central copy. */
export async function headerLookup(centralCopy: CentralCopy, records: readonly StoredRecord[]): Promise<HeaderLookup> {
  const known = new Map(records.map((record) => [recordKeyString(record), record]));
  const parents: RecordKey[] = [];
  for (const record of records) {
    const line = transferLineTables.get(record.tableName);
    const parentId = line ? reference(record.recordData, line.parentField) : undefined;
    if (line && parentId) parents.push({ tableName: line.headerTable, recordId: parentId });
  }
  const missing = parents.filter((key) => !known.has(recordKeyString(key)));
  for (const [key, record] of missing.length ? await centralCopy.get(missing) : []) known.set(key, record);
  return (table, id) => {
    const header = known.get(recordKeyString({ tableName: table, recordId: id }));
    return header && header.action !== 'delete' ? header.recordData : undefined;
  };
}

/**
 * The responding store's site, when this record is (a line of) an initiating half it may only
 * receive with the responding half: the transfers consumer sends it there. Deletes go as usual.
 */
export function awaitingSite(record: Pick<StoredRecord, 'tableName' | 'action' | 'recordData'>, lookupHeader: HeaderLookup, config: SyncConfig): number | undefined {
  if (record.action !== 'insert' && record.action !== 'update') return undefined;
  if (transferHeaderTables.has(record.tableName)) return awaitsResponse(record.tableName, record.recordData, config);
  const line = transferLineTables.get(record.tableName);
  const headerId = line ? reference(record.recordData, line.parentField) : undefined;
  return line && headerId ? awaitsResponse(line.headerTable, lookupHeader(line.headerTable, headerId), config) : undefined;
}

/** Sends each transfer header these records start or change, once per header, as work of their origin site. */
async function startTransfers(
  transfers: NonNullable<RouteDeps['transfers']>,
  config: SyncConfig,
  records: readonly StoredRecord[],
  lookupHeader: HeaderLookup,
) {
  const headers = new Map<string, { header: RecordKey; originSiteId: number }>();
  for (const record of records) {
    const header = startsTransfer(record, lookupHeader, config);
    if (header) headers.set(recordKeyString(header), { header, originSiteId: record.originSiteId });
  }
  for (const { header, originSiteId } of headers.values()) {
    await queueSiteWork(transfers, originSiteId, { kind: 'transfer', workId: transfers.newId(), originSiteId, header });
  }
}

/** The transfer header this change starts or changes, if any. */
function startsTransfer(record: Pick<StoredRecord, 'tableName' | 'recordId' | 'action' | 'recordData'>, lookupHeader: HeaderLookup, config: SyncConfig) {
  // A deleted line still names its header (the central copy keeps its last data); other deletes start nothing.
  if (record.action === 'delete' && !transferLineTables.has(record.tableName)) return undefined;
  return transferHeaderFor(record, lookupHeader, config);
}

/** The record as a site receives it. */
export function wireForm(record: StoredRecord): SyncRecord {
  const { tableName, recordId, action, recordData } = record;
  return recordData === undefined ? { tableName, recordId, action } : { tableName, recordId, action, recordData };
}
