/**
 * Hostile input on every route the deployment serves (v5, v6, sync files, login, admin, health),
 * as an attacker on the network would send it: deep nesting, huge strings, lone surrogates,
 * emoji, NUL, `__proto__`, numbers JSON allows but nothing can keep exactly, malformed percent-
 * encodings and bytes that are not UTF-8, inside bodies shaped like the real requests so that
 * they get past authentication. Never a 5xx, and nothing stored from a refusal: every data table
 * is read before and after each request, and a 4xx must leave them as they were.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { sha256Hex } from '../../functions/domain/config/credentials';
import { apiFunctions } from '../../lib/functions';
import { ADMIN_TOKEN, startTestSyncServer, type TestSyncServer } from '../support/sync-server';

jest.setTimeout(10 * 60_000);

/** remote-site-1 (site 2) authenticates; remote-site-2 is the one wrong passwords are tried on. */
const SITE = 'remote-site-1';
const HARDWARE = 'fuzz-hardware';
/** Tables whose content a refused request must not change (siteState counts failures by design). */
const DATA_TABLES = ['records', 'quarantine', 'syncOut', 'changeLog', 'config', 'v6Sync'] as const;

let server: TestSyncServer;
let adminPaths: Array<{ method: string; path: string }> = [];

beforeAll(async () => {
  // No consumer: nothing changes the tables between two requests but the requests themselves.
  server = await startTestSyncServer({ consumer: false });
  const openApi = (await (await fetch(`${server.url}/admin/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  adminPaths = Object.entries(openApi.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => ({ method: method.toUpperCase(), path: path.startsWith('/admin/v1') ? path : `/admin/v1${path}` })),
  );
  // Bind the site's hardware, as its first initialisation does.
  const bound = await fetch(`${server.url}/sync/v5/initialise`, { method: 'POST', headers: v5Headers() });
  expect(bound.status).toBe(200);
});

afterAll(async () => {
  await server?.stop();
});

const basic = (credentials: string) => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
const v5Headers = (): Record<string, string> => ({
  authorization: basic(`${SITE}:${sha256Hex(server.passwords[SITE]!)}`),
  'msupply-site-uuid': HARDWARE,
  'app-name': 'Open mSupply Desktop',
  'app-version': '2.20.00',
  version: '14',
});
const v5Settings = () => ({
  serverUrl: server.url,
  username: SITE,
  passwordSha256: sha256Hex(server.passwords[SITE]!),
  siteUuid: HARDWARE,
  appVersion: '2.20.00',
  appName: 'Open mSupply Desktop',
  syncVersion: '14',
});

// --- hostile values ---------------------------------------------------------------------------

/** Placeholders swapped into the JSON text after serialising: what JSON.stringify cannot write. */
const RAW = { proto: '"__RAW_PROTO_KEY__"', bigNumber: '"__RAW_1E400__"', longInteger: '"__RAW_LONG_INT__"' } as const;
const rawText = (json: string) =>
  json
    .replaceAll(`${RAW.proto}:`, '"__proto__":')
    .replaceAll(RAW.bigNumber, '1e400')
    .replaceAll(RAW.longInteger, '123456789012345678901234567890');

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 3, arbitrary: fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udfff', '\ud83d', '😀', '🏥💉👩‍⚕️', '\uffff', '\ufffe', '__proto__', 'constructor', 'toString', '%', '%E0%A4%A', '%ZZ', '../../etc/passwd', "' OR 1=1 --", '<script>', '', ' ', 'STORE_B', 'NAME_STORE_C') },
  fc.constantFrom('x'.repeat(70_000), '😀'.repeat(40_000)),
);
const hostileNumber = fc.oneof(
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, -(2 ** 63), Number.MIN_VALUE, -0, 0.1, 1e-300, 4294967296, -1),
  fc.constantFrom(RAW.bigNumber, RAW.longInteger).map((placeholder) => JSON.parse(placeholder) as string),
);
const hostileLeaf = fc.oneof(hostileString, hostileNumber, fc.boolean(), fc.constant(null));
const hostileKey = fc.oneof(hostileString.filter((key) => key.length < 100), fc.constant(JSON.parse(RAW.proto) as string));
const { hostileValue } = fc.letrec<{ hostileValue: unknown }>((tie) => ({
  hostileValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileLeaf,
    fc.array(tie('hostileValue'), { maxLength: 3 }),
    fc.dictionary(hostileKey, tie('hostileValue'), { maxKeys: 3 }),
  ),
}));
const hostileObject = fc.dictionary(hostileKey, hostileValue, { maxKeys: 4 });

/** Nesting far past any limit, as text (JSON.parse takes it; anything recursive would not). */
const deepText = fc.constantFrom(137, 2_000, 200_000).chain((depth) =>
  fc.constantFrom('['.repeat(depth) + ']'.repeat(depth), '{"a":'.repeat(depth) + '1' + '}'.repeat(depth), `{"records":${'['.repeat(depth)}${']'.repeat(depth)}}`),
);
/** Bytes that are not UTF-8, and gzip that is not gzip. */
const badBytes = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.constant(Uint8Array.from([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80])));

// --- request shapes ---------------------------------------------------------------------------

const tableName = fc.oneof(fc.constantFrom('transact', 'trans_line', 'item', 'name', 'store', 'user', 'message', 'requisition', 'asset', 'sync_file_reference'), hostileString);
const v5Record = fc.record({
  syncOutId: fc.oneof(fc.uuid(), hostileString),
  tableName,
  recordId: hostileString,
  action: fc.oneof(fc.constantFrom('insert', 'update', 'delete', 'merge', 'Insert'), hostileString),
  recordData: fc.oneof(hostileObject, hostileObject.map((data) => ({ store_ID: 'STORE_B', ...data })), hostileLeaf),
});
const v6Record = fc.record({
  cursor: fc.oneof(fc.nat(), hostileNumber),
  record: fc.record({ tableName, recordId: hostileString, action: fc.oneof(fc.constantFrom('UPSERT', 'DELETE'), hostileString), recordData: fc.oneof(hostileObject, hostileLeaf) }),
});
const shapedBody = (path: string): fc.Arbitrary<unknown> => {
  if (path.endsWith('/queued_records')) return fc.record({ queueLength: fc.oneof(fc.nat(10), hostileLeaf), data: fc.oneof(fc.array(v5Record, { maxLength: 4 }), hostileValue) }, { requiredKeys: [] });
  if (path.endsWith('/acknowledged_records')) return fc.record({ syncIDs: fc.oneof(fc.array(hostileLeaf, { maxLength: 4 }), hostileValue) });
  if (path.startsWith('/central/sync/'))
    return fc.record(
      {
        syncV5Settings: fc.oneof({ weight: 4, arbitrary: fc.constant(null).map(() => v5Settings()) }, hostileValue),
        syncV6Version: fc.oneof(fc.constant(5), hostileLeaf),
        cursor: fc.oneof(fc.nat(), hostileNumber),
        batchSize: fc.oneof(fc.nat(2000), hostileNumber),
        isInitialised: fc.oneof(fc.boolean(), hostileLeaf),
        patientId: hostileString,
        batch: fc.record({ endCursor: fc.oneof(fc.nat(), hostileNumber), totalRecords: fc.oneof(fc.nat(), hostileNumber), records: fc.oneof(fc.array(v6Record, { maxLength: 3 }), hostileValue) }, { requiredKeys: [] }),
        id: hostileString,
        tableName,
        recordId: hostileString,
      },
      { requiredKeys: [] },
    );
  if (path === '/api/v4/login')
    return fc.record({ username: fc.oneof(fc.constant('demo-user'), hostileString), password: hostileLeaf, loginType: fc.oneof(fc.constant('User'), hostileLeaf), siteName: fc.oneof(fc.constant(SITE), hostileLeaf) }, { requiredKeys: [] });
  return fc.oneof(hostileObject, hostileValue);
};

/** Lone surrogates replaced by U+FFFD, as a URL can only carry well-formed text. */
const wellFormed = (text: string) => text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/** A path segment: a hostile value percent-encoded, or a malformed encoding sent as it is. */
const pathSegment = fc.oneof(fc.constantFrom('2', '3', 'STORE_B', 'NAME_STORE_A', '%', '%ZZ', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '..'), hostileString.filter((text) => text.length < 200).map((text) => encodeURIComponent(wellFormed(text))));

interface Target {
  readonly method: string;
  readonly path: string;
}

const targets = (): Target[] => [
  ...Object.values(apiFunctions)
    .flatMap((description) => [...description.routes] as string[])
    .filter((routeKey) => !routeKey.includes('{proxy+}'))
    .flatMap((routeKey) => {
      const [method, path] = routeKey.split(' ') as [string, string];
      // ANY is a route key, not an HTTP method: the methods a browser sends.
      return (method === 'ANY' ? ['GET', 'POST'] : [method]).map((each) => ({ method: each, path }));
    }),
  ...adminPaths,
];

const requestFor = (target: Target) =>
  fc.record({
    path: fc.tuple(...target.path.split('/').map((segment) => (/^\{\w+\}$/.test(segment) ? pathSegment : fc.constant(segment)))).map((segments) => segments.join('/')),
    query: fc.dictionary(fc.constantFrom('limit', 'cursor', 'siteId', 'after', 'table', 'id'), fc.oneof(hostileString.filter((text) => text.length < 200), hostileNumber.map(String)), { maxKeys: 2 }),
    auth: fc.oneof({ weight: 8, arbitrary: fc.constant('valid') }, fc.constantFrom('none', 'wrong', 'garbage')),
    body: fc.oneof(
      { weight: 6, arbitrary: shapedBody(target.path).map((value) => rawText(JSON.stringify(value) ?? 'null')) },
      { weight: 1, arbitrary: deepText },
      { weight: 1, arbitrary: badBytes },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    contentType: fc.constantFrom(undefined, 'application/json', 'text/plain', 'multipart/form-data; boundary=x'),
    gzip: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  });

function headersFor(path: string, auth: string, contentType: string | undefined, gzip: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  if (path.startsWith('/sync/v5/')) {
    Object.assign(headers, v5Headers());
    if (auth === 'none') delete headers.authorization;
    if (auth === 'wrong') headers.authorization = basic(`remote-site-2:${sha256Hex('not the password')}`);
    if (auth === 'garbage') headers.authorization = 'Basic %%%not-base64\u00ff';
  } else if (path.startsWith('/admin/')) {
    if (auth === 'valid') headers.authorization = `Bearer ${ADMIN_TOKEN}`;
    if (auth === 'wrong') headers.authorization = 'Bearer wrong-token';
    if (auth === 'garbage') headers.authorization = 'Bearer \u00ff\u00fe';
  }
  if (contentType) headers['content-type'] = contentType;
  if (gzip) headers['content-encoding'] = 'gzip';
  return headers;
}

/** Every item of the data tables, as text: equal before and after a refused request. */
async function dataTables(): Promise<string> {
  const state: string[] = [];
  for (const table of DATA_TABLES) {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await server.resources.db.send(new ScanCommand({ TableName: server.resources.tables[table], ExclusiveStartKey, ConsistentRead: true }));
      state.push(...(page.Items ?? []).map((item) => `${table} ${JSON.stringify(item)}`));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
  return state.sort().join('\n');
}

test('hostile requests on every route: no 5xx, every refusal readable JSON (an HTML page on the console), nothing stored from a refusal', async () => {
  const all = targets();
  for (const expected of ['/sync/v5/queued_records', '/central/sync/push', '/central/sync/upload_file', '/api/v4/login', '/health']) expect(all.map((target) => target.path)).toContain(expected);
  expect(adminPaths.length).toBeGreaterThan(10);

  const statuses = new Map<number, number>();
  let requests = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...all).chain((target) => requestFor(target).map((request) => ({ target, request }))),
      async ({ target, request }) => {
        const query = new URLSearchParams(request.query).toString();
        const url = `${server.url}${request.path}${query ? `?${query}` : ''}`;
        const before = await dataTables();
        const withBody = target.method !== 'GET' && request.body !== undefined;
        const response = await fetch(url, {
          method: target.method,
          headers: headersFor(target.path, request.auth, request.contentType, request.gzip),
          ...(withBody ? { body: request.body } : {}),
        });
        const text = await response.text();
        requests++;
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const context = `${target.method} ${request.path.slice(0, 200)} -> ${response.status} ${text.slice(0, 300)}`;
        if (response.status >= 500) throw new Error(`5xx: ${context}`);
        if (response.status >= 400) {
          // The console's pages are HTML, its refusals too; every API refusal is JSON.
          if (request.path.startsWith('/console') && response.headers.get('content-type')?.startsWith('text/html')) {
            if (!text.includes('<main>')) throw new Error(`a console refusal that is not a page: ${context}`);
          } else {
            try {
              JSON.parse(text);
            } catch {
              throw new Error(`a refusal that is not JSON: ${context}`);
            }
          }
          if ((await dataTables()) !== before) throw new Error(`a refused request changed stored data: ${context}`);
        }
      },
    ),
    { numRuns: 700 },
  );
  // Printed for the record: how many requests, and what they were answered.
  console.log(`fuzz: ${requests} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
  // The requests reached the routes themselves, not only the checks in front of them.
  expect([...statuses.keys()].some((status) => status >= 200 && status < 300)).toBe(true);
  expect([...statuses.keys()].some((status) => status >= 400 && status < 500)).toBe(true);
});
