/**
 * What an operator does with refused records once the cause is fixed (docs/operations.md,
 * Quarantine). Replay decides each open entry again under today's configuration, through the
 * very path a push takes (v5: services/push.ts, stored and routed in the background; v6:
 * services/v6-push.ts, the v6 copy and change log): an accepted change closes its entry, a
 * refused one stays open with its new reason. Resolve closes entries with the operator's note.
 * Both are audited. Safe to repeat: a change already stored (same change id) is stored once.
 */
import type { AuditEntry } from '../domain/config/operations';
import type { SyncConfig } from '../domain/config/model';
import { recordKeyString, type QuarantinedRecord, type RecordKey } from '../domain/ports';
import { v6KeyString, type V6Store, type V6WaitingStore } from '../domain/sync-v6/ports';
import { splitPushedRecords } from '../protocol/v5';
import { splitV6Records } from '../protocol/v6';
import type { QuarantineEntry, QuarantineListOptions, QuarantineClosure } from '../storage/quarantine';
import { isClosed, quarantineEntryId } from '../storage/quarantine';
import type { LastChange } from '../storage/record-changes';
import { acceptPush, type PushDeps } from './push';
import { acceptV6Changes, type V6PushDeps } from './v6-push';
import { v6RecordDigest } from './v6-quarantine';

/** The quarantine as replay and resolve use it (storage/quarantine.ts). */
export interface QuarantineEntries {
  get(siteId: number, changeId: string): Promise<QuarantineEntry | undefined>;
  list(options: QuarantineListOptions): Promise<{ records: QuarantineEntry[]; next?: string }>;
  close(siteId: number, changeId: string, closing: { closure: QuarantineClosure; by: string; at: string; resolution: string }): Promise<boolean>;
  redecided(siteId: number, changeId: string, decision: { reason: string; message: string; at: string }): Promise<boolean>;
}

export interface QuarantineActionDeps {
  /** The push path: central copy, work queue, site progress, clock and ids. */
  readonly push: PushDeps;
  readonly entries: QuarantineEntries;
  /** The central copy's last stored change of each record (storage/record-changes.ts). */
  readonly lastChanges: (keys: readonly RecordKey[]) => Promise<ReadonlyMap<string, LastChange>>;
  /** Sync v6: without it v6 entries are left as they are. */
  readonly v6?: V6PushDeps & { readonly v6Store: V6Store & Partial<Pick<V6WaitingStore, 'removeWaiting'>> };
  readonly audit: (entry: AuditEntry, actor: string) => Promise<unknown>;
}

export type ReplayOutcome =
  /** Stored (and routed), or a delete of a record never held: closed. */
  | 'accepted'
  /** Refused again: open, with the new reason. */
  | 'refused'
  /** The central copy holds a later change of the record, or the site a later refused one: open, reason `superseded`. */
  | 'superseded'
  /** Not decided: closed already, kept in parts, or v6 without the v6 store. */
  | 'skipped';

export interface ReplayResult {
  readonly id: string;
  readonly siteId: number;
  readonly changeId: string;
  readonly tableName: string;
  readonly recordId: string;
  readonly outcome: ReplayOutcome;
  readonly reason: string;
  readonly message: string;
}

export interface ReplaySummary {
  readonly accepted: number;
  readonly refused: number;
  readonly superseded: number;
  readonly skipped: number;
  readonly results: readonly ReplayResult[];
}

/** Reason an entry is left open with when something later of its record is held. */
export const SUPERSEDED_REASON = 'superseded';
/** Entries decided per call: one page of a bulk replay. */
export const MAX_REPLAY_ENTRIES = 500;

const isV6Entry = (entry: QuarantinedRecord) => entry.changeId.startsWith('v6-');

/** Replays entries (any sites, v5 and v6) and records one audit entry for the call. */
export async function replayEntries(deps: QuarantineActionDeps, config: SyncConfig, entries: readonly QuarantineEntry[], actor: string, target: string): Promise<ReplaySummary> {
  const at = deps.push.now().toISOString();
  const results: ReplayResult[] = [];
  const bySite = new Map<number, QuarantineEntry[]>();
  for (const entry of entries) {
    if (isClosed(entry)) results.push(resultOf(entry, 'skipped', entry.reason, `Closed already (${entry.closure ?? entry.reason}); nothing was decided.`));
    else bySite.set(entry.siteId, [...(bySite.get(entry.siteId) ?? []), entry]);
  }
  for (const [siteId, open] of bySite) {
    const { latest, older } = latestPerRecord(open);
    for (const entry of older) results.push(await leaveOpen(deps, entry, at, SUPERSEDED_REASON, 'The site pushed a later change of this record, refused too: replay that one instead.'));
    results.push(...(await replayV5(deps, config, siteId, latest.filter((entry) => !isV6Entry(entry)), actor, at)));
    results.push(...(await replayV6(deps, config, siteId, latest.filter(isV6Entry), actor, at)));
  }
  const summary = summarise(results);
  await deps.audit(
    {
      action: 'quarantine.replay',
      target,
      details: { accepted: summary.accepted, refused: summary.refused, superseded: summary.superseded, skipped: summary.skipped, entries: results.slice(0, 50).map((result) => `${result.id} ${result.outcome}`) },
    },
    actor,
  );
  return summary;
}

/** Closes entries as resolved with the operator's note; one audit entry. Entries not found are reported, not created. */
export async function resolveEntries(
  deps: Pick<QuarantineActionDeps, 'entries' | 'audit' | 'push'>,
  keys: ReadonlyArray<{ readonly siteId: number; readonly changeId: string }>,
  resolution: string,
  actor: string,
  target: string,
): Promise<{ resolved: string[]; notFound: string[] }> {
  const at = deps.push.now().toISOString();
  const resolved: string[] = [];
  const notFound: string[] = [];
  for (const { siteId, changeId } of keys) {
    const closed = await deps.entries.close(siteId, changeId, { closure: 'resolved', by: actor, at, resolution });
    (closed ? resolved : notFound).push(quarantineEntryId(siteId, changeId));
  }
  await deps.audit({ action: 'quarantine.resolve', target, details: { resolution, resolved: resolved.slice(0, 50), count: resolved.length } }, actor);
  return { resolved, notFound };
}

/** One page of open entries of a site (or of every site) with a reason, for a bulk replay or resolve. */
export async function openEntries(deps: Pick<QuarantineActionDeps, 'entries'>, filter: { siteId?: number; reason?: string; limit: number; after?: string }) {
  return deps.entries.list({ ...filter, limit: Math.min(filter.limit, MAX_REPLAY_ENTRIES), state: 'open' });
}

// --- v5 ----------------------------------------------------------------------------------------

async function replayV5(deps: QuarantineActionDeps, config: SyncConfig, siteId: number, entries: readonly QuarantineEntry[], actor: string, at: string): Promise<ReplayResult[]> {
  if (entries.length === 0) return [];
  const results: ReplayResult[] = [];
  // A change refused before a later one was stored must not overwrite it.
  const stored = await deps.lastChanges(entries.map(recordKeyOf));
  const due: QuarantineEntry[] = [];
  for (const entry of entries) {
    const last = stored.get(recordKeyString(recordKeyOf(entry)));
    const own = last?.changeId === `${siteId}:${entry.changeId}`;
    if (own) results.push(await closeAccepted(deps, entry, actor, at, 'Stored already (an earlier replay).'));
    else if (last && last.storedAt > entry.receivedAt)
      results.push(await leaveOpen(deps, entry, at, SUPERSEDED_REASON, `The central copy holds a later change of this record (stored ${last.storedAt}, change ${last.changeId}); this one was not applied.`));
    else due.push(entry);
  }
  if (due.length === 0) return results;

  const { valid, invalid } = splitPushedRecords(due.map((entry) => entry.raw));
  // What the push path would keep in quarantine is the replay's answer, not a new entry.
  const refusedAgain: QuarantinedRecord[] = [];
  const replayPush: PushDeps = { ...deps.push, quarantine: { keep: async (records) => void refusedAgain.push(...records), list: deps.push.quarantine.list.bind(deps.push.quarantine) } };
  await acceptPush(replayPush, config, siteId, valid, invalid.map(({ raw, message }) => ({ raw, message })));
  const refusedById = new Map(refusedAgain.map((record) => [record.changeId, record]));
  for (const entry of due) {
    const refusal = refusedById.get(entry.changeId) ?? unreadableRefusal(entry, refusedAgain);
    results.push(refusal ? await leaveOpen(deps, entry, at, refusal.reason, refusal.message, 'refused') : await closeAccepted(deps, entry, actor, at, 'Accepted on replay: stored, and routed to the sites entitled to it.'));
  }
  return results;
}

/** An unreadable record is refused again under a digest id when it holds no usable syncOutId. */
function unreadableRefusal(entry: QuarantineEntry, refused: readonly QuarantinedRecord[]) {
  return entry.reason === 'invalid_record' ? refused.find((record) => record.reason === 'invalid_record' && JSON.stringify(record.raw) === JSON.stringify(entry.raw)) : undefined;
}

// --- v6 ----------------------------------------------------------------------------------------

async function replayV6(deps: QuarantineActionDeps, config: SyncConfig, siteId: number, entries: readonly QuarantineEntry[], actor: string, at: string): Promise<ReplayResult[]> {
  if (entries.length === 0) return [];
  const v6 = deps.v6;
  if (!v6) return entries.map((entry) => resultOf(entry, 'skipped', entry.reason, 'This deployment replays no v6 records.'));
  const results: ReplayResult[] = [];
  const whole = entries.filter((entry) => !entry.changeId.includes('-part-'));
  for (const entry of entries.filter((candidate) => !whole.includes(candidate)))
    results.push(resultOf(entry, 'skipped', entry.reason, 'Kept in parts (too large for one item): it cannot be replayed; resolve it once the site sends it again.'));

  const { valid, invalid } = splitV6Records(whole.map((entry) => entry.raw));
  for (const { index, message } of invalid) results.push(await leaveOpen(deps, whole[index]!, at, 'invalid_record', message, 'refused'));
  if (valid.length === 0) return results;
  // Applied only over the copy held now, so a change stored meanwhile is never undone.
  const held = await v6.v6Store.get(valid.map(({ value }) => value.record));
  const changes = valid.map(({ raw, value }) => ({
    change: value.record,
    changeId: `${siteId}:${v6RecordDigest(raw)}`,
    expectedVersion: held.get(v6KeyString(value.record))?.version ?? 0,
  }));
  const outcome = await acceptV6Changes(v6, config, siteId, changes);
  const refusedAt = new Map(outcome.refused.map((refusal) => [refusal.index, refusal]));
  const superseded = new Set(outcome.superseded);
  const accepted: Array<{ tableName: string; recordId: string; changeId: string }> = [];
  for (const [i, { index }] of valid.entries()) {
    const entry = whole[index]!;
    const refusal = refusedAt.get(i);
    if (refusal) results.push(await leaveOpen(deps, entry, at, refusal.reason, refusal.message, 'refused'));
    else if (superseded.has(i)) results.push(await leaveOpen(deps, entry, at, SUPERSEDED_REASON, 'The record changed while it was replayed; replay it again.'));
    else {
      accepted.push({ tableName: changes[i]!.change.tableName, recordId: changes[i]!.change.recordId, changeId: changes[i]!.changeId });
      results.push(await closeAccepted(deps, entry, actor, at, 'Accepted on replay: in the v6 central copy and change log, pulled by the sites entitled to it.'));
    }
  }
  // A change refused for want of its parent stops waiting once accepted here.
  if (accepted.length > 0 && v6.v6Store.removeWaiting) await v6.v6Store.removeWaiting(siteId, accepted);
  return results;
}

// --- shared ------------------------------------------------------------------------------------

const recordKeyOf = (entry: QuarantinedRecord): RecordKey => ({ tableName: entry.tableName, recordId: entry.recordId });

/** Per record of one site, its newest entry; the rest were overtaken by it. */
function latestPerRecord(entries: readonly QuarantineEntry[]): { latest: QuarantineEntry[]; older: QuarantineEntry[] } {
  const newest = new Map<string, QuarantineEntry>();
  const older: QuarantineEntry[] = [];
  for (const entry of entries) {
    // An unreadable record names no record: each stands alone.
    const key = entry.recordId === '' ? `\u0001${entry.changeId}` : recordKeyString(recordKeyOf(entry));
    const other = newest.get(key);
    if (!other) newest.set(key, entry);
    else if (other.receivedAt < entry.receivedAt || (other.receivedAt === entry.receivedAt && other.changeId < entry.changeId)) {
      older.push(other);
      newest.set(key, entry);
    } else older.push(entry);
  }
  return { latest: [...newest.values()], older };
}

async function closeAccepted(deps: QuarantineActionDeps, entry: QuarantineEntry, actor: string, at: string, resolution: string): Promise<ReplayResult> {
  await deps.entries.close(entry.siteId, entry.changeId, { closure: 'replayed', by: actor, at, resolution });
  return resultOf(entry, 'accepted', entry.reason, resolution);
}

async function leaveOpen(deps: QuarantineActionDeps, entry: QuarantineEntry, at: string, reason: string, message: string, outcome: ReplayOutcome = 'superseded'): Promise<ReplayResult> {
  await deps.entries.redecided(entry.siteId, entry.changeId, { reason, message, at });
  return resultOf(entry, outcome, reason, message);
}

const resultOf = (entry: QuarantinedRecord, outcome: ReplayOutcome, reason: string, message: string): ReplayResult => ({
  id: quarantineEntryId(entry.siteId, entry.changeId),
  siteId: entry.siteId,
  changeId: entry.changeId,
  tableName: entry.tableName,
  recordId: entry.recordId,
  outcome,
  reason,
  message,
});

function summarise(results: readonly ReplayResult[]): ReplaySummary {
  const count = (outcome: ReplayOutcome) => results.filter((result) => result.outcome === outcome).length;
  return { accepted: count('accepted'), refused: count('refused'), superseded: count('superseded'), skipped: count('skipped'), results };
}
