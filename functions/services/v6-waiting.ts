/**
 * v6 changes waiting for the record they are placed by (docs/sync-v6.md, "Waiting for a parent").
 * A site pushes v6 before v5 on every sync, so a v6 record placed by a legacy record made since
 * the last sync (a file's reference to a new purchase order, a patient's `name_oms_fields`), or
 * by a v6 parent in a later batch, arrives first and is refused `parent_not_found`. Such a change
 * is kept, per site and record, and decided again at the site's next v6 request (push,
 * site_status, pull: in the client's order the v5 push that brings the parent comes between the
 * v6 push and the v6 pull of the same sync). Accepted, its quarantine entry is marked resolved;
 * refused for another reason, the entry says so; a change whose parent never arrives stays
 * refused, and stops waiting after `WAITING_DAYS`.
 *
 * Bounded: a request decides again at most `WAITING_CHECKED_PER_REQUEST` of the site's waiting
 * changes, from a random place in its list, their parents read by key; nothing scans other
 * sites' changes. Idempotent: a change decided again carries its push's change id, so one
 * applied already is recognised, and it applies only over the version of the record's copy it
 * was refused against, so it never undoes a change accepted since.
 */
import type { SyncConfig } from '../domain/config/model';
import type { Quarantine } from '../domain/ports';
import type { V6Change, V6Ref } from '../domain/sync-v6/placement';
import { v6KeyString, type V6WaitingChange, type V6WaitingStore } from '../domain/sync-v6/ports';
import { v6Table } from '../domain/sync-v6/registry';
import { splitV6Records } from '../protocol/v6';
import { acceptV6Changes, type V6PushDeps, type V6Refused } from './v6-push';
import { canonicalJson, MAX_TEXT_PER_ITEM, v6QuarantineItems } from './v6-quarantine';

export interface V6WaitingDeps extends V6PushDeps {
  readonly waiting: V6WaitingStore;
  readonly quarantine: Quarantine;
  readonly now: () => Date;
}

/** Waiting changes decided again per request, at most. */
export const WAITING_CHECKED_PER_REQUEST = 50;
/** How long a change waits for its parent; after that it stays refused. */
export const WAITING_DAYS = 30;
const WAITING_MS = WAITING_DAYS * 24 * 60 * 60 * 1000;

/** The reason a resolved quarantine entry is given once its change is accepted. */
export const RESOLVED_REASON = 'resolved';

/** Tables whose records may wait: those placed by another record. */
const mayWait = (table: string) => {
  const kind = v6Table(table)?.owner.kind;
  return kind === 'parent' || kind === 'name' || kind === 'referenced';
};

const describe = (ref: V6Ref) => `${ref.api === 'legacy' ? 'legacy ' : ''}${ref.table} ${ref.id}`;

/** A change of a pushed batch, with the record as pushed. */
export interface PushedV6Change {
  readonly raw: unknown;
  readonly change: V6Change;
  readonly changeId: string;
}

/**
 * After a push is decided: the site's last change of each record in the batch that was refused
 * only for a missing parent waits for it (one kept in a single quarantine entry, as nearly every
 * record is); any other outcome of a record's last change ends an earlier change's wait.
 */
export async function updateWaiting(deps: V6WaitingDeps, siteId: number, pushed: readonly PushedV6Change[], refused: readonly V6Refused[]): Promise<void> {
  const refusedAt = new Map(refused.map((item) => [item.index, item]));
  const lastOfRecord = new Map<string, number>();
  pushed.forEach(({ change }, index) => {
    if (mayWait(change.tableName)) lastOfRecord.set(v6KeyString(change), index);
  });
  if (lastOfRecord.size === 0) return;
  const since = deps.now().toISOString();
  const waiting: V6WaitingChange[] = [];
  const ended: Array<{ tableName: string; recordId: string }> = [];
  for (const index of lastOfRecord.values()) {
    const { raw, change, changeId } = pushed[index]!;
    const refusal = refusedAt.get(index);
    const key = { tableName: change.tableName, recordId: change.recordId };
    if (refusal?.waitingFor && canonicalJson(raw).length <= MAX_TEXT_PER_ITEM) {
      const [entry] = v6QuarantineItems(siteId, [{ raw, ...key, action: change.action.toLowerCase(), reason: refusal.reason, message: refusal.message }], since);
      waiting.push({ ...key, siteId, changeId, quarantineId: entry!.changeId, raw, waitingFor: refusal.waitingFor, seenVersion: refusal.seenVersion ?? 0, since });
    } else ended.push(key);
  }
  if (waiting.length > 0) await deps.waiting.keepWaiting(waiting);
  if (ended.length > 0 && (await deps.waiting.hasWaiting(siteId))) await deps.waiting.removeWaiting(siteId, ended);
}

export interface RetryOutcome {
  readonly accepted: number;
  /** Refused again, now for another reason (no longer waiting). */
  readonly refused: number;
  /** Still waiting for their parent. */
  readonly waiting: number;
  /** No longer waiting: too old, or their record changed since. */
  readonly dropped: number;
}

const none: RetryOutcome = { accepted: 0, refused: 0, waiting: 0, dropped: 0 };

/** Decides again some of the site's waiting changes; those whose parent is now held are accepted. */
export async function retryWaiting(deps: V6WaitingDeps, config: SyncConfig, siteId: number): Promise<RetryOutcome> {
  const sampled = await deps.waiting.sampleWaiting(siteId, WAITING_CHECKED_PER_REQUEST);
  if (sampled.length === 0) return none;
  const now = deps.now();
  const expired = sampled.filter((item) => now.getTime() - Date.parse(item.since) > WAITING_MS);
  const live = sampled
    .filter((item) => !expired.includes(item))
    .flatMap((item) => {
      const [parsed] = splitV6Records([item.raw]).valid;
      return parsed ? [{ item, change: parsed.value.record }] : [];
    })
    .sort((a, b) => (a.item.since < b.item.since ? -1 : a.item.since > b.item.since ? 1 : 0));
  const unreadable = sampled.filter((item) => !expired.includes(item) && !live.some((entry) => entry.item === item));

  const outcome = await acceptV6Changes(
    deps,
    config,
    siteId,
    live.map(({ item, change }) => ({ change, changeId: item.changeId, expectedVersion: item.seenVersion })),
  );
  const refusedAt = new Map(outcome.refused.map((item) => [item.index, item]));
  const superseded = new Set(outcome.superseded);
  const decidedAt = now.toISOString();
  const entries = [];
  const done: V6WaitingChange[] = [...expired, ...unreadable];
  let accepted = 0;
  let refused = 0;
  let waiting = 0;
  for (const [index, { item, change }] of live.entries()) {
    const refusal = refusedAt.get(index);
    if (refusal?.reason === 'parent_not_found') {
      waiting++;
      continue;
    }
    done.push(item);
    if (superseded.has(index)) continue;
    const action = change.action.toLowerCase();
    const [entry] = refusal
      ? v6QuarantineItems(siteId, [{ raw: item.raw, tableName: item.tableName, recordId: item.recordId, action, reason: refusal.reason, message: `${refusal.message} (Decided again on ${decidedAt}, once its ${describe(item.waitingFor)} was held.)` }], item.since)
      : v6QuarantineItems(
          siteId,
          [{ raw: item.raw, tableName: item.tableName, recordId: item.recordId, action, reason: RESOLVED_REASON, message: `Accepted on ${decidedAt}, once its ${describe(item.waitingFor)} was held by the central server (refused parent_not_found when pushed).` }],
          item.since,
        );
    if (refusal) refused++;
    else accepted++;
    entries.push(entry!);
  }
  // The quarantine says what happened before the change stops waiting: a crash between the two
  // leaves it waiting, and deciding it again finds it applied (its change id) and says so again.
  if (entries.length > 0) await deps.quarantine.keep(entries);
  if (done.length > 0) await deps.waiting.removeWaiting(siteId, done.map(({ tableName, recordId, changeId }) => ({ tableName, recordId, changeId })));
  return { accepted, refused, waiting, dropped: expired.length + unreadable.length + superseded.size };
}
