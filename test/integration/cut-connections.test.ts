/**
 * Poor links cut answers mid-body. A pull whose answer never fully arrived is never acknowledged,
 * so the next pull brings the same page again and the stream carries on from there: a cut costs
 * at most that one page, never a record lost, never the pages before it sent again. The same
 * holds for the central records, whose cursor the site moves only on what it received.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { legacyRecord } from '../support/legacy-records';
import { basicAuth, rawV5, v6SyncSettings, type RawV5Client } from '../support/raw-v5';
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';

jest.setTimeout(180_000);

const SITE = 'remote-site-1';
const HARDWARE = 'cut-hardware';
let server: TestSyncServer;
let site: RawV5Client;

const storeRecords = Array.from({ length: 1_600 }, (_, i) =>
  legacyRecord('transact', `CUT_A_${String(i).padStart(5, '0')}`, { store_ID: 'STORE_A', name_ID: 'SOME_CUSTOMER', comment: 'c'.repeat(400) }),
);
const centralRecords = Array.from({ length: 1_200 }, (_, i) => legacyRecord('item', `CUT_ITEM_${String(i).padStart(5, '0')}`, { item_name: 'i'.repeat(400) }));

/** A server holding `records` (imported as the primary does), and the site on it. */
async function serverWith(records: ReturnType<typeof legacyRecord>[], consumer: boolean) {
  server = await startTestSyncServer({ consumer });
  site = rawV5({ baseUrl: server.url, siteName: SITE, password: server.passwords[SITE]!, hardwareId: HARDWARE });
  for (let i = 0; i < records.length; i += 500) expect((await server.admin('POST', '/records', { records: records.slice(i, i + 500) })).status).toBe(200);
}

afterEach(async () => {
  await server?.stop();
});

/** The headers the site's client sends on every v5 call. */
const siteHeaders = () => ({
  authorization: basicAuth(SITE, server.passwords[SITE]!),
  'msupply-site-uuid': HARDWARE,
  'app-name': 'Open mSupply Desktop',
  'app-version': '2.20.00',
  version: '14',
});

/** Starts a GET and drops the connection once part of the body has arrived; resolves with the bytes seen. */
function cutMidBody(path: string): Promise<number> {
  return cutAnswer(path).then(({ seen }) => seen);
}

/** Starts a call and drops the connection once part of the answer's body has arrived: the bytes seen, and the body's length. */
function cutAnswer(path: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<{ seen: number; length: number }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server.url), { method: options.method ?? 'GET', headers: { ...siteHeaders(), ...options.headers } }, (res) => {
      res.once('data', (chunk: Buffer) => {
        req.destroy();
        resolve({ seen: chunk.length, length: Number(res.headers['content-length']) });
      });
      res.once('error', () => undefined);
    });
    req.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
    req.end(options.body);
  });
}

test('an initialisation pull cut mid-body is served again whole, then the stream goes on: one page twice per cut, nothing lost', async () => {
  // No consumer: the store's records reach the site through its initialisation only.
  await serverWith(storeRecords, false);
  expect((await site.post('initialise', {})).status).toBe(200);
  const sent = new Map<string, number>();
  const ids = (data: Array<{ recordId: string }>) => data.map((record) => record.recordId);
  let cuts = 0;
  for (let page = 0; page < 50; page++) {
    if (page % 2 === 1) {
      // The site's link drops while this page is on its way: the site has nothing to acknowledge.
      expect(await cutMidBody('/sync/v5/queued_records?limit=500')).toBeGreaterThan(0);
      cuts++;
    }
    const answer = await site.get('queued_records', { limit: 500 });
    const data = answer.body.data as Array<{ syncOutId: string; recordId: string }>;
    if (data.length === 0) break;
    for (const id of ids(data)) sent.set(id, (sent.get(id) ?? 0) + 1);
    expect((await site.post('acknowledged_records', { syncIDs: data.map((record) => record.syncOutId) })).status).toBe(200);
  }
  const expected = storeRecords.map((record) => record.recordId);
  expect(expected.filter((id) => !sent.has(id))).toEqual([]);
  // Pulled in full, each page was acknowledged once: no record came twice to a completed pull.
  expect([...sent.values()].every((count) => count === 1)).toBe(true);
  expect(cuts).toBeGreaterThan(1);
});

test('a central records pull cut mid-body loses nothing: the site asks again from the cursor it holds', async () => {
  // Central data reaches the change log through the fan-out consumer: wait until all of it has.
  await serverWith(centralRecords, true);
  for (let wait = 0; ; wait++) {
    const { maxCursor } = (await site.get('central_records', { cursor: 0, limit: 1 })).body as { maxCursor: number };
    if (maxCursor >= centralRecords.length) break;
    if (wait > 600) throw new Error(`central records never all logged (${maxCursor})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let cursor = 0;
  const received = new Set<string>();
  for (let call = 0; call < 40; call++) {
    if (call % 2 === 0) expect(await cutMidBody(`/sync/v5/central_records?cursor=${cursor}&limit=500`)).toBeGreaterThan(0);
    const answer = await site.get('central_records', { cursor, limit: 500 });
    const { maxCursor, data } = answer.body as { maxCursor: number; data: Array<{ ID: number; tableName: string; recordId: string }> };
    for (const record of data) if (record.tableName === 'item') received.add(record.recordId);
    if (data.length === 0 || cursor >= maxCursor) break;
    cursor = data.at(-1)!.ID;
  }
  expect(centralRecords.map((record) => record.recordId).filter((id) => !received.has(id))).toEqual([]);
});

test('a filtered central records pull cut mid-body at every other request: each record the site holds arrives once, none it does not hold', async () => {
  // Lines of store B's list (site 1 holds them) and of a list no store of site 1 uses, interleaved with items.
  const held = [
    legacyRecord('list_master', 'CUT_LIST_B'),
    legacyRecord('list_master', 'CUT_LIST_X'),
    legacyRecord('list_master_name_join', 'CUT_JOIN_B', { list_master_ID: 'CUT_LIST_B', name_ID: 'NAME_STORE_B' }),
  ];
  const mixed = Array.from({ length: 1_500 }, (_, i) =>
    i % 5 === 0
      ? legacyRecord('list_master_line', `CUT_LINE_B_${i}`, { item_master_ID: 'CUT_LIST_B', item_ID: 'CUT_ITEM_00001' })
      : i % 5 === 1
        ? legacyRecord('item', `CUT_ITEM_${String(i).padStart(5, '0')}`, { item_name: 'i'.repeat(300) })
        : legacyRecord('list_master_line', `CUT_LINE_X_${i}`, { item_master_ID: 'CUT_LIST_X', item_ID: 'CUT_ITEM_00001' }),
  );
  await serverWith([...held, ...mixed], true);
  const logged = held.length + mixed.length;
  for (let wait = 0; ; wait++) {
    const { maxCursor } = (await site.get('central_records', { cursor: 0, limit: 1 })).body as { maxCursor: number };
    if (maxCursor >= logged) break;
    if (wait > 600) throw new Error(`central records never all logged (${maxCursor})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let cursor = 0;
  let cuts = 0;
  let answered = 0;
  const received = new Map<string, number>();
  for (let call = 0; call < 60; call++) {
    if (call % 2 === 0) {
      expect(await cutMidBody(`/sync/v5/central_records?cursor=${cursor}&limit=100`)).toBeGreaterThan(0);
      cuts++;
    }
    const answer = await site.get('central_records', { cursor, limit: 100 });
    answered++;
    const { maxCursor, data } = answer.body as { maxCursor: number; data: Array<{ ID: number; tableName: string; recordId: string }> };
    // The site's own store names may come again: they carry the cursor over what it does not hold.
    for (const record of data) if (record.tableName !== 'name') received.set(record.recordId, (received.get(record.recordId) ?? 0) + 1);
    if (data.length === 0 && cursor >= maxCursor) break;
    cursor = data.length === 0 ? cursor + 1 : data.at(-1)!.ID;
  }
  const wanted = [...held, ...mixed.filter((record) => !record.recordId.startsWith('CUT_LINE_X_'))].map((r) => r.recordId);
  expect(wanted.filter((id) => !received.has(id))).toEqual([]);
  expect([...received.keys()].filter((id) => id.startsWith('CUT_LINE_X_'))).toEqual([]);
  expect([...received].filter(([, count]) => count > 1)).toEqual([]);
  // 600 held records in pages of 100, plus the last read past the skipped tail: each cut cost one request, nothing more.
  expect(cuts).toBeGreaterThan(1);
  expect(answered).toBeLessThanOrEqual(Math.ceil(wanted.length / 100) + 2);
});

/** Sends an acknowledgement and drops the link: halfway through its body (never read), or once its answer starts (read). */
function cutAcknowledgement(syncIDs: readonly string[], when: 'mid-request' | 'mid-answer'): Promise<void> {
  const body = Buffer.from(JSON.stringify({ syncIDs }));
  return new Promise((resolve, reject) => {
    const req = request(new URL('/sync/v5/acknowledged_records', server.url), {
      method: 'POST',
      headers: { ...siteHeaders(), 'content-type': 'application/json', 'content-length': String(body.length) },
    }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
      res.once('error', () => undefined);
    });
    req.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(error)));
    if (when === 'mid-request') {
      req.write(body.subarray(0, body.length >> 1), () => setTimeout(() => {
        req.destroy();
        resolve();
      }, 200));
    } else req.end(body);
  });
}

test('an initialisation whose acknowledgements are cut (before the server read them, or after) sends no page more than twice, and nothing is lost', async () => {
  await serverWith(storeRecords, false);
  expect((await site.post('initialise', {})).status).toBe(200);
  const sent = new Map<string, number>();
  let cuts = 0;
  for (let page = 0; page < 60; page++) {
    const data = (await site.get('queued_records', { limit: 500 })).body.data as Array<{ syncOutId: string; recordId: string }>;
    if (data.length === 0) break;
    for (const { recordId } of data) sent.set(recordId, (sent.get(recordId) ?? 0) + 1);
    const ids = data.map((record) => record.syncOutId);
    if (page % 3 === 2) {
      await cutAcknowledgement(ids, 'mid-request');
      cuts++;
    } else if (page % 3 === 1) {
      await cutAcknowledgement(ids, 'mid-answer');
      cuts++;
    } else expect((await site.post('acknowledged_records', { syncIDs: ids })).status).toBe(200);
  }
  expect(storeRecords.map((record) => record.recordId).filter((id) => !sent.has(id))).toEqual([]);
  // An acknowledgement the server never read brings its page once more; one it read brings nothing again.
  const twice = [...sent.values()].filter((count) => count === 2).length;
  expect([...sent.values()].every((count) => count <= 2)).toBe(true);
  expect(twice).toBeLessThanOrEqual(cuts * 500);
  expect(twice).toBeGreaterThan(0);
  expect(cuts).toBeGreaterThan(1);
});

test('a sync v6 pull, gzip-encoded as the client asks, cut mid-body at every other request: each record arrives once, one request more per cut', async () => {
  await serverWith([], false);
  // STORE_A is active on the central site and collected by site 2: its assets reach site 2's v6 pull.
  // Random notes keep the compressed answers large enough to be cut in the middle.
  const assets = Array.from({ length: 600 }, (_, i) => ({
    tableName: 'asset',
    recordId: `cut-asset-${String(i).padStart(4, '0')}`,
    action: 'Update',
    recordData: { id: `cut-asset-${String(i).padStart(4, '0')}`, store_id: 'STORE_A', notes: randomBytes(2_000).toString('hex') },
  }));
  expect((await server.admin('POST', '/v6-records', { records: assets })).status).toBe(200);
  const syncV5Settings = v6SyncSettings({ baseUrl: server.url, siteName: SITE, password: server.passwords[SITE]!, hardwareId: HARDWARE });
  const pullBody = (cursor: number) => Buffer.from(JSON.stringify({ cursor, batchSize: 100, syncV5Settings, isInitialised: false, syncV6Version: 5 }));
  const headers = { 'content-type': 'application/json', 'accept-encoding': 'gzip' };

  const received = new Map<string, number>();
  let cursor = 0;
  /** Cuts that left the site part of an answer (the last, short page may arrive whole before the cut). */
  let cuts = 0;
  let answered = 0;
  for (let call = 0; call < 60; call++) {
    if (call % 2 === 0) {
      // The link drops while the answer is on its way: the client keeps its cursor.
      const { seen, length } = await cutAnswer('/central/sync/pull', { method: 'POST', headers, body: pullBody(cursor) });
      if (seen < length) cuts++;
    }
    const answer = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      const req = request(new URL('/central/sync/pull', server.url), { method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end(pullBody(cursor));
    });
    answered++;
    expect(answer.encoding).toBe('gzip');
    const { data } = JSON.parse(gunzipSync(answer.body).toString('utf8')) as { data: { end_cursor: number; is_last_batch: boolean; records: Array<{ record: { recordId: string } }> } };
    for (const { record } of data.records) received.set(record.recordId, (received.get(record.recordId) ?? 0) + 1);
    // The client carries on after the batch's end (`central_data_synchroniser_v6.rs`).
    cursor = data.end_cursor + 1;
    if (data.is_last_batch) break;
  }
  const ids = assets.map((asset) => asset.recordId);
  expect(ids.filter((id) => !received.has(id))).toEqual([]);
  expect([...received].filter(([id, count]) => ids.includes(id) && count > 1)).toEqual([]);
  // Six pages of a hundred (and whatever else the site holds): a cut costs its one request, nothing more.
  expect(cuts).toBeGreaterThan(2);
  expect(answered).toBeLessThanOrEqual(Math.ceil(received.size / 100) + 1);
});
