/**
 * The operator CLI (lib/operations/admin-cli.ts) against a test server's admin API over HTTP: verbs
 * generated from the route definitions, options into path, query and body, pages followed,
 * errors and exit codes, help at every level; and --help on every project command.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { adminRoutes } from '../../functions/admin-api/registry';
import { runAdminCli, verbsOf } from '../../lib/operations/admin-cli';
import { ADMIN_TOKEN, startTestSyncServer, type TestSyncServer } from '../support/sync-server';

jest.setTimeout(120_000);

let server: TestSyncServer;
beforeAll(async () => {
  server = await startTestSyncServer({ consumer: false });
});
afterAll(async () => {
  await server?.stop();
});

async function cli(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await runAdminCli(args, adminRoutes, { env: { ADMIN_URL: server.url, ADMIN_TOKEN, ...env }, fetch, out: (text) => void (out += text), err: (text) => void (err += text) }, () => {
    throw new Error('no files here');
  });
  return { code, out, err, json: () => JSON.parse(out) };
}

test('every route is one verb of its resource, each with its own name', () => {
  const verbs = verbsOf(adminRoutes);
  expect(verbs).toHaveLength(adminRoutes.length);
  const names = verbs.map((verb) => `${verb.resource} ${verb.verb}`);
  expect(new Set(names).size).toBe(names.length);
  expect(names).toEqual(expect.arrayContaining(['sites list', 'sites create', 'sites set-password', 'stores set-sync-with', 'moves start', 'users create', 'quarantine list', 'quarantine replay', 'quarantine resolve', 'sites re-initialise', 'sync-report get', 'reports stock-value']));
});

test('verbs call the API: path parameters as options or positionals, typed body fields, query parameters', async () => {
  const created = await cli(['sites', 'create', '--site-id', '40', '--name', 'cli-site', '--code', 'CLI', '--kind', 'mobile', '--user', 'tester']);
  expect(created).toMatchObject({ code: 0, err: '' });
  expect(created.json()).toMatchObject({ siteId: 40, name: 'cli-site', kind: 'mobile', hasPassword: false });
  expect((await cli(['sites', 'get', '40'])).json()).toMatchObject({ name: 'cli-site' });
  expect((await cli(['sites', 'update', '--site-id=40', '--body', '{"code":"CLI2"}'])).json()).toMatchObject({ code: 'CLI2' });
  const off = await cli(['stores', 'set-include-transactions', 'STORE_B', '--include-transactions-in-sync', 'false']);
  expect(off.json()).toMatchObject({ id: 'STORE_B', includeTransactionsInSync: false });
  expect((await cli(['stores', 'set-include-transactions', 'STORE_B', '--include-transactions-in-sync'])).json()).toMatchObject({ includeTransactionsInSync: true });
  expect((await cli(['users', 'create', '--name', 'cli-user', '--password', 'cli-user-password', '--stores', '[{"storeId":"STORE_B","permissions":[1,2]}]'])).json()).toMatchObject({
    name: 'cli-user',
    stores: [{ storeId: 'STORE_B', permissions: [1, 2] }],
  });
  expect((await cli(['sites', 'delete', '40'])).code).toBe(0);
  expect((await cli(['quarantine', 'list', '--site-id', '2', '--limit', '5'])).json()).toEqual({ records: [] });
});

test('pages followed with --all, in JSON and in CSV (one header row)', async () => {
  const all = (await cli(['sites', 'list', '--limit', '1', '--all'])).json();
  expect(all.sites.map((site: { siteId: number }) => site.siteId)).toEqual([1, 2, 3]);
  expect(all.next).toBeUndefined();
  expect(all.sites[1].health).toMatchObject({ siteId: 2, neverConnected: true });
  const csv = await cli(['sync-report', 'get', '--format', 'csv', '--limit', '1', '--all']);
  expect(csv.code).toBe(0);
  const lines = csv.out.trimEnd().split('\r\n');
  expect(lines).toHaveLength(3);
  expect(lines[0]!.startsWith('site_id,')).toBe(true);
  expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual(['2', '3']);
  const one = (await cli(['sync-report', 'get', '--limit', '1'])).json();
  expect(one.sites).toHaveLength(1);
  expect(typeof one.next).toBe('string');
});

test('refusals: the server\'s error and exit 1; usage errors exit 2 before any call', async () => {
  expect(await cli(['sites', 'get', '999'])).toMatchObject({ code: 1, err: expect.stringMatching(/^404 site_not_found: /) });
  expect(await cli(['sites', 'list'], { ADMIN_TOKEN: 'wrong' })).toMatchObject({ code: 1, err: expect.stringMatching(/^401 unauthorized/) });
  expect(await cli(['sites', 'list', '--url', 'http://127.0.0.1:1'])).toMatchObject({ code: 1, err: expect.stringMatching(/Could not reach/) });
  expect(await cli(['sites', 'create', '--name', 'x'])).toMatchObject({ code: 2, err: expect.stringMatching(/needs --site-id/) });
  expect(await cli(['sites', 'list', '--colour', 'red'])).toMatchObject({ code: 2, err: expect.stringMatching(/no option --colour/) });
  expect(await cli(['sites', 'create', '--site-id', 'forty', '--name', 'x', '--code', 'X', '--kind', 'mobile'])).toMatchObject({ code: 2, err: expect.stringMatching(/--site-id is a number/) });
  expect(await cli(['nothing', 'list'])).toMatchObject({ code: 2, err: expect.stringMatching(/No resource "nothing"/) });
  expect(await cli(['sites', 'fly'])).toMatchObject({ code: 2, err: expect.stringMatching(/No verb "fly"/) });
  expect(await cli(['sites', 'list'], { ADMIN_TOKEN: '' })).toMatchObject({ code: 2, err: expect.stringMatching(/No admin token/) });
});

test('without --url or ADMIN_URL it calls the address npm start last listened on, with the token it keeps', async () => {
  let out = '';
  const code = await runAdminCli(['sites', 'get', '2'], adminRoutes, {
    env: {},
    fetch,
    out: (text) => void (out += text),
    err: () => undefined,
    localToken: () => ADMIN_TOKEN,
    localUrl: () => server.url,
  }, () => '');
  expect(code).toBe(0);
  expect(JSON.parse(out)).toMatchObject({ siteId: 2 });
});

test('--help at every level: resources, a resource\'s verbs, a verb\'s options', async () => {
  const top = await cli(['--help']);
  expect(top.code).toBe(0);
  for (const tag of new Set(adminRoutes.map((route) => route.tag))) expect(top.out).toContain(`\n  ${tag} `);
  expect((await cli([])).code).toBe(2);
  const sites = await cli(['sites', '--help']);
  expect(sites.out).toMatch(/release-hardware\s+Release a site's hardware binding/);
  const create = await cli(['sites', 'create', '--help']);
  expect(create.out).toContain('POST /admin/v1/sites  (operation createSite)');
  expect(create.out).toMatch(/--site-id N\s+body; required/);
  expect(create.out).toMatch(/--kind TEXT\s+body; required; one of central, desktop, mobile/);
  expect((await cli(['sync-report', 'get', '--help'])).out).toMatch(/--silent-after-days TEXT\s+query; Flag sites silent/);
  for (const verb of verbsOf(adminRoutes)) expect((await cli([verb.resource, verb.verb, '-h'])).code).toBe(0);
});

test('every project command answers --help: each npm script that runs a file of the project', async () => {
  const run = promisify(execFile);
  const root = path.join(__dirname, '..', '..');
  const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const commands = Object.entries(scripts).flatMap(([name, line]) => {
    const file = /^tsx (\S+\.ts)$/.exec(line)?.[1];
    return file ? [{ name, file }] : [];
  });
  expect(commands.map((command) => command.name)).toEqual(expect.arrayContaining(['start', 'site', 'config', 'replay-dead-letters', 'admin', 'bench', 'dynamodb-local']));
  for (const { name, file } of commands) {
    expect({ name, exists: existsSync(path.join(root, file)) }).toEqual({ name, exists: true });
    const { stdout } = await run('npx', ['tsx', file, '--help'], { cwd: root });
    expect({ name, usage: /usage/i.test(stdout) }).toEqual({ name, usage: true });
  }
});
