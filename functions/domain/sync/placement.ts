/**
 * Where a pushed record belongs: its data class, and the store that owns it (store data), is its
 * home (patient data) or receives it (message), found through the data-class registry.
 * Pure: other records are read through a `Lookup` the caller fills from the batch and storage.
 */
import {
  classificationSubject,
  classifyWireRecord,
  resolveOwningStore,
  type ClassifiableWireRecord,
  type DataClass,
  type DataClassFlag,
  type LinkRef,
  type Lookup,
  type SystemPreferences,
} from '../data-classes';
import { reference } from '../legacy-fields';
import { transferLineTables } from '../transfers/rules';
import { centralParentOf } from './central-relevance';

/** What routing and authority need to know about a record, kept with its central copy. */
export interface Placement {
  readonly dataClass: DataClass;
  readonly flags: readonly DataClassFlag[];
  /** Owning store (store, central store data), home store (patient data), receiving store (message). */
  readonly storeId?: string;
  /** The patient (`name` id) a patient record belongs to. */
  readonly patientId?: string;
  /** For a transaction or requisition (and its lines): the other party's `name` id. */
  readonly counterpartNameId?: string;
  /** The record a line belongs to (its nearest parent), e.g. a `trans_line`'s `transact`. */
  readonly parent?: { readonly table: string; readonly id: string };
  /** A message's sending store (`fromStoreID`): only its active site writes the message. */
  readonly senderStoreId?: string;
  /** Store data no store owns (a user a site made): the site that first pushed it, which alone changes it. */
  readonly ownerSiteId?: number;
}

export const refusalReasons = [
  'invalid_record',
  'unknown_table',
  'local_data',
  'sync_data',
  'not_primary_site',
  'store_not_active_on_site',
  'not_home_site',
  'unknown_store',
  'no_owning_store',
  'parent_not_found',
  'transactions_not_synced',
  'store_record_configured',
  'user_record_configured',
  'not_record_owner',
  'not_message_sender',
] as const;
export type RefusalReason = (typeof refusalReasons)[number];

export interface Refusal {
  readonly reason: RefusalReason;
  readonly message: string;
}

export type PlacementResult =
  | { readonly kind: 'placed'; readonly placement: Placement }
  /** Records the registry needs to decide (parents, linked records): fetch them and place again. */
  | { readonly kind: 'needs'; readonly refs: readonly LinkRef[] }
  /** A delete or merge of a record the central server never held: nothing to apply. */
  | { readonly kind: 'ignored'; readonly message: string }
  | ({ readonly kind: 'refused' } & Refusal);

/** Headers whose `name_ID` is the other party of a trade (transfers between stores). */
const tradeHeaders: ReadonlySet<string> = new Set(['transact', 'requisition']);

/**
 * Places one record. With `final` false, records the lookup does not have yet come back as
 * `needs`; with `final` true the registry's defaults apply and a missing parent is refused.
 */
export function placeRecord(
  record: ClassifiableWireRecord,
  prefs: SystemPreferences,
  lookup: Lookup,
  final: boolean,
): PlacementResult {
  const subject = classificationSubject(record, lookup);
  const classification = classifyWireRecord(record, prefs, lookup);
  if (classification.kind === 'unknown') {
    return refused('unknown_table', `Table "${record.tableName}" is not one the central server syncs.`);
  }
  if (!final && classification.unresolved.length > 0) return { kind: 'needs', refs: classification.unresolved };
  if (record.action !== 'insert' && record.action !== 'update' && Object.keys(subject).length === 0) {
    return { kind: 'ignored', message: `The central server holds no ${record.tableName} ${record.recordId} to ${record.action}.` };
  }
  const { dataClass, flags } = classification;
  if (dataClass === 'local') return refused('local_data', `${record.tableName} records are local to a site and never synced.`);
  if (dataClass === 'sync') return refused('sync_data', `${record.tableName} records are edited on the central server only.`);

  const owner = resolveOwningStore({ tableName: record.tableName, recordData: subject }, lookup, prefs);
  switch (owner.kind) {
    case 'unknown':
      return refused('unknown_table', `Table "${owner.table}" is not one the central server syncs.`);
    case 'parentNotFound':
      if (!final) return { kind: 'needs', refs: [{ table: owner.table, id: owner.id }] };
      return refused('parent_not_found', `Its parent ${owner.table} ${owner.id} is unknown to the central server; push the parent first.`);
    case 'noReference':
      return refused('no_owning_store', `${owner.table}.${owner.field} is empty, so the record's store cannot be found.`);
    case 'tooDeep':
      return refused('no_owning_store', 'Its parent records form a cycle, so its store cannot be found.');
    case 'none': {
      // Central lines and joins are indexed under their list or name (docs/central-data.md).
      const parent = dataClass === 'central' ? centralParentOf(record.tableName, subject) : undefined;
      return { kind: 'placed', placement: { dataClass, flags, ...(parent ? { parent } : {}) } };
    }
    case 'store': {
      const top = owner.via.at(-1);
      const header = top ? { table: top.table, data: lookup(top.table, top.id) } : { table: record.tableName, data: subject };
      const counterpartNameId = tradeHeaders.has(header.table) ? reference(header.data, 'name_ID') : undefined;
      const patientId = dataClass === 'patient' ? patientOf(record.tableName, record.recordId, subject, owner.via) : undefined;
      const senderStoreId = dataClass === 'message' ? reference(subject, 'fromStoreID') : undefined;
      return {
        kind: 'placed',
        placement: {
          dataClass,
          flags,
          storeId: owner.storeId,
          ...(patientId !== undefined ? { patientId } : {}),
          ...(counterpartNameId !== undefined ? { counterpartNameId } : {}),
          ...(senderStoreId !== undefined ? { senderStoreId } : {}),
          ...parentOf(record.tableName, subject, owner.via),
        },
      };
    }
  }
}

/** A line's header: the first parent on the way to its store, or the header a transfer line names. */
function parentOf(tableName: string, data: Readonly<Record<string, unknown>>, via: readonly LinkRef[]): Pick<Placement, 'parent'> {
  if (via[0]) return { parent: { table: via[0].table, id: via[0].id } };
  const line = transferLineTables.get(tableName);
  const id = line ? reference(data, line.parentField) : undefined;
  return line && id ? { parent: { table: line.headerTable, id } } : {};
}

function patientOf(
  tableName: string,
  recordId: string,
  data: Readonly<Record<string, unknown>>,
  via: readonly LinkRef[],
): string | undefined {
  if (tableName === 'name') return recordId;
  if (tableName === 'name_store_join') return reference(data, 'name_ID');
  return via.find((link) => link.table === 'name')?.id;
}

const refused = (reason: RefusalReason, message: string): PlacementResult => ({ kind: 'refused', reason, message });

/** The store index key under which dispensary-only central data is found (no store owns it). */
export const DISPENSARY_ONLY_HOLDER = '#dispensaryOnly';

/** The store a central copy is indexed under, when any. */
export function holderOf(placement: Placement): string | undefined {
  if (placement.storeId !== undefined) return placement.storeId;
  return placement.flags.includes('dispensaryOnly') ? DISPENSARY_ONLY_HOLDER : undefined;
}

/** The index key of a line's parent record. */
export const parentKeyOf = (placement: Placement): string | undefined =>
  placement.parent ? `${placement.parent.table}#${placement.parent.id}` : undefined;
