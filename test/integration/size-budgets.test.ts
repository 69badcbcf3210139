/**
 * Sizes never block a site: a push body as large as Lambda can take is accepted, and every pull
 * answer (queued records, central records) fits Lambda's response limit whatever the records'
 * sizes, cut by bytes with nothing skipped. Raw requests at the protocol level: they are shaped
 * to reach AWS's limits; the client's own sync flow is tested end to end elsewhere.
 */
import { AWS_LIMITS } from '../../lib/local/http-gateway';
import { legacyRecord } from '../support/legacy-records';
import { rawV5, type RawV5Client } from '../support/raw-v5';
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';

let server: TestSyncServer;
let pusher: RawV5Client;
let collector: RawV5Client;

const client = (name: string) => rawV5({ baseUrl: server.url, siteName: name, password: server.passwords[name]!, hardwareId: `size-${name}` });

async function untilIdle(site: RawV5Client) {
  for (let i = 0; i < 600; i++) {
    if ((await site.get('site_status')).body.code === 'idle') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${site.siteName} never became idle`);
}

/** Every record waiting for the site, pulled and acknowledged as the client does; the size of each answer. */
async function drainQueue(site: RawV5Client) {
  const ids: string[] = [];
  const answerBytes: number[] = [];
  for (;;) {
    const answer = await site.get('queued_records', { limit: 500 });
    expect(answer.status).toBe(200);
    const data = answer.body.data as Array<{ syncOutId: string; recordId: string }>;
    if (data.length === 0) return { ids, answerBytes };
    answerBytes.push(Buffer.byteLength(JSON.stringify(answer.body)));
    ids.push(...data.map((record) => record.recordId));
    await site.post('acknowledged_records', { syncIDs: data.map((record) => record.syncOutId) });
  }
}

const padded = (id: string, bytes: number) => legacyRecord('transact', id, { store_ID: 'STORE_B', name_ID: 'SOME_CUSTOMER', comment: 'p'.repeat(bytes) });

beforeAll(async () => {
  server = await startTestSyncServer();
  // Store B (active on remote-site-1) is a collector copy on remote-site-2: everything it pushes goes there.
  expect((await server.admin('PUT', '/stores/STORE_B/sync-with/3', { syncWith: 'activeCollector' })).status).toBe(200);
  pusher = client('remote-site-1');
  collector = client('remote-site-2');
  for (const site of [pusher, collector]) {
    expect((await site.post('initialise', {})).status).toBe(200);
    await drainQueue(site);
  }
});

afterAll(async () => {
  await server?.stop();
});

test('a full batch of 1024 records of 5.3 MB, over the old 5 MiB limit and within Lambda\'s, is accepted and routed', async () => {
  const data = Array.from({ length: 1024 }, (_, i) => ({ syncOutId: `big-batch-${i}`, ...padded(`SIZE_BATCH_${String(i).padStart(4, '0')}`, 3_600) }));
  const body = JSON.stringify({ queueLength: 1024, data });
  expect(Buffer.byteLength(body)).toBeGreaterThan(5 * 1024 * 1024);
  const answer = await pusher.call('POST', 'queued_records', { body: JSON.parse(body) });
  expect(answer.status).toBe(200);
  expect((await pusher.post('queued_records', { queueLength: 0, data: [] })).body).toEqual({ integrationStarted: true });
  await untilIdle(pusher);
  const { ids } = await drainQueue(collector);
  expect(ids.filter((id) => id.startsWith('SIZE_BATCH_')).sort()).toEqual(data.map((record) => record.recordId));
});

test('queued records of 60 KB each come in answers that fit the response limit, none skipped', async () => {
  const records = Array.from({ length: 160 }, (_, i) => ({ syncOutId: `wide-${i}`, ...padded(`SIZE_WIDE_${String(i).padStart(3, '0')}`, 60_000) }));
  for (let i = 0; i < records.length; i += 40) {
    const batch = records.slice(i, i + 40);
    expect((await pusher.post('queued_records', { queueLength: records.length - i, data: batch })).status).toBe(200);
  }
  await pusher.post('queued_records', { queueLength: 0, data: [] });
  await untilIdle(pusher);
  const { ids, answerBytes } = await drainQueue(collector);
  expect(ids.sort()).toEqual(records.map((record) => record.recordId));
  expect(answerBytes.length).toBeGreaterThan(1);
  expect(Math.max(...answerBytes)).toBeLessThan(AWS_LIMITS.maxResultBytes);
});

test('central records of 60 KB each come in answers that fit, and the client\'s cursor rule reads them all', async () => {
  const items = Array.from({ length: 150 }, (_, i) => legacyRecord('item', `SIZE_ITEM_${String(i).padStart(3, '0')}`, { description: 'd'.repeat(60_000) }));
  for (let i = 0; i < items.length; i += 30) {
    const imported = await server.admin('POST', '/records', { records: items.slice(i, i + 30) });
    expect(imported).toMatchObject({ status: 200, body: { accepted: 30 } });
  }
  await untilIdle(pusher);
  let cursor = 0;
  const received: string[] = [];
  const answerBytes: number[] = [];
  for (let call = 0; call < 100; call++) {
    const answer = await collector.get('central_records', { cursor, limit: 500 });
    const { maxCursor, data } = answer.body as { maxCursor: number; data: Array<{ ID: number; recordId: string }> };
    answerBytes.push(Buffer.byteLength(JSON.stringify(answer.body)));
    received.push(...data.map((record) => record.recordId));
    const last = data.at(-1)?.ID ?? cursor;
    if (data.length === 0 && last >= maxCursor) break;
    cursor = data.length === 0 ? last + 1 : last;
  }
  expect(received.filter((id) => id.startsWith('SIZE_ITEM_')).sort()).toEqual(items.map((item) => item.recordId));
  expect(answerBytes.filter((bytes) => bytes > 1_000).length).toBeGreaterThan(1);
  expect(Math.max(...answerBytes)).toBeLessThan(AWS_LIMITS.maxResultBytes);
});
