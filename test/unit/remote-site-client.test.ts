/**
 * The faithful remote site against a scripted server: every call it makes, in order, with what
 * the Open mSupply client sends (docs/remote-site.md), and what it does with each kind of answer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { RemoteSite, SyncApiError, SyncFlowError, type RemoteSiteOptions } from '../../lib/remote-site/client';
import { sha256Hex } from '../../lib/remote-site/api';

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
  raw: Buffer;
}
type Answer = { status?: number; json?: unknown; text?: string; bytes?: Buffer; gzip?: boolean; hang?: boolean };
type Route = (seen: Seen, count: number) => Answer;

class ScriptedServer {
  readonly seen: Seen[] = [];
  private readonly counts = new Map<string, number>();
  private server!: http.Server;
  url = '';

  constructor(readonly routes: Record<string, Route>) {}

  async start() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const raw = Buffer.concat(chunks);
        const seen = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body: raw.toString(), raw };
        this.seen.push(seen);
        const key = `${seen.method} ${seen.path}`;
        const count = (this.counts.get(key) ?? 0) + 1;
        this.counts.set(key, count);
        const route = this.routes[key];
        const answer: Answer = route ? route(seen, count) : { status: 404, text: 'not found' };
        if (answer.hang) return;
        let body = answer.bytes ?? Buffer.from(answer.text ?? JSON.stringify(answer.json ?? {}));
        const headers: Record<string, string> = {};
        if (answer.gzip) {
          body = gzipSync(body);
          headers['content-encoding'] = 'gzip';
        }
        res.writeHead(answer.status ?? 200, headers).end(body);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  calls(): string[] {
    return this.seen.map((seen) => `${seen.method} ${seen.path}`);
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const servers: ScriptedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

const start = (routes: Record<string, Route>) => {
  const server = new ScriptedServer(routes);
  servers.push(server);
  return server.start();
};

const siteInfo = (server: () => string, fields: Record<string, unknown> = {}) => () => ({
  json: {
    id: 'uuid-2',
    siteId: 2,
    code: 'RS1',
    name: 'remote-site-1',
    initialisationStatus: 'new',
    omSupplyCentralServerUrl: server(),
    isOmSupplyCentralServer: false,
    mSupplyCentralSiteId: 1,
    ...fields,
  },
});
const idle = () => ({ json: { code: 'idle', message: 'idle', data: null } });
const emptyV6 = () => ({ json: { data: { end_cursor: 0, total_records: 0, records: [], is_last_batch: true } } });
const noCentral = () => ({ json: { maxCursor: 0, data: [] } });
const noQueue = () => ({ json: { queueLength: 0, data: [] } });

const storeRecord = (id: string, siteId: number, nameId = `NAME_${id}`) => ({
  syncOutId: `out-${id}`,
  tableName: 'store',
  recordId: id,
  action: 'update',
  recordData: { ID: id, name_ID: nameId, code: id, sync_id_remote_site: siteId, logo: '', store_mode: 'store', created_date: '0000-00-00', disabled: false },
});
const nameRecord = (id: string) => ({ syncOutId: `out-${id}`, tableName: 'name', recordId: id, action: 'update', recordData: { ID: id, name: id } });

function site(url: string, extra: Partial<RemoteSiteOptions> = {}) {
  return new RemoteSite({ baseUrl: url, siteName: 'remote-site-1', password: 'secret', hardwareId: 'hw-1', timeScale: 0.01, ...extra });
}

/** A whole healthy server; `extra` replaces routes. */
async function healthy(extra: Record<string, Route> = {}, queue: unknown[] = []) {
  let url = '';
  const server = await start({
    'GET /sync/v5/site': (seen, count) => siteInfo(() => url, { initialisationStatus: count === 1 ? 'new' : 'completed' })(),
    'POST /sync/v5/initialise': () => ({ json: { queueLength: queue.length } }),
    'GET /sync/v5/site_status': idle,
    'GET /sync/v5/central_records': noCentral,
    'GET /sync/v5/queued_records': (_, count) => (count === 1 ? { json: { queueLength: queue.length, data: queue } } : noQueue()),
    'POST /sync/v5/acknowledged_records': () => ({ status: 204, text: '' }),
    'POST /sync/v5/queued_records': () => ({ json: { integrationStarted: true } }),
    'POST /central/sync/pull': emptyV6,
    'POST /central/sync/push': () => ({ json: { data: { records_pushed: 0 } } }),
    'POST /central/sync/site_status': () => ({ json: { data: { is_integrating: false } } }),
    ...extra,
  });
  url = server.url;
  return server;
}

test('the first sync: site, initialise (a 2xx is trusted: no site_status), pull central, pull queue, pull v6; then it is initialised', async () => {
  const server = await healthy({}, [nameRecord('NAME_STORE_B'), storeRecord('STORE_B', 2, 'NAME_STORE_B')]);
  const remote = site(server.url);
  const summary = await remote.sync();
  expect(server.calls()).toEqual([
    'GET /sync/v5/site',
    'POST /sync/v5/initialise',
    'GET /sync/v5/central_records',
    'GET /sync/v5/queued_records',
    'POST /sync/v5/acknowledged_records',
    'GET /sync/v5/queued_records',
    'POST /central/sync/pull',
  ]);
  expect(summary).toMatchObject({ requestedInitialisation: true, initialised: true, pushed: 0, queueRecordsReceived: 2, integrated: 2 });
  expect(remote.isInitialised).toBe(true);
  expect(remote.activeStoreIds).toEqual(['STORE_B']);

  const initialise = server.seen[1]!;
  expect(initialise.body).toBe('{}');
  expect(initialise.headers['content-type']).toBeUndefined();
  expect(initialise.headers).toMatchObject({
    authorization: `Basic ${Buffer.from(`remote-site-1:${sha256Hex('secret')}`).toString('base64')}`,
    'msupply-site-uuid': 'hw-1',
    'app-name': 'Open mSupply Desktop',
    version: '14',
    'accept-encoding': 'gzip',
  });
  expect(initialise.headers['user-agent']).toBeUndefined();
  expect(server.seen[2]!.query).toEqual({ cursor: '0', limit: '500' });
  expect(server.seen[3]!.query).toEqual({ limit: '500' });
  expect(JSON.parse(server.seen[4]!.body)).toEqual({ syncIDs: ['out-NAME_STORE_B', 'out-STORE_B'] });
  const v6Pull = server.seen[6]!;
  expect(v6Pull.headers['content-type']).toBe('application/json');
  expect(JSON.parse(v6Pull.body)).toEqual({
    cursor: 0,
    batchSize: 500,
    isInitialised: false,
    syncV6Version: 5,
    syncV5Settings: { serverUrl: server.url, username: 'remote-site-1', passwordSha256: sha256Hex('secret'), siteUuid: 'hw-1', appVersion: expect.any(String), appName: 'Open mSupply Desktop', syncVersion: '14' },
  });
});

test('a later sync pushes (v6, its wait, v5 in batches of 1024 of its active stores, its wait) before pulling; changes made before initialisation are never pushed', async () => {
  const server = await healthy({}, [nameRecord('NAME_STORE_B'), storeRecord('STORE_B', 2, 'NAME_STORE_B')]);
  const remote = site(server.url);
  remote.change({ tableName: 'transact', recordId: 'BEFORE', action: 'insert', recordData: { ID: 'BEFORE', store_ID: 'STORE_B' } });
  await remote.sync();
  const records = Array.from({ length: 1030 }, (_, index) => ({ tableName: 'transact', recordId: `T${index}`, action: 'update' as const, recordData: { ID: `T${index}`, store_ID: 'STORE_B' } }));
  remote.changes([...records, { tableName: 'transact', recordId: 'OTHER', action: 'update', recordData: { ID: 'OTHER', store_ID: 'STORE_X' } }]);
  remote.change({ tableName: 'trans_line', recordId: 'L1', action: 'update', recordData: { ID: 'L1', transaction_ID: 'T0' } });
  server.seen.length = 0;

  const summary = await remote.sync();
  expect(server.calls()).toEqual([
    'GET /sync/v5/site',
    'POST /central/sync/push',
    'POST /central/sync/push',
    'POST /central/sync/site_status',
    'POST /sync/v5/queued_records',
    'POST /sync/v5/queued_records',
    'POST /sync/v5/queued_records',
    'GET /sync/v5/site_status',
    'GET /sync/v5/central_records',
    'GET /sync/v5/queued_records',
    'POST /central/sync/pull',
  ]);
  const pushes = server.seen.filter((seen) => seen.path === '/sync/v5/queued_records' && seen.method === 'POST').map((seen) => JSON.parse(seen.body));
  expect(pushes.map((push) => [push.queueLength, push.data.length])).toEqual([
    [1031, 1024],
    [7, 7],
    [0, 0],
  ]);
  expect(pushes[0].data[0]).toEqual({ syncOutId: expect.stringMatching(/^\d+$/), tableName: 'transact', recordId: 'T0', action: 'Update', recordData: { ID: 'T0', store_ID: 'STORE_B' } });
  const pushedIds = pushes.flatMap((push) => push.data.map((record: { recordId: string }) => record.recordId));
  expect(pushedIds).not.toContain('BEFORE');
  expect(pushedIds).not.toContain('OTHER');
  expect(pushedIds).toContain('L1');
  expect(server.seen.filter((seen) => seen.path === '/sync/v5/queued_records' && seen.method === 'POST').every((seen) => seen.headers['content-type'] === undefined)).toBe(true);
  expect(summary).toMatchObject({ pushed: 1031, requestedInitialisation: false, initialised: false });
  const v6Push = JSON.parse(server.seen[1]!.body);
  expect(v6Push.batch).toMatchObject({ total_records: 1031, records: [], is_last_batch: false });
});

test('initialisation already started on the server: no POST, site_status polled until idle', async () => {
  let url = '';
  const server = await start({
    'GET /sync/v5/site': () => siteInfo(() => url, { initialisationStatus: 'started' })(),
    'GET /sync/v5/site_status': (_, count) => (count < 3 ? { json: { code: 'initialisation_in_progress', message: 'busy', data: null } } : idle()),
    'GET /sync/v5/central_records': noCentral,
    'GET /sync/v5/queued_records': noQueue,
    'POST /central/sync/pull': emptyV6,
  });
  url = server.url;
  await site(url).sync();
  expect(server.calls().slice(0, 4)).toEqual(['GET /sync/v5/site', 'GET /sync/v5/site_status', 'GET /sync/v5/site_status', 'GET /sync/v5/site_status']);
  expect(server.calls()).not.toContain('POST /sync/v5/initialise');
});

test('an initialise that never answers (read idle timeout, retried) falls back to polling; one answered with an error fails the sync', async () => {
  const hanging = await healthy({ 'POST /sync/v5/initialise': () => ({ hang: true }) });
  const remote = site(hanging.url, { timeScale: 0.001 });
  await remote.sync();
  expect(hanging.calls().filter((call) => call === 'POST /sync/v5/initialise')).toHaveLength(3);
  expect(hanging.calls()[4]).toBe('GET /sync/v5/site_status');
  expect(remote.isInitialised).toBe(true);

  const refusing = await healthy({ 'POST /sync/v5/initialise': () => ({ status: 503, json: { error: { code: 'busy', message: 'try later', data: null } } }) });
  const failing = site(refusing.url);
  await expect(failing.sync()).rejects.toMatchObject({ name: 'SyncApiError', kind: 'parsed', code: 'busy', status: 503 });
  expect(refusing.calls()).toEqual(['GET /sync/v5/site', 'POST /sync/v5/initialise']);
  expect(failing.isSyncQueueInitialised).toBe(false);
});

test('an omSupplyCentralServerUrl that does not parse fails every sync after the initialise step', async () => {
  const server = await healthy({ 'GET /sync/v5/site': siteInfo(() => '') });
  const remote = site(server.url);
  await expect(remote.sync()).rejects.toMatchObject({ code: 'v6_url' });
  expect(remote.isSyncQueueInitialised).toBe(true);
  expect(remote.isInitialised).toBe(false);
  await expect(remote.sync()).rejects.toBeInstanceOf(SyncFlowError);
  expect(server.calls().filter((call) => call === 'POST /sync/v5/initialise')).toHaveLength(1);
});

test('isOmSupplyCentralServer: no v6 call at all', async () => {
  const server = await healthy({ 'GET /sync/v5/site': siteInfo(() => '', { isOmSupplyCentralServer: true }) });
  await site(server.url).sync();
  expect(server.calls().some((call) => call.includes('/central/sync/'))).toBe(false);
});

test('a v6 route answering 404 fails the sync', async () => {
  const server = await healthy({ 'POST /central/sync/pull': () => ({ status: 404, text: 'Not Found' }) });
  const remote = site(server.url);
  await expect(remote.sync()).rejects.toMatchObject({ kind: 'responseParsing' });
  expect(remote.isInitialised).toBe(false);
});

test('gzip answers are decoded; 408 is retried, 500 is not', async () => {
  const server = await healthy({
    'GET /sync/v5/central_records': (_, count) => (count === 1 ? { status: 408, text: '' } : { gzip: true, json: { maxCursor: 0, data: [] } }),
    'GET /sync/v5/queued_records': () => ({ status: 500, text: 'boom' }),
  });
  await expect(site(server.url).sync()).rejects.toMatchObject({ kind: 'asText', status: 500 });
  expect(server.calls().filter((call) => call === 'GET /sync/v5/central_records')).toHaveLength(2);
  expect(server.calls().filter((call) => call === 'GET /sync/v5/queued_records')).toHaveLength(1);
});

test('central records: the cursor becomes the last ID; an empty page below maxCursor steps it by one; an empty page at maxCursor stops', async () => {
  const record = (ID: number) => ({ ID, tableName: 'item', recordId: `I${ID}`, action: 'insert', recordData: { ID: `I${ID}` } });
  const pages = [{ maxCursor: 9, data: [record(3), record(5)] }, { maxCursor: 9, data: [] }, { maxCursor: 9, data: [record(9)] }, { maxCursor: 9, data: [] }];
  const server = await healthy({ 'GET /sync/v5/central_records': (_, count) => ({ json: pages[count - 1] }) });
  const remote = site(server.url);
  const summary = await remote.sync();
  expect(server.seen.filter((seen) => seen.path === '/sync/v5/central_records').map((seen) => seen.query.cursor)).toEqual(['0', '5', '6', '9']);
  expect(summary.centralRecordsReceived).toBe(3);
  expect(remote.centralCursor).toBe(9);
  expect(remote.held('item', 'I9')).toEqual({ ID: 'I9' });
});

test('a queue page whose queueLength is below its record count fails loudly (after acknowledging, as the client would)', async () => {
  const server = await healthy({ 'GET /sync/v5/queued_records': () => ({ json: { queueLength: 0, data: [nameRecord('N1')] } }) });
  await expect(site(server.url).sync()).rejects.toMatchObject({ code: 'queue_length_below_data' });
  expect(server.calls()).toContain('POST /sync/v5/acknowledged_records');
});

test('after a push the integration wait fails the sync once 30 s (scaled) pass without idle; the pulls are skipped', async () => {
  const server = await healthy({ 'GET /sync/v5/site_status': () => ({ json: { code: 'integration_in_progress', message: 'busy', data: null } }) });
  const remote = site(server.url);
  await remote.sync();
  server.seen.length = 0;
  await expect(remote.sync()).rejects.toMatchObject({ code: 'timeout_reached' });
  expect(server.calls().filter((call) => call === 'GET /sync/v5/site_status').length).toBeGreaterThan(1);
  expect(server.calls()).not.toContain('GET /sync/v5/central_records');
});

test('a push closing with integrationStarted false fails the sync', async () => {
  const server = await healthy({ 'POST /sync/v5/queued_records': () => ({ json: { integrationStarted: false } }) });
  const remote = site(server.url);
  await remote.sync();
  await expect(remote.sync()).rejects.toMatchObject({ code: 'integration_not_started' });
});

test('a store record is ignored without its name; active stores are the held stores of this site id', async () => {
  const server = await healthy({}, [storeRecord('STORE_B', 2, 'NAME_MISSING'), nameRecord('NAME_STORE_C'), storeRecord('STORE_C', 3, 'NAME_STORE_C'), nameRecord('NAME_STORE_F'), storeRecord('STORE_F', 2, 'NAME_STORE_F')]);
  const remote = site(server.url);
  const summary = await remote.sync();
  expect(summary.ignored).toEqual([expect.objectContaining({ tableName: 'store', recordId: 'STORE_B' })]);
  expect(remote.held('store', 'STORE_B')).toBeUndefined();
  expect(remote.activeStoreIds).toEqual(['STORE_F']);
});

test('unreachable server: a connection error after three attempts', async () => {
  const server = await healthy();
  const url = server.url;
  await server.stop();
  servers.splice(servers.indexOf(server), 1);
  const error = await site(url).sync().catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(SyncApiError);
  expect((error as SyncApiError).isConnection()).toBe(true);
});

test('the local state survives a restart (state file): no second initialise, the push cursor kept', async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const statePath = path.join(mkdtempSync(path.join(tmpdir(), 'site-state-')), 'site.json');
  const server = await healthy({}, [nameRecord('NAME_STORE_B'), storeRecord('STORE_B', 2, 'NAME_STORE_B')]);
  await site(server.url, { statePath }).sync();
  const restarted = site(server.url, { statePath });
  expect(restarted.isInitialised).toBe(true);
  expect(restarted.activeStoreIds).toEqual(['STORE_B']);
  restarted.change({ tableName: 'transact', recordId: 'T1', action: 'update', recordData: { ID: 'T1', store_ID: 'STORE_B' } });
  server.seen.length = 0;
  expect(await site(server.url, { statePath }).sync()).toMatchObject({ requestedInitialisation: false, pushed: 1 });
  expect(server.calls()).not.toContain('POST /sync/v5/initialise');
});

test('processors see the change log since they last ran, local changes included; what they make is pushed next', async () => {
  const server = await healthy({}, [nameRecord('NAME_STORE_B'), storeRecord('STORE_B', 2, 'NAME_STORE_B')]);
  const seen: string[][] = [];
  const remote = site(server.url, {
    processors: ({ integrated, activeStoreIds }) => {
      seen.push(integrated.map((record) => `${record.tableName} ${record.recordId}`));
      return integrated.some((record) => record.recordId === 'LOCAL') ? [{ tableName: 'transact', recordId: 'MADE', recordData: { ID: 'MADE', store_ID: activeStoreIds[0] } }] : [];
    },
  });
  await remote.sync();
  remote.change({ tableName: 'transact', recordId: 'LOCAL', action: 'update', recordData: { ID: 'LOCAL', store_ID: 'STORE_B' } });
  expect(await remote.sync()).toMatchObject({ pushed: 1, processorChanges: 1 });
  expect(seen).toEqual([['name NAME_STORE_B', 'store STORE_B'], ['transact LOCAL']]);
  server.seen.length = 0;
  expect(await remote.sync()).toMatchObject({ pushed: 1, processorChanges: 0 });
  const pushed = server.seen.filter((seen) => seen.method === 'POST' && seen.path === '/sync/v5/queued_records').flatMap((seen) => JSON.parse(seen.body).data);
  expect(pushed.map((record: { recordId: string }) => record.recordId)).toEqual(['MADE']);
});

// ---------------------------------------------------------------------------------------------
// Login (`service/src/login.rs`, `apis/login_v4.rs`)

const loginUser = (fields: Record<string, unknown> = {}) => ({
  ID: 'USER_1', name: 'Demo-User', startup_method: '', nblogins: 0, group_id: '', mode: '', active: true, lasttime: 0, initials: '',
  first_name: 'Demo', last_name: '', address_1: '', address_2: '', e_mail: 'demo@example.org', phone1: '', phone2: '', job_title: '',
  responsible_officer: false, Language: 1, use_ldap: false, ldap_login_string: '', receives_sms_errors: false, is_group: false,
  windows_user_name: '', license_category_id: '', isInactiveAuthoriser: false, spare_1: '', ...fields,
});
const permissionsArray = (numbers: number[]) => Array.from({ length: Math.max(0, ...numbers) }, (_, index) => numbers.includes(index + 1));
const userStore = (storeId: string, numbers: number[], fields: Record<string, unknown> = {}) => ({
  ID: `USJ_${storeId}`, user_ID: 'USER_1', store_ID: storeId, can_login: true, store_default: false, can_action_replenishments: false, permissions: permissionsArray(numbers), ...fields,
});
const loginSuccess = (userStores: unknown[], user = loginUser()) => ({
  json: { status: 'success', authenticated: true, username: 'Demo-User', userFirstName: 'Demo', userLastName: '', userJobTitle: '', userType: 'user', service: '', storeName: 'Store B', userInfo: { user, userStores } },
});

/** A site that synced once and holds STORE_B (its own, site 2) and STORE_C (site 3's). */
async function syncedSite(login: Route, extra: Partial<RemoteSiteOptions> = {}) {
  const queue = [nameRecord('NAME_STORE_B'), storeRecord('STORE_B', 2, 'NAME_STORE_B'), nameRecord('NAME_STORE_C'), storeRecord('STORE_C', 3, 'NAME_STORE_C')];
  const server = await healthy({ 'POST /api/v4/login': login }, queue);
  const remote = site(`${server.url}/some/path/`, extra);
  await remote.sync();
  return { server, remote };
}

describe('login', () => {
  test('asks <sync url root>/api/v4/login with the JSON body the client sends, stores the user, the joins of held stores it may log in to, and their permissions', async () => {
    const { server, remote } = await syncedSite(() =>
      loginSuccess([
        userStore('STORE_B', [43, 156, 157, 999], { store_default: true }),
        userStore('STORE_C', [39]),
        userStore('STORE_UNKNOWN', [43]),
        userStore('STORE_NO_LOGIN', [43], { can_login: false }),
      ]),
    );
    const result = await remote.login('demo-user', 'the password');

    const call = server.seen.find((seen) => seen.path === '/api/v4/login')!;
    expect(call.method).toBe('POST');
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.headers.authorization).toBeUndefined();
    expect(call.body).toBe(JSON.stringify({ username: 'demo-user', password: 'the password', loginType: 'User', siteName: 'remote-site-1' }));

    expect(result.status).toBe('loggedIn');
    expect(result.central).toEqual({ kind: 'updated' });
    const [user] = remote.users;
    expect(user).toMatchObject({ id: 'USER_1', username: 'Demo-User', email: 'demo@example.org', firstName: 'Demo', lastName: null, jobTitle: null, language: 'French', isActive: true });
    expect(user!.hashedPassword).not.toContain('the password');
    const stores = remote.userStores('USER_1');
    expect(stores.map((store) => [store.storeId, store.isDefault])).toEqual([
      ['STORE_B', true],
      ['STORE_C', false],
    ]);
    expect(stores[0]!.permissions).toEqual(
      ['CustomerReturnQuery', 'OutboundShipmentQuery', 'PrescriptionQuery', 'ServerAdmin', 'StockLineQuery', 'StocktakeQuery', 'StoreAccess'].sort(),
    );
    expect(stores[1]!.permissions).toEqual(['InboundShipmentQuery', 'StoreAccess', 'SupplierReturnQuery']);
  });

  test('a 401 is invalid credentials without reading the body or trying the local copy', async () => {
    let refuse = false;
    const { remote } = await syncedSite(() => (refuse ? { status: 401, text: 'not json' } : loginSuccess([userStore('STORE_B', [43])])));
    expect((await remote.login('demo-user', 'pw')).status).toBe('loggedIn');
    refuse = true;
    expect(await remote.login('demo-user', 'pw')).toEqual({ status: 'invalidCredentials', central: { kind: 'unauthenticated' } });
  });

  test('a 403 user_login_timeout with timeoutRemaining blocks; without it the answer is read as a login answer and the local copy decides', async () => {
    let answer: Answer = loginSuccess([userStore('STORE_B', [43])]);
    const { remote } = await syncedSite(() => answer);
    await remote.login('demo-user', 'pw');
    answer = { status: 403, json: { status: 'user_login_timeout', timeoutRemaining: 840000 } };
    expect(await remote.login('demo-user', 'pw')).toEqual({ status: 'accountBlocked', timeoutRemaining: 840000, central: { kind: 'blocked', timeoutRemaining: 840000 } });
    answer = { status: 403, json: { status: 'user_login_timeout' } };
    const fallback = await remote.login('demo-user', 'pw');
    expect(fallback.status).toBe('loggedIn');
    expect(fallback.central.kind).toBe('internalError');
  });

  test('no answer, a body that is not JSON or status "error": the site checks its own copy (offline login), case-insensitively', async () => {
    let answer: Answer = loginSuccess([userStore('STORE_B', [43])]);
    const { remote } = await syncedSite(() => answer);
    await remote.login('demo-user', 'pw');
    answer = { status: 500, text: 'Internal Server Error' };
    const offline = await remote.login('DEMO-USER', 'pw');
    expect(offline).toMatchObject({ status: 'loggedIn', central: { kind: 'connectionError' } });
    expect((await remote.login('demo-user', 'wrong')).status).toBe('invalidCredentials');
    answer = { json: { ...loginSuccess([]).json, status: 'error', userInfo: null } };
    expect(await remote.login('demo-user', 'pw')).toMatchObject({ status: 'loggedIn', central: { kind: 'connectionError' } });
    // An answer missing a field the client requires (`phone2`) is not stored.
    answer = loginSuccess([userStore('STORE_B', [43])], { ...loginUser(), phone2: undefined } as never);
    expect(await remote.login('demo-user', 'new password')).toMatchObject({ status: 'invalidCredentials', central: { kind: 'internalError' } });
  });

  test('a user whose stores are all on other sites is refused on this one; an unknown user without a local copy is invalid', async () => {
    let answer: Answer = loginSuccess([userStore('STORE_C', [43])]);
    const { remote } = await syncedSite(() => answer);
    expect(await remote.login('demo-user', 'pw')).toEqual({ status: 'noSiteAccess', central: { kind: 'updated' } });
    answer = { status: 502, text: 'bad gateway' };
    expect((await remote.login('someone-else', 'pw')).status).toBe('invalidCredentials');
  });

  test('a pulled user record updates the account and keeps its password; an inactive one ends offline logins', async () => {
    let answer: Answer = loginSuccess([userStore('STORE_B', [43])]);
    const userRecord = (active: boolean) => ({ syncOutId: `out-user-${active}`, tableName: 'user', recordId: 'USER_1', action: 'update', recordData: { ID: 'USER_1', name: 'Demo-User', e_mail: '', Language: 0, first_name: 'D', last_name: '', phone1: '', job_title: '', active } });
    let queue: unknown[] = [];
    const server = await healthy({
      'POST /api/v4/login': () => answer,
      'GET /sync/v5/queued_records': (_, count) => {
        if (count === 1) return { json: { queueLength: 2, data: [nameRecord('NAME_STORE_B'), storeRecord('STORE_B', 2, 'NAME_STORE_B')] } };
        const data = queue;
        queue = [];
        return { json: { queueLength: data.length, data } };
      },
    });
    const remote = site(server.url);
    await remote.sync();
    await remote.login('demo-user', 'pw');
    answer = { status: 500, text: 'down' };
    queue = [userRecord(true)];
    await remote.sync();
    expect(remote.users[0]).toMatchObject({ firstName: 'D', language: 'English', isActive: true });
    expect((await remote.login('demo-user', 'pw')).status).toBe('loggedIn');
    queue = [userRecord(false)];
    await remote.sync();
    expect((await remote.login('demo-user', 'pw')).status).toBe('invalidCredentials');
  });
});

// ---------------------------------------------------------------------------------------------
// Sync files (`sync/file_synchroniser.rs`, `sync/api_v6/upload_file.rs`, `download_file.rs`)

/** Splits a multipart body into its parts' header text and raw bytes. */
function multipartParts(seen: Seen): Array<{ headers: string; body: Buffer }> {
  const boundary = /boundary=(.+)$/.exec(String(seen.headers['content-type']))![1]!;
  const parts: Array<{ headers: string; body: Buffer }> = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let at = seen.raw.indexOf(delimiter);
  for (;;) {
    const next = seen.raw.indexOf(delimiter, at + delimiter.length);
    if (next < 0) break;
    const part = seen.raw.subarray(at + delimiter.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    parts.push({ headers: part.subarray(0, split).toString(), body: part.subarray(split + 4) });
    at = next;
  }
  expect(seen.raw.subarray(at).toString()).toBe(`--${boundary}--\r\n`);
  return parts;
}

describe('sync files', () => {
  const bytes = Buffer.from([0, 255, 1, 254, 13, 10, 45, 45, 0x89, 0x50, 0x4e, 0x47]);

  test('an attached file: its reference is pushed over v6 only, then uploaded as reqwest sends the multipart form, and marked Done', async () => {
    const server = await healthy({ 'PUT /central/sync/upload_file': () => ({ json: { data: null } }) });
    const remote = site(server.url);
    expect(await remote.fileSync()).toMatchObject({ skipped: expect.stringContaining('not initialised') });
    await remote.sync();
    const reference = remote.attachFile({ tableName: 'asset', recordId: 'ASSET_1', fileName: 'fridge "1".jpg', bytes, mimeType: 'image/jpeg' });
    expect(reference).toEqual({
      id: expect.any(String),
      table_name: 'asset',
      record_id: 'ASSET_1',
      file_name: 'fridge "1".jpg',
      mime_type: 'image/jpeg',
      total_bytes: bytes.length,
      created_datetime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/),
      deleted_datetime: null,
    });
    expect(remote.fileReference(reference.id)).toMatchObject({ status: 'New', direction: 'Upload' });

    await remote.sync();
    const v6Push = server.seen.find((seen) => seen.path === '/central/sync/push')!;
    expect(JSON.parse(v6Push.body).batch.records).toEqual([{ cursor: expect.any(Number), record: { tableName: 'sync_file_reference', recordId: reference.id, action: 'Update', recordData: reference } }]);
    const v5Push = server.seen.filter((seen) => seen.method === 'POST' && seen.path === '/sync/v5/queued_records');
    expect(v5Push.flatMap((seen) => JSON.parse(seen.body).data ?? [])).toEqual([]);

    const before = server.seen.length;
    expect(await remote.fileSync()).toEqual({ uploaded: [reference.id], failed: [] });
    const calls = server.seen.slice(before);
    expect(calls.map((seen) => `${seen.method} ${seen.path}`)).toEqual(['PUT /central/sync/upload_file']);
    const upload = calls[0]!;
    expect(upload.headers['content-type']).toMatch(/^multipart\/form-data; boundary=[0-9a-f]{16}-[0-9a-f]{16}-[0-9a-f]{16}-[0-9a-f]{16}$/);
    expect(upload.headers['content-length']).toBe(String(upload.raw.length));
    const [jsonPart, filePart, ...rest] = multipartParts(upload);
    expect(rest).toEqual([]);
    expect(jsonPart!.headers).toBe('Content-Disposition: form-data; name="json_part"\r\nContent-Type: application/json');
    expect(JSON.parse(jsonPart!.body.toString())).toEqual({
      file_id: reference.id,
      sync_v5_settings: { serverUrl: server.url, username: 'remote-site-1', passwordSha256: sha256Hex('secret'), siteUuid: 'hw-1', appVersion: '2.20.00', appName: 'Open mSupply Desktop', syncVersion: '14' },
      sync_v6_version: 5,
    });
    expect(filePart!.headers).toBe('Content-Disposition: form-data; name="file_part"; filename="fridge \\"1\\".jpg"');
    expect(filePart!.body.equals(bytes)).toBe(true);
    expect(remote.fileReference(reference.id)).toMatchObject({ status: 'Done', uploadedBytes: bytes.length, error: null });

    // Nothing is due any more: no call.
    expect(await remote.fileSync()).toEqual({ uploaded: [], failed: [] });
    expect(server.seen.length).toBe(before + 1);
  });

  test('syncFileNotFound is tried again a (scaled) minute later; other errors back off from 15 minutes; the error text is kept', async () => {
    let answer: Answer = { status: 404, json: { error: { syncFileNotFound: 'x' } } };
    const server = await healthy({ 'PUT /central/sync/upload_file': () => answer });
    const remote = site(server.url, { timeScale: 0.005 });
    await remote.sync();
    const reference = remote.attachFile({ tableName: 'asset', recordId: 'ASSET_1', fileName: 'a.txt', bytes });
    await remote.sync();

    const first = await remote.fileSync();
    expect(first.failed).toEqual([{ id: reference.id, error: expect.stringContaining('syncFileNotFound'), status: 'Error' }]);
    const afterNotFound = remote.fileReference(reference.id)!;
    expect(afterNotFound).toMatchObject({ status: 'Error', retries: 1, error: expect.stringContaining('syncFileNotFound') });
    const minute = remote.timing.ms(60);
    expect(afterNotFound.retryAt! - Date.now()).toBeLessThanOrEqual(minute);
    // Not due yet: no call.
    const uploads = () => server.seen.filter((seen) => seen.path === '/central/sync/upload_file').length;
    await remote.fileSync();
    expect(uploads()).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, minute + 20));
    answer = { status: 500, json: { error: { otherServerError: 'storage down' } } };
    await remote.fileSync();
    expect(uploads()).toBe(2);
    const afterOther = remote.fileReference(reference.id)!;
    expect(afterOther).toMatchObject({ status: 'Error', retries: 2, error: expect.stringContaining('storage down') });
    // 15 minutes doubled once: 30 (scaled), well past one minute.
    expect(afterOther.retryAt! - Date.now()).toBeGreaterThan(remote.timing.ms(29 * 60));

    // An answer that is not the client's shape (`data` must be null) is an error too.
    answer = { json: { data: {} } };
    const other = remote.attachFile({ tableName: 'asset', recordId: 'ASSET_2', fileName: 'b.txt', bytes });
    await remote.sync();
    expect((await remote.fileSync()).failed).toEqual([{ id: other.id, error: expect.stringContaining('could not parse'), status: 'Error' }]);
  });

  test('a pulled reference is a download: never uploaded; opening it downloads the bytes once, as the client asks for them', async () => {
    const reference = { id: 'FILE_1', table_name: 'asset', record_id: 'ASSET_9', file_name: 'manual.pdf', mime_type: 'application/pdf', total_bytes: bytes.length, created_datetime: '2026-01-01T00:00:00', deleted_datetime: null };
    let download: Answer = { bytes, status: 200 };
    const server = await healthy({
      'POST /central/sync/pull': () => ({ json: { data: { end_cursor: 1, total_records: 1, is_last_batch: true, records: [{ cursor: 1, record: { tableName: 'sync_file_reference', recordId: 'FILE_1', action: 'Update', recordData: reference } }] } } }),
      'POST /central/sync/download_file': () => download,
      'PUT /central/sync/upload_file': () => ({ json: { data: null } }),
    });
    const remote = site(server.url);
    await remote.sync();
    expect(remote.fileReference('FILE_1')).toMatchObject({ ...reference, status: 'New', direction: 'Download' });
    expect(remote.file('FILE_1')).toBeUndefined();
    expect(await remote.fileSync()).toEqual({ uploaded: [], failed: [] });

    download = { status: 404, json: { syncFileNotFound: 'FILE_1' } };
    await expect(remote.downloadFile('FILE_1')).rejects.toMatchObject({ kind: 'v6Error', code: 'syncFileNotFound', status: 404 });
    expect(remote.fileReference('FILE_1')).toMatchObject({ status: 'Error', error: expect.stringContaining('syncFileNotFound') });
    // The error body of a download is the bare variant: a wrapped one does not parse.
    download = { status: 403, json: { error: { otherServerError: 'no' } } };
    await expect(remote.downloadFile('FILE_1')).rejects.toMatchObject({ kind: 'responseParsing', status: 403 });

    download = { status: 200, bytes };
    const file = await remote.downloadFile('FILE_1');
    expect(file.name).toBe('manual.pdf');
    expect(file.bytes.equals(bytes)).toBe(true);
    const call = server.seen.filter((seen) => seen.path === '/central/sync/download_file').at(-1)!;
    expect(call.headers['content-type']).toBe('application/json');
    expect(JSON.parse(call.body)).toEqual({ tableName: 'asset', recordId: 'ASSET_9', id: 'FILE_1', syncV5Settings: expect.objectContaining({ username: 'remote-site-1' }), syncV6Version: 5 });
    expect(remote.fileReference('FILE_1')).toMatchObject({ status: 'Done', downloadedBytes: bytes.length });
    const downloads = server.seen.filter((seen) => seen.path === '/central/sync/download_file').length;
    expect((await remote.downloadFile('FILE_1')).bytes.equals(bytes)).toBe(true);
    expect(server.seen.filter((seen) => seen.path === '/central/sync/download_file').length).toBe(downloads);
    expect(server.calls()).not.toContain('PUT /central/sync/upload_file');
  });
});
