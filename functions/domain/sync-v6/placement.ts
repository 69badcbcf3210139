/**
 * Where a pushed or imported v6 record belongs, and whether its sender may make the change: the
 * registry (registry.ts) names its owner, and v5's rules decide (`refuseUnlessAuthorised`, the
 * same authority as v5: central data only from the primary, store data only from the store's
 * active site, patient data only from its store's site). Pure: parents come in a `V6Lookup` the
 * caller fills from the batch and storage beforehand (see `v6References`).
 */
import type { SyncConfig } from '../config/model';
import { storeByNameId } from '../config/queries';
import { refuseUnlessAuthorised } from '../sync/authority';
import type { Placement, Refusal } from '../sync/placement';
import { v6Table, type V6Owner } from './registry';

export type V6Action = 'Insert' | 'Update' | 'Delete' | 'Merge';

/** A v6 record as pushed: `recordData` is the row (`serde_json::to_value(row)`), `{}` or null for a delete. */
export interface V6Change {
  readonly tableName: string;
  readonly recordId: string;
  readonly action: V6Action;
  readonly recordData: unknown;
}

/** A v5 placement, and `kept` for records the central server keeps but never sends (`toCentral`). */
export interface V6Placement extends Placement {
  readonly kept?: boolean;
}

/** A record another one is placed by: a v6 record, or a legacy one in the v5 central copy. */
export interface V6Ref {
  readonly api: 'v6' | 'legacy';
  readonly table: string;
  readonly id: string;
}

export const refKey = (ref: V6Ref): string => `${ref.api}\u0000${ref.table}\u0000${ref.id}`;

/** Placements of the records a batch refers to (the batch's own accepted records first, then storage). */
export type V6Lookup = (ref: V6Ref) => V6Placement | undefined;

export type V6Decision =
  | { readonly kind: 'accepted'; readonly placement: V6Placement }
  /** A delete or merge of a record the central server never held: nothing to apply, nowhere to send. */
  | { readonly kind: 'ignored'; readonly message: string }
  /** A copy of a table v5 serves: the site delivers the same row over v5. */
  | { readonly kind: 'servedByV5'; readonly message: string }
  | ({ readonly kind: 'refused' } & V6Refusal);

/**
 * A refusal; `waitingFor` names the record whose absence refused it (`parent_not_found`): the
 * change can be decided again once that record is held (services/v6-waiting.ts).
 */
export interface V6Refusal extends Refusal {
  readonly waitingFor?: V6Ref;
}

const fields = (data: unknown): Record<string, unknown> | undefined =>
  data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;

/** Longest id or table name a row may name another record by (v5's limits; keys stay far inside DynamoDB's). */
const MAX_REFERENCE_LENGTH = 256;

/** A non-empty string field, or undefined (also when too long to name any record). */
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 && value.length <= MAX_REFERENCE_LENGTH ? value : undefined);

const centralPlacement: V6Placement = { dataClass: 'central', flags: [] };

/** The records `change` is placed by, to fetch before `decideV6Change`. */
export function v6References(change: V6Change): V6Ref[] {
  const entry = v6Table(change.tableName);
  const data = fields(change.recordData);
  if (!entry || !data || change.action === 'Delete' || change.action === 'Merge') return [];
  const owner = entry.owner;
  switch (owner.kind) {
    case 'parent': {
      const id = text(data[owner.field]);
      return id ? [{ api: 'v6', table: owner.parentTable, id }] : [];
    }
    case 'name':
      return [{ api: 'legacy', table: 'name', id: change.recordId }];
    case 'referenced': {
      const table = text(data[owner.tableField]);
      const id = text(data[owner.idField]);
      if (!table || !id) return [];
      return [{ api: v6Table(table) ? 'v6' : 'legacy', table, id }];
    }
    default:
      return [];
  }
}

const refused = (reason: Refusal['reason'], message: string, waitingFor?: V6Ref): V6Decision => ({ kind: 'refused', reason, message, ...(waitingFor ? { waitingFor } : {}) });

/** Where the row places the record, from its own fields and its parents. */
function placeRow(owner: V6Owner, change: V6Change, data: Record<string, unknown>, config: SyncConfig, lookup: V6Lookup): V6Placement | V6Refusal {
  switch (owner.kind) {
    case 'central':
      return centralPlacement;
    case 'store': {
      const value = data[owner.field];
      const storeId = text(value);
      if (storeId) return { dataClass: 'store', flags: [], storeId };
      if (value !== undefined && value !== null) return { reason: 'invalid_record', message: `Field ${owner.field} must be a store id or null.` };
      // No store: global data (all sites), or a record kept centrally and sent nowhere.
      return owner.nullIsCentral ? centralPlacement : { dataClass: 'store', flags: [] };
    }
    case 'parent': {
      const parentId = text(data[owner.field]);
      if (!parentId) return { reason: 'invalid_record', message: `Field ${owner.field} must name its ${owner.parentTable}.` };
      const ref: V6Ref = { api: 'v6', table: owner.parentTable, id: parentId };
      const parent = lookup(ref);
      if (!parent) return { reason: 'parent_not_found', message: `Its ${owner.parentTable} ${parentId} is not held by the central server; push it first.`, waitingFor: ref };
      return { ...parent, parent: { table: owner.parentTable, id: parentId } };
    }
    case 'patient': {
      const storeId = text(data[owner.storeField]);
      const patientId = text(data[owner.patientField]);
      if (!storeId) return { reason: 'no_owning_store', message: `Field ${owner.storeField} must name the store that recorded it.` };
      if (!patientId) return { reason: 'invalid_record', message: `Field ${owner.patientField} must name the patient.` };
      return { dataClass: 'patient', flags: [], storeId, patientId };
    }
    case 'name': {
      const ref: V6Ref = { api: 'legacy', table: 'name', id: change.recordId };
      const name = lookup(ref);
      if (!name) return { reason: 'parent_not_found', message: `Its name ${change.recordId} is not held by the central server (names arrive over v5).`, waitingFor: ref };
      if (name.dataClass === 'patient' && name.storeId) return { dataClass: 'patient', flags: [], storeId: name.storeId, patientId: change.recordId };
      const store = storeByNameId(config, change.recordId);
      if (store) return { dataClass: 'store', flags: [], storeId: store.id };
      return centralPlacement;
    }
    case 'referenced': {
      const table = text(data[owner.tableField]);
      const id = text(data[owner.idField]);
      if (!table || !id) return { reason: 'invalid_record', message: `Fields ${owner.tableField} and ${owner.idField} must name the record the file belongs to.` };
      const ref: V6Ref = { api: v6Table(table) ? 'v6' : 'legacy', table, id };
      const target = lookup(ref);
      if (!target) return { reason: 'parent_not_found', message: `The record it belongs to (${table} ${id}) is not held by the central server.`, waitingFor: ref };
      const { kept: _kept, ...placement } = target;
      return { ...placement, flags: placement.flags.filter((flag) => flag !== 'dispensaryTransactional'), parent: { table, id } };
    }
    case 'toCentral': {
      const storeId = owner.storeField ? text(data[owner.storeField]) : undefined;
      return storeId ? { dataClass: 'store', flags: [], storeId, kept: true } : { dataClass: 'message', flags: [], kept: true };
    }
    case 'servedByV5':
      return centralPlacement; // not reached: decided before placing
  }
}

const isRefusal = (value: V6Placement | V6Refusal): value is V6Refusal => 'reason' in value;

/** Who may make a change: v5's rules; a record kept only centrally without a store may come from any site (its own log). */
function authorise(placement: V6Placement, config: SyncConfig, siteId: number): Refusal | undefined {
  if (placement.kept && placement.storeId === undefined) return undefined;
  return refuseUnlessAuthorised(placement, config, siteId);
}

/**
 * Decides one change from `originSiteId`. `stored` is the central copy's placement of the record
 * (absent when new): a change must be allowed for it too, so no site takes over another's record
 * by pushing it under its own store; a delete or merge keeps the stored placement.
 */
export function decideV6Change(change: V6Change, originSiteId: number, config: SyncConfig, stored: V6Placement | undefined, lookup: V6Lookup): V6Decision {
  const entry = v6Table(change.tableName);
  if (!entry) return refused('unknown_table', `Table "${change.tableName}" does not travel over sync v6.`);
  if (entry.owner.kind === 'servedByV5') {
    return { kind: 'servedByV5', message: `Table "${change.tableName}" is served over sync v5, where the site pushes the same row.` };
  }
  let placement: V6Placement;
  if (change.action === 'Delete' || change.action === 'Merge') {
    if (!stored) return { kind: 'ignored', message: `${change.action} of ${change.tableName} ${change.recordId}, which the central server never held.` };
    placement = stored;
  } else {
    const data = fields(change.recordData);
    if (!data) return refused('invalid_record', 'recordData must be an object (the row).');
    if (data.id !== undefined && data.id !== change.recordId) return refused('invalid_record', `recordData.id (${String(data.id)}) differs from recordId.`);
    const placed = placeRow(entry.owner, change, data, config, lookup);
    if (isRefusal(placed)) return refused(placed.reason, placed.message, placed.waitingFor);
    placement = placed;
  }
  const refusal = authorise(placement, config, originSiteId) ?? (stored && stored !== placement ? authorise(stored, config, originSiteId) : undefined);
  if (refusal) return refused(refusal.reason, refusal.message);
  return { kind: 'accepted', placement };
}
