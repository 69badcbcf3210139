/**
 * Typed key builders: every DynamoDB key the project writes is composed here, so a key's
 * shape is defined once and a typo is a type error, not a missing item.
 */
import { createHash } from 'node:crypto';
import { isWellFormed } from '../protocol/json-text';
import { ROUTED_MARKER_PREFIX } from '../../lib/resources';

/** A caller-chosen text in a key: itself when short and well-formed, else its digest (a key is at most 2048 bytes of UTF-8). */
function boundedKeyPart(text: string): string {
  return isWellFormed(text) && Buffer.byteLength(text, 'utf8') <= 256 ? text : `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** Shards of the `pendingWork` index. */
const PENDING_WORK_SHARDS = 16;
/** The siteState index of work markers by when they are due (lib/resources.ts). */
export const PENDING_WORK_INDEX = 'pendingWork';

function pendingShardOf(workId: string): string {
  let hash = 0;
  for (let i = 0; i < workId.length; i++) hash = (hash * 31 + workId.charCodeAt(i)) >>> 0;
  return `work#${String(hash % PENDING_WORK_SHARDS).padStart(2, '0')}`;
}

export const siteStateKeys = {
  /** Last time a queue consumer handled a heartbeat, per queue. */
  heartbeat: (queue: string) => ({ pk: 'system', sk: `heartbeat#${queue}` }),
  /**
   * Exact number of records waiting for a site, changed with its outgoing entries: the sum of a
   * few shards, so concurrent routing to one site rarely meets on one item.
   */
  queueCounter: (siteId: number, shard: number) => ({ pk: `site#${siteId}`, sk: `queue#${String(shard).padStart(2, '0')}` }),
  /** Every shard of the counter (and the single counter item older versions kept, `queue`). */
  queueCounterPrefix: 'queue',
  /** Background work queued on behalf of a site; deleted when done. */
  work: (siteId: number, workId: string) => ({ pk: `site#${siteId}`, sk: `work#${workId}` }),
  workPrefix: 'work#',
  /**
   * A work marker's place in the `pendingWork` index: spread over 16 shards by work id (no hot
   * partition whatever the fleet does), ordered by when it is due for a resend.
   */
  pendingWork: (workId: string, dueAt: number) => ({ pendingShard: pendingShardOf(workId), dueAt }),
  pendingWorkShards: Array.from({ length: PENDING_WORK_SHARDS }, (_, shard) => `work#${String(shard).padStart(2, '0')}`),
  initialisation: (siteId: number) => ({ pk: `site#${siteId}`, sk: 'initialisation' }),
  /** When the site last connected, and with what. */
  connection: (siteId: number) => ({ pk: `site#${siteId}`, sk: 'connection' }),
  /** Records refused from a site in one UTC hour (`YYYY-MM-DDTHH`), counted as they are quarantined; expire after two days. */
  refusedHour: (siteId: number, hour: string) => ({ pk: `site#${siteId}`, sk: `refused#${hour}` }),
  /** Attempts at a secret per scope (`site`, `admin`), name (lower case) and source address. */
  attemptGate: (scope: string, name: string, source: string) => ({ pk: `gate#${scope}#${boundedKeyPart(name.toLowerCase())}`, sk: `source#${boundedKeyPart(source)}` }),
  /** Failed user logins (POST /api/v4/login) per user name (lower case) and source address. */
  userLoginFailures: (userName: string, source: string) => ({ pk: `userlogin#${userName.toLowerCase()}`, sk: `failures#${source}` }),
} as const;

export const recordsKeys = {
  /** The central copy of one record. */
  record: (tableName: string, recordId: string) => ({ pk: `${tableName}#${recordId}` }),
  /** The version of a record last routed, apart from the record so marking it is a plain write (`~`: no legacy table name). */
  routed: (tableName: string, recordId: string) => ({ pk: `${ROUTED_MARKER_PREFIX}${tableName}#${recordId}` }),
  /** What each goods received line received against a purchase-order line (`~`: no legacy table name). */
  receipts: (orderLineId: string) => ({ pk: `~receipts#${orderLineId}` }),
} as const;

export const quarantineKeys = {
  site: (siteId: number) => `site#${siteId}`,
  /** One entry per refused change: a retried push refuses it again into the same entry. */
  entry: (siteId: number, changeId: string) => ({ site: quarantineKeys.site(siteId), entry: changeId }),
} as const;

/**
 * The sync configuration, one partition per kind of item so each loads with a single query;
 * the version item guards every change (optimistic concurrency).
 */
export const configKeys = {
  version: () => ({ pk: 'config', sk: 'version' }),
  site: (siteId: number) => ({ pk: 'site', sk: String(siteId).padStart(10, '0') }),
  store: (storeId: string) => ({ pk: 'store', sk: storeId }),
  visibility: (storeId: string, nameId: string) => ({ pk: 'visibility', sk: `${storeId}#${nameId}` }),
  preferences: () => ({ pk: 'preferences', sk: 'system' }),
  user: (userId: string) => ({ pk: 'user', sk: userId }),
  /** Privileged changes, oldest first within the partition. */
  audit: (at: string, id: string) => ({ pk: 'audit', sk: `${at}#${id}` }),
  /** A site's hardware binding: written on its own, conditionally, never as a configuration change. */
  binding: (siteId: number) => ({ pk: 'binding', sk: String(siteId).padStart(10, '0') }),
  /** What one committed version changed (item keys), so a cached configuration reads only those. */
  change: (version: number) => ({ pk: 'change', sk: String(version).padStart(12, '0') }),
  /** A large change's writes, staged before its version is committed (config-store.ts). */
  staged: (stageId: string, index: number) => ({ pk: `staged#${stageId}`, sk: String(index).padStart(8, '0') }),
  /** Which configuration snapshot is published (config-snapshot.ts). */
  snapshotPointer: () => ({ pk: 'config', sk: 'snapshot' }),
  /** One piece of one writing (`writeId`) of the compressed snapshot of a version. */
  snapshotChunk: (version: number, writeId: string, index: number) => ({ pk: `snapshot#${String(version).padStart(12, '0')}#${writeId}`, sk: String(index).padStart(6, '0') }),
} as const;

export const configPartitions = ['site', 'store', 'visibility', 'preferences', 'user', 'binding'] as const;

export const syncOutKeys = {
  site: (siteId: number) => `site#${siteId}`,
  /** One entry per (site, record): routing a record again replaces its waiting entry. */
  entry: (siteId: number, tableName: string, recordId: string) => ({
    site: syncOutKeys.site(siteId),
    entry: `rec#${tableName}#${recordId}`,
  }),
} as const;

export const changeLogKeys = {
  /** Every entry lives in one partition, ordered by cursor. */
  entry: (cursor: number) => ({ pk: 'log', sk: cursor }),
  /** Where a central record's single entry currently is. */
  pointer: (tableName: string, recordId: string) => ({ pk: `rec#${tableName}#${recordId}`, sk: 0 }),
  /** The highest committed cursor. */
  meta: () => ({ pk: 'meta', sk: 0 }),
} as const;

/** Items of the `v6Sync` table (functions/storage/v6-store.ts) other than the copy and the log. */
export const v6SyncKeys = {
  /** Partition of a site's v6 changes waiting for their parent record. */
  waitingSite: (siteId: number) => `wait#${siteId}`,
  /** A site's waiting change of one record: `slot` is a number derived from the record's key. */
  waiting: (siteId: number, slot: number) => ({ pk: v6SyncKeys.waitingSite(siteId), sk: slot }),
} as const;

/**
 * Items of the `reports` table (functions/storage/report-projections.ts): figures kept up to date
 * as records are routed, and what each record last added to them. `\u0001` separates ids (never
 * part of a legacy id) so a figure's key names exactly one (store, item, location).
 */
export const reportKeys = {
  /** What one record's counted version added to the reports, so its next version replaces it exactly. */
  contribution: (tableName: string, recordId: string) => ({ pk: `rec#${tableName}#${recordId}`, sk: '-' }),
  /** Stock on hand of a store, one item per (item, location). */
  stockStore: (storeId: string) => `soh#${storeId}`,
  stock: (storeId: string, itemId: string, locationId: string) => ({ pk: reportKeys.stockStore(storeId), sk: `${itemId}\u0001${locationId}` }),
  stockItemPrefix: (itemId: string) => `${itemId}\u0001`,
  /** Value and units of stock on hand per store: the system's value is the sum over one partition. */
  storeValuePartition: 'value',
  storeValue: (storeId: string) => ({ pk: reportKeys.storeValuePartition, sk: storeId }),
  /** Usage of a store per month and item, ordered by month. */
  usageStore: (storeId: string) => `use#${storeId}`,
  usage: (storeId: string, month: string, itemId: string) => ({ pk: reportKeys.usageStore(storeId), sk: `${month}\u0001${itemId}` }),
  /** A transaction header's units per item, and the usage figure they are counted in now. */
  headerItems: (headerId: string) => `hdr#${headerId}`,
  headerItem: (headerId: string, itemId: string) => ({ pk: reportKeys.headerItems(headerId), sk: itemId }),
  /** Items merged away: each names the item kept. */
  mergedItemsPartition: 'merged',
  mergedItem: (removedId: string) => ({ pk: reportKeys.mergedItemsPartition, sk: removedId }),
  /** Every store that ever had a figure, so "all stores" needs no configuration read. */
  storesPartition: 'stores',
  store: (storeId: string) => ({ pk: reportKeys.storesPartition, sk: storeId }),
} as const;
