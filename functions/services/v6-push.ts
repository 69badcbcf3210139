/**
 * Accepting v6 changes from a site's push or the admin import (docs/sync-v6.md, "Push"): each
 * change is placed and authorised on its own (`domain/sync-v6/placement.ts`), accepted changes
 * are written to the v6 central copy together with their change-log entries before the caller
 * answers, and refusals come back with their reason for the quarantine. A change already applied
 * (same change id) is left alone, so a batch sent again changes nothing.
 */
import type { SyncConfig } from '../domain/config/model';
import type { RecordKey, StoredRecord } from '../domain/ports';
import { v6Partitions } from '../domain/sync-v6/audience';
import { decideV6Change, refKey, v6References, type V6Change, type V6Placement, type V6Ref } from '../domain/sync-v6/placement';
import { v6KeyString, type V6Store, type V6Write } from '../domain/sync-v6/ports';
import { v6Table, v6Tables } from '../domain/sync-v6/registry';
import type { RefusalReason } from '../domain/sync/placement';

/** Largest row kept, as JSON: well inside DynamoDB's 400 KB item, as v5's limit. */
export const MAX_V6_ROW_CHARACTERS = 300_000;

export interface V6PushDeps {
  readonly v6Store: V6Store;
  /** The legacy (v5) central copy, read for records placed by a legacy record (a name, a file's record). */
  readonly legacyCopy?: { get(keys: readonly RecordKey[]): Promise<Map<string, StoredRecord>> };
}

export interface V6IncomingChange {
  readonly change: V6Change;
  /** Unique per change at its origin: the same change sent again carries the same id. */
  readonly changeId: string;
  /**
   * Apply only over this version of the record's copy (0: not held): a change decided again
   * after waiting for its parent must not undo a change accepted since.
   */
  readonly expectedVersion?: number;
}

export interface V6Refused {
  readonly index: number;
  readonly reason: RefusalReason;
  readonly message: string;
  /** The record whose absence refused it (`parent_not_found`). */
  readonly waitingFor?: V6Ref;
  /** The version of the record's copy when it was refused (0: not held). */
  readonly seenVersion?: number;
}

export interface V6PushOutcome {
  readonly accepted: number;
  /** Deletes and merges of records never held. */
  readonly ignored: number;
  /** Copies of tables v5 serves. */
  readonly servedByV5: number;
  readonly refused: V6Refused[];
  /** Indexes of changes with an `expectedVersion` the record's copy no longer has: not applied. */
  readonly superseded: number[];
}

/** Attempts at a change whose record another writer changed between our read and write. */
const MAX_ROUNDS = 5;

const legacyKeyString = (key: RecordKey) => `${key.tableName}\u0000${key.recordId}`;

/**
 * Decides and writes `changes` from `originSiteId`, in order. A record changed twice in one batch
 * is written twice, in order (rounds of one change per record).
 */
export async function acceptV6Changes(deps: V6PushDeps, config: SyncConfig, originSiteId: number, changes: readonly V6IncomingChange[]): Promise<V6PushOutcome> {
  const refused: V6Refused[] = [];
  const superseded: number[] = [];
  let accepted = 0;
  let ignored = 0;
  let servedByV5 = 0;
  // A record's later changes in the batch: once one of them is applied, the batch was sent before.
  const indexed = changes.map((incoming, index) => ({
    ...incoming,
    index,
    laterChangeIds: changes.slice(index + 1).filter((other) => v6KeyString(other.change) === v6KeyString(incoming.change)).map((other) => other.changeId),
  }));
  const readable = indexed.filter(({ change, index }) => {
    if (change.recordData === undefined || JSON.stringify(change.recordData ?? null).length <= MAX_V6_ROW_CHARACTERS) return true;
    refused.push({ index, reason: 'invalid_record', message: `The row is longer than ${MAX_V6_ROW_CHARACTERS} characters of JSON.` });
    return false;
  });
  // Placements of the batch's records accepted so far: a line placed by a parent pushed before it.
  const acceptedPlacements = new Map<string, V6Placement>();
  for (const round of byParentsFirst(readable).flatMap(rounds)) {
    let pending = round;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ROUNDS) throw new Error('Could not write v6 changes: their records keep changing');
      const outcome = await decideRound(deps, config, originSiteId, pending, acceptedPlacements);
      refused.push(...outcome.refused);
      superseded.push(...outcome.superseded);
      ignored += outcome.ignored;
      servedByV5 += outcome.servedByV5;
      const stale = new Set(await deps.v6Store.apply(outcome.writes.map(({ write }) => write)));
      for (const { write } of outcome.writes) if (!stale.has(write)) acceptedPlacements.set(refKey({ api: 'v6', table: write.tableName, id: write.recordId }), write.placement);
      accepted += outcome.unchanged + outcome.writes.length - stale.size;
      pending = pending.filter((item) => outcome.writes.some(({ write, index }) => index === item.index && stale.has(write)));
    }
  }
  return { accepted, ignored, servedByV5, refused: refused.sort((a, b) => a.index - b.index), superseded: superseded.sort((a, b) => a - b) };
}

type Indexed = V6IncomingChange & { readonly index: number; readonly laterChangeIds: readonly string[] };

/** Tables other records are placed by (asset, rnr_form); records that refer to any record come last. */
const parentTables: ReadonlySet<string> = new Set(v6Tables.flatMap((entry) => (entry.owner.kind === 'parent' ? [entry.owner.parentTable] : [])));
const rank = (table: string) => (parentTables.has(table) ? 0 : v6Table(table)?.owner.kind === 'referenced' ? 2 : 1);

/**
 * Parents are decided before the records placed by them, wherever they are in the batch, so the
 * outcome does not depend on the order the site happened to push them in (a batch sent again
 * then decides the same); within each group the batch's order is kept.
 */
function byParentsFirst(changes: readonly Indexed[]): Indexed[][] {
  return [0, 1, 2].map((r) => changes.filter(({ change }) => rank(change.tableName) === r)).filter((group) => group.length > 0);
}

/** Splits changes into rounds holding at most one change per record, keeping their order. */
function rounds(changes: readonly Indexed[]): Indexed[][] {
  const result: Indexed[][] = [];
  const seen = new Map<string, number>();
  for (const item of changes) {
    const key = v6KeyString(item.change);
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    (result[round] ??= []).push(item);
  }
  return result;
}

async function decideRound(
  deps: V6PushDeps,
  config: SyncConfig,
  originSiteId: number,
  round: readonly Indexed[],
  acceptedPlacements: Map<string, V6Placement>,
) {
  const refs = round.flatMap(({ change }) => v6References(change));
  const v6Refs = refs.filter((ref) => ref.api === 'v6').map((ref) => ({ tableName: ref.table, recordId: ref.id }));
  const legacyRefs = refs.filter((ref) => ref.api === 'legacy').map((ref) => ({ tableName: ref.table, recordId: ref.id }));
  const [stored, legacy] = await Promise.all([
    deps.v6Store.get([...round.map(({ change }) => change), ...v6Refs]),
    legacyRefs.length > 0 && deps.legacyCopy ? deps.legacyCopy.get(legacyRefs) : Promise.resolve(new Map<string, StoredRecord>()),
  ]);
  // Placements decided in this round, so a line follows a parent accepted just before it.
  const decided = new Map<string, V6Placement>();
  const lookup = (ref: V6Ref): V6Placement | undefined => {
    if (ref.api === 'legacy') return legacy.get(legacyKeyString({ tableName: ref.table, recordId: ref.id }))?.placement;
    const key = refKey(ref);
    return decided.get(key) ?? acceptedPlacements.get(key) ?? stored.get(v6KeyString({ tableName: ref.table, recordId: ref.id }))?.placement;
  };
  const writes: Array<{ write: V6Write; index: number }> = [];
  const refused: V6Refused[] = [];
  const superseded: number[] = [];
  let ignored = 0;
  let servedByV5 = 0;
  let unchanged = 0;
  for (const { change, changeId, index, laterChangeIds, expectedVersion } of round) {
    const current = stored.get(v6KeyString(change));
    if (current && [changeId, ...laterChangeIds].some((id) => current.recentChangeIds.includes(id))) {
      unchanged++; // applied already (or superseded by a later change of this batch): a batch sent again
      continue;
    }
    if (expectedVersion !== undefined && (current?.version ?? 0) !== expectedVersion) {
      superseded.push(index);
      continue;
    }
    const decision = decideV6Change(change, originSiteId, config, current?.placement, lookup);
    switch (decision.kind) {
      case 'refused':
        refused.push({
          index,
          reason: decision.reason,
          message: decision.message,
          ...(decision.waitingFor ? { waitingFor: decision.waitingFor, seenVersion: current?.version ?? 0 } : {}),
        });
        break;
      case 'ignored':
        ignored++;
        break;
      case 'servedByV5':
        servedByV5++;
        break;
      case 'accepted': {
        decided.set(refKey({ api: 'v6', table: change.tableName, id: change.recordId }), decision.placement);
        writes.push({
          index,
          write: {
            tableName: change.tableName,
            recordId: change.recordId,
            action: change.action,
            // A delete keeps the last row: it still says whose record it was.
            recordData: change.action === 'Delete' ? (current?.recordData ?? null) : change.recordData,
            placement: decision.placement,
            originSiteId,
            changeId,
            partitions: v6Partitions(decision.placement, config),
            ...(current ? { replaces: current } : {}),
          },
        });
        break;
      }
    }
  }
  return { writes, refused, superseded, ignored, servedByV5, unchanged };
}
