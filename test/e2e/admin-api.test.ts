/** The admin API over HTTP through `npm start`, on the demo configuration it loads. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startLocalServerProcess, type LocalServerProcess } from '../support/local-server-process';

jest.setTimeout(180_000);

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
let server: LocalServerProcess;
beforeAll(async () => {
  server = await startLocalServerProcess([], { env: { ADMIN_TOKEN } });
});
afterAll(async () => {
  await server?.stop('SIGKILL');
});

const call = async (method: string, path: string, options: { body?: unknown; raw?: string; auth?: string | null } = {}) => {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-admin-user': 'e2e' };
  const auth = options.auth === undefined ? `Bearer ${ADMIN_TOKEN}` : options.auth;
  if (auth !== null) headers.authorization = auth;
  const response = await fetch(`${server.url}/admin/v1${path}`, {
    method,
    headers,
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
};

test('npm start prints the demo sites\' passwords and the admin token', () => {
  expect(server.output()).toContain('name "remote-site-1", password "remote-site-1-pass"');
  expect(server.output()).toContain(`admin token:   ${ADMIN_TOKEN}`);
});

test('the demo configuration is served, with the documented sync-with settings', async () => {
  const sites = await call('GET', '/sites');
  expect(sites.status).toBe(200);
  expect(sites.body!.sites.map((s: { name: string }) => s.name)).toEqual(['sync-server', 'remote-site-1', 'remote-site-2']);
  expect(sites.body!.sites[1]).toMatchObject({ hasPassword: true, hardwareId: '' });
  expect(JSON.stringify(sites.body)).not.toContain('scrypt');

  const syncWith = await call('GET', '/stores/STORE_F/sync-with');
  expect(syncWith.body!.sites.map((s: { type: string }) => s.type)).toEqual(['transfer', 'active', 'none']);
});

test('missing or wrong credentials are 401; site credentials are 403', async () => {
  expect(await call('GET', '/sites', { auth: null })).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
  expect((await call('GET', '/sites', { auth: 'Bearer wrong' })).status).toBe(401);
  const basic = `Basic ${Buffer.from('remote-site-1:remote-site-1-pass').toString('base64')}`;
  expect(await call('GET', '/sites', { auth: basic })).toMatchObject({ status: 403, body: { error: { code: 'site_credentials_refused' } } });
  // The OpenAPI document needs no credential.
  const doc = await fetch(`${server.url}/admin/v1/openapi.json`);
  expect(doc.status).toBe(200);
  expect(((await doc.json()) as { openapi: string }).openapi).toBe('3.1.0');
});

test('bad input is 400, broken rules 422, unknown things 404, dependent deletes 409', async () => {
  expect(await call('POST', '/sites', { raw: '{not json' })).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
  const invalid = await call('POST', '/sites', { body: { siteId: 0, name: '', code: 'X', kind: 'laptop' } });
  expect(invalid).toMatchObject({ status: 400, body: { error: { code: 'invalid_body' } } });
  expect(invalid.body!.error.data.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['siteId', 'name', 'kind']));

  expect(await call('PUT', '/stores/STORE_D/sync-with/2', { body: { syncWith: 'activeCollector' } })).toMatchObject({
    status: 422,
    body: { error: { code: 'store_not_visible_on_site' } },
  });
  expect(await call('GET', '/stores/NOPE')).toMatchObject({ status: 404, body: { error: { code: 'store_not_found' } } });
  expect(await call('GET', '/no-such-thing')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  const dependent = await call('DELETE', '/sites/3');
  expect(dependent).toMatchObject({ status: 409, body: { error: { code: 'site_in_use' } } });
  expect(dependent.body!.error.message).toContain('STORE_C, STORE_D');
});

test('a privileged change is applied and audited with who and when', async () => {
  const created = await call('POST', '/sites', { body: { siteId: 4, name: 'clinic-mobile', code: 'CM', kind: 'mobile', password: 'clinic-pass-1' } });
  expect(created).toMatchObject({ status: 201, body: { siteId: 4, hasPassword: true } });
  expect((await call('POST', '/stores', { body: { id: 'STORE_G', code: 'G', name: 'Store G', nameId: 'NAME_STORE_G', activeSiteId: 4 } })).status).toBe(201);
  expect((await call('POST', '/stores/STORE_G/visibility', { body: { nameId: 'NAME_STORE_B' } })).status).toBe(201);
  const changed = await call('PUT', '/stores/STORE_B/sync-with/4', { body: { syncWith: 'activeCollector' } });
  expect(changed.status).toBe(200);
  expect(changed.body!.sites.find((s: { siteId: number }) => s.siteId === 4)).toEqual({ siteId: 4, syncWith: 'activeCollector', type: 'collector' });

  const audit = await call('GET', '/audit');
  expect(audit.body!.entries[0]).toMatchObject({
    action: 'store.syncWith',
    target: 'store/STORE_B/site/4',
    actor: expect.stringMatching(/^admin:e2e@/),
    at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
  });
});

test('the sync report through npm start: a site\'s pull and refused records show, in JSON and through npm run admin as CSV', async () => {
  const v5 = (route: string) =>
    fetch(`${server.url}/sync/v5/${route}`, {
      headers: {
        authorization: `Basic ${Buffer.from(`remote-site-1:${createHash('sha256').update('remote-site-1-pass').digest('hex')}`).toString('base64')}`,
        'msupply-site-uuid': 'hardware-e2e',
        'app-name': 'Open mSupply Desktop',
        'app-version': '2.13.0',
        version: '14',
      },
    });
  expect((await v5('queued_records?limit=1')).status).toBe(200);
  const refused = await call('POST', '/records', { body: { records: [{ tableName: 'item', recordId: 'E2E_BAD', action: 'explode' }] } });
  expect(refused.body!.refused).toHaveLength(1);

  const report = await call('GET', '/sync-report');
  const site = report.body!.sites.find((row: { siteId: number }) => row.siteId === 2);
  expect(site).toMatchObject({ lastConnection: { appVersion: '2.13.0', hardwareId: 'hardware-e2e', route: 'GET /sync/v5/queued_records' }, lastPushAt: null, silent: false });
  expect(site.lastPullAt).toBe(site.lastConnection.at);
  expect(report.body!.sites.find((row: { siteId: number }) => row.siteId === 3)).toMatchObject({ neverConnected: true, lastConnection: null });
  // The central site's refusals (an import) show in its health on GET /sites.
  expect((await call('GET', '/sites?limit=1')).body!.sites[0].health).toMatchObject({ siteId: 1, refusedLastDay: 1 });

  const { stdout } = await promisify(execFile)('npx', ['tsx', 'bin/admin.ts', 'sync-report', 'get', '--format', 'csv'], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: { ...process.env, ADMIN_URL: server.url, ADMIN_TOKEN },
  });
  const lines = stdout.trimEnd().split('\r\n');
  const header = lines[0]!.split(',');
  const row = lines.find((line) => line.startsWith('2,'))!.split(',');
  expect(row[header.indexOf('last_pull_at')]).toBe(site.lastPullAt);
  expect(row[header.indexOf('app_version')]).toBe('2.13.0');
});
