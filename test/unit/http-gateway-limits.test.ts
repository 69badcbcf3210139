/**
 * The local gateway answers as API Gateway and Lambda would at their limits, so a test against
 * the local server sees what a deployed site would: a body or event too large is a 413, a result
 * too large a 502, an integration past its time a 503.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { AWS_LIMITS, createHttpGateway, type GatewayLimits, type LambdaHttpHandler } from '../../lib/local/http-gateway';

let server: Server;
let url: string;
let reply: (body: string | undefined) => Promise<unknown>;
let invocations = 0;

const limits: GatewayLimits = { maxRequestBodyBytes: 20_000, maxEventBytes: 10_000, maxResultBytes: 10_000, integrationTimeoutMs: 300 };

beforeAll(async () => {
  const handler: LambdaHttpHandler = async (event) => {
    invocations++;
    return (await reply(event.body)) as never;
  };
  server = createHttpGateway([{ routeKey: 'POST /echo', functionName: 'echo', handler }], () => {}, limits);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/echo`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const post = async (body: string) => {
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: response.status, body: (await response.json()) as unknown };
};

test('the defaults are AWS\'s own limits', () => {
  expect(AWS_LIMITS).toEqual({ maxRequestBodyBytes: 10_485_760, maxEventBytes: 6_291_456, maxResultBytes: 6_291_556, integrationTimeoutMs: 30_000 });
});

test('within the limits the handler answers', async () => {
  reply = async (body) => ({ statusCode: 200, body });
  expect(await post('{"ok":true}')).toEqual({ status: 200, body: { ok: true } });
});

test('a body past the HTTP API limit is refused before any invocation', async () => {
  const before = invocations;
  expect(await post(JSON.stringify({ data: 'x'.repeat(25_000) }))).toEqual({ status: 413, body: { message: 'Request Entity Too Large' } });
  expect(invocations).toBe(before);
});

test('an event past Lambda\'s payload limit (the body counts JSON-escaped) is refused before any invocation', async () => {
  const before = invocations;
  // 5,000 quotes are 5 KB of body but 10 KB once escaped into the event.
  expect(await post(JSON.stringify({ data: '"'.repeat(5_000) }))).toEqual({ status: 413, body: { message: 'Request Too Long' } });
  expect(invocations).toBe(before);
});

test('a result past Lambda\'s response limit is a 502, as the integration fails', async () => {
  reply = async () => ({ statusCode: 200, body: JSON.stringify({ data: 'x'.repeat(12_000) }) });
  expect(await post('{}')).toEqual({ status: 502, body: { message: 'Internal Server Error' } });
});

test('an integration past its time is a 503', async () => {
  reply = async () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: '{}' }), 1_000));
  expect(await post('{}')).toEqual({ status: 503, body: { message: 'Service Unavailable' } });
});
