/** Records from the shared legacy fixtures, copied (never edited in place) and adapted to a test. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const LEGACY_FIXTURES_DIR = path.join(__dirname, '..', '..', '..', 'shared', 'fixtures', 'legacy-records');

export interface LegacyRecord {
  tableName: string;
  recordId: string;
  action: 'insert' | 'update' | 'delete' | 'merge';
  recordData: Record<string, unknown>;
}

/** The fixture records of a table (fresh copies on every call). */
export function legacyRecords(table: string): LegacyRecord[] {
  return JSON.parse(readFileSync(path.join(LEGACY_FIXTURES_DIR, `${table}.json`), 'utf8')) as LegacyRecord[];
}

/** The first fixture record of a table, with its id and fields replaced. */
export function legacyRecord(table: string, id: string, fields: Record<string, unknown> = {}, index = 0): LegacyRecord {
  const record = legacyRecords(table)[index];
  if (!record) throw new Error(`No fixture record ${index} of ${table}`);
  return { tableName: table, recordId: id, action: 'update', recordData: { ...record.recordData, ID: id, ...fields } };
}
