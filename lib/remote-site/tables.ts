/**
 * What the client knows about tables, from its translations and change log: which store a
 * change belongs to (`changelog.store_id`, written per table by the repository), which tables it
 * pushes to the Open mSupply central server, the integration order, and when a pulled `store`
 * record is integrated at all (`translations/store.rs`). Active stores: `sync/mod.rs`.
 */
import type { SiteState } from './state';

type Lookup = (tableName: string, recordId: string) => Record<string, unknown> | undefined;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

/** Tables whose change log entry carries the record's own store field. */
const storeField: Readonly<Record<string, string>> = {
  transact: 'store_ID',
  item_line: 'store_ID',
  Stock_take: 'store_ID',
  requisition: 'store_ID',
  purchase_order: 'store_ID',
  purchase_order_line: 'store_ID',
  Goods_received: 'store_ID',
  Location: 'store_ID',
  location_movement: 'store_ID',
  name_store_join: 'store_ID',
  item_store_join: 'store_ID',
  indicator_value: 'store_ID',
  om_activity_log: 'store_ID',
  temperature_log: 'store_ID',
  temperature_breach: 'store_ID',
  vaccine_vial_monitor_status_log: 'store_ID',
  sensor: 'storeID',
  store: 'ID',
};

/** Lines: the store of their header (e.g. `invoice_line_row.rs`, `stocktake_line_row.rs`). */
const parentLink: Readonly<Record<string, { table: string; field: string }>> = {
  trans_line: { table: 'transact', field: 'transaction_ID' },
  Stock_take_lines: { table: 'Stock_take', field: 'stock_take_ID' },
  requisition_line: { table: 'requisition', field: 'requisition_ID' },
  Goods_received_line: { table: 'Goods_received', field: 'goods_received_ID' },
};

/**
 * The store of a change, or null (names, clinicians, messages and central data carry none: they
 * are pushed whatever the site's stores, see `sync_message_row.rs`, `clinician_row.rs`).
 */
export function changeStore(tableName: string, data: Record<string, unknown> | undefined, lookup: Lookup): string | null {
  const field = storeField[tableName];
  if (field !== undefined) return text(data?.[field]) ?? null;
  const parent = parentLink[tableName];
  if (parent === undefined) return null;
  const parentId = text(data?.[parent.field]);
  if (parentId === undefined) return null;
  return text(lookup(parent.table, parentId)?.store_ID) ?? null;
}

/** Tables pushed to the Open mSupply central server too (translations with PushToOmSupplyCentral). */
export const v6PushTables: ReadonlySet<string> = new Set([
  'name',
  'name_store_join',
  'asset',
  'asset_internal_location',
  'asset_log',
  'contact_form',
  'name_oms_fields',
  'plugin_data',
  'rnr_form',
  'rnr_form_line',
  'sync_file_reference',
  'system_log',
  'vaccination',
  'vaccine_course',
  'vaccine_course_dose',
  'vaccine_course_item',
  'vaccine_course_store_config',
]);

/** Integration order (pull dependencies): a store after its name, a line after its header. */
const dependencyRank: Readonly<Record<string, number>> = {
  name: 0,
  store: 1,
  transact: 2,
  requisition: 2,
  Stock_take: 2,
  Goods_received: 2,
  purchase_order: 2,
};
export const integrationRank = (tableName: string) => dependencyRank[tableName] ?? 3;

const storeModes = new Set(['store', 'dispensary']);
const isI32 = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31;

/**
 * Why a pulled `store` record is not integrated, or undefined when it is: the fields the client
 * reads must parse, system stores (HIS, DRG, SM) and stores without a name are ignored, and the
 * store's name must already be held (`translations/store.rs`).
 */
export function storeNotIntegrated(data: unknown, lookup: Lookup): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'not an object';
  const record = data as Record<string, unknown>;
  for (const field of ['ID', 'name_ID', 'code', 'logo', 'created_date']) {
    if (typeof record[field] !== 'string') return `${field} is not a string`;
  }
  if (!isI32(record.sync_id_remote_site)) return 'sync_id_remote_site is not a 32-bit integer';
  if (!storeModes.has(record.store_mode as string)) return 'store_mode is neither store nor dispensary';
  if (typeof record.disabled !== 'boolean') return 'disabled is not a boolean';
  if (['HIS', 'DRG', 'SM'].includes(record.code as string)) return 'a system store';
  if (record.name_ID === '') return 'the store has no name';
  if (lookup('name', record.name_ID as string) === undefined) return `its name ${record.name_ID as string} is not held`;
  return undefined;
}

/** `ActiveStoresOnSite`: held stores whose `sync_id_remote_site` is this site's id. */
export function activeStoreIds(state: SiteState): string[] {
  if (state.siteId === null) return [];
  return state
    .heldRecords('store')
    .filter((store) => store.recordData.sync_id_remote_site === state.siteId)
    .map((store) => store.recordId);
}
