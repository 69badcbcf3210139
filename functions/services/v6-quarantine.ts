/**
 * Refused v6 records as quarantine items: one per record (more for a record too large for one
 * item), keyed by a digest of the record as pushed with its cursor, so a batch sent again
 * refuses into the same items.
 */
import { createHash } from 'node:crypto';
import type { QuarantinedRecord } from '../domain/ports';

/** Largest JSON text kept in one item; longer records are kept in parts (the store cuts at 100,000). */
export const MAX_TEXT_PER_ITEM = 90_000;
/** Characters per part: JSON-escaping a part at most doubles it, so a part fits one item. */
const PART_CHARACTERS = 45_000;

/** JSON with object keys sorted, so the same record always has the same digest. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, child]) => child !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Names a pushed record (with its cursor): the same record sent again has the same digest. */
export const v6RecordDigest = (raw: unknown): string => `v6-${createHash('sha256').update(canonicalJson(raw)).digest('hex').slice(0, 40)}`;

export interface RefusedV6Record {
  readonly raw: unknown;
  readonly tableName: string;
  readonly recordId: string;
  readonly action: string;
  readonly reason: string;
  readonly message: string;
}

export function v6QuarantineItems(siteId: number, refused: readonly RefusedV6Record[], receivedAt: string): QuarantinedRecord[] {
  return refused.flatMap(({ raw, ...item }) => {
    const json = canonicalJson(raw);
    const changeId = v6RecordDigest(raw);
    if (json.length <= MAX_TEXT_PER_ITEM) return [{ siteId, changeId, ...item, receivedAt, raw }];
    const parts = Math.ceil(json.length / PART_CHARACTERS);
    return Array.from({ length: parts }, (_, i) => ({
      siteId,
      changeId: `${changeId}-part-${i + 1}-of-${parts}`,
      ...item,
      message: `${item.message} Part ${i + 1} of ${parts}: the record is ${json.length} characters of JSON; join the parts' text in order to read it.`,
      receivedAt,
      raw: { part: i + 1, parts, text: json.slice(i * PART_CHARACTERS, (i + 1) * PART_CHARACTERS) },
    }));
  });
}
