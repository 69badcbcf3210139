/**
 * A pushed batch, end to end: decide every record, keep the refused ones in quarantine, store
 * the accepted ones in the central copy, then hand their routing to the background queue. Every
 * step is durable before it returns, and repeating it changes nothing, so a push answered 2xx
 * loses nothing and a retried push equals the first.
 */
import { createHash } from 'node:crypto';
import type { SyncConfig } from '../domain/config/model';
import type { RecordData } from '../domain/data-classes';
import type {
  AcceptedChange,
  BackgroundWork,
  CentralCopy,
  Quarantine,
  QuarantinedRecord,
  RecordKey,
  RouteKey,
  SiteProgress,
  StoredRecord,
  SyncRecord,
  WorkQueue,
} from '../domain/ports';
import { recordKeyString, versionAfter } from '../domain/ports';
import { decideRecord, type RecordDecision } from '../domain/sync/push-decision';
import { isManufacturer } from '../domain/sync/central-relevance';
import { siteMadeResponse } from '../domain/transfers/claims';
import { deliverRoutes, planRoutes, routesNowhere, type HeaderLookup, type RouteDeps } from './route';
import { isWellFormed } from '../protocol/json-text';
import { queueSiteWork, sendMarkedWork } from './site-work';
import { logger } from '../commons/observability';
import { configuredRecord, configuredStoreOf } from './store-records';
import { writeClaims } from './transfers';
import { configuredUserRefusal } from './user-records';

export interface PushDeps {
  readonly centralCopy: CentralCopy;
  readonly quarantine: Quarantine;
  readonly work: WorkQueue;
  readonly progress: SiteProgress;
  readonly now: () => Date;
  readonly newId: () => string;
  /**
   * Routes what the push has just stored within the push itself (the records handed on, not read
   * again). Without it, every accepted change is routed in the background.
   */
  readonly routing?: PushRouting;
}

/** What routing in the push writes to, beside the central copy and the work queue it already has. */
export type PushRouting = Pick<RouteDeps, 'outgoing' | 'changeLog' | 'reports'> & {
  /** Deliveries a push makes itself at most; more go to the background. @default MAX_DELIVERIES_IN_PUSH */
  readonly maxDeliveries?: number;
};

/**
 * Deliveries a push makes itself: more (a record many sites are entitled to) go to the
 * background, so a push is never held up by a wide fan-out (ordinary store data reaches one to a
 * few sites: 1,024 records make at most a few thousand).
 */
export const MAX_DELIVERIES_IN_PUSH = 5000;

/** A valid pushed record with the site's id of the change. */
export interface PushedRecord extends SyncRecord {
  readonly syncOutId: string;
}

/** A pushed record that could not be read as a record at all. */
export interface UnreadableRecord {
  readonly raw: unknown;
  readonly message: string;
}

export interface PushOutcome {
  readonly accepted: number;
  readonly ignored: number;
  readonly refused: readonly QuarantinedRecord[];
  /** The background work routing the accepted records (one id per message). */
  readonly workIds: readonly string[];
}

/** Keys per routing message: well under SQS's 256 KB even with the longest ids. */
export const KEYS_PER_MESSAGE = 250;

/** A push decides on records and parents as stored: what routing recorded is not needed. */
const WITHOUT_ROUTING = { routing: false } as const;

/** Rounds of fetching parents and linked records: deeper than any registered chain. */
const MAX_LOOKUP_ROUNDS = 5;

export async function acceptPush(
  deps: PushDeps,
  config: SyncConfig,
  siteId: number,
  records: readonly PushedRecord[],
  unreadable: readonly UnreadableRecord[] = [],
): Promise<PushOutcome> {
  const receivedAt = deps.now().toISOString();
  // A batch may change a record twice: its last change is the one to keep.
  const latest = new Map<string, PushedRecord>();
  for (const record of records) latest.set(recordKeyString(record), record);
  // A configured store's record or name is decided as the configuration authors it.
  const pushed = [...latest.values()];
  const batch = pushed.map((record) => {
    const configured = configuredRecord(config, record);
    return configured ? { ...record, recordData: configured.record.recordData } : record;
  });

  const stored = await deps.centralCopy.get(batch, WITHOUT_ROUTING);
  const { decisions, known } = await decideAll(deps.centralCopy, config, siteId, batch, stored);

  const refused: QuarantinedRecord[] = unreadable.map((item) => unreadableEntry(siteId, item, receivedAt));
  const accepted: AcceptedChange[] = [];
  let ignored = 0;
  batch.forEach((record, i) => {
    const decision = configuredUserRecord(config, record, configuredStoreRecord(config, record, decisions[i]!));
    if (decision.kind === 'accepted') {
      const plain = withoutSyncOutId(record);
      // A configured store's record (or its name) is placed as such, whatever the pushed data said.
      const configured = configuredRecord(config, plain);
      const authored = configured?.record ?? plain;
      const placement = configured?.placement ?? decision.placement;
      // The copy it was decided on goes with it: written over on condition that it is unchanged.
      accepted.push({ record: authored, placement, originSiteId: siteId, changeId: `${siteId}:${record.syncOutId}`, stored: stored.get(recordKeyString(record)) ?? null });
    } else if (decision.kind === 'refused') {
      refused.push({
        siteId,
        changeId: record.syncOutId,
        tableName: record.tableName,
        recordId: record.recordId,
        action: record.action,
        reason: decision.reason,
        message: decision.message,
        receivedAt,
        raw: pushed[i],
      });
    } else ignored++;
  });

  if (refused.length > 0) await deps.quarantine.keep(refused);
  if (accepted.length === 0) return { accepted: 0, ignored, refused, workIds: [] };
  await claimSiteMadeHalves(deps.centralCopy, siteId, accepted);
  // What goes nowhere is stored as routed: only the rest is work.
  const headers = headersAsStored(accepted, known);
  const nowhere = accepted.map((change) => (routesNowhere(change, config, headers) ? { ...change, routesNowhere: true } : change));
  const madeManufacturers = new Set(nowhere.filter(madeManufacturer).map(({ record }) => record.recordId));
  const isMadeManufacturer = (key: RecordKey) => key.tableName === 'name' && madeManufacturers.has(key.recordId);
  // Routed by this push: every change it writes (a push writes over the copy it read, so the
  // version is known here), but a name just made a manufacturer (the barcodes it makes can be many).
  const changes = nowhere.map((change) => (deps.routing && !change.routesNowhere && !isMadeManufacturer(change.record) ? { ...change, routedByPush: true } : change));
  const routedByPush = changes.filter((change) => change.routedByPush);
  // Marked before the write stores them as routed: from here on a crash leaves them to the sweeper.
  const inPush = routeWorks(deps, siteId, routedByPush.map(({ record, stored }) => ({ tableName: record.tableName, recordId: record.recordId, version: versionAfter(stored) })));
  await Promise.all(inPush.map((work) => deps.progress.begin(siteId, work.workId, work)));
  const writtenAsRead = await deps.centralCopy.apply(changes);
  const routedKeys = new Set(routedByPush.map(({ record }) => recordKeyString(record)));
  const handedOn = writtenAsRead.filter((record) => routedKeys.has(recordKeyString(record)));
  // The rest is routed in the background, reading the copy: a change written as the update (its
  // copy moved since it was read), a repeat, a name just made a manufacturer.
  const handedOnKeys = new Set(handedOn.map(recordKeyString));
  const background = changes.filter((change) => !change.routesNowhere && !handedOnKeys.has(recordKeyString(change.record))).map(({ record }) => ({ tableName: record.tableName, recordId: record.recordId }));
  const workIds: string[] = [];
  for (const work of routeWorks(deps, siteId, background)) {
    const newManufacturers = work.keys.filter(isMadeManufacturer).map((key) => key.recordId);
    await queueSiteWork(deps, siteId, { ...work, ...(newManufacturers.length > 0 ? { newManufacturers } : {}) });
    workIds.push(work.workId);
  }
  if (deps.routing && inPush.length > 0) workIds.push(...(await routeInPush(deps, deps.routing, config, siteId, handedOn, inPush)));
  return { accepted: accepted.length, ignored, refused, workIds };
}

type RouteWork = Extract<BackgroundWork, { kind: 'route' }>;

/** Routing work for these keys, one piece per message's worth. */
function routeWorks(deps: Pick<PushDeps, 'newId'>, siteId: number, keys: readonly RouteKey[]): RouteWork[] {
  const works: RouteWork[] = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_MESSAGE) works.push({ kind: 'route', workId: deps.newId(), originSiteId: siteId, keys: keys.slice(i, i + KEYS_PER_MESSAGE) });
  return works;
}

/**
 * Delivers, in the push, the records it has just stored as routed: no second read of them, no
 * routed marker, no message, and the site's integration is done when the push is answered. Their
 * work was marked before they were stored and names each version, so a crash leaves it to the
 * sweeper, whose routing delivers those versions. Routing that would make more deliveries than a
 * push should wait for, or that fails, is sent to the background from its marks; the push is
 * answered 2xx either way. Returns the ids of the work sent to the background.
 */
async function routeInPush(deps: PushDeps, routing: PushRouting, config: SyncConfig, siteId: number, records: readonly StoredRecord[], works: readonly RouteWork[]): Promise<string[]> {
  try {
    const plan = await planRoutes(deps.centralCopy, config, records);
    if (plan.deliveries.length <= (routing.maxDeliveries ?? MAX_DELIVERIES_IN_PUSH)) {
      const transfers = { work: deps.work, progress: deps.progress, newId: deps.newId };
      const routeDeps = { outgoing: routing.outgoing, changeLog: routing.changeLog, reports: routing.reports, centralCopy: deps.centralCopy, transfers };
      await deliverRoutes(routeDeps, config, plan, { storedAsRouted: true });
      await Promise.all(works.map((work) => deps.progress.finish(siteId, work.workId)));
      return [];
    }
  } catch (error) {
    logger.warn('routing in the push failed; it goes on in the background', { siteId, error: error instanceof Error ? error.message : String(error) });
  }
  for (const work of works) await sendMarkedWork(deps, siteId, work);
  return works.map((work) => work.workId);
}

/**
 * Decides every record, fetching the parents and linked records the registry asks for. A parent
 * is read in the version the central copy will hold: a refused record of the batch is taken out
 * of the lookup and the batch decided again, so a line can never ride in on a refused header.
 */
async function decideAll(
  centralCopy: CentralCopy,
  config: SyncConfig,
  siteId: number,
  batch: readonly PushedRecord[],
  stored: Map<string, StoredRecord>,
): Promise<{ decisions: RecordDecision[]; known: ReadonlyMap<string, StoredRecord> }> {
  const inBatch = new Map<string, RecordData>();
  for (const record of batch) if (record.recordData && record.action !== 'delete' && record.action !== 'merge') inBatch.set(recordKeyString(record), record.recordData);
  const known = new Map<string, StoredRecord>(stored);
  const fetched = new Set<string>();
  const lookup = (table: string, id: string): RecordData | undefined => {
    const key = recordKeyString({ tableName: table, recordId: id });
    return inBatch.get(key) ?? known.get(key)?.recordData;
  };
  for (;;) {
    const decisions = await decideWithLookups(centralCopy, batch, known, fetched, (record, final) =>
      decideRecord(record, siteId, config, lookup, stored.get(recordKeyString(record)), final),
    );
    const refusedInLookup = batch.filter((record, i) => decisions[i]!.kind === 'refused' && inBatch.delete(recordKeyString(record)));
    if (refusedInLookup.length === 0) return { decisions, known };
  }
}

/**
 * Headers as the central copy holds them once this push is stored: the accepted changes, else
 * what the decisions read; a header neither names stays unknown (routing then looks it up).
 */
function headersAsStored(accepted: readonly AcceptedChange[], known: ReadonlyMap<string, StoredRecord>): HeaderLookup {
  const pushed = new Map(accepted.map(({ record }) => [recordKeyString(record), record]));
  return (table, id) => {
    const key = recordKeyString({ tableName: table, recordId: id });
    const header = pushed.get(key) ?? known.get(key);
    return header && header.action !== 'delete' ? header.recordData : undefined;
  };
}

/** Rounds of deciding, fetching what the decisions need, and deciding again; then a final pass. */
async function decideWithLookups(
  centralCopy: CentralCopy,
  batch: readonly PushedRecord[],
  known: Map<string, StoredRecord>,
  fetched: Set<string>,
  decideOne: (record: PushedRecord, final: boolean) => RecordDecision,
): Promise<RecordDecision[]> {
  const decide = (final: boolean) => batch.map((record) => decideOne(record, final));
  let decisions = decide(false);
  for (let round = 0; round < MAX_LOOKUP_ROUNDS; round++) {
    const wanted = new Map<string, RecordKey>();
    for (const decision of decisions) {
      if (decision.kind !== 'needs') continue;
      for (const ref of decision.refs) {
        const key = recordKeyString({ tableName: ref.table, recordId: ref.id });
        if (!fetched.has(key)) wanted.set(key, { tableName: ref.table, recordId: ref.id });
      }
    }
    if (wanted.size === 0) break;
    for (const key of wanted.keys()) fetched.add(key);
    for (const [key, record] of await centralCopy.get([...wanted.values()], WITHOUT_ROUTING)) known.set(key, record);
    decisions = decide(false);
  }
  return decisions.some((decision) => decision.kind === 'needs') ? decide(true) : decisions;
}

/**
 * A store's record and its name say what the configuration says (services/store-records.ts): a
 * pushed or imported one has its configuration-owned fields rewritten, and one of a configured
 * store cannot be deleted or merged away (deleting the store from the configuration is how a
 * store goes).
 */
function configuredStoreRecord(config: SyncConfig, record: PushedRecord, decision: RecordDecision): RecordDecision {
  if (decision.kind !== 'accepted' || record.action === 'insert' || record.action === 'update') return decision;
  const store = configuredStoreOf(config, record);
  if (!store) return decision;
  const what = record.tableName === 'store' ? 'its record' : `its name record ${record.recordId}`;
  return {
    kind: 'refused',
    reason: 'store_record_configured',
    message: `Store ${store.id} is configured on the central server: ${what} is authored by the configuration and cannot be ${record.action}d.`,
  };
}

/**
 * A configured user's `user` record is authored by the configuration (services/user-records.ts):
 * refused with that reason, which says what to do, whatever else the rules decided.
 */
function configuredUserRecord(config: SyncConfig, record: PushedRecord, decision: RecordDecision): RecordDecision {
  const refusal = configuredUserRefusal(config, record);
  return refusal ? { kind: 'refused', ...refusal } : decision;
}

/**
 * A responding half the site's own processor made (linked to its initiating half) claims that
 * transfer before it is stored, so the central server never makes a second one
 * (domain/transfers/claims.ts). A claim already held by another half stays.
 */
async function claimSiteMadeHalves(centralCopy: CentralCopy, siteId: number, accepted: readonly AcceptedChange[]) {
  const claims = accepted.flatMap(({ record }) => {
    if (record.action !== 'insert' && record.action !== 'update') return [];
    const made = siteMadeResponse(record.tableName, record.recordId, record.recordData);
    return made ? [{ initiating: made.initiating, claim: { ...made.claim, siteId } }] : [];
  });
  await writeClaims(centralCopy, claims);
}

function withoutSyncOutId({ syncOutId: _syncOutId, ...record }: PushedRecord): SyncRecord {
  return record;
}

function unreadableEntry(siteId: number, item: UnreadableRecord, receivedAt: string): QuarantinedRecord {
  const raw = item.raw as Partial<Record<'syncOutId' | 'tableName' | 'recordId' | 'action', unknown>> | null;
  // Kept as keys and attributes: only well-formed text, else nothing (the digest names the entry).
  const text = (value: unknown) => {
    if (typeof value !== 'string' || !isWellFormed(value)) return '';
    const cut = value.slice(0, 256);
    return isWellFormed(cut) ? cut : cut.slice(0, -1); // never half a surrogate pair
  };
  const digest = createHash('sha256').update(JSON.stringify(item.raw) ?? 'undefined').digest('hex').slice(0, 32);
  return {
    siteId,
    changeId: text(raw?.syncOutId) || `unreadable-${digest}`,
    tableName: text(raw?.tableName),
    recordId: text(raw?.recordId),
    action: text(raw?.action),
    reason: 'invalid_record',
    message: item.message,
    receivedAt,
    raw: item.raw,
  };
}

/**
 * A name this change makes a manufacturer that the central copy held as an ordinary name: sites
 * that did not hold it skipped the barcodes it makes, and hold it from now on.
 */
function madeManufacturer({ record, stored }: AcceptedChange): boolean {
  if (record.tableName !== 'name' || (record.action !== 'insert' && record.action !== 'update')) return false;
  return isManufacturer(record.recordData) && stored !== undefined && stored !== null && !isManufacturer(stored.recordData);
}
