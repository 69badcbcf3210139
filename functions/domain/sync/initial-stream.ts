/**
 * A site's initialisation, served at pull time. `POST initialise` only records where the stream
 * starts; `GET queued_records` then reads the site's records straight from the central copy,
 * source by source, before its ordinary queue. So the first pull after a 2xx initialise already
 * brings everything the site must hold, however large it is and whatever the background
 * consumers are doing (the real client trusts a 2xx initialise and pulls at once).
 *
 * The stream's position is (source key, record key) and only moves forward when the site
 * acknowledges what it stored. Sources are recomputed from the configuration on every pull and
 * ordered by key, so a configuration change mid-stream never makes the stream go back.
 */
import type { SyncConfig } from '../config/model';
import { activeStoresOnSite, namesVisibleIn, storesOnSite } from '../config/queries';
import type { RecordSource } from '../ports';
import { DISPENSARY_ONLY_HOLDER } from './placement';
import { hasActiveDispensary } from './routing';

/** One index key to read, with the key that orders it among the site's sources. */
export interface StreamSource extends RecordSource {
  readonly key: string;
}

/** The last record the site acknowledged: in `sourceKey`, at `recordKey` (absent: before its first). */
export interface StreamPosition {
  readonly sourceKey: string;
  readonly recordKey?: string;
}

/** Every index key holding records the site may hold, ordered by key. */
export function streamSources(config: SyncConfig, siteId: number): StreamSource[] {
  const sources: StreamSource[] = [];
  for (const { storeId } of storesOnSite(config, siteId)) sources.push({ key: `s:${storeId}`, index: 'byStore', value: storeId });
  const patients = new Set(activeStoresOnSite(config, siteId).flatMap((store) => namesVisibleIn(config, store.id)));
  for (const patientId of patients) sources.push({ key: `p:${patientId}`, index: 'byPatient', value: patientId });
  if (hasActiveDispensary(config, siteId)) sources.push({ key: 'd:', index: 'byStore', value: DISPENSARY_ONLY_HOLDER });
  return sources.sort((a, b) => compareStrings(a.key, b.key));
}

/** Where reading resumes: each remaining source, and the record key to start after in the first. */
export function remainingSources(
  sources: readonly StreamSource[],
  position: StreamPosition | undefined,
): Array<{ source: StreamSource; afterRecordKey?: string }> {
  if (!position) return sources.map((source) => ({ source }));
  return sources
    .filter((source) => compareStrings(source.key, position.sourceKey) >= 0)
    .map((source) =>
      source.key === position.sourceKey && position.recordKey !== undefined ? { source, afterRecordKey: position.recordKey } : { source },
    );
}

/** Orders positions as the stream reads them; an absent record key comes first in its source. */
export function comparePositions(a: StreamPosition, b: StreamPosition): number {
  const bySource = compareStrings(a.sourceKey, b.sourceKey);
  if (bySource !== 0) return bySource;
  if (a.recordKey === b.recordKey) return 0;
  if (a.recordKey === undefined) return -1;
  if (b.recordKey === undefined) return 1;
  return compareKeys(a.recordKey, b.recordKey);
}

/** What a stream entry's syncOutId says: which initialisation, where it is, and whether it is the last. */
export interface StreamEntryId {
  readonly generation: string;
  readonly position: Required<StreamPosition>;
  readonly last: boolean;
}

const STREAM_ID_PREFIX = 'init.';

export function encodeStreamEntryId(entry: StreamEntryId): string {
  const body = [entry.generation, entry.position.sourceKey, entry.position.recordKey, entry.last ? 1 : 0];
  return STREAM_ID_PREFIX + Buffer.from(JSON.stringify(body)).toString('base64url');
}

export function decodeStreamEntryId(id: string): StreamEntryId | undefined {
  if (!id.startsWith(STREAM_ID_PREFIX)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(id.slice(STREAM_ID_PREFIX.length), 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 4) return undefined;
    const [generation, sourceKey, recordKey, last] = value as unknown[];
    if (typeof generation !== 'string' || typeof sourceKey !== 'string' || typeof recordKey !== 'string') return undefined;
    return { generation, position: { sourceKey, recordKey }, last: last === 1 };
  } catch {
    return undefined;
  }
}

export const isStreamEntryId = (id: string): boolean => id.startsWith(STREAM_ID_PREFIX);

/**
 * Where the stream stands after the site acknowledged `ids`: the furthest acknowledged entry of
 * the current generation, or `done` when that entry was the stream's last. Undefined: no move.
 */
export function positionAfterAcknowledging(
  generation: string,
  current: StreamPosition | undefined,
  ids: readonly string[],
): { position: StreamPosition; done: boolean } | undefined {
  let furthest: StreamEntryId | undefined;
  for (const id of ids) {
    const entry = decodeStreamEntryId(id);
    if (!entry || entry.generation !== generation) continue;
    if (!furthest || comparePositions(entry.position, furthest.position) > 0) furthest = entry;
  }
  if (!furthest) return undefined;
  if (current && comparePositions(furthest.position, current) <= 0) return undefined;
  return { position: furthest.position, done: furthest.last };
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** Record keys are compared as DynamoDB sorts them: by their UTF-8 bytes. */
const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
