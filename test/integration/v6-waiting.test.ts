/**
 * v6 changes waiting for the record they are placed by (docs/sync-v6.md, "Waiting for a parent"),
 * over HTTP on the in-process server (demo configuration, background consumer off): v6 requests
 * as the Open mSupply client makes them, legacy records pushed over v5 as a site pushes them.
 *
 * - a reference to a legacy record pushed before the record is accepted at the site's next v6
 *   request after the v5 push brings it, reaches the record's other sites, and its quarantine
 *   entry is marked resolved; pushing the same batch again changes nothing;
 * - a line whose v6 parent comes in a later batch is accepted at the end of that push;
 * - a waiting change never undoes a later change of its record, nor brings back one deleted;
 * - a change refused for another reason once its parent is held stops waiting, its entry saying so;
 * - a change waits `WAITING_DAYS` at most, then stays refused;
 * - a request decides at most `WAITING_CHECKED_PER_REQUEST` waiting changes, and every waiting
 *   change is decided in turn.
 */
import { readFileSync } from 'node:fs';
import { sha256Hex } from '../../functions/domain/config/credentials';
import { pullAnswer } from '../../functions/protocol/v6';
import { WAITING_CHECKED_PER_REQUEST, WAITING_DAYS } from '../../functions/services/v6-waiting';
import { legacyRecord } from '../support/legacy-records';
import { rawV5, type RawV5Client } from '../support/raw-v5';
import { DEMO_CONFIG, startTestSyncServer, type TestSyncServer } from '../support/sync-server';

jest.setTimeout(120_000);

let clockMs = Date.parse('2026-03-01T00:00:00Z');
let server: TestSyncServer;

/** remote-site-1 is site 2 (stores B and F); remote-site-2 is site 3 (C, D), here also a collector of B. */
beforeAll(async () => {
  const config = JSON.parse(readFileSync(DEMO_CONFIG, 'utf8'));
  server = await startTestSyncServer({ config, consumer: false, now: () => new Date(clockMs) });
  expect((await server.admin('PUT', '/stores/STORE_B/sync-with/3', { syncWith: 'activeCollector' })).status).toBe(200);
  for (const name of ['remote-site-1', 'remote-site-2']) expect((await v5(name).post('initialise', {})).status).toBe(200);
});
afterAll(() => server?.stop());

const v5 = (name: string): RawV5Client => rawV5({ baseUrl: server.url, siteName: name, password: server.passwords[name]!, hardwareId: `hardware-${name}` });

/** The site's v6 calls, bodies as `sync/api_v6` writes them. */
function v6(name: string) {
  const syncV5Settings = {
    serverUrl: server.url,
    username: name,
    passwordSha256: sha256Hex(server.passwords[name]!),
    siteUuid: `hardware-${name}`,
    appVersion: '2.13.0',
    appName: 'Open mSupply Desktop',
    syncVersion: '14',
  };
  const call = async (route: string, body: object) => {
    const response = await fetch(new URL(`central/sync/${route}`, `${server.url}/`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, syncV5Settings, syncV6Version: 5 }),
    });
    const answer = (await response.json()) as { data?: unknown; error?: unknown };
    if (answer.error !== undefined) throw new Error(`${route}: ${JSON.stringify(answer.error)}`);
    return answer.data;
  };
  let cursor = 0;
  return {
    push: (records: ReadonlyArray<{ tableName: string; recordId: string; action?: string; recordData: unknown }>) =>
      call('push', {
        batch: {
          end_cursor: ++cursor + records.length,
          total_records: records.length,
          is_last_batch: true,
          records: records.map((record, i) => ({ cursor: cursor + i, record: { action: 'Update', ...record } })),
        },
      }).finally(() => (cursor += records.length)),
    siteStatus: () => call('site_status', {}),
    /** Every record for the site from cursor 0 (as a site initialising would pull them). */
    pullAll: async () => {
      const records = [];
      for (let from = 0; ; ) {
        const page = pullAnswer.parse({ data: await call('pull', { cursor: from, batchSize: 500, isInitialised: false }) }).data;
        records.push(...page.records.map(({ record }) => record));
        if (page.is_last_batch) return records;
        from = page.end_cursor + 1;
      }
    },
  };
}

let syncOut = 0;
/** A v5 push of legacy records (then the end of the push), as a site sends them. */
async function pushV5(name: string, records: ReadonlyArray<ReturnType<typeof legacyRecord>>) {
  const site = v5(name);
  const data = records.map((record) => ({ syncOutId: `waiting-${++syncOut}`, ...record }));
  expect((await site.post('queued_records', { queueLength: data.length, data })).status).toBe(200);
  expect((await site.post('queued_records', { queueLength: 0, data: [] })).status).toBe(200);
}

const location = (id: string, storeId: string) => legacyRecord('Location', id, { store_ID: storeId });
const fileReference = (id: string, tableName: string, recordId: string, fileName = 'plan.pdf') => ({
  tableName: 'sync_file_reference',
  recordId: id,
  recordData: { id, table_name: tableName, record_id: recordId, file_name: fileName, mime_type: 'application/pdf', total_bytes: 10 },
});

const copyOf = async (tableName: string, recordId: string) => (await server.adapters.v6Store.get([{ tableName, recordId }])).get(`${tableName}\u0000${recordId}`);
const entriesOf = async (siteId: number, recordId: string) =>
  (await server.adapters.quarantine.list({ siteId, limit: 1000 })).records.filter((record) => record.recordId === recordId);

test('a reference pushed before its legacy record is accepted after the v5 push brings the record, and reaches the record\'s other sites', async () => {
  const site = v6('remote-site-1');
  const batch = [fileReference('FILE_W1', 'Location', 'LOC_W1')];
  await site.push(batch);
  expect(await copyOf('sync_file_reference', 'FILE_W1')).toBeUndefined();
  expect(await entriesOf(2, 'FILE_W1')).toEqual([expect.objectContaining({ reason: 'parent_not_found' })]);
  // The integration wait comes before the v5 push: the record is not there yet, the reference waits.
  await site.siteStatus();
  expect(await copyOf('sync_file_reference', 'FILE_W1')).toBeUndefined();

  await pushV5('remote-site-1', [location('LOC_W1', 'STORE_B')]);
  await site.pullAll();
  expect(await copyOf('sync_file_reference', 'FILE_W1')).toMatchObject({ originSiteId: 2, version: 1, placement: { storeId: 'STORE_B', parent: { table: 'Location', id: 'LOC_W1' } } });
  expect(await entriesOf(2, 'FILE_W1')).toEqual([expect.objectContaining({ reason: 'resolved', action: 'update', message: expect.stringContaining('legacy Location LOC_W1') })]);
  expect(await server.adapters.v6Store.hasWaiting(2)).toBe(false);

  // remote-site-2 collects store B: it receives the reference.
  expect((await v6('remote-site-2').pullAll()).filter((record) => record.recordId === 'FILE_W1')).toEqual([
    expect.objectContaining({ tableName: 'sync_file_reference', recordData: expect.objectContaining({ record_id: 'LOC_W1' }) }),
  ]);

  // The same batch sent again (an answer lost) changes nothing.
  const cursor = await server.adapters.v6Store.latestCursor();
  await v6('remote-site-1').push(batch);
  expect(await server.adapters.v6Store.latestCursor()).toBe(cursor);
  expect(await copyOf('sync_file_reference', 'FILE_W1')).toMatchObject({ version: 1 });
  expect(await entriesOf(2, 'FILE_W1')).toEqual([expect.objectContaining({ reason: 'resolved' })]);
});

test('a line whose v6 parent comes in a later batch is accepted at the end of that push', async () => {
  const site = v6('remote-site-1');
  await site.push([{ tableName: 'asset_log', recordId: 'LOG_W2', recordData: { id: 'LOG_W2', asset_id: 'ASSET_W2', status: 'FUNCTIONING' } }]);
  expect(await copyOf('asset_log', 'LOG_W2')).toBeUndefined();
  await site.push([{ tableName: 'asset', recordId: 'ASSET_W2', recordData: { id: 'ASSET_W2', store_id: 'STORE_B' } }]);
  expect(await copyOf('asset_log', 'LOG_W2')).toMatchObject({ placement: { storeId: 'STORE_B', parent: { table: 'asset', id: 'ASSET_W2' } } });
  expect(await entriesOf(2, 'LOG_W2')).toEqual([expect.objectContaining({ reason: 'resolved' })]);
});

test('a waiting change never undoes a later change of its record, nor brings back a record deleted since', async () => {
  const site = v6('remote-site-1');
  await pushV5('remote-site-1', [location('LOC_W3_HELD', 'STORE_B')]);
  // Pushed for a Location not yet held; then the same reference moved to a held one (accepted).
  await site.push([fileReference('FILE_W3', 'Location', 'LOC_W3_LATER', 'first.pdf')]);
  await site.push([fileReference('FILE_W3', 'Location', 'LOC_W3_HELD', 'second.pdf')]);
  expect(await copyOf('sync_file_reference', 'FILE_W3')).toMatchObject({ recordData: { file_name: 'second.pdf' } });
  // A reference waiting, then deleted by the site (a delete of a record never held: ignored).
  await site.push([fileReference('FILE_W3_GONE', 'Location', 'LOC_W3_LATER')]);
  await site.push([{ tableName: 'sync_file_reference', recordId: 'FILE_W3_GONE', action: 'Delete', recordData: null }]);

  await pushV5('remote-site-1', [location('LOC_W3_LATER', 'STORE_B')]);
  await site.siteStatus();
  expect(await copyOf('sync_file_reference', 'FILE_W3')).toMatchObject({ version: 1, recordData: { file_name: 'second.pdf', record_id: 'LOC_W3_HELD' } });
  expect(await copyOf('sync_file_reference', 'FILE_W3_GONE')).toBeUndefined();
  expect(await server.adapters.v6Store.hasWaiting(2)).toBe(false);
});

test('once its record is held, a change the rules refuse for another reason stops waiting and its entry says why', async () => {
  // remote-site-1 attaches a file to a Location of store C (remote-site-2's store).
  await v6('remote-site-1').push([fileReference('FILE_W4', 'Location', 'LOC_W4')]);
  await pushV5('remote-site-2', [location('LOC_W4', 'STORE_C')]);
  await v6('remote-site-1').siteStatus();
  expect(await copyOf('sync_file_reference', 'FILE_W4')).toBeUndefined();
  expect(await entriesOf(2, 'FILE_W4')).toEqual([expect.objectContaining({ reason: 'store_not_active_on_site', message: expect.stringContaining('Decided again') })]);
  expect(await server.adapters.v6Store.hasWaiting(2)).toBe(false);
});

test(`a change waits ${WAITING_DAYS} days at most, then stays refused`, async () => {
  await v6('remote-site-1').push([fileReference('FILE_W5', 'Location', 'LOC_W5')]);
  clockMs += (WAITING_DAYS + 1) * 24 * 60 * 60 * 1000;
  await v6('remote-site-1').siteStatus();
  expect(await server.adapters.v6Store.hasWaiting(2)).toBe(false);
  await pushV5('remote-site-1', [location('LOC_W5', 'STORE_B')]);
  await v6('remote-site-1').siteStatus();
  expect(await copyOf('sync_file_reference', 'FILE_W5')).toBeUndefined();
  expect(await entriesOf(2, 'FILE_W5')).toEqual([expect.objectContaining({ reason: 'parent_not_found' })]);
});

test(`a request decides at most ${WAITING_CHECKED_PER_REQUEST} waiting changes, and every one is decided in turn`, async () => {
  const count = WAITING_CHECKED_PER_REQUEST * 2 + 20;
  const ids = Array.from({ length: count }, (_, i) => `W6_${String(i).padStart(3, '0')}`);
  await v6('remote-site-1').push(ids.map((id) => fileReference(`FILE_${id}`, 'Location', `LOC_${id}`)));
  await pushV5('remote-site-1', ids.map((id) => location(`LOC_${id}`, 'STORE_B')));
  const accepted = async () => (await server.adapters.v6Store.get(ids.map((id) => ({ tableName: 'sync_file_reference', recordId: `FILE_${id}` })))).size;
  await v6('remote-site-1').siteStatus();
  const afterOne = await accepted();
  expect(afterOne).toBeGreaterThan(0);
  expect(afterOne).toBeLessThanOrEqual(WAITING_CHECKED_PER_REQUEST);
  for (let request = 0; request < 40 && (await accepted()) < count; request++) await v6('remote-site-1').siteStatus();
  expect(await accepted()).toBe(count);
  expect(await server.adapters.v6Store.hasWaiting(2)).toBe(false);
});
