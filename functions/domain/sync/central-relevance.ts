/**
 * Which central records a remote site holds (docs/central-data.md): not the whole central log,
 * but what its stores can use, closed under references so that whatever a record the site holds
 * points at, the site holds too. Pure: the configuration gives the site's view (built once per
 * configuration and site), central data the site's lists and the few records a rule reads.
 *
 * Everything is decided on the record's own data plus:
 * - `view`: names the site holds, names of its own stores (from the configuration);
 * - `lists`: master lists joined to its own stores' names (from `list_master_name_join`);
 * - `lookup`: a barcode's manufacturer (the `name` record), fetched by the caller.
 */
import { reference, type RecordData } from '../legacy-fields';
import type { SyncConfig } from '../config/model';
import { activeStoresOnSite, getStore, namesVisibleIn, storesOnSite } from '../config/queries';
import type { SyncAction } from '../ports';

/** What the configuration says about one site's central data. */
export interface SiteCentralView {
  /** The primary holds every central record (it is where central data is edited); so does a site holding no store yet. */
  readonly everything: boolean;
  /** The names of the stores whose lists the site uses: stores active or collected on it. */
  readonly ownStoreNameIds: ReadonlySet<string>;
  /** Every name the site holds: its stores' own names (any instance), and names visible in its active or collected stores. */
  readonly heldNameIds: ReadonlySet<string>;
}

const views = new WeakMap<SyncConfig, Map<number, SiteCentralView>>();
/**
 * Views kept per configuration: a function serving or routing for a whole fleet would otherwise
 * keep one per site it ever met (tens of thousands of name sets); the least recently used goes.
 */
export const MAX_CACHED_VIEWS = 2_000;

/** The site's view, built once per configuration (configurations are immutable) and site while cached. */
export function siteCentralView(config: SyncConfig, siteId: number): SiteCentralView {
  let bySite = views.get(config);
  if (!bySite) views.set(config, (bySite = new Map()));
  let view = bySite.get(siteId);
  if (view) {
    // Most recently used last: a Map iterates in insertion order.
    bySite.delete(siteId);
    bySite.set(siteId, view);
    return view;
  }
  bySite.set(siteId, (view = buildView(config, siteId)));
  if (bySite.size > MAX_CACHED_VIEWS) bySite.delete(bySite.keys().next().value!);
  return view;
}

function buildView(config: SyncConfig, siteId: number): SiteCentralView {
  const own = new Set<string>();
  const held = new Set<string>();
  for (const { storeId, type } of storesOnSite(config, siteId)) {
    const store = getStore(config, storeId);
    if (!store) continue;
    held.add(store.nameId);
    if (type !== 'active' && type !== 'collector') continue;
    own.add(store.nameId);
    for (const nameId of namesVisibleIn(config, storeId)) held.add(nameId);
  }
  // A store active on the site is always its own, whatever the holders index says.
  for (const store of activeStoresOnSite(config, siteId)) {
    own.add(store.nameId);
    held.add(store.nameId);
  }
  // A site holding no store has nothing to filter by (and no record of its own to move its cursor with).
  const everything = config.preferences.primarySiteId === siteId || held.size === 0;
  return { everything, ownStoreNameIds: own, heldNameIds: held };
}

/** Central tables kept per site, by the field naming the record that decides (see `holdsCentral`). */
const byName: Readonly<Record<string, string>> = { list_master_name_join: 'name_ID', name_tag_join: 'name_ID', contact: 'name_ID' };
const BARCODE_MANUFACTURER = 'manufacturerID';

/** Does the name's own data make it a manufacturer (barcodes name them)? */
export const isManufacturer = (data: RecordData | undefined): boolean => data?.manufacturer === true;

/** mSupply's system names: every store's inventory adjustments, repacks and builds are made out to them. */
const SYSTEM_NAME_TYPES: ReadonlySet<unknown> = new Set(['invad', 'repack', 'build']);

/** A name every site holds: a manufacturer or a system name. */
export const isEveryonesName = (data: RecordData | undefined): boolean => isManufacturer(data) || SYSTEM_NAME_TYPES.has(data?.type);

/**
 * The record a central record hangs under (its `byParent` key): a master list's line, a name's
 * joins, and a barcode under its manufacturer, so a name made visible later brings the barcodes
 * the site could not hold without it.
 */
export function centralParentOf(tableName: string, data: RecordData | undefined): { table: string; id: string } | undefined {
  if (tableName === 'list_master_line') {
    const id = reference(data, 'item_master_ID');
    return id === undefined ? undefined : { table: 'list_master', id };
  }
  const field = tableName === 'barcode' ? BARCODE_MANUFACTURER : Object.hasOwn(byName, tableName) ? byName[tableName]! : undefined;
  const id = field === undefined ? undefined : reference(data, field);
  return id === undefined ? undefined : { table: 'name', id };
}

/** The master lists joined to the site's own stores' names, from `list_master_name_join` records. */
export function listsOfOwnStores(view: SiteCentralView, joins: Iterable<{ readonly action: SyncAction; readonly recordData?: RecordData }>): Set<string> {
  const lists = new Set<string>();
  for (const join of joins) {
    if (join.action === 'delete' || join.action === 'merge') continue;
    const nameId = reference(join.recordData, 'name_ID');
    const listId = reference(join.recordData, 'list_master_ID');
    if (nameId !== undefined && listId !== undefined && view.ownStoreNameIds.has(nameId)) lists.add(listId);
  }
  return lists;
}

export interface CentralRecordRef {
  readonly tableName: string;
  readonly recordId: string;
  readonly action: SyncAction;
  readonly recordData?: RecordData;
}

/** The name a barcode's rule reads (its manufacturer), when the site's view alone cannot decide. */
export function centralLookupNeeded(view: SiteCentralView, record: CentralRecordRef): string | undefined {
  if (view.everything || record.tableName !== 'barcode' || record.action === 'delete' || record.action === 'merge') return undefined;
  const manufacturer = reference(record.recordData, BARCODE_MANUFACTURER);
  return manufacturer !== undefined && !view.heldNameIds.has(manufacturer) ? manufacturer : undefined;
}

/**
 * Does the site hold this central record? Deletes and merges go to every site (small, and a site
 * may hold the record from before); the rest per table as in docs/central-data.md. `lookupName`
 * answers for the name `centralLookupNeeded` asked for (undefined: not held centrally).
 */
export function holdsCentral(
  view: SiteCentralView,
  lists: ReadonlySet<string>,
  record: CentralRecordRef,
  lookupName: (nameId: string) => RecordData | undefined = () => undefined,
): boolean {
  if (view.everything || record.action === 'delete' || record.action === 'merge') return true;
  const data = record.recordData;
  switch (record.tableName) {
    case 'name':
      return view.heldNameIds.has(record.recordId) || isEveryonesName(data);
    case 'list_master_line': {
      const listId = reference(data, 'item_master_ID');
      return listId !== undefined && lists.has(listId);
    }
    case 'barcode': {
      const manufacturer = reference(data, BARCODE_MANUFACTURER);
      if (manufacturer === undefined || view.heldNameIds.has(manufacturer)) return true;
      const name = lookupName(manufacturer);
      // A manufacturer the central server does not hold dangles everywhere alike: the barcode still travels.
      return name === undefined || isEveryonesName(name);
    }
    default: {
      const field = Object.hasOwn(byName, record.tableName) ? byName[record.tableName]! : undefined;
      if (field === undefined) return true;
      const nameId = reference(data, field);
      return nameId !== undefined && view.heldNameIds.has(nameId);
    }
  }
}

/**
 * Fields of store data the client resolves to a name it must hold (an invoice's, requisition's or
 * purchase order's other party; a stock line's supplier; a line's donor or manufacturer). Store
 * data points at names visible in its store when it is made, but a name hidden later is not held
 * by a site that comes to hold the store afterwards, while the store's old records naming it are.
 */
const STORE_NAME_REFERENCES: Readonly<Record<string, readonly string[]>> = {
  transact: ['name_ID'],
  requisition: ['name_ID'],
  purchase_order: ['name_ID'],
  item_line: ['name_ID', 'donor_id', 'manufacturer_ID'],
  trans_line: ['donor_id', 'manufacturer_ID'],
  Stock_take_lines: ['donor_ID', 'manufacturer_ID'],
};

/** Whether records of this table point at names a site may not hold (cheap: no view needed). */
export const pointsAtStoreNames = (tableName: string): boolean => Object.hasOwn(STORE_NAME_REFERENCES, tableName);

/** The names a record sent to the site points at that its view does not hold (they travel with it). */
export function namesNotHeld(view: SiteCentralView, record: { readonly tableName: string; readonly recordData?: RecordData }): string[] {
  const fields = pointsAtStoreNames(record.tableName) ? STORE_NAME_REFERENCES[record.tableName]! : [];
  if (view.everything || fields.length === 0) return [];
  const names: string[] = [];
  for (const field of fields) {
    const nameId = reference(record.recordData, field);
    if (nameId !== undefined && !view.heldNameIds.has(nameId) && !names.includes(nameId)) names.push(nameId);
  }
  return names;
}
