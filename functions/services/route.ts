/**
 * Routing accepted records (the background half of a push): each record's current central copy
 * goes to the sites entitled to it and, for central data, into the change log. Reads the current
 * copy rather than a snapshot, so work delivered late or twice routes the newest version once.
 */
import type { SyncConfig } from '../domain/config/model';
import type { CentralCopy, ChangeLog, OutgoingQueue, RecordKey, RoutedRecord, StoredRecord, SyncRecord } from '../domain/ports';
import { destinationsAfterPush } from '../domain/sync/routing';

export interface RouteDeps {
  readonly centralCopy: CentralCopy;
  readonly outgoing: OutgoingQueue;
  readonly changeLog: ChangeLog;
}

export interface RouteOutcome {
  readonly routed: number;
  readonly alreadyRouted: number;
  readonly deliveries: number;
}

export async function routeRecords(deps: RouteDeps, config: SyncConfig, keys: readonly RecordKey[]): Promise<RouteOutcome> {
  const stored = [...(await deps.centralCopy.get(keys)).values()];
  const due = stored.filter((record) => record.routedVersion < record.version);
  const deliveries: RoutedRecord[] = [];
  const central: SyncRecord[] = [];
  for (const record of due) {
    const { siteIds, changeLog } = destinationsAfterPush(record.tableName, record.placement, config, record.originSiteId);
    for (const siteId of siteIds) deliveries.push({ ...wireForm(record), siteId, version: record.version });
    if (changeLog) central.push(wireForm(record));
  }
  await deps.outgoing.enqueue(deliveries);
  await deps.changeLog.append(central);
  await deps.centralCopy.markRouted(due.map(({ tableName, recordId, version }) => ({ tableName, recordId, version })));
  return { routed: due.length, alreadyRouted: stored.length - due.length, deliveries: deliveries.length };
}

/** The record as a site receives it. */
export function wireForm(record: StoredRecord): SyncRecord {
  const { tableName, recordId, action, recordData } = record;
  return recordData === undefined ? { tableName, recordId, action } : { tableName, recordId, action, recordData };
}
