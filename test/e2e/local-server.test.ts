/** `npm start` as a newcomer runs it: it prints its URL, answers /health, and Ctrl-C leaves nothing behind. */
import { RemoteSite } from '../../lib/remote-site/client';
import { transferProcessor } from '../../lib/remote-site/transfer-processor';
import { startLocalServerProcess, type LocalServerProcess } from '../support/local-server-process';

jest.setTimeout(180_000);

let server: LocalServerProcess | undefined;
afterAll(async () => {
  await server?.stop('SIGKILL');
});

test('npm start serves /health on real stand-ins and stops cleanly on Ctrl-C', async () => {
  server = await startLocalServerProcess();
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(server.output()).toContain(`curl ${server.url}/health`);

  const response = await fetch(`${server.url}/health`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { tables: Record<string, { ok: boolean }> };
  expect(body).toMatchObject({ status: 'ok', queues: { fanOut: { ok: true } } });
  expect(Object.values(body.tables).every((t) => t.ok)).toBe(true);

  const unknown = await fetch(`${server.url}/no-such-route`);
  expect(unknown.status).toBe(404);

  const { leftovers } = await server.stop('SIGINT');
  expect(leftovers).toBe(false);
  expect(server.output()).toContain('stopping the central server');
  server = undefined;
});

test('a site syncing the fresh demo of npm start counts its configured stores active (their records and names are written when the demo is loaded)', async () => {
  server = await startLocalServerProcess();
  const password = /site 2: +name "remote-site-1", password "([^"]+)"/.exec(server.output())?.[1];
  expect(password).toBeDefined();
  const site = new RemoteSite({ baseUrl: server.url, siteName: 'remote-site-1', password: password!, hardwareId: 'hardware-local-demo', timeScale: 0.25, processors: transferProcessor() });
  await site.sync();
  expect(site.activeStoreIds.sort()).toEqual(['STORE_B', 'STORE_F']);
  for (const letter of ['B', 'F']) expect(site.held('name', `NAME_STORE_${letter}`)).toMatchObject({ type: 'store', name: `Store ${letter}` });
  await server.stop('SIGKILL');
  server = undefined;
});
