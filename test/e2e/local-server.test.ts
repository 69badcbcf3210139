/** `npm start` as a newcomer runs it: it prints its URL, answers /health, and Ctrl-C leaves nothing behind. */
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
