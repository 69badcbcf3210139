/**
 * Reading fields of records in mSupply's legacy sync format. Pure: no I/O.
 *
 * Legacy conventions: an empty string means "no reference", `"0000-00-00"` means "no date",
 * reference field names vary (`store_ID`, `storeID`, `store_id`, ...).
 */

/** A record's `recordData`: the whole record in the legacy field format. */
export type RecordData = Readonly<Record<string, unknown>>;

/** True for a plain JSON object (not null, not an array). */
export function isRecordData(value: unknown): value is RecordData {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The id a legacy reference field points at, or undefined when the field is absent, null,
 * not a string or a number, or empty/blank (the legacy way of saying "no reference").
 * Numeric ids are returned as their decimal string.
 */
export function reference(record: RecordData | undefined, field: string): string | undefined {
  if (!record || !Object.hasOwn(record, field)) return undefined;
  const value = record[field];
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  return value.trim() === '' ? undefined : value;
}

/** A legacy date field as `YYYY-MM-DD`, or undefined for empty / `"0000-00-00"` / absent. */
export function legacyDate(record: RecordData | undefined, field: string): string | undefined {
  const value = reference(record, field);
  if (value === undefined || value.startsWith('0000-00-00')) return undefined;
  return value;
}

/** The record's own primary key (`ID`), if present. */
export function recordId(record: RecordData | undefined): string | undefined {
  return reference(record, 'ID');
}
