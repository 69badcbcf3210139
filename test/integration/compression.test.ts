/**
 * gzip on the wire: answers gzip-encoded when the request accepts gzip (with Content-Encoding and
 * Vary), the same JSON as without; request bodies accepted gzip-encoded within the same limits
 * measured after decompression: a decompression bomb is a 413 and stores nothing.
 */
import { request } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { acceptsGzip } from '../../functions/commons/compression';
import { MAX_BODY_BYTES } from '../../functions/protocol/v5';
import { legacyRecord } from '../support/legacy-records';
import { basicAuth } from '../support/raw-v5';
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
