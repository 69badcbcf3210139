/**
 * Properties of an initialisation served at pull time, on in-memory ports: whatever the records,
 * the client's page size, the byte budget and which acknowledgements are lost, a site pulling
 * until an empty answer (as the client does) has received every record it holds in the seed's
 * example, and nothing else; and the stream never goes back past what the site acknowledged.
 * The oracle is the seed's example itself (remote site 1 holds stores A, B and F), not the rules.
 */
import fc from 'fast-check';
import type { SyncConfig } from '../../functions/domain/config';
import type { CentralCopy, InitialisationState, KeyedRecord, RecordSource, SiteProgress, StoredRecord } from '../../functions/domain/ports';
import { recordKeyString } from '../../functions/domain/ports';
import { comparePositions, type StreamPosition } from '../../functions/domain/sync/initial-stream';
import { acknowledgeInitialStream, pullInitialStream } from '../../functions/services/initial-stream';
import { demoConfig } from '../support/config-of';

const config: SyncConfig = demoConfig();

const REMOTE_1 = 2;
/** From the seed's example: on remote site 1, B and F are active and A is a collector copy. */
const HELD_ON_REMOTE_1 = new Set(['STORE_A', 'STORE_B', 'STORE_F']);
const STORES = ['STORE_A', 'STORE_B', 'STORE_C', 'STORE_D', 'STORE_E', 'STORE_F'];

/** Index order as DynamoDB keeps it: by key, byte-wise. */
const byKey = (a: KeyedRecord, b: KeyedRecord) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key));

/** `names`: the name records `get` finds (a record's names are read by key, not through the stream). */
function memoryCentralCopy(records: readonly StoredRecord[], names: readonly StoredRecord[] = []): Pick<CentralCopy, 'keyedPage' | 'get'> {
  const nameByKey = new Map(names.map((name) => [recordKeyString(name), name]));
  const index = new Map<string, KeyedRecord[]>();
  for (const record of records) {
    const value = record.placement.storeId!;
    index.set(value, [...(index.get(value) ?? []), { key: `${record.tableName}#${record.recordId}`, record }].sort(byKey));
  }
  return {
    async keyedPage(source: RecordSource, limit: number, afterKey?: string) {
      const all = source.index === 'byStore' ? (index.get(source.value) ?? []) : [];
      const start = afterKey === undefined ? 0 : all.findIndex((entry) => Buffer.compare(Buffer.from(entry.key), Buffer.from(afterKey)) > 0);
      const from = start === -1 ? all.length : start;
      const page = all.slice(from, from + limit);
      return { records: page, more: from + limit < all.length };
    },
    async get(keys) {
      return new Map(keys.flatMap((key) => (nameByKey.has(recordKeyString(key)) ? [[recordKeyString(key), nameByKey.get(recordKeyString(key))!] as const] : [])));
    },
  };
}

function memoryProgress(generation: string) {
  let state: InitialisationState = { status: 'completed', stream: { generation, done: false } };
  const moves: StreamPosition[] = [];
  const progress: Pick<SiteProgress, 'initialisation' | 'advanceInitialStream'> = {
    async initialisation() {
      return state;
    },
    async advanceInitialStream(_siteId, gen, from, to) {
      const stream = state.stream!;
      if (stream.generation !== gen || stream.done || JSON.stringify(stream.position) !== JSON.stringify(from)) return false;
      if (to !== 'done') moves.push(to);
      state = { ...state, stream: to === 'done' ? { ...stream, done: true } : { ...stream, position: to } };
      return true;
    },
  };
  return { progress, moves, state: () => state };
}

const storedRecord = (storeId: string, id: string, size: number, deleted: boolean): StoredRecord => ({
  tableName: 'transact',
  recordId: id,
  action: deleted ? 'delete' : 'update',
  recordData: { ID: id, store_ID: storeId, comment: 'x'.repeat(size) },
  placement: { dataClass: 'store', flags: [], storeId },
  originSiteId: 1,
  changeId: `c-${id}`,
  version: 1,
  routedVersion: 1,
});

const recordsArbitrary = fc.uniqueArray(
  fc.record({
    storeId: fc.constantFrom(...STORES),
    id: fc.stringMatching(/^[A-Za-z0-9_\-]{1,12}$/),
    size: fc.integer({ min: 0, max: 400 }),
    deleted: fc.boolean(),
  }),
  { selector: (record) => record.id, maxLength: 120 },
);

test('pulling until an empty answer delivers every held record and nothing else, whatever pages, budgets and lost acknowledgements', async () => {
  await fc.assert(
    fc.asyncProperty(
      recordsArbitrary,
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 50, max: 3_000 }),
      fc.infiniteStream(fc.boolean()),
      async (specs, limit, budgetBytes, ackLost) => {
        const records = specs.map((spec) => storedRecord(spec.storeId, spec.id, spec.size, spec.deleted));
        const { progress, moves, state } = memoryProgress('g1');
        const deps = { centralCopy: memoryCentralCopy(records) as CentralCopy, progress: progress as SiteProgress };
        const received = new Set<string>();
        const acknowledged = new Set<string>();
        for (let call = 0; call < 1_000; call++) {
          const current = state().stream!;
          if (current.done) break;
          const page = await pullInitialStream(deps, config, REMOTE_1, current, { limit, budgetBytes, scanMs: 60_000, maxScanMs: 60_000 });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(limit);
          for (const record of page) received.add(record.recordId);
          if (ackLost.next().value) continue;
          for (const record of page) acknowledged.add(record.recordId);
          await acknowledgeInitialStream(deps, REMOTE_1, page.map((record) => record.syncOutId));
        }
        const expected = specs.filter((spec) => HELD_ON_REMOTE_1.has(spec.storeId) && !spec.deleted).map((spec) => spec.id);
        // Every acknowledged record was received, and the stream finished.
        expect(state().stream!.done).toBe(true);
        expect([...received].sort()).toEqual([...expected].sort());
        expect([...acknowledged].every((id) => received.has(id))).toBe(true);
        // The stream only ever moved forward.
        for (let i = 1; i < moves.length; i++) expect(comparePositions(moves[i]!, moves[i - 1]!)).toBeGreaterThan(0);
      },
    ),
    { numRuns: 150 },
  );
});

test('acknowledgements of another initialisation or of unknown ids never move the stream', async () => {
  const records = ['T1', 'T2', 'T3'].map((id) => storedRecord('STORE_B', id, 10, false));
  const { progress, state } = memoryProgress('g2');
  const deps = { centralCopy: memoryCentralCopy(records) as CentralCopy, progress: progress as SiteProgress };
  const page = await pullInitialStream(deps, config, REMOTE_1, state().stream!, { limit: 2, budgetBytes: 10_000, scanMs: 1_000, maxScanMs: 1_000 });
  expect(page.map((record) => record.recordId)).toEqual(['T1', 'T2']);
  const stale = { progress: memoryProgress('g-old').progress as SiteProgress, centralCopy: deps.centralCopy };
  const otherGeneration = await pullInitialStream(stale, config, REMOTE_1, { generation: 'g-old', done: false }, { limit: 3, budgetBytes: 10_000, scanMs: 1_000, maxScanMs: 1_000 });
  await acknowledgeInitialStream(deps, REMOTE_1, [...otherGeneration.map((record) => record.syncOutId), 'not-a-stream-id', 'init.garbage']);
  expect(state().stream).toEqual({ generation: 'g2', done: false });
  await acknowledgeInitialStream(deps, REMOTE_1, page.map((record) => record.syncOutId));
  expect(state().stream!.position).toEqual({ sourceKey: 's:STORE_B', recordKey: 'transact#T2' });
});

/**
 * A store's records point at names (an invoice's customer, a stock line's supplier, donor or
 * manufacturer). Remote site 1 holds the names of its stores and those visible in them
 * (NAME_STORE_A, _B, _F, and _C, which sees B); a name hidden since the record was made (X1-X3, store D's name) is
 * sent with the record, before it or in an earlier answer. Names every site holds through the
 * central log (a manufacturer), patients (sent where visible), deleted and unknown names are not.
 */
const HELD_NAMES = ['NAME_STORE_A', 'NAME_STORE_B', 'NAME_STORE_C', 'NAME_STORE_F'];
const HIDDEN_NAMES = ['X1', 'X2', 'X3', 'NAME_STORE_D'];
const NOT_SENT = ['MAKER', 'PATIENT', 'DELETED', 'GONE'];
const nameRecord = (id: string): StoredRecord => ({
  tableName: 'name',
  recordId: id,
  action: id === 'DELETED' ? 'delete' : 'update',
  recordData: { ID: id, name: `Name ${id}`, type: id === 'PATIENT' ? 'patient' : 'facility', manufacturer: id === 'MAKER' },
  placement: { dataClass: id === 'PATIENT' ? 'patient' : 'central', flags: [] },
  originSiteId: 1,
  changeId: `c-${id}`,
  version: 3,
  routedVersion: 3,
});
const NAME_FIELDS: Record<string, readonly string[]> = { transact: ['name_ID'], item_line: ['name_ID', 'donor_id', 'manufacturer_ID'], trans_line: ['donor_id', 'manufacturer_ID'] };

const namingArbitrary = fc.uniqueArray(
  fc.record({
    storeId: fc.constantFrom(...STORES),
    id: fc.stringMatching(/^[A-Za-z0-9]{1,8}$/),
    tableName: fc.constantFrom('transact', 'item_line', 'trans_line'),
    names: fc.array(fc.constantFrom('', ...HELD_NAMES, ...HIDDEN_NAMES, ...NOT_SENT), { minLength: 3, maxLength: 3 }),
  }),
  { selector: (record) => record.id, maxLength: 60 },
);

test('every name a delivered store record points at is held by the site or delivered no later than the record; no other name is delivered', async () => {
  await fc.assert(
    fc.asyncProperty(namingArbitrary, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 200, max: 4_000 }), fc.infiniteStream(fc.boolean()), async (specs, limit, budgetBytes, ackLost) => {
      const records = specs.map(({ storeId, id, tableName, names }): StoredRecord => {
        const fields = NAME_FIELDS[tableName]!;
        const data = Object.fromEntries(fields.map((field, i) => [field, names[i]!]));
        return { ...storedRecord(storeId, id, 10, false), tableName, recordData: { ID: id, store_ID: storeId, ...data } };
      });
      const { progress, state } = memoryProgress('g3');
      const names = [...HIDDEN_NAMES, ...NOT_SENT.filter((id) => id !== 'GONE')].map(nameRecord);
      const deps = { centralCopy: memoryCentralCopy(records, names) as CentralCopy, progress: progress as SiteProgress };
      const namesReceived = new Set<string>();
      const pointedAt = new Set<string>();
      const dangling: string[] = [];
      for (let call = 0; call < 1_000 && !state().stream!.done; call++) {
        const page = await pullInitialStream(deps, config, REMOTE_1, state().stream!, { limit, budgetBytes, scanMs: 60_000, maxScanMs: 60_000 });
        if (page.length === 0) break;
        expect(page.filter((record) => record.tableName !== 'name').length).toBeLessThanOrEqual(limit);
        for (const record of page) {
          if (record.tableName === 'name') {
            namesReceived.add(record.recordId);
            expect(record.recordData).toMatchObject({ ID: record.recordId, name: `Name ${record.recordId}` });
            continue;
          }
          for (const field of NAME_FIELDS[record.tableName]!) {
            const nameId = String(record.recordData?.[field] ?? '');
            if (nameId === '' || NOT_SENT.includes(nameId)) continue;
            pointedAt.add(nameId);
            if (!HELD_NAMES.includes(nameId) && !namesReceived.has(nameId)) dangling.push(`${record.recordId}.${field} -> ${nameId}`);
          }
        }
        if (ackLost.next().value) continue;
        await acknowledgeInitialStream(deps, REMOTE_1, page.map((record) => record.syncOutId));
      }
      expect(state().stream!.done).toBe(true);
      expect(dangling).toEqual([]);
      // Only hidden names something delivered points at, never one held, everyone's, a patient's or deleted.
      expect([...namesReceived].filter((id) => !HIDDEN_NAMES.includes(id) || !pointedAt.has(id))).toEqual([]);
    }),
    { numRuns: 150 },
  );
});
