/**
 * Deciding a pushed batch, record by record: accepted (with its placement), refused (with the
 * reason) or ignored. Pure: the caller supplies the records the registry needs through `lookup`
 * and the central copies already held through `stored`.
 */
import type { SyncConfig } from '../config/model';
import { getStore } from '../config/queries';
import type { LinkRef, Lookup, RecordData } from '../data-classes';
import { reference } from '../legacy-fields';
import type { StoredRecord, SyncRecord } from '../ports';
import { refuseUnlessAuthorised } from './authority';
import { placeRecord, type Placement, type Refusal } from './placement';

export type RecordDecision =
  | { readonly kind: 'accepted'; readonly placement: Placement }
  | { readonly kind: 'ignored'; readonly message: string }
  | ({ readonly kind: 'refused' } & Refusal)
  | { readonly kind: 'needs'; readonly refs: readonly LinkRef[] };

/**
 * Decides one record pushed by `siteId`. A change to a record the central server already holds
 * must also be allowed for its stored placement, so a site can never take over another store's
 * record by pushing it with its own store: the rightful owner's copy wins. A merge needs
 * authority over both records it names.
 */
export function decideRecord(
  record: SyncRecord,
  siteId: number,
  config: SyncConfig,
  lookup: Lookup,
  stored: StoredRecord | undefined,
  final: boolean,
): RecordDecision {
  if (record.action === 'merge') {
    const merged = decideMergedRecords(record, siteId, config, lookup, final);
    if (merged) return merged;
  }
  const placed = placeRecord(record, { centralisedProcurement: config.preferences.centralisedProcurement }, lookup, final);
  if (placed.kind !== 'placed') return placed;
  if (stored && receivingSiteMarksMessage(record, stored, siteId, config)) return { kind: 'accepted', placement: stored.placement };
  const refusal = refuseUnlessAuthorised(placed.placement, config, siteId);
  if (refusal) return { kind: 'refused', ...refusal };
  if (stored) {
    const previousOwner = refuseUnlessAuthorised(withOwner(stored.placement, stored), config, siteId);
    if (previousOwner) {
      return { kind: 'refused', reason: previousOwner.reason, message: `The central copy belongs elsewhere: ${previousOwner.message}` };
    }
  }
  return { kind: 'accepted', placement: ownedBy(placed.placement, stored, siteId) };
}

/** Store data no store owns keeps the site that first pushed it as its owner. */
function ownedBy(placement: Placement, stored: StoredRecord | undefined, siteId: number): Placement {
  if (placement.dataClass !== 'store' || placement.storeId !== undefined) return placement;
  return { ...placement, ownerSiteId: stored ? (withOwner(stored.placement, stored).ownerSiteId ?? siteId) : siteId };
}

/** A copy stored before owners were kept: the site of its last change stands for its owner. */
function withOwner(placement: Placement, stored: StoredRecord): Placement {
  if (placement.dataClass !== 'store' || placement.storeId !== undefined || placement.ownerSiteId !== undefined) return placement;
  return { ...placement, ownerSiteId: stored.originSiteId };
}

/** Fields of a message its receiving store's site may change: marking it read or processed. */
const MESSAGE_FIELDS_OF_RECEIVER: ReadonlySet<string> = new Set(['status']);

/** The receiving store's site marking a held message (its status only), which its sender wrote. */
function receivingSiteMarksMessage(record: SyncRecord, stored: StoredRecord, siteId: number, config: SyncConfig): boolean {
  if (record.tableName !== 'message' || stored.placement.dataClass !== 'message' || record.action === 'delete') return false;
  const receiving = stored.placement.storeId === undefined ? undefined : getStore(config, stored.placement.storeId);
  if (receiving?.activeSiteId !== siteId || !record.recordData || !stored.recordData) return false;
  const fields = new Set([...Object.keys(record.recordData), ...Object.keys(stored.recordData)]);
  return [...fields].every((field) => MESSAGE_FIELDS_OF_RECEIVER.has(field) || sameValue(record.recordData![field], stored.recordData![field]));
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A merge changes two records: the one kept and the one merged away (whose references sites
 * repoint). The pushing site needs authority over both, as they are held centrally; a merge
 * naming a record the central server does not hold has nothing to merge. Undefined when both are
 * allowed: the merge is then placed as the record it keeps.
 */
function decideMergedRecords(record: SyncRecord, siteId: number, config: SyncConfig, lookup: Lookup, final: boolean): RecordDecision | undefined {
  const ids = ['mergeIdToKeep', 'mergeIdToDelete'].map((field) => reference(record.recordData ?? {}, field));
  const missing = ids.filter((id): id is string => id !== undefined && lookup(record.tableName, id) === undefined);
  if (missing.length > 0) {
    if (!final) return { kind: 'needs', refs: missing.map((id) => ({ table: record.tableName, id })) };
    return { kind: 'ignored', message: `The central server holds no ${record.tableName} ${missing.join(' or ')} to merge.` };
  }
  for (const [role, id] of [['keeps', ids[0]], ['merges away', ids[1]]] as const) {
    if (id === undefined) continue;
    const data: RecordData = lookup(record.tableName, id)!;
    const placed = placeRecord({ tableName: record.tableName, recordId: id, action: 'update', recordData: data }, { centralisedProcurement: config.preferences.centralisedProcurement }, lookup, final);
    if (placed.kind === 'needs') return placed;
    if (placed.kind !== 'placed') continue;
    const refusal = refuseUnlessAuthorised(placed.placement, config, siteId);
    if (refusal) return { kind: 'refused', reason: refusal.reason, message: `The merge ${role} ${record.tableName} ${id}: ${refusal.message}` };
  }
  return undefined;
}
