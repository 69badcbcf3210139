/**
 * The v6 change log read for one site (docs/sync-v6.md, "Pull"). The committed maximum M is read
 * first and nothing above it is looked at, so a change committing late can only appear above a
 * cursor the site has not passed. The site's partitions (`all` and each store it holds) are read
 * from its cursor in cursor order; an entry is answered only if the site is entitled to the
 * record today (`entitledSite`) and, once the site is initialised, did not come from the site.
 */
import { entitledSite, patientPartition, sitePartitions } from '../domain/sync-v6/audience';
import { v6KeyString, type V6LogEntry, type V6Store, type V6StoredRecord } from '../domain/sync-v6/ports';
import { takeWithinBudget } from '../protocol/response-budget';
import type { V6SyncRecord } from '../protocol/v6';
import type { V6ChangeLog, V6ChangeLogPage, V6PullRequest } from '../storage/v6-change-log';

/** The record as the client reads it: a delete carries no row (`record_data` null, as the Open mSupply central sends it). */
const toSyncRecord = (cursor: number, copy: V6StoredRecord): V6SyncRecord => ({
  cursor,
  record: { tableName: copy.tableName, recordId: copy.recordId, action: copy.action, recordData: copy.action === 'Delete' ? null : ((copy.recordData ?? null) as {} | null) },
});

async function readPartitions(
  store: V6Store,
  request: V6PullRequest,
  partitions: readonly string[],
  keep: (copy: V6StoredRecord) => boolean,
): Promise<V6ChangeLogPage> {
  const latest = await store.latestCursor();
  const from = Math.max(request.cursor, 1);
  const pages = await Promise.all(partitions.map(async (partition) => store.readPartition(partition, from, latest, request.limit)));
  // Everything at or below `horizon` has been read from every partition.
  const horizon = Math.min(latest, ...pages.filter((page) => page.more).map((page) => page.entries.at(-1)!.cursor));
  const byCursor = new Map<number, V6LogEntry>();
  for (const page of pages) for (const entry of page.entries) if (entry.cursor <= horizon) byCursor.set(entry.cursor, entry);
  const entries = [...byCursor.values()].sort((a, b) => a.cursor - b.cursor);
  const copies = await store.get(entries);
  // An entry whose copy has moved on was replaced by a later entry, which delivers the record.
  const matched = entries.flatMap((entry) => {
    const copy = copies.get(v6KeyString(entry));
    return copy && copy.cursor === entry.cursor && keep(copy) ? [toSyncRecord(entry.cursor, copy)] : [];
  });
  const records = takeWithinBudget(matched.slice(0, request.limit));
  if (records.length < matched.length) {
    return { records, totalRecords: matched.length, endCursor: records.at(-1)!.cursor, isLast: false };
  }
  const complete = horizon >= latest;
  // Past the end of this log (a cursor from another central server): answer the log's end.
  const endCursor = from > latest ? latest : horizon;
  return { records, totalRecords: matched.length + (complete ? 0 : 1), endCursor, isLast: complete };
}

export function createV6ChangeLog(store: V6Store): V6ChangeLog {
  return {
    read: (request) =>
      readPartitions(
        store,
        request,
        sitePartitions(request.config, request.siteId),
        (copy) =>
          entitledSite(copy.tableName, copy.placement, request.config, request.siteId) && !(request.isInitialised && copy.originSiteId === request.siteId),
      ),
    readPatient: (request) =>
      readPartitions(
        store,
        request,
        [patientPartition(request.patientId)],
        (copy) => copy.placement.patientId === request.patientId && entitledSite(copy.tableName, copy.placement, request.config, request.siteId),
      ),
  };
}
