/**
 * The console in a real browser (Debian's headless Chromium through playwright-core): a site
 * syncs and has a record refused, then an operator signs in through the form and visits every
 * view. Each view is saved as a screenshot under test-output/console/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { legacyRecord } from '../support/legacy-records';
import { launchChromium } from '../support/browser';
import { DEFAULT_GATE_POLICY } from '../../functions/domain/auth/attempt-gate';
import { waitUntil } from '../../lib/local/ports';
import { monthlyUsage } from '../../functions/services/reports';
import { DynamoReportFigures } from '../../functions/storage/report-figures';
import { ADMIN_TOKEN, startTestSyncServer, type TestSyncServer } from '../support/sync-server';

const SCREENSHOTS = path.join(__dirname, '..', '..', 'test-output', 'console');

let server: TestSyncServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** The change id (the site's own) of each refused record, by record id. */
const refusedChange: Record<string, string> = {};
const refusedRow = (recordId: string) => `#quarantine tr[data-change="${refusedChange[recordId]}"]`;

/** Stock of one item in stores B and F, and customer invoices of it in August to October. */
function stockAndUsage() {
  const records = [
    legacyRecord('item_line', 'CONSOLE_IL_B', { store_ID: 'STORE_B', item_ID: 'ITEM_AMOX', quantity: 100, pack_size: 10, cost_price: 2.5, location_ID: 'CONSOLE_SHELF_1' }),
    legacyRecord('item_line', 'CONSOLE_IL_F', { store_ID: 'STORE_F', item_ID: 'ITEM_AMOX', quantity: 40, pack_size: 10, cost_price: 2.5 }),
  ];
  const issued: Record<string, number[]> = { STORE_B: [30, 45, 60], STORE_F: [10, 25, 15] };
  for (const [storeId, quantities] of Object.entries(issued))
    quantities.forEach((quantity, i) => {
      const id = `CONSOLE_CI_${storeId}_${i}`;
      records.push(
        legacyRecord('transact', id, { store_ID: storeId, name_ID: 'SOME_CUSTOMER', type: 'ci', status: 'fn', confirm_date: `2026-${String(8 + i).padStart(2, '0')}-15` }),
        legacyRecord('trans_line', `${id}_L`, { transaction_ID: id, item_ID: 'ITEM_AMOX', quantity, pack_size: 1, type: 'stock_out' }),
      );
    });
  return records;
}

const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [server, browser] = await Promise.all([startTestSyncServer(), launchChromium()]);
  // Site 2 syncs its stock and three months of customer invoices; site 3 never connects.
  const site = server.site('remote-site-1');
  await site.sync();
  site.changes(stockAndUsage());
  await site.sync();
  // The item itself is central data, imported as the central server.
  expect((await server.admin('POST', '/records', { records: [{ tableName: 'item', recordId: 'ITEM_AMOX', action: 'insert', recordData: { ID: 'ITEM_AMOX', code: 'AMX250', item_name: 'Amoxicillin 250mg capsules' } }] })).status).toBe(200);
  const figures = new DynamoReportFigures(server.resources.db, server.resources.tables.reports);
  await waitUntil(async () => (await monthlyUsage({ figures })).length === 6, 30_000, 'the usage was not projected');
  // Site 2 records two invoices of store F; before it syncs, the operator moves F to site 3. Its
  // next sync pushes them (its client still counts F active until it pulls F's store record): refused.
  site.changes(['TX_F_WRONG', 'TX_F_LATE'].map((id) => legacyRecord('transact', id, { store_ID: 'STORE_F', name_ID: 'SOME_CUSTOMER' })));
  expect((await server.admin('PUT', '/stores/STORE_F/active-site', { siteId: 3, force: true })).status).toBe(200);
  await site.sync();
  const quarantined = (await server.admin('GET', '/quarantine?siteId=2')).body.records as Array<{ recordId: string; changeId: string; reason: string }>;
  for (const record of quarantined) refusedChange[record.recordId] = record.changeId;
  expect(quarantined.map(({ recordId, reason }) => ({ recordId, reason })).sort((a, b) => a.recordId.localeCompare(b.recordId))).toEqual([
    { recordId: 'TX_F_LATE', reason: 'store_not_active_on_site' },
    { recordId: 'TX_F_WRONG', reason: 'store_not_active_on_site' },
  ]);
  context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  page = await context.newPage();
}, 120_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
});

test('an unsigned visitor is sent to the sign-in form; a wrong token is refused there; the admin token opens the fleet', async () => {
  // The bare address leads to the console.
  const bare = await fetch(`${server.url}/`, { redirect: 'manual' });
  expect({ status: bare.status, location: bare.headers.get('location') }).toEqual({ status: 303, location: '/console' });
  await page.goto(`${server.url}/`);
  expect(new URL(page.url()).pathname).toBe('/console/login');
  await page.goto(`${server.url}/console`);
  expect(new URL(page.url()).pathname).toBe('/console/login');
  await shot('login');

  await page.fill('#token', 'not-the-token');
  await page.click('button[type=submit]');
  await expect(page.textContent('[role=alert]')).resolves.toContain('not the admin token');
  expect(await context.cookies()).toEqual([]);

  await page.fill('#token', ADMIN_TOKEN);
  await page.click('button[type=submit]');
  expect(new URL(page.url()).pathname).toBe('/console');
  const [cookie] = await context.cookies();
  // Plain HTTP on localhost: not Secure (it would never come back), but HttpOnly and SameSite=Strict.
  expect(cookie).toMatchObject({ name: 'console_session', httpOnly: true, sameSite: 'Strict', path: '/console' });
});

test('the fleet: the synced site is green with its software; the site that never connected is red', async () => {
  await page.goto(`${server.url}/console`);
  const synced = page.locator('#fleet tr[data-site="2"]');
  const silent = page.locator('#fleet tr[data-site="3"]');
  await expect(synced.getAttribute('data-health')).resolves.toBe('green');
  await expect(silent.getAttribute('data-health')).resolves.toBe('red');
  await expect(synced.textContent()).resolves.toContain('remote-site-1');
  await expect(silent.textContent()).resolves.toContain('never');
  // The central server itself is not a site to watch.
  await expect(page.locator('#fleet tr[data-site="1"]').count()).resolves.toBe(0);
  await shot('fleet');
});

test("a site's detail: its connection, stores and refused record", async () => {
  await page.goto(`${server.url}/console`);
  await page.click('#fleet tr[data-site="2"] a');
  expect(new URL(page.url()).pathname).toBe('/console/sites/2');
  const detail = await page.textContent('#site-detail');
  expect(detail).toContain('hardware-remote-site-1');
  expect(detail).toContain('initialised');
  await expect(page.textContent('main')).resolves.toContain('Store B');
  await expect(page.locator(refusedRow('TX_F_WRONG')).textContent()).resolves.toContain('store_not_active_on_site');
  await shot('site');

  const missing = await page.goto(`${server.url}/console/sites/99`);
  expect(missing?.status()).toBe(404);
  const badPage = await page.goto(`${server.url}/console?page=not-a-token`);
  expect(badPage?.status()).toBe(400);
});

test('the quarantine lists the refused record, filtered by site', async () => {
  await page.goto(`${server.url}/console`);
  await page.click('header a[href="/console/quarantine"]');
  const row = page.locator(refusedRow('TX_F_WRONG'));
  await expect(row.textContent()).resolves.toContain('TX_F_WRONG');
  await shot('quarantine');

  await page.fill('input[name=site]', '3');
  await page.click('form[action="/console/quarantine"] button');
  await expect(page.locator('#quarantine-empty').count()).resolves.toBe(1);
  await page.fill('input[name=site]', '2');
  await page.click('form[action="/console/quarantine"] button');
  await expect(row.count()).resolves.toBe(1);
});

test('the reports: a usage chart per store and month, stock value and stock on hand, narrowed to a store', async () => {
  await page.goto(`${server.url}/console`);
  await page.click('header a[href="/console/reports"]');
  const bars = page.locator('svg[role=img] rect title');
  await expect(bars.allTextContents()).resolves.toEqual([
    'B Store B, 2026-08: 30 units', 'B Store B, 2026-09: 45 units', 'B Store B, 2026-10: 60 units',
    'F Store F, 2026-08: 10 units', 'F Store F, 2026-09: 25 units', 'F Store F, 2026-10: 15 units',
  ]);
  // 100 packs of 10 at 2.50 a pack in B, 40 in F: 1,400 units worth 350.00.
  await expect(page.textContent('#stock-value')).resolves.toContain('350.00');
  await expect(page.textContent('#stock-value')).resolves.toContain('1,400 units');
  await expect(page.locator('#stock tbody tr').allTextContents()).resolves.toEqual(['B Store BAmoxicillin 250mg capsules ITEM_AMOX1,000250.00', 'F Store FAmoxicillin 250mg capsules ITEM_AMOX400100.00']);
  await shot('reports');

  await page.selectOption('select[name=store]', ['STORE_F']);
  await page.fill('input[name=item]', 'ITEM_AMOX');
  await page.click('form[action="/console/reports"] button');
  await expect(bars.count()).resolves.toBe(3);
  await expect(page.textContent('svg[role=img]')).resolves.toContain('Usage per month of Amoxicillin 250mg capsules');
  await expect(page.textContent('#stock-value')).resolves.toContain('100.00');

  // Stock per location, every store: B's stock is on a shelf, F's in no location.
  await page.goto(`${server.url}/console/reports`);
  await page.check('input[name=locations]');
  await page.click('form[action="/console/reports"] button');
  await expect(page.locator('#stock thead th').allTextContents()).resolves.toEqual(['Store', 'Location', 'Item', 'Units', 'Value']);
  await expect(page.locator('#stock tbody tr').allTextContents()).resolves.toEqual([
    'B Store BCONSOLE_SHELF_1Amoxicillin 250mg capsules ITEM_AMOX1,000250.00',
    'F Store FnoneAmoxicillin 250mg capsules ITEM_AMOX400100.00',
  ]);
  await expect(page.isChecked('input[name=locations]')).resolves.toBe(true);
  await shot('reports-by-location');
});

test('replay and resolve from the quarantine page: refused again and left open, resolved with a note, accepted once the configuration allows it; all audited', async () => {
  await page.goto(`${server.url}/console/quarantine`);
  const first = page.locator(refusedRow('TX_F_WRONG'));
  const status = () => page.textContent('[role=status]');

  // Under the same configuration the record is refused again and stays open.
  await first.locator('form[action="/console/quarantine/replay"] button').click();
  await expect(status()).resolves.toContain('Still refused: store_not_active_on_site');
  await expect(page.getAttribute('[role=status]', 'class')).resolves.toBe('warn');
  await expect(first.getAttribute('data-state')).resolves.toBe('open');
  await shot('quarantine-replayed');

  // Resolved with a note: it leaves the open list and shows under the closed ones, with who and why.
  await first.locator('input[name=reason]').fill('edited on the wrong site; re-entered on site 3');
  await first.locator('form[action="/console/quarantine/resolve"] button').click();
  await expect(status()).resolves.toContain('Resolved');
  await expect(first.count()).resolves.toBe(0);
  await page.selectOption('select[name=state]', 'closed');
  await page.click('form[action="/console/quarantine"] button');
  await expect(first.textContent()).resolves.toMatch(/resolved by console@.*edited on the wrong site/s);
  await expect(first.locator('form').count()).resolves.toBe(0);
  await shot('quarantine-resolved');

  // Store F is active on site 2 again: replaying its other record now stores it in the central copy.
  expect((await server.admin('PUT', '/stores/STORE_F/active-site', { siteId: 2, force: true })).status).toBe(200);
  await page.goto(`${server.url}/console/sites/2`);
  await page.locator(`${refusedRow('TX_F_LATE')} form[action="/console/quarantine/replay"] button`).click();
  await expect(status()).resolves.toContain('Accepted');
  await expect(page.getAttribute('[role=status]', 'class')).resolves.toBe('ok');
  await expect(page.locator(refusedRow('TX_F_LATE')).count()).resolves.toBe(0);
  const stored = await server.adapters.centralCopy.get([{ tableName: 'transact', recordId: 'TX_F_LATE' }]);
  expect(stored.get('transact\u0000TX_F_LATE')?.placement.storeId).toBe('STORE_F');

  const audit = (await server.admin('GET', '/audit')).body.entries as Array<{ action: string; actor: string }>;
  expect(audit.filter((entry) => entry.actor.startsWith('console@')).map((entry) => entry.action).sort()).toEqual(['quarantine.replay', 'quarantine.replay', 'quarantine.resolve']);
});

test('a POST without the session\'s CSRF token, or from another origin, is refused', async () => {
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const form = { siteId: '2', changeId: refusedChange.TX_F_WRONG!, reason: 'forged' };
  const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/console/quarantine/resolve`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body) });
  expect((await post(form)).status).toBe(400);
  expect((await post({ ...form, csrf: 'forged-token' })).status).toBe(403);
  const csrf = await page.locator('header input[name=csrf]').getAttribute('value');
  expect((await post({ ...form, csrf: csrf! }, { origin: 'https://evil.example' })).status).toBe(403);
  // Without the cookie the same form only leads to the sign-in page.
  const unsigned = await fetch(`${server.url}/console/quarantine/resolve`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...form, csrf: csrf! }) });
  expect(unsigned.status).toBe(303);
  expect(unsigned.headers.get('location')).toBe('/console/login');
});

test('signing out clears the session', async () => {
  await page.goto(`${server.url}/console`);
  await page.click('header button[type=submit]');
  expect(new URL(page.url()).pathname).toBe('/console/login');
  expect(await context.cookies()).toEqual([]);
  await page.goto(`${server.url}/console/quarantine`);
  expect(new URL(page.url()).pathname).toBe('/console/login');
});

test('wrong tokens at the sign-in form are throttled per address in the admin API\'s gate: past the free attempts both entrances wait', async () => {
  const signIn = (token: string) =>
    fetch(`${server.url}/console/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }) });
  const statuses = [];
  for (let attempt = 0; attempt < DEFAULT_GATE_POLICY.freeAttempts + 1; attempt++) statuses.push((await signIn(`wrong-${attempt}`)).status);
  expect(statuses).toEqual([...Array(DEFAULT_GATE_POLICY.freeAttempts).fill(401), 429]);
  const refused = await signIn(ADMIN_TOKEN);
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  expect((await server.admin('GET', '/sites')).status).toBe(429);
});
