/**
 * Users and login over HTTP, on the demo configuration: POST /api/v4/login answered as the Open
 * mSupply client parses it (success with stores and permissions, refusals, blocking with
 * timeoutRemaining), bad input never a 5xx and never a change, and users managed through the
 * admin API reaching sites as `user` records.
 */
import fc from 'fast-check';
import { request } from 'node:http';
import { defaultUserId } from '../../functions/domain/users/users';
import { grantedNumbers } from '../../functions/domain/users/permissions';
import { MAX_FAILED_USER_LOGINS, USER_LOGIN_WINDOW_SECONDS } from '../../functions/domain/users/login-throttle';
import { loginAnswerV4, loginBlockedAnswerV4, loginUserStoreV4 } from '../../functions/protocol/login-v4';
import { startTestSyncServer, syncUntil, type TestSyncServer } from '../support/sync-server';
import * as z from 'zod/mini';

jest.setTimeout(120_000);

let server: TestSyncServer;
let nowMs = Date.parse('2026-01-01T00:00:00Z');
const demoUserId = defaultUserId('demo-user');

beforeAll(async () => {
  server = await startTestSyncServer({ now: () => new Date(nowMs) });
});
afterAll(async () => {
  await server?.stop();
});

interface Answer {
  status: number;
  body: any;
}

/** A login as the client sends it (JSON, possibly without a content type), from a chosen local address. */
function login(body: unknown, options: { raw?: string; localAddress?: string; contentType?: string | null } = {}): Promise<Answer> {
  const text = options.raw ?? JSON.stringify(body);
  const url = new URL('/api/v4/login', server.url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-length': String(Buffer.byteLength(text)) };
    if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, localAddress: options.localAddress ?? '127.0.0.1' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const textBody = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: textBody ? JSON.parse(textBody) : undefined });
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

const asClient = (username: string, password: string, siteName: string | null = 'remote-site-1') => ({ username, password, loginType: 'User', siteName });

/** The client reads a refusal's status only; its body still parses as the answer, status "error". */
function expectRefusal(answer: Answer, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(loginAnswerV4.parse(answer.body)).toMatchObject({ status: 'error', authenticated: false, userInfo: null });
  expect(answer.body.error.code).toBe(code);
}

describe('POST /api/v4/login', () => {
  test('the demo user logs in: the user and every store they may log in to, with the permissions array', async () => {
    const answer = await login(asClient('demo-user', 'demo-user-pass'));
    expect(answer.status).toBe(200);
    const parsed = z.strictObject(loginAnswerV4.shape).parse(answer.body);
    expect(parsed).toMatchObject({ status: 'success', authenticated: true, username: 'demo-user', storeName: 'Store B' });
    expect(parsed.userInfo!.user).toMatchObject({ ID: demoUserId, name: 'demo-user', active: true, first_name: 'Demo', last_name: 'User' });
    const stores = parsed.userInfo!.userStores.map((store) => z.strictObject(loginUserStoreV4.shape).parse(store));
    expect(stores.map((s) => ({ store: s.store_ID, canLogin: s.can_login, isDefault: s.store_default, user: s.user_ID }))).toEqual([
      { store: 'STORE_B', canLogin: true, isDefault: true, user: demoUserId },
      { store: 'STORE_C', canLogin: true, isDefault: false, user: demoUserId },
      { store: 'STORE_D', canLogin: true, isDefault: false, user: demoUserId },
      { store: 'STORE_F', canLogin: true, isDefault: false, user: demoUserId },
    ]);
    // permissions[i] is legacy permission number i + 1 (map_api_permissions).
    expect(grantedNumbers(stores[3]!.permissions)).toEqual([39, 43, 153, 156]);
    expect(stores[0]!.permissions[155]).toBe(true);
  });

  test('the name is matched case-insensitively; a body without a content type is read', async () => {
    const answer = await login(asClient('DEMO-User', 'demo-user-pass', null), { contentType: null });
    expect(answer.status).toBe(200);
    expect(answer.body.userInfo.user.ID).toBe(demoUserId);
  });

  test('a wrong password and an unknown user get the same 401', async () => {
    const wrong = await login(asClient('demo-user', 'not-the-password'));
    const unknown = await login(asClient('no-such-user', 'demo-user-pass'));
    expectRefusal(wrong, 401, 'invalid_credentials');
    expectRefusal(unknown, 401, 'invalid_credentials');
    expect(unknown.body).toEqual(wrong.body);
    // The right password clears the count.
    expect((await login(asClient('demo-user', 'demo-user-pass'))).status).toBe(200);
  });

  test('an inactive user is refused with the right password, and logs in again once active', async () => {
    expect((await server.admin('PATCH', `/users/${demoUserId}`, { active: false })).status).toBe(200);
    expectRefusal(await login(asClient('demo-user', 'demo-user-pass')), 401, 'invalid_credentials');
    expect((await server.admin('PATCH', `/users/${demoUserId}`, { active: true })).body).toMatchObject({ active: true });
    expect((await login(asClient('demo-user', 'demo-user-pass'))).status).toBe(200);
  });

  test('repeated failures block the name from that source with timeoutRemaining (ms), not from another source, and the block ends with its window', async () => {
    const created = await server.admin('POST', '/users', { name: 'erin', password: 'erin-password', stores: [{ storeId: 'STORE_C', permissions: [156] }] });
    expect(created.status).toBe(201);
    for (let i = 0; i < MAX_FAILED_USER_LOGINS; i++) expectRefusal(await login(asClient('erin', `wrong-${i}`)), 401, 'invalid_credentials');

    nowMs += 60_000;
    const blocked = await login(asClient('erin', 'erin-password'));
    expect(blocked.status).toBe(403);
    const { timeoutRemaining } = loginBlockedAnswerV4.parse(blocked.body);
    expect(timeoutRemaining).toBe((USER_LOGIN_WINDOW_SECONDS - 60) * 1000);

    // Another source (another site's server) is not blocked for this name.
    expect((await login(asClient('erin', 'erin-password'), { localAddress: '127.0.0.2' })).status).toBe(200);

    nowMs += timeoutRemaining;
    expect((await login(asClient('erin', 'erin-password'))).status).toBe(200);
  });
});

describe('bad input: a clear 4xx in the answer\'s shape, never a 5xx, nothing changed', () => {
  const cases: Array<[string, string, number, string]> = [
    ['an empty body', '', 400, 'invalid_request'],
    ['not JSON', '{"username": "demo-user",', 400, 'invalid_json'],
    ['JSON null', 'null', 400, 'invalid_request'],
    ['an array', '[]', 400, 'invalid_request'],
    ['no password', JSON.stringify({ username: 'demo-user' }), 400, 'invalid_request'],
    ['an empty name', JSON.stringify({ username: ' ', password: 'x' }), 400, 'invalid_request'],
    ['a number for a password', JSON.stringify({ username: 'demo-user', password: 123 }), 400, 'invalid_request'],
    ['another login type', JSON.stringify({ username: 'demo-user', password: 'demo-user-pass', loginType: 'Patient' }), 400, 'invalid_request'],
    ['a huge body', JSON.stringify({ username: 'demo-user', password: 'x'.repeat(200_000) }), 413, 'payload_too_large'],
  ];
  test.each(cases)('%s', async (_name, raw, status, code) => {
    const version = (await server.adapters.configStore.load()).version;
    expectRefusal(await login(undefined, { raw }), status, code);
    expect((await server.adapters.configStore.load()).version).toBe(version);
  });

  test('arbitrary bodies: never a 5xx, every refusal parses as the client\'s answer, the configuration unchanged', async () => {
    const version = (await server.adapters.configStore.load()).version;
    const body = fc.oneof(
      fc.string(),
      fc.json(),
      fc.record({ username: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), password: fc.oneof(fc.string(), fc.boolean()), loginType: fc.string(), siteName: fc.oneof(fc.string(), fc.constant(null)) }).map((value) => JSON.stringify(value)),
    );
    await fc.assert(
      fc.asyncProperty(body, async (raw) => {
        const answer = await login(undefined, { raw, localAddress: '127.0.0.3' });
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
        if (answer.status === 403) loginBlockedAnswerV4.parse(answer.body);
        else expect(loginAnswerV4.parse(answer.body).status).toBe('error');
      }),
      { numRuns: 60 },
    );
    expect((await server.adapters.configStore.load()).version).toBe(version);
  });
});

describe('users through the admin API', () => {
  test('create, read, update, password, delete; bad bodies refused with the reason; listed in the OpenAPI document', async () => {
    const created = await server.admin('POST', '/users', {
      id: 'USER_FRANK',
      name: 'frank',
      password: 'frank-password',
      firstName: 'Frank',
      stores: [
        { storeId: 'STORE_B', permissions: [156, 2] },
        { storeId: 'STORE_F', permissions: [] },
      ],
      defaultStoreId: 'STORE_F',
    });
    expect(created).toMatchObject({ status: 201, body: { id: 'USER_FRANK', name: 'frank', active: true, hasPassword: true, defaultStoreId: 'STORE_F' } });
    expect(created.body.stores).toEqual([
      { storeId: 'STORE_B', permissions: [2, 156] },
      { storeId: 'STORE_F', permissions: [] },
    ]);
    expect(JSON.stringify(created.body)).not.toMatch(/scrypt|frank-password/);
    expect((await server.admin('GET', '/users/USER_FRANK')).body).toEqual(created.body);
    expect((await server.admin('GET', '/users')).body.users.map((u: { name: string }) => u.name)).toEqual(expect.arrayContaining(['demo-user', 'frank']));

    expect(await server.admin('POST', '/users', { name: 'FRANK', password: 'another-one' })).toMatchObject({ status: 409, body: { error: { code: 'user_name_taken' } } });
    expect(await server.admin('POST', '/users', { name: 'gina', password: 'gina-password', stores: [{ storeId: 'NO_STORE' }] })).toMatchObject({ status: 422, body: { error: { code: 'unknown_store' } } });
    expect(await server.admin('POST', '/users', { name: 'gina', password: 'short' })).toMatchObject({ status: 400, body: { error: { code: 'invalid_body' } } });
    expect(await server.admin('POST', '/users', { name: 'gina', password: 'gina-password', stores: [{ storeId: 'STORE_B', permissions: [-1] }] })).toMatchObject({ status: 400 });
    expect(await server.admin('PATCH', '/users/NOBODY', { active: false })).toMatchObject({ status: 404, body: { error: { code: 'user_not_found' } } });

    const changed = await server.admin('PATCH', '/users/USER_FRANK', { stores: [{ storeId: 'STORE_C', permissions: [156] }] });
    expect(changed.body).toMatchObject({ stores: [{ storeId: 'STORE_C', permissions: [156] }], defaultStoreId: null });
    const frankLogin = await login(asClient('frank', 'frank-password'));
    expect(frankLogin.body.userInfo.userStores.map((s: { store_ID: string; store_default: boolean }) => [s.store_ID, s.store_default])).toEqual([['STORE_C', true]]);

    expect((await server.admin('PUT', '/users/USER_FRANK/password', { password: 'frank-new-password' })).status).toBe(200);
    expect((await login(asClient('frank', 'frank-password'))).status).toBe(401);
    expect((await login(asClient('frank', 'frank-new-password'))).status).toBe(200);

    expect((await server.admin('DELETE', '/users/USER_FRANK')).status).toBe(204);
    expect((await server.admin('GET', '/users/USER_FRANK')).status).toBe(404);
    expect((await login(asClient('frank', 'frank-new-password'))).status).toBe(401);

    const audit = (await server.admin('GET', '/audit')).body.entries.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['user.create', 'user.update', 'user.password', 'user.delete']));
    const openApi = await fetch(`${server.url}/admin/v1/openapi.json`).then((r) => r.json() as Promise<{ paths: Record<string, unknown> }>);
    expect(Object.keys(openApi.paths)).toEqual(expect.arrayContaining(['/admin/v1/users', '/admin/v1/users/{userId}', '/admin/v1/users/{userId}/password']));
  });

  test('a user created, changed or deleted reaches sites as a `user` record (inactive once deleted)', async () => {
    const site = server.site('remote-site-2');
    await site.sync();
    expect((await server.admin('POST', '/users', { id: 'USER_HANA', name: 'hana', password: 'hana-password', lastName: 'H', stores: [{ storeId: 'STORE_C', permissions: [156] }] })).status).toBe(201);
    await syncUntil(site, () => site.held('user', 'USER_HANA') !== undefined);
    expect(site.held('user', 'USER_HANA')).toMatchObject({ ID: 'USER_HANA', name: 'hana', last_name: 'H', active: true, Language: 0 });
    expect(JSON.stringify(site.held('user', 'USER_HANA'))).not.toMatch(/scrypt|hana-password/);

    expect((await server.admin('DELETE', '/users/USER_HANA')).status).toBe(204);
    await syncUntil(site, () => site.held('user', 'USER_HANA')?.active === false);
    // A site syncing for the first time afterwards gets the record too (central data, from the change log).
    const late = server.site('remote-site-1');
    await late.sync();
    expect(late.held('user', 'USER_HANA')).toMatchObject({ name: 'hana', active: false });
  });
});

