/**
 * Fifty sites initialising at the same moment (a fleet brought up together, or reconnecting
 * after an outage): each binds its own hardware as an item of its own, so none waits on another
 * and none is refused; each is then bound to exactly its installation.
 */
import { sha256Hex } from '../../functions/domain/config/credentials';
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';

const SITES = 50;
let server: TestSyncServer;

beforeAll(async () => {
  const remote = Array.from({ length: SITES }, (_, i) => i + 2);
  server = await startTestSyncServer({
    consumer: false,
    generatePasswords: true,
    config: {
      sites: [{ siteId: 1, name: 'central', code: 'C', kind: 'central' }, ...remote.map((siteId) => ({ siteId, name: `site-${siteId}`, code: `S${siteId}`, kind: 'desktop' }))],
      stores: remote.map((siteId) => ({ id: `STORE_${siteId}`, code: `T${siteId}`, name: `Store ${siteId}`, nameId: `NAME_${siteId}`, mode: 'store', activeSiteId: siteId })),
    },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

const headersFor = (siteId: number, hardwareId: string) => ({
  authorization: `Basic ${Buffer.from(`site-${siteId}:${sha256Hex(server.passwords[`site-${siteId}`]!)}`).toString('base64')}`,
  'msupply-site-uuid': hardwareId,
  'app-name': 'Open mSupply Desktop',
  'app-version': '2.20.00',
  version: '14',
});

test('fifty first initialisations at once all succeed, each bound to its own installation', async () => {
  const siteIds = Array.from({ length: SITES }, (_, i) => i + 2);
  const answers = await Promise.all(
    siteIds.map((siteId) => fetch(`${server.url}/sync/v5/initialise`, { method: 'POST', headers: headersFor(siteId, `hw-${siteId}`) }).then(async (response) => ({ siteId, status: response.status, body: await response.text() }))),
  );
  expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
  // Bound: the same site from another installation is refused; from its own it gets in.
  const other = await fetch(`${server.url}/sync/v5/site`, { headers: headersFor(17, 'hw-someone-else') });
  expect(((await other.json()) as { error: { code: string } }).error.code).toBe('site_incorrect_hardware_id');
  const own = await fetch(`${server.url}/sync/v5/site`, { headers: headersFor(17, 'hw-17') });
  expect(own.status).toBe(200);
});
