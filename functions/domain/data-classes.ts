/**
 * The data-class registry: every legacy table that travels, under its wire name, with its class
 * (who may edit it, where it goes) and how its owning / home / receiving store is found.
 *
 * Table-driven: special cases are `variants` (data), evaluated in order, first match wins; the
 * table's own entry is the default. Pure: lookups of other records are function parameters.
 * The reasons for each entry are in docs/data-classes.md.
 */
import { isRecordData, reference, type RecordData } from './legacy-fields';

export type { RecordData } from './legacy-fields';

export const dataClasses = ['central', 'centralStore', 'store', 'patient', 'local', 'sync', 'message'] as const;
export type DataClass = (typeof dataClasses)[number];

/**
 * - `dispensaryOnly`: central data sent only to sites with at least one active dispensary store.
 * - `dispensaryTransactional`: withheld from the central server and collectors when its store is
 *   a dispensary with "include transactions in sync" off.
 * - `keptCentrally`: accepted from a site and kept on the central server, forwarded nowhere.
 */
export const dataClassFlags = ['dispensaryOnly', 'dispensaryTransactional', 'keptCentrally'] as const;
export type DataClassFlag = (typeof dataClassFlags)[number];

/** How a record's owning (store data), home (patient data) or receiving (message) store is found. */
export type OwnerRule =
  | { readonly kind: 'store'; readonly field: string }
  | { readonly kind: 'parent'; readonly parentTable: string; readonly field: string }
  | { readonly kind: 'none' };

/** System-wide preferences set on the primary that change a table's class. */
export interface SystemPreferences {
  readonly centralisedProcurement?: boolean;
}

/** Returns another record's `recordData` by table and id, or undefined when it is not known. */
export type Lookup = (table: string, id: string) => RecordData | undefined;

/** A test on a field of a record: equal to a value, or equal to a field of the classified record. */
export type FieldTest =
  | { readonly field: string; readonly equals: string | number | boolean }
  | { readonly field: string; readonly equalsFieldOfRecord: string };

/** When a variant applies. */
export type Condition =
  /** Every test holds on the record itself. */
  | { readonly kind: 'record'; readonly tests: readonly FieldTest[] }
  /** A system preference is on. */
  | { readonly kind: 'systemPreference'; readonly name: keyof SystemPreferences }
  /** The record `via` points at (in `table`) exists and every test holds on it. */
  | { readonly kind: 'linked'; readonly via: string; readonly table: string; readonly tests: readonly FieldTest[] };

export interface Variant {
  readonly id: string;
  readonly when: Condition;
  readonly dataClass: DataClass;
  /** Defaults to the table's owner rule. */
  readonly owner?: OwnerRule;
  /** Defaults to the table's flags. */
  readonly flags?: readonly DataClassFlag[];
  readonly note: string;
}

export interface TableRule {
  readonly dataClass: DataClass;
  readonly owner: OwnerRule;
  readonly flags?: readonly DataClassFlag[];
  readonly variants?: readonly Variant[];
  readonly note: string;
}

const none: OwnerRule = { kind: 'none' };
const storeField = (field: string): OwnerRule => ({ kind: 'store', field });
const parent = (parentTable: string, field: string): OwnerRule => ({ kind: 'parent', parentTable, field });

const central = (note: string, flags?: readonly DataClassFlag[]): TableRule => ({
  dataClass: 'central',
  owner: none,
  ...(flags ? { flags } : {}),
  note,
});
const dispensaryCentral = (note: string) => central(note, ['dispensaryOnly']);
const storeData = (owner: OwnerRule, note: string, flags?: readonly DataClassFlag[]): TableRule => ({
  dataClass: 'store',
  owner,
  ...(flags ? { flags } : {}),
  note,
});
const transactional = (owner: OwnerRule, note: string) => storeData(owner, note, ['dispensaryTransactional']);

/** A patient's home store: the store it was created in. */
const patientHome = storeField('supplying_store_id');
/** A patient-related record's home store is its patient's. */
const viaPatient = (field: string) => parent('name', field);

/** Purchase orders follow the centralised-procurement switch. */
const centralisedProcurement: Variant = {
  id: 'centralisedProcurement',
  when: { kind: 'systemPreference', name: 'centralisedProcurement' },
  dataClass: 'centralStore',
  note: 'centralised procurement is on: edited on the primary for any store',
};

/**
 * The registry, keyed by the case-sensitive legacy wire name. Add a table by adding an entry.
 */
export const registry: Readonly<Record<string, TableRule>> = Object.freeze({
  // ---- central: edited on the primary, sent to every site
  item: central('items'),
  item_category: central('item categories'),
  item_category_level1: central('item categories'),
  item_category_level2: central('item categories'),
  unit: central('units'),
  barcode: central('barcodes'),
  currency: central('currencies'),
  list_master: central('item master lists'),
  list_master_line: central('item master list lines'),
  list_master_name_join: central('master list made available to a name (item master lists and programmes)'),
  period: central('periods'),
  periodSchedule: central('period schedules'),
  options: central('options (reasons)'),
  Location_type: central('location types'),
  warning: central('warnings'),
  item_warning_link: central('item warnings'),
  name_tag: central('name tags'),
  name_tag_join: central('name-related: tags'),
  contact: central('name-related: contacts'),
  ship_method: central('shipping methods'),
  program_indicator: central('regimens and indicators'),
  indicator_attribute: central('regimens and indicators'),
  vaccine_vial_monitor_status: central('vaccine settings'),
  name: {
    dataClass: 'central',
    owner: none,
    note: 'names except patients',
    variants: [
      {
        id: 'patient',
        when: { kind: 'record', tests: [{ field: 'type', equals: 'patient' }] },
        dataClass: 'patient',
        owner: patientHome,
        note: 'a patient: edited on its home site (home store = supplying_store_id)',
      },
    ],
  },

  // ---- central, dispensary data: only to sites with an active dispensary store
  abbreviation: dispensaryCentral('abbreviations'),
  item_direction: dispensaryCentral('item directions'),
  insuranceProvider: dispensaryCentral('insurance providers'),
  diagnosis: dispensaryCentral('diagnoses'),

  // ---- central store: edited on the primary, sent to the store's active site
  store: { dataClass: 'centralStore', owner: storeField('ID'), note: 'the store record itself' },
  item_store_join: { dataClass: 'centralStore', owner: storeField('store_ID'), note: 'visibility of items' },
  name_store_join: {
    dataClass: 'centralStore',
    owner: storeField('store_ID'),
    note: 'visibility of names and of existing patients',
    variants: [
      {
        id: 'newPatientVisibility',
        when: {
          kind: 'linked',
          via: 'name_ID',
          table: 'name',
          tests: [
            { field: 'type', equals: 'patient' },
            { field: 'supplying_store_id', equalsFieldOfRecord: 'store_ID' },
          ],
        },
        dataClass: 'patient',
        note: "a patient's visibility in its own home store: created with the patient on its home site",
      },
    ],
  },
  clinician_store_join: {
    dataClass: 'centralStore',
    owner: storeField('store_ID'),
    note: 'visibility of existing prescribers',
    variants: [
      {
        id: 'newPrescriberVisibility',
        when: {
          kind: 'linked',
          via: 'prescriber_ID',
          table: 'clinician',
          tests: [{ field: 'store_ID', equalsFieldOfRecord: 'store_ID' }],
        },
        dataClass: 'patient',
        note: "a prescriber's visibility in its own home store: created with the prescriber on its home site",
      },
    ],
  },
  pref: {
    dataClass: 'local',
    owner: storeField('store_ID'),
    note: 'non-store preferences are local',
    variants: [
      {
        id: 'storePreferences',
        when: { kind: 'record', tests: [{ field: 'item', equals: 'store_preferences' }] },
        dataClass: 'centralStore',
        note: 'store preferences (non-sync ones): edited on the primary',
      },
    ],
  },

  // ---- store: edited where the store is active, sent to collectors (always the central server)
  transact: transactional(storeField('store_ID'), 'transactions and prescriptions'),
  trans_line: transactional(parent('transact', 'transaction_ID'), 'transaction lines'),
  item_line: transactional(storeField('store_ID'), 'stock lines'),
  Stock_take: transactional(storeField('store_ID'), 'stocktakes'),
  Stock_take_lines: transactional(parent('Stock_take', 'stock_take_ID'), 'stocktake lines'),
  requisition: storeData(storeField('store_ID'), 'requisitions and customer stock history'),
  requisition_line: storeData(parent('requisition', 'requisition_ID'), 'requisition lines'),
  purchase_order: { ...storeData(storeField('store_ID'), 'purchase orders'), variants: [centralisedProcurement] },
  purchase_order_line: {
    ...storeData(storeField('store_ID'), 'purchase order lines'),
    variants: [centralisedProcurement],
  },
  Goods_received: storeData(storeField('store_ID'), 'goods received'),
  Goods_received_line: storeData(parent('Goods_received', 'goods_received_ID'), 'goods received lines'),
  Location: storeData(storeField('store_ID'), 'locations'),
  location_movement: storeData(storeField('store_ID'), 'stock movements between locations'),
  vaccine_vial_monitor_status_log: storeData(storeField('store_ID'), 'vaccine monitor readings'),
  sensor: storeData(storeField('storeID'), 'sensors'),
  temperature_log: storeData(storeField('store_ID'), 'temperature logs'),
  temperature_breach: storeData(storeField('store_ID'), 'temperature breaches'),
  indicator_value: storeData(storeField('store_ID'), 'indicator values'),
  om_activity_log: storeData(storeField('store_ID'), "activity log of a store's records"),
  user: storeData(none, 'new users: sent to the central server, kept there', ['keptCentrally']),

  // ---- patient: edited on the home site, sent to the central server and where the patient is visible
  nameInsuranceJoin: { dataClass: 'patient', owner: viaPatient('nameID'), note: 'insurance policies' },
  clinician: { dataClass: 'patient', owner: storeField('store_ID'), note: 'prescribers (home store = store_ID)' },
  om_encounter: { dataClass: 'patient', owner: viaPatient('name_ID'), note: 'patient encounters' },
  om_vaccination: { dataClass: 'patient', owner: viaPatient('name_ID'), note: 'vaccinations' },
  om_document: { dataClass: 'patient', owner: viaPatient('owner_name_ID'), note: 'patient documents' },

  // ---- local: never synced; a pushed one is refused
  om_user_permission: { dataClass: 'local', owner: storeField('store_ID'), note: 'user permissions' },

  // ---- message: to the receiving store's active site
  message: { dataClass: 'message', owner: storeField('toStoreID'), note: 'messages (receiving store)' },
});

/** Every registered wire table name, sorted. */
export function registeredTables(): string[] {
  return Object.keys(registry).sort();
}

/** The table's rule, or undefined for a table the registry does not know (case-sensitive). */
export function tableRule(tableName: string): TableRule | undefined {
  return Object.hasOwn(registry, tableName) ? registry[tableName] : undefined;
}

export interface LinkRef {
  readonly table: string;
  readonly id: string;
}

export type Classification =
  | {
      readonly kind: 'known';
      readonly table: string;
      readonly dataClass: DataClass;
      readonly owner: OwnerRule;
      readonly flags: readonly DataClassFlag[];
      /** `default` or the id of the variant that matched. */
      readonly rule: string;
      /**
       * Records a variant needed that the lookup did not have (or no lookup was given): the
       * default applied. A caller with asynchronous storage fetches them and classifies again.
       */
      readonly unresolved: readonly LinkRef[];
    }
  | { readonly kind: 'unknown'; readonly table: string };

type TestOutcome = boolean | LinkRef;

function fieldTestHolds(test: FieldTest, subject: RecordData, record: RecordData): boolean {
  const actual = subject[test.field];
  if ('equals' in test) return actual === test.equals;
  const expected = reference(record, test.equalsFieldOfRecord);
  return expected !== undefined && reference(subject, test.field) === expected;
}

function evaluate(
  condition: Condition,
  record: RecordData,
  prefs: SystemPreferences,
  lookup: Lookup | undefined,
): TestOutcome {
  switch (condition.kind) {
    case 'record':
      return condition.tests.every((t) => fieldTestHolds(t, record, record));
    case 'systemPreference':
      return prefs[condition.name] === true;
    case 'linked': {
      const id = reference(record, condition.via);
      if (id === undefined) return false;
      const linked = lookup?.(condition.table, id);
      if (linked === undefined) return { table: condition.table, id };
      return condition.tests.every((t) => fieldTestHolds(t, linked, record));
    }
  }
}

/**
 * Classifies one record. `recordData` is the whole record (for a delete or merge, pass the
 * stored version: see `classifyWireRecord`). An unknown table is `{ kind: 'unknown' }`, to be
 * refused and kept like any other unauthorised record.
 */
export function classify(
  tableName: string,
  recordData: unknown,
  prefs: SystemPreferences = {},
  lookup?: Lookup,
): Classification {
  const rule = tableRule(tableName);
  if (!rule) return { kind: 'unknown', table: tableName };
  const record: RecordData = isRecordData(recordData) ? recordData : {};
  const unresolved: LinkRef[] = [];
  for (const variant of rule.variants ?? []) {
    const outcome = evaluate(variant.when, record, prefs, lookup);
    if (outcome === true) {
      return {
        kind: 'known',
        table: tableName,
        dataClass: variant.dataClass,
        owner: variant.owner ?? rule.owner,
        flags: variant.flags ?? rule.flags ?? [],
        rule: variant.id,
        unresolved,
      };
    }
    if (outcome !== false) unresolved.push(outcome);
  }
  return {
    kind: 'known',
    table: tableName,
    dataClass: rule.dataClass,
    owner: rule.owner,
    flags: rule.flags ?? [],
    rule: 'default',
    unresolved,
  };
}

/** A record as the classifier needs it. */
export interface ClassifiableRecord {
  readonly tableName: string;
  readonly recordData?: unknown;
}

/** A record on the wire, with its action (already lower case). */
export interface ClassifiableWireRecord extends ClassifiableRecord {
  readonly recordId: string;
  readonly action: 'insert' | 'update' | 'delete' | 'merge';
}

/**
 * The data a wire record is classified by: its own `recordData` for an upsert; for a delete the
 * stored record (`lookup(table, recordId)`); for a merge the stored record that is kept
 * (`mergeIdToKeep`). Falls back to the wire data when the stored record is unknown.
 */
export function classificationSubject(record: ClassifiableWireRecord, lookup?: Lookup): RecordData {
  const own = isRecordData(record.recordData) ? record.recordData : {};
  if (record.action === 'delete') return lookup?.(record.tableName, record.recordId) ?? own;
  if (record.action === 'merge') {
    const keep = reference(own, 'mergeIdToKeep');
    return (keep !== undefined ? lookup?.(record.tableName, keep) : undefined) ?? own;
  }
  return own;
}

/** Classifies a wire record (any action), reading deletes and merges through the stored record. */
export function classifyWireRecord(
  record: ClassifiableWireRecord,
  prefs: SystemPreferences = {},
  lookup?: Lookup,
): Classification {
  return classify(record.tableName, classificationSubject(record, lookup), prefs, lookup);
}

export type OwnerResolution =
  /** The owning / home / receiving store, and the parents walked to find it (nearest first). */
  | { readonly kind: 'store'; readonly storeId: string; readonly via: readonly LinkRef[] }
  /** The class has no owning store (central data, kept-centrally data). */
  | { readonly kind: 'none' }
  /** The table is not registered. */
  | { readonly kind: 'unknown'; readonly table: string }
  /** The store field, or a parent link on the way, is empty. */
  | { readonly kind: 'noReference'; readonly table: string; readonly field: string }
  /** A parent on the way is not known to the lookup (fetch it and resolve again). */
  | { readonly kind: 'parentNotFound'; readonly table: string; readonly id: string }
  /** Parent links go deeper than any registered chain (a cycle in the data). */
  | { readonly kind: 'tooDeep'; readonly via: readonly LinkRef[] };

const maxParentDepth = 4;

/**
 * Finds the store that owns a record (store data), its home store (patient data) or its
 * receiving store (message), following parent links through `lookupParent`.
 */
export function resolveOwningStore(
  record: ClassifiableRecord,
  lookupParent: Lookup,
  prefs: SystemPreferences = {},
): OwnerResolution {
  const via: LinkRef[] = [];
  let table = record.tableName;
  let data: unknown = record.recordData;
  for (;;) {
    const classification = classify(table, data, prefs, lookupParent);
    if (classification.kind === 'unknown') return { kind: 'unknown', table };
    const { owner } = classification;
    if (owner.kind === 'none') return { kind: 'none' };
    const subject = isRecordData(data) ? data : {};
    const id = reference(subject, owner.field);
    if (id === undefined) return { kind: 'noReference', table, field: owner.field };
    if (owner.kind === 'store') return { kind: 'store', storeId: id, via };
    if (via.length >= maxParentDepth) return { kind: 'tooDeep', via };
    const parentData = lookupParent(owner.parentTable, id);
    if (parentData === undefined) return { kind: 'parentNotFound', table: owner.parentTable, id };
    via.push({ table: owner.parentTable, id });
    table = owner.parentTable;
    data = parentData;
  }
}

/** Registered tables of a class (by their default rule), sorted. */
export function tablesOfClass(dataClass: DataClass): string[] {
  return registeredTables().filter((t) => registry[t]?.dataClass === dataClass);
}

/** Registered tables carrying a flag (by their default rule), sorted. */
export function tablesWithFlag(flag: DataClassFlag): string[] {
  return registeredTables().filter((t) => registry[t]?.flags?.includes(flag));
}
