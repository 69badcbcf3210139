/**
 * The first run a newcomer makes: `npm start` on an empty data directory loads the demo
 * configuration and data, prints how to sync each site and where the console is, the reports
 * answer with the demo's figures, a site's first sync receives its store's data, and a restart
 * keeps the admin token (and loads nothing twice).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { RemoteSite } from '../../lib/remote-site/client';
import { transferProcessor } from '../../lib/remote-site/transfer-processor';
import { waitUntil } from '../../lib/local/ports';
import { startLocalServerProcess, type LocalServerProcess } from '../support/local-server-process';

jest.setTimeout(300_000);

const dataDir = mkdtempSync(path.join(tmpdir(), 'first-run-'));
let server: LocalServerProcess | undefined;
afterAll(async () => {
  await server?.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const tokenIn = (output: string) => /admin token: +(\S+)/.exec(output)?.[1];

async function report(url: string, token: string, route: string): Promise<Response> {
  return fetch(`${url}/admin/v1/reports/${route}`, { headers: { authorization: `Bearer ${token}` } });
}

test('npm start on an empty database: demo data, the exact site commands, the console, the reports, and a restart that keeps the admin token', async () => {
  server = await startLocalServerProcess([], { dataDir, env: { ADMIN_TOKEN: '' } });
  const url = server.url;
  const output = server.output();
  expect(output).toMatch(/demo data: +31 records/);
  expect(output).toContain(`console:       ${url}/console`);
  expect(output).toContain(`npm run site -- sync --url ${url} --site remote-site-1 --password remote-site-1-pass`);
  expect(output).toContain(`npm run site -- sync --url ${url} --site remote-site-2 --password remote-site-2-pass`);
  const token = tokenIn(output)!;
  expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  // Kept beside the token for `npm run admin`, which finds this server on its own port.
  expect(readFileSync(path.join(dataDir, 'server-url'), 'utf8').trim()).toBe(url);
  expect(readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim()).toBe(token);

  // Routed (and counted) by the queue consumers in the background: 380 + 215.6 + 217.
  let value: unknown;
  await waitUntil(async () => {
    value = ((await (await report(url, token, 'stock-value')).json()) as { value?: number }).value;
    return value === 812.6;
  }, 60_000, 'the demo stock value never reached 812.6');
  const csv = await report(url, token, 'monthly-usage?storeIds=STORE_B&format=csv');
  expect(csv.headers.get('content-type')).toContain('text/csv');
  expect(await csv.text()).toBe('storeId,itemId,month,units\r\nSTORE_B,ITM_AMOX,2026-10,200\r\nSTORE_B,ITM_AMOX,2026-11,100\r\nSTORE_B,ITM_PARA,2026-10,1000\r\n');

  // Remote site 1 (Store B) receives its store's stock and invoices, and Store A's transfer as a receipt.
  const site = new RemoteSite({ baseUrl: url, siteName: 'remote-site-1', password: 'remote-site-1-pass', hardwareId: 'hardware-first-run', timeScale: 0.25, processors: transferProcessor() });
  await site.sync();
  expect(site.held('item_line', 'SL_B_AMOX')).toMatchObject({ store_ID: 'STORE_B', item_ID: 'ITM_AMOX', quantity: 10 });
  expect(site.held('transact', 'INV_B_1001')).toMatchObject({ type: 'ci', status: 'fn' });
  await waitUntil(async () => {
    await site.sync();
    return site.heldRecords('transact').some(({ recordData }) => recordData.store_ID === 'STORE_B' && recordData.type === 'si' && recordData.linked_transaction_id === 'INV_A_3001');
  }, 60_000, 'Store B never received the transfer from Store A');

  await server.stop('SIGINT');
  server = await startLocalServerProcess([], { dataDir, env: { ADMIN_TOKEN: '' } });
  expect(tokenIn(server.output())).toBe(token);
  expect(server.output()).not.toMatch(/demo data:/);
  const again = (await (await report(server.url, token, 'stock-value')).json()) as { value: number };
  expect(again.value).toBe(812.6);
});
