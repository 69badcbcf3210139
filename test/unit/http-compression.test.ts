/**
 * The compression middleware on its own: a gzip-encoded body reaches the handler byte for byte
 * (a sync file's bytes are not text), an answer of bytes is compressed only when its type is text,
 * an answer that would not shrink goes as it is, and Vary keeps what the answer already named.
 */
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Context } from 'aws-lambda';
import { httpHandler, type HttpEvent, type HttpResult } from '../../functions/commons/http';

const context = { functionName: 'test', awsRequestId: 'r', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

function event(headers: Record<string, string>, body?: Buffer): HttpEvent {
  return {
    version: '2.0',
    routeKey: 'PUT /central/sync/upload_file',
    rawPath: '/central/sync/upload_file',
    rawQueryString: '',
    headers,
    requestContext: { http: { method: 'PUT', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: '' } } as HttpEvent['requestContext'],
    ...(body ? { body: body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
  };
}

const call = (handler: ReturnType<typeof httpHandler>, request: HttpEvent) => handler(request, context) as Promise<HttpResult>;

test('a gzip-encoded body of bytes that are not text reaches the handler unchanged', async () => {
  const bytes = Buffer.concat([Buffer.from('--x\r\nContent-Type: image/png\r\n\r\n'), randomBytes(4096), Buffer.from([0xff, 0xfe, 0xc0])]);
  let seen: Buffer | undefined;
  const handler = httpHandler(async (request) => {
    seen = Buffer.from(request.body ?? '', request.isBase64Encoded ? 'base64' : 'utf8');
    return { statusCode: 200, body: 'ok' };
  });
  expect((await call(handler, event({ 'content-encoding': 'gzip' }, gzipSync(bytes)))).statusCode).toBe(200);
  expect(seen?.equals(bytes)).toBe(true);
});

test('a gzip-encoded text body reaches the handler as text', async () => {
  let seen: { body?: string; isBase64Encoded: boolean } | undefined;
  const handler = httpHandler(async (request) => {
    seen = { body: request.body, isBase64Encoded: request.isBase64Encoded };
    return { statusCode: 200, body: 'ok' };
  });
  await call(handler, event({ 'content-encoding': 'gzip' }, gzipSync('{"name":"Ünïcode ✓"}')));
  expect(seen).toEqual({ body: '{"name":"Ünïcode ✓"}', isBase64Encoded: false });
});

describe('an answer of bytes (a downloaded sync file)', () => {
  const text = Buffer.from('item,quantity\n'.repeat(500));
  const answering = (contentType: string, bytes: Buffer) =>
    httpHandler(async () => ({ statusCode: 200, headers: { 'content-type': contentType }, body: bytes.toString('base64'), isBase64Encoded: true }));

  test('is gzip-encoded when it is text and the request accepts gzip', async () => {
    const answer = await call(answering('text/csv', text), event({ 'accept-encoding': 'gzip' }));
    expect(answer.headers).toMatchObject({ 'content-encoding': 'gzip', vary: 'accept-encoding' });
    expect(gunzipSync(Buffer.from(answer.body!, 'base64')).equals(text)).toBe(true);
  });

  test('goes as it is when it is an image, or would not shrink', async () => {
    const image = await call(answering('image/jpeg', text), event({ 'accept-encoding': 'gzip' }));
    expect(image.headers?.['content-encoding']).toBeUndefined();
    expect(Buffer.from(image.body!, 'base64').equals(text)).toBe(true);
    const noise = randomBytes(8192);
    const random = await call(answering('application/json', noise), event({ 'accept-encoding': 'gzip' }));
    expect(random.headers?.['content-encoding']).toBeUndefined();
    expect(Buffer.from(random.body!, 'base64').equals(noise)).toBe(true);
  });
});

test('Vary keeps what the answer already varies by', async () => {
  const handler = httpHandler(async () => ({ statusCode: 200, headers: { vary: 'Origin' }, body: 'x'.repeat(2048) }));
  const answer = await call(handler, event({ 'accept-encoding': 'gzip' }));
  expect(answer.headers).toMatchObject({ vary: 'Origin, accept-encoding', 'content-encoding': 'gzip' });
  const already = await call(httpHandler(async () => ({ statusCode: 200, headers: { vary: 'Accept-Encoding' }, body: 'short' })), event({}));
  expect(already.headers?.vary).toBe('Accept-Encoding');
});
