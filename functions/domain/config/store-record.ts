/**
 * The `store` record as the configuration authors it. An Open mSupply site learns which stores
 * are active on it from the `store` records it pulls (`sync_id_remote_site` = its site id), so
 * the central server is the authority for every field of that record that sync decides; the
 * other fields are kept as imported. Pure.
 *
 * What the client reads (server/service/src/sync/translations/store.rs): `ID`, `name_ID`,
 * `code`, `sync_id_remote_site`, `logo`, `store_mode` ("store" / "dispensary"), `created_date`,
 * `disabled`. `logo`, `created_date` and `disabled` have no serde default there, so a record
 * without them cannot be integrated: the legacy "nothing" values fill them in.
 */
import type { RecordData } from '../legacy-fields';
import type { Store, SyncConfig } from './model';

/** Fields the configuration decides. */
export function storeSyncFields(store: Store) {
  return {
    ID: store.id,
    name_ID: store.nameId,
    code: store.code,
    name: store.name,
    store_mode: store.mode,
    sync_id_remote_site: store.activeSiteId,
  };
}

/** Legacy "nothing" values for the other fields the client needs (no logo, no date, enabled). */
const legacyDefaults: ReadonlyArray<readonly [string, unknown, (value: unknown) => boolean]> = [
  ['logo', '', (value) => typeof value === 'string'],
  ['created_date', '0000-00-00', (value) => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)],
  ['disabled', false, (value) => typeof value === 'boolean'],
];

/**
 * The store record the central copy must hold for `store`: what was imported or pushed (if
 * anything), its sync fields rewritten from the configuration, and the client's required fields
 * filled in where missing or of a type the client cannot read.
 */
export function authoredStoreRecord(store: Store, existing?: RecordData): Record<string, unknown> {
  const record: Record<string, unknown> = { ...(existing ?? {}) };
  for (const [field, fallback, readable] of legacyDefaults) if (!readable(record[field])) record[field] = fallback;
  return { ...record, ...storeSyncFields(store) };
}

/** Does the stored record already say what the configuration says (and can the client read it)? */
export function storeRecordAgrees(store: Store, existing: RecordData | undefined): boolean {
  if (!existing) return false;
  const authored = authoredStoreRecord(store, existing);
  return Object.keys(authored).every((field) => Object.is(authored[field], existing[field]));
}

/** A store whose sync fields or holding sites differ between two configurations. */
export interface StoreRecordChange {
  readonly storeId: string;
  /** Sites that held the store's record before and no longer do: they still learn the change. */
  readonly formerHolders: readonly number[];
}

/**
 * Which stores' records a configuration change affects: created stores, changed sync fields
 * (code, name, name record, mode, active site) and changed sets of holding sites. `holders` is
 * where a store record is routed in a configuration (from routing); it is asked only for stores
 * whose inputs to it changed (collector settings, the sites of the stores that see it, the
 * primary), so a change costs little however many stores there are.
 */
export function storeRecordChanges(
  before: SyncConfig,
  after: SyncConfig,
  holders: (config: SyncConfig, storeId: string) => readonly number[],
): StoreRecordChange[] {
  const signatureBefore = holdingSignatures(before);
  const signatureAfter = holdingSignatures(after);
  const changes: StoreRecordChange[] = [];
  for (const storeId of Object.keys(after.stores).sort()) {
    const now = after.stores[storeId]!;
    const was = Object.hasOwn(before.stores, storeId) ? before.stores[storeId] : undefined;
    const fieldsChanged = !was || JSON.stringify(storeSyncFields(was)) !== JSON.stringify(storeSyncFields(now));
    if (!fieldsChanged && signatureBefore.get(storeId) === signatureAfter.get(storeId)) continue;
    const heldBefore = was ? holders(before, storeId) : [];
    const heldAfter = holders(after, storeId);
    const holdersChanged = heldBefore.length !== heldAfter.length || heldBefore.some((siteId) => !heldAfter.includes(siteId));
    if (fieldsChanged || holdersChanged) changes.push({ storeId, formerHolders: heldBefore.filter((siteId) => !heldAfter.includes(siteId)) });
  }
  return changes;
}

/** Per store, everything its holding sites depend on besides its own fields. */
function holdingSignatures(config: SyncConfig): Map<string, string> {
  const viewerSites = new Map<string, Set<number>>();
  for (const [viewerId, nameIds] of Object.entries(config.visibility)) {
    const viewer = Object.hasOwn(config.stores, viewerId) ? config.stores[viewerId] : undefined;
    if (!viewer) continue;
    for (const nameId of nameIds) {
      if (nameId === viewer.nameId) continue;
      if (!viewerSites.has(nameId)) viewerSites.set(nameId, new Set());
      viewerSites.get(nameId)!.add(viewer.activeSiteId);
    }
  }
  const signatures = new Map<string, string>();
  for (const store of Object.values(config.stores)) {
    const sites = [...(viewerSites.get(store.nameId) ?? [])].sort((a, b) => a - b);
    const collectors = [...store.collectorSiteIds].sort((a, b) => a - b);
    signatures.set(store.id, JSON.stringify([store.activeSiteId, collectors, sites, config.preferences.primarySiteId, Object.keys(config.sites).length]));
  }
  return signatures;
}
