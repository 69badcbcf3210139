/**
 * An initialisation served at pull time: with no queue consumer running at all, the pulls that
 * follow a 2xx initialise bring everything the site must hold, in pages that fit the response
 * budget, and the stream moves on only when the site acknowledges what it stored.
 */
import { legacyRecord, type LegacyRecord } from '../support/legacy-records';
import { rawV5, type RawV5Client } from '../support/raw-v5';
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';

let server: TestSyncServer;
let site: RawV5Client;

/** Store A is a collector copy on remote site 1 (site 2); store E is on no remote site. */
const collectorRecords = Array.from({ length: 1_234 }, (_, i) =>
  legacyRecord('transact', `STREAM_A_${String(i).padStart(5, '0')}`, { store_ID: 'STORE_A', name_ID: 'SOME_CUSTOMER' }),
);
const unentitledRecords = Array.from({ length: 40 }, (_, i) => legacyRecord('transact', `STREAM_E_${i}`, { store_ID: 'STORE_E', name_ID: 'SOME_CUSTOMER' }));

async function importRecords(records: readonly LegacyRecord[], perRequest = 500) {
  for (let i = 0; i < records.length; i += perRequest) {
    const answer = await server.admin('POST', '/records', { records: records.slice(i, i + perRequest) });
    expect(answer).toMatchObject({ status: 200, body: { accepted: Math.min(perRequest, records.length - i) } });
  }
}

/** Pulls and acknowledges until an empty answer, as the client does; returns every record received. */
async function pullEverything(client: RawV5Client, { acknowledge = true } = {}) {
  const received: Array<{ syncOutId: string; tableName: string; recordId: string }> = [];
  for (let call = 0; call < 100; call++) {
    const answer = await client.get('queued_records', { limit: 500 });
    expect(answer.status).toBe(200);
    const { queueLength, data } = answer.body as { queueLength: number; data: Array<{ syncOutId: string; tableName: string; recordId: string }> };
    // The client does unsigned arithmetic with it.
    expect(queueLength).toBeGreaterThanOrEqual(data.length);
    if (data.length === 0) return received;
    received.push(...data);
    if (!acknowledge) return received;
    expect((await client.post('acknowledged_records', { syncIDs: data.map((record) => record.syncOutId) })).status).toBe(200);
  }
  throw new Error('the pulls never ended');
}

beforeAll(async () => {
  server = await startTestSyncServer({ consumer: false });
  site = rawV5({ baseUrl: server.url, siteName: 'remote-site-1', password: server.passwords['remote-site-1']!, hardwareId: 'stream-hardware' });
  await importRecords([...collectorRecords, ...unentitledRecords]);
});

afterAll(async () => {
  await server?.stop();
});

test('before any initialise the site is new and no initialisation is served', async () => {
  expect((await site.get('site')).body).toMatchObject({ initialisationStatus: 'new' });
  // Its queue may hold what the configuration already sent it (its stores' records); not the stream.
  const { data } = (await site.get('queued_records', { limit: 500 })).body as { data: Array<{ syncOutId: string; recordId: string }> };
  expect(data.filter((record) => record.recordId.startsWith('STREAM_') || record.syncOutId.startsWith('init.'))).toEqual([]);
});

test('after a 2xx initialise, with no consumer running, the pulls bring the whole backup at once', async () => {
  const initialised = await site.post('initialise', {});
  expect(initialised.status).toBe(200);
  expect((await site.get('site')).body).toMatchObject({ initialisationStatus: 'completed' });
  expect((await site.get('site_status')).body).toMatchObject({ code: 'idle' });

  const received = await pullEverything(site);
  // Records the queue also held (routed before the initialise) may come twice; the stream's own never do.
  const ids = received.map((record) => record.recordId).filter((id) => id.startsWith('STREAM_'));
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.filter((id) => id.startsWith('STREAM_A_')).sort()).toEqual(collectorRecords.map((record) => record.recordId));
  expect(ids.some((id) => id.startsWith('STREAM_E_'))).toBe(false);
  // Once acknowledged to its end, the stream is finished and the site reads its ordinary queue.
  expect((await server.adapters.progress.initialisation(2)).stream).toMatchObject({ done: true });
  expect((await site.get('queued_records', { limit: 500 })).body).toEqual({ queueLength: 0, data: [] });
});

test('a page that is not acknowledged comes again; a new initialise starts over and old acknowledgements do nothing', async () => {
  const first = await site.post('initialise', {});
  expect(first.status).toBe(200);
  const page = (await site.get('queued_records', { limit: 100 })).body.data as Array<{ syncOutId: string; recordId: string }>;
  expect(page).toHaveLength(100);
  // The acknowledgement was lost: the same records come again.
  const again = (await site.get('queued_records', { limit: 100 })).body.data as Array<{ syncOutId: string; recordId: string }>;
  expect(again.map((record) => record.recordId)).toEqual(page.map((record) => record.recordId));
  await site.post('acknowledged_records', { syncIDs: again.map((record) => record.syncOutId) });
  const next = (await site.get('queued_records', { limit: 100 })).body.data as Array<{ recordId: string }>;
  expect(next[0]!.recordId).not.toBe(page[0]!.recordId);
  expect(next.some((record) => page.some((seen) => seen.recordId === record.recordId))).toBe(false);

  // The site is rebuilt: a new initialise, and an acknowledgement from the old one arrives late.
  expect((await site.post('initialise', {})).status).toBe(200);
  await site.post('acknowledged_records', { syncIDs: again.map((record) => record.syncOutId) });
  const rebuilt = await pullEverything(site);
  expect(rebuilt.filter((record) => record.recordId.startsWith('STREAM_A_'))).toHaveLength(collectorRecords.length);
});

test('pages are cut by bytes so every answer fits the response limit, and nothing is skipped', async () => {
  // 40 records of about 200 KB each: 8 MB in all, more than one answer may carry.
  const large = Array.from({ length: 40 }, (_, i) =>
    legacyRecord('transact', `STREAM_BIG_${String(i).padStart(3, '0')}`, { store_ID: 'STORE_A', name_ID: 'SOME_CUSTOMER', comment: 'x'.repeat(200_000) }),
  );
  await importRecords(large, 10);
  expect((await site.post('initialise', {})).status).toBe(200);
  const sizes: number[] = [];
  const received: string[] = [];
  for (;;) {
    const answer = await site.get('queued_records', { limit: 500 });
    const data = answer.body.data as Array<{ syncOutId: string; recordId: string }>;
    if (data.length === 0) break;
    sizes.push(Buffer.byteLength(JSON.stringify(answer.body)));
    received.push(...data.map((record) => record.recordId));
    await site.post('acknowledged_records', { syncIDs: data.map((record) => record.syncOutId) });
  }
  expect(sizes.length).toBeGreaterThan(1);
  expect(Math.max(...sizes)).toBeLessThan(6 * 1024 * 1024);
  expect(received.filter((id) => id.startsWith('STREAM_BIG_')).sort()).toEqual(large.map((record) => record.recordId));
  expect(received.filter((id) => id.startsWith('STREAM_A_'))).toHaveLength(collectorRecords.length);
});
