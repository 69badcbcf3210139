/**
 * Bad input on every route of the Open mSupply central API (sync v6, sync files, user login),
 * as the v5 routes get in sync-bad-input.test.ts: arbitrary bodies, content types and credentials
 * never make a 5xx, and every refusal is JSON the client can read. Each route's own suite checks
 * the exact error variants and that a refusal writes nothing.
 */
import fc from 'fast-check';
import { apiFunctions } from '../../lib/functions';
import { testSyncServerForFile } from '../support/sync-server';

const server = testSyncServerForFile();

/** Every route outside v5, admin and health: the central API's. */
const centralRoutes = Object.values(apiFunctions)
  .flatMap((description) => [...description.routes] as string[])
  .filter((routeKey) => /^\w+ \/(central|api)\//.test(routeKey))
  .map((routeKey) => {
    const [method, path] = routeKey.split(' ') as [string, string];
    return { method, path };
  });

test('the central API routes are all here', () => {
  const paths = centralRoutes.map((route) => route.path);
  for (const expected of ['/central/sync/pull', '/central/sync/push', '/central/sync/site_status', '/central/sync/upload_file', '/central/sync/download_file', '/api/v4/login']) {
    expect(paths).toContain(expected);
  }
});

const settings = (password: string) => ({
  url: 'http://ignored',
  username: 'remote-site-1',
  passwordSha256: password,
  siteUuid: 'bad-input-hw',
  appVersion: '2.13.0',
  appName: 'Open mSupply Desktop',
  syncVersion: '14',
});

const jsonValue: fc.Arbitrary<unknown> = fc.json({ maxDepth: 4 }).map((text) => JSON.parse(text) as unknown);

const body = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 60 }),
  fc.uint8Array({ maxLength: 60 }),
  jsonValue.map((value) => JSON.stringify(value)),
  // Shapes close to the real requests, with any field replaced by anything.
  fc
    .record(
      {
        cursor: fc.oneof(fc.nat(), jsonValue),
        batchSize: fc.oneof(fc.nat(2000), jsonValue),
        syncV5Settings: fc.oneof(fc.constant(settings('0'.repeat(64))), jsonValue),
        syncV6Version: fc.oneof(fc.integer({ min: -2, max: 9 }), jsonValue),
        isInitialised: fc.oneof(fc.boolean(), jsonValue),
        batch: jsonValue,
        username: fc.oneof(fc.constant('demo-user'), jsonValue),
        password: fc.oneof(fc.string({ maxLength: 12 }), jsonValue),
        loginType: fc.oneof(fc.constant('User'), jsonValue),
        siteName: fc.oneof(fc.constant('remote-site-1'), jsonValue),
        id: fc.oneof(fc.string({ maxLength: 12 }), jsonValue),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  // A multipart body with a boundary that may or may not match its content type.
  fc
    .tuple(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }))
    .map(([boundary, json, file]) =>
      [`--${boundary}`, 'Content-Disposition: form-data; name="json_part"', 'Content-Type: application/json', '', json, `--${boundary}`, 'Content-Disposition: form-data; name="file_part"; filename="a.txt"', '', file, `--${boundary}--`, ''].join('\r\n'),
    ),
);

const contentType = fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/octet-stream', 'multipart/form-data; boundary=abc', 'multipart/form-data');

test('arbitrary requests to the central API: never a 5xx, every refusal readable JSON', async () => {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...centralRoutes), body, contentType, async (route, payload, type) => {
      const response = await fetch(`${server.url}${route.path}`, {
        method: route.method,
        headers: type === undefined ? {} : { 'content-type': type },
        ...(payload === undefined ? {} : { body: payload }),
      });
      const text = await response.text();
      const context = `${route.method} ${route.path} (${type}) -> ${response.status} ${text.slice(0, 200)}`;
      if (response.status >= 500) throw new Error(`5xx: ${context}`);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 400) {
        try {
          JSON.parse(text);
        } catch {
          throw new Error(`a refusal the client cannot read as JSON: ${context}`);
        }
      }
    }),
    { numRuns: 150 },
  );
  expect([...statuses.keys()].some((status) => status >= 400 && status < 500)).toBe(true);
});
