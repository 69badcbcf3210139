/**
 * gzip on the wire: answers gzip-encoded when the request accepts gzip (with Content-Encoding and
 * Vary), the same JSON as without, on the v5 and v6 routes alike; request bodies accepted
 * gzip-encoded within the same limits measured after decompression: a decompression bomb is a 413
 * in the route's own error shape (v5, v6, sync files, login) and stores nothing.
 */
import { request } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { acceptsGzip } from '../../functions/commons/compression';
import { MAX_BODY_BYTES } from '../../functions/protocol/v5';
import { downloadFileErrorBody, errorAnswer, uploadFileAnswer } from '../../functions/protocol/v6';
import { legacyRecord } from '../support/legacy-records';
import { basicAuth, v6SyncSettings } from '../support/raw-v5';
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';

const SITE = 'remote-site-1';
let server: TestSyncServer;

beforeAll(async () => {
  server = await startTestSyncServer({ consumer: false });
  expect((await raw('POST', '/sync/v5/initialise')).status).toBe(200);
});
afterAll(async () => {
  await server?.stop();
});

const v5Headers = () => ({
  authorization: basicAuth(SITE, server.passwords[SITE]!),
  'msupply-site-uuid': 'compression-hw',
  'app-name': 'Open mSupply Desktop',
  'app-version': '2.20.00',
  version: '14',
});

/** A request without any automatic decoding: the bytes and headers as they travel. */
function raw(method: string, path: string, options: { headers?: Record<string, string>; body?: Buffer } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const req = request(new URL(path, server.url), { method, headers: { ...v5Headers(), ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

test('Accept-Encoding is read as HTTP says: gzip, x-gzip or *, unless its q is 0', () => {
  expect(acceptsGzip('gzip')).toBe(true);
  expect(acceptsGzip('br, gzip;q=0.5')).toBe(true);
  expect(acceptsGzip('*')).toBe(true);
  expect(acceptsGzip('gzip;q=0')).toBe(false);
  expect(acceptsGzip('br, deflate')).toBe(false);
  expect(acceptsGzip('gzip;q=0, *')).toBe(false);
  expect(acceptsGzip('*;q=0, gzip;q=0.1')).toBe(true);
  expect(acceptsGzip('deflate, gzip')).toBe(true);
  expect(acceptsGzip(undefined)).toBe(false);
});

test('the central records answer is gzip-encoded when accepted, and the same JSON as the plain one', async () => {
  const plain = await raw('GET', '/sync/v5/central_records?cursor=0&limit=500');
  const compressed = await raw('GET', '/sync/v5/central_records?cursor=0&limit=500', { headers: { 'accept-encoding': 'gzip' } });
  expect(plain.status).toBe(200);
  expect(plain.headers['content-encoding']).toBeUndefined();
  expect(plain.headers.vary).toMatch(/accept-encoding/i);
  expect(compressed.headers['content-encoding']).toBe('gzip');
  expect(compressed.headers.vary).toMatch(/accept-encoding/i);
  expect(JSON.parse(gunzipSync(compressed.body).toString('utf8'))).toEqual(JSON.parse(plain.body.toString('utf8')));
  expect(compressed.body.length).toBeLessThan(plain.body.length);
});

test('a gzip-encoded push is read as the push it contains', async () => {
  const record = { syncOutId: 'gzip-1', ...legacyRecord('transact', 'GZIP_INVOICE', { store_ID: 'STORE_B', name_ID: 'SOME_CUSTOMER' }) };
  const body = gzipSync(JSON.stringify({ queueLength: 0, data: [record] }));
  const answer = await raw('POST', '/sync/v5/queued_records', { headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' }, body });
  expect(answer.status).toBe(200);
  expect((await server.adapters.centralCopy.get([{ tableName: 'transact', recordId: 'GZIP_INVOICE' }])).size).toBe(1);
});

test('a decompression bomb is a 413 and stores nothing; not-gzip is a 400; another encoding is a 415', async () => {
  const filler = 'x'.repeat(MAX_BODY_BYTES + 1024);
  const record = { syncOutId: 'bomb-1', ...legacyRecord('transact', 'BOMB_INVOICE', { store_ID: 'STORE_B', comment: filler }) };
  const bomb = gzipSync(JSON.stringify({ queueLength: 0, data: [record] }));
  expect(bomb.length).toBeLessThan(100 * 1024);
  const answer = await raw('POST', '/sync/v5/queued_records', { headers: { 'content-encoding': 'gzip' }, body: bomb });
  expect(answer.status).toBe(413);
  expect(JSON.parse(answer.body.toString('utf8'))).toMatchObject({ error: { code: 'payload_too_large' } });
  expect((await server.adapters.centralCopy.get([{ tableName: 'transact', recordId: 'BOMB_INVOICE' }])).size).toBe(0);

  const notGzip = await raw('POST', '/sync/v5/queued_records', { headers: { 'content-encoding': 'gzip' }, body: Buffer.from('{"queueLength":0,"data":[]}') });
  expect(notGzip.status).toBe(400);
  const brotli = await raw('POST', '/sync/v5/queued_records', { headers: { 'content-encoding': 'br' }, body: Buffer.from('xyz') });
  expect(brotli.status).toBe(415);
  expect(JSON.parse(brotli.body.toString('utf8'))).toMatchObject({ error: { code: 'unsupported_content_encoding' } });
});

/** The v5 settings an Open mSupply site sends inside every v6 body. */
const v6Settings = () => v6SyncSettings({ baseUrl: server.url, siteName: SITE, password: server.passwords[SITE]!, hardwareId: 'compression-hw' });
const v6Pull = () => JSON.stringify({ cursor: 0, batchSize: 500, syncV5Settings: v6Settings(), isInitialised: false, syncV6Version: 5 });
const jsonHeaders = { 'content-type': 'application/json' };

/** A JSON body over the limit once decompressed, and under 100 KB on the wire. */
function bombOf(value: unknown): Buffer {
  const bomb = gzipSync(JSON.stringify({ ...(value as object), filler: 'x'.repeat(MAX_BODY_BYTES + 1024) }));
  expect(bomb.length).toBeLessThan(100 * 1024);
  return bomb;
}

test('a v6 pull is gzip-encoded when accepted, the same JSON as the plain one', async () => {
  // STORE_A is active on the central site and collected by site 2: its assets reach site 2's v6 pull.
  const records = Array.from({ length: 40 }, (_, i) => ({ tableName: 'asset', recordId: `gz-asset-${i}`, action: 'Update', recordData: { id: `gz-asset-${i}`, store_id: 'STORE_A', notes: `asset ${i} `.repeat(40) } }));
  expect((await server.admin('POST', '/v6-records', { records })).status).toBe(200);
  const plain = await raw('POST', '/central/sync/pull', { headers: jsonHeaders, body: Buffer.from(v6Pull()) });
  const compressed = await raw('POST', '/central/sync/pull', { headers: { ...jsonHeaders, 'accept-encoding': 'gzip' }, body: Buffer.from(v6Pull()) });
  expect(plain.status).toBe(200);
  expect(plain.headers['content-encoding']).toBeUndefined();
  expect(compressed.headers['content-encoding']).toBe('gzip');
  expect(compressed.headers.vary).toMatch(/accept-encoding/i);
  const answer = JSON.parse(gunzipSync(compressed.body).toString('utf8'));
  expect(answer).toEqual(JSON.parse(plain.body.toString('utf8')));
  expect(answer.data.records.length).toBeGreaterThanOrEqual(40);
  expect(compressed.body.length).toBeLessThan(plain.body.length * 0.35);
});

test('every sync answer says it varies by Accept-Encoding: v5, v6, site info and login', async () => {
  const v6Status = JSON.stringify({ syncV5Settings: v6Settings(), syncV6Version: 5 });
  const answers = await Promise.all([
    raw('GET', '/sync/v5/site'),
    raw('GET', '/sync/v5/site_status'),
    raw('GET', '/sync/v5/queued_records?limit=10'),
    raw('POST', '/central/sync/site_status', { headers: jsonHeaders, body: Buffer.from(v6Status) }),
    raw('POST', '/api/v4/login', { headers: jsonHeaders, body: Buffer.from(JSON.stringify({ username: 'nobody', password: 'wrong', loginType: 'User' })) }),
  ]);
  expect(answers.map((answer) => [answer.status < 500, answer.headers.vary])).toEqual(answers.map(() => [true, expect.stringMatching(/accept-encoding/i)]));
});

test('a gzip-encoded v6 push is read as the push it contains', async () => {
  const body = gzipSync(JSON.stringify({ batch: { total_records: 0, end_cursor: 0, records: [], is_last_batch: true }, syncV5Settings: v6Settings(), syncV6Version: 5 }));
  const answer = await raw('POST', '/central/sync/push', { headers: { ...jsonHeaders, 'content-encoding': 'gzip' }, body });
  expect({ status: answer.status, body: JSON.parse(answer.body.toString('utf8')) }).toEqual({ status: 200, body: { data: { records_pushed: 0 } } });
});

test('a decompression bomb on a v6, sync file or login route is a 413 in that route\'s own error shape', async () => {
  const gzipped = { ...jsonHeaders, 'content-encoding': 'gzip' };
  const pull = await raw('POST', '/central/sync/pull', { headers: gzipped, body: bombOf(JSON.parse(v6Pull())) });
  expect(pull.status).toBe(413);
  const pullError = errorAnswer.parse(JSON.parse(pull.body.toString('utf8')));
  expect(pullError.error).toEqual({ otherServerError: expect.stringMatching(/decompressed/) });

  // An upload's error is wrapped in `error`, a download's is the bare variant (as the client parses each).
  const upload = await raw('PUT', '/central/sync/upload_file', { headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-encoding': 'gzip' }, body: bombOf({}) });
  expect(upload.status).toBe(413);
  expect(uploadFileAnswer.parse(JSON.parse(upload.body.toString('utf8')))).toEqual({ error: { otherServerError: expect.any(String) } });
  const download = await raw('POST', '/central/sync/download_file', { headers: gzipped, body: bombOf({ syncV5Settings: v6Settings() }) });
  expect(download.status).toBe(413);
  expect(downloadFileErrorBody.parse(JSON.parse(download.body.toString('utf8')))).toEqual({ otherServerError: expect.any(String) });

  const login = await raw('POST', '/api/v4/login', { headers: gzipped, body: bombOf({ username: 'u', password: 'p' }) });
  expect(login.status).toBe(413);
  expect(JSON.parse(login.body.toString('utf8'))).toMatchObject({ status: 'error', authenticated: false, error: { code: 'payload_too_large' } });
});
