/**
 * The sync v6 table registry: every table an Open mSupply site pushes or pulls over the Open
 * mSupply central API, and who owns each record. Written from the client's translations
 * (`server/service/src/sync/translations/<file>`: `table_name`, `should_translate_to_sync_record`
 * with `PullFromOmSupplyCentral` / `PushToOmSupplyCentral`) and the central's change log
 * (`server/repository/src/db_diesel/changelog/changelog.rs`: `sync_style`, and each row
 * repository's `insert_changelog`, which names the store). Pure data; docs/sync-v6.md has the table.
 */

/** How a record of a table finds its owner. */
export type V6Owner =
  /** Central data: edited on the central server (admin import) only; every site pulls it. */
  | { readonly kind: 'central' }
  /**
   * Store data owned by the store named in `field`. With `nullIsCentral`, a record without a
   * store is central data (plugin_data, preference: "global data synced to all stores"); without
   * it, a record without a store is kept centrally and sent nowhere (an asset not in a store).
   */
  | { readonly kind: 'store'; readonly field: string; readonly nullIsCentral?: boolean }
  /** Store data owned through a v6 parent record: the parent's store. */
  | { readonly kind: 'parent'; readonly parentTable: string; readonly field: string }
  /**
   * Patient data: edited by the site of the store in `storeField` (where it was recorded), sent
   * to that store's site and to every site with an active store in which the patient is visible.
   */
  | { readonly kind: 'patient'; readonly storeField: string; readonly patientField: string }
  /** Owned as its legacy `name` record (same id): a patient's by its home site, a store's by its site, other names centrally. */
  | { readonly kind: 'name' }
  /** Owned as the record it references (`table_name`, `record_id`), v6 or legacy. */
  | { readonly kind: 'referenced'; readonly tableField: string; readonly idField: string }
  /** Sent by sites to the central server only, never to any site (`RemoteToCentral`). */
  | { readonly kind: 'toCentral'; readonly storeField?: string }
  /** Pushed over v6 as well as v5; the v5 copy is the one served (`sync.md`). */
  | { readonly kind: 'servedByV5' };

export interface V6Table {
  readonly table: string;
  readonly owner: V6Owner;
  /** Sites pull it from the central server (`PullFromOmSupplyCentral`). */
  readonly pulled: boolean;
  /** Sites push it (`PushToOmSupplyCentral`). */
  readonly pushed: boolean;
  /** The client's translation file that shows it. */
  readonly source: string;
}

const central = (table: string, source: string, pushed = false): V6Table => ({ table, owner: { kind: 'central' }, pulled: true, pushed, source });

export const v6Tables: readonly V6Table[] = [
  // Central data (sync style Central): every site pulls it; only the central server edits it.
  central('ancillary_item', 'ancillary_item.rs'),
  central('asset_catalogue_item', 'asset_catalogue_item.rs'),
  central('asset_catalogue_type', 'asset_catalogue_type.rs'),
  central('asset_category', 'asset_category.rs'),
  central('asset_class', 'asset_class.rs'),
  central('asset_log_reason', 'asset_log_reason.rs'),
  central('asset_property', 'asset_property.rs'),
  central('backend_plugin', 'backend_plugin.rs'),
  central('campaign', 'campaign.rs'),
  central('demographic', 'demographic.rs'),
  central('frontend_plugin', 'frontend_plugin.rs'),
  central('item_variant', 'item_variant.rs'),
  central('name_property', 'name_property.rs'),
  central('om_form_schema', 'om_form_schema.rs'),
  central('packaging_variant', 'packaging_variant.rs'),
  central('property', 'property.rs'),
  central('om_report', 'report.rs'),
  // Central too (sync style Central), though the translation also pushes them: a site's
  // change is refused (only the central server edits central data), as for v5 central data.
  central('vaccine_course', 'vaccine_course.rs', true),
  central('vaccine_course_dose', 'vaccine_course_dose.rs', true),
  central('vaccine_course_item', 'vaccine_course_item.rs', true),
  central('vaccine_course_store_config', 'vaccine_course_store_config.rs', true),
  // Store data (sync style Remote / RemoteAndCentral): the store's active site edits it.
  { table: 'asset', owner: { kind: 'store', field: 'store_id' }, pulled: true, pushed: true, source: 'asset.rs' },
  { table: 'asset_log', owner: { kind: 'parent', parentTable: 'asset', field: 'asset_id' }, pulled: true, pushed: true, source: 'asset_log.rs' },
  {
    table: 'asset_internal_location',
    owner: { kind: 'parent', parentTable: 'asset', field: 'asset_id' },
    pulled: true,
    pushed: true,
    source: 'asset_internal_location.rs',
  },
  { table: 'rnr_form', owner: { kind: 'store', field: 'store_id' }, pulled: true, pushed: true, source: 'rnr_form.rs' },
  { table: 'rnr_form_line', owner: { kind: 'parent', parentTable: 'rnr_form', field: 'rnr_form_id' }, pulled: true, pushed: true, source: 'rnr_form_line.rs' },
  { table: 'plugin_data', owner: { kind: 'store', field: 'store_id', nullIsCentral: true }, pulled: true, pushed: true, source: 'plugin_data.rs' },
  { table: 'preference', owner: { kind: 'store', field: 'store_id', nullIsCentral: true }, pulled: true, pushed: false, source: 'preference.rs' },
  // Patient data.
  { table: 'vaccination', owner: { kind: 'patient', storeField: 'store_id', patientField: 'patient_id' }, pulled: true, pushed: true, source: 'vaccination.rs' },
  { table: 'name_oms_fields', owner: { kind: 'name' }, pulled: true, pushed: true, source: 'name_oms_fields.rs' },
  {
    table: 'sync_file_reference',
    owner: { kind: 'referenced', tableField: 'table_name', idField: 'record_id' },
    pulled: true,
    pushed: true,
    source: 'sync_file_reference.rs',
  },
  // To the central server only.
  { table: 'contact_form', owner: { kind: 'toCentral', storeField: 'store_id' }, pulled: false, pushed: true, source: 'contact_form.rs' },
  { table: 'system_log', owner: { kind: 'toCentral' }, pulled: false, pushed: true, source: 'system_log.rs' },
  // Pushed over both APIs "for cross site patient details sharing"; v5 serves them.
  { table: 'name', owner: { kind: 'servedByV5' }, pulled: false, pushed: true, source: 'name.rs' },
  { table: 'name_store_join', owner: { kind: 'servedByV5' }, pulled: false, pushed: true, source: 'name_store_join.rs' },
];

const byName: ReadonlyMap<string, V6Table> = new Map(v6Tables.map((entry) => [entry.table, entry]));

/** The registry entry of a v6 table; undefined for a table that never travels over v6. */
export const v6Table = (table: string): V6Table | undefined => byName.get(table);
