/**
 * The `name` record of a configured store (its `nameId`), as the configuration authors it. An
 * Open mSupply site ignores a pulled `store` record whose `name_ID` it does not hold, for good
 * (translations/store.rs, "Name link not found"), so the central copy holds a name for every
 * configured store. Pure.
 *
 * Configuration-owned: `ID` (the store's `nameId`), `name`, `code` (the store's) and `type`
 * `store` (it is a store's name: central data, never a patient). Everything else is kept as
 * imported; a generated record takes the legacy "nothing" values of a facility name
 * (shared fixtures, legacy-records/name.json), as a customer and supplier so other stores can
 * trade with it. The fields the client cannot read a name without (translations/name.rs: no
 * serde default) are filled in where missing or of a type it cannot read.
 */
import type { RecordData } from '../legacy-fields';
import type { Store } from './model';

/** Fields the configuration decides. */
export function nameSyncFields(store: Store) {
  return { ID: store.nameId, name: store.name, code: store.code, type: 'store' };
}

const isText = (value: unknown) => typeof value === 'string';
const isFlag = (value: unknown) => typeof value === 'boolean';
const isDate = (value: unknown) => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value);
const isDateTimeOrNothing = (value: unknown) => value === '' || (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value));
const isGenderOrNothing = (value: unknown) => typeof value === 'string' && /^[A-Z_]*$/.test(value);

/** Fields translations/name.rs requires (no serde default), with a readable value and a check. */
const requiredByClient: ReadonlyArray<readonly [string, unknown, (value: unknown) => boolean]> = [
  ['customer', true, isFlag],
  ['supplier', true, isFlag],
  ['female', false, isFlag],
  ['manufacturer', false, isFlag],
  ['donor', false, isFlag],
  ['hold', false, isFlag],
  ['isDeceased', false, isFlag],
  ['supplying_store_id', '', isText],
  ['first', '', isText],
  ['last', '', isText],
  ['phone', '', isText],
  ['charge code', '', isText],
  ['comment', '', isText],
  ['country', '', isText],
  ['bill_address1', '', isText],
  ['bill_address2', '', isText],
  ['email', '', isText],
  ['url', '', isText],
  ['NEXT_OF_KIN_ID', '', isText],
  ['next_of_kin_relative', '', isText],
  ['national_health_number', '', isText],
  ['date_of_birth', '0000-00-00', isDate],
  ['created_date', '0000-00-00', isDate],
  ['om_created_datetime', '', isDateTimeOrNothing],
  ['om_gender', '', isGenderOrNothing],
];

/** The other fields of a legacy name record, with their "nothing" values: filled only when missing. */
export const legacyNameDefaults: Readonly<Record<string, unknown>> = {
  fax: '', margin: 0, currency_ID: '', freightfac: 0, custom1: '', title: '', overpayment: 0, group_ID: '',
  ship_address1: '', ship_address2: '', barcode: '', postal_address1: '', postal_address2: '', category1_ID: '',
  region_ID: '', price_category: '', flag: '', print_invoice_alphabetical: false, custom2: '', custom3: '',
  default_order_days: 0, connection_type: 0, PATIENT_PHOTO: '', POBOX: '', ZIP: 0, middle: '', preferred: false,
  Blood_Group: '', marital_status: '', Benchmark: false, mother_id: '', postal_address3: '', postal_address4: '',
  bill_address3: '', bill_address4: '', ship_address3: '', ship_address4: '', ethnicity_ID: '', occupation_ID: '',
  religion_ID: '', Master_RTM_Supplier_Code: 0, ordering_method: '', latitude: 0, longitude: 0,
  Master_RTM_Supplier_name: '', category2_ID: '', category3_ID: '', category4_ID: '', category5_ID: '',
  category6_ID: '', bill_address5: '', bill_postal_zip_code: '', postal_address5: '', postal_zip_code: '',
  ship_address5: '', ship_postal_zip_code: '', license_number: '', license_expiry: '0000-00-00',
  has_current_license: false, custom_data: null, maximum_credit: 0, nationality_ID: '', om_date_of_death: '',
  HSH_code: '', HSH_name: '',
};

/**
 * The name record the central copy must hold for `store`'s name: what was imported (if
 * anything) with the configuration's fields rewritten and the client's required fields readable.
 */
export function authoredNameRecord(store: Store, existing?: RecordData): Record<string, unknown> {
  const record: Record<string, unknown> = { ...legacyNameDefaults, ...(existing ?? {}) };
  for (const [field, fallback, readable] of requiredByClient) if (!readable(record[field])) record[field] = fallback;
  return { ...record, ...nameSyncFields(store) };
}

/** Does the stored name already say what the configuration says (and can the client read it)? */
export function nameRecordAgrees(store: Store, existing: RecordData | undefined): boolean {
  if (!existing) return false;
  const authored = authoredNameRecord(store, existing);
  return Object.keys(authored).every((field) => Object.is(authored[field], existing[field]));
}

