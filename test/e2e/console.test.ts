/**
 * The console in a real browser (Debian's headless Chromium through playwright-core): a site
 * syncs and has a record refused, then an operator signs in through the form and visits every
 * view. Each view is saved as a screenshot under test-output/console/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { legacyRecord } from '../support/legacy-records';
import { rawV5 } from '../support/raw-v5';
import { launchChromium } from '../support/browser';
import { ADMIN_TOKEN, startTestSyncServer, type TestSyncServer } from '../support/sync-server';

const SCREENSHOTS = path.join(__dirname, '..', '..', 'test-output', 'console');

let server: TestSyncServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [server, browser] = await Promise.all([startTestSyncServer(), launchChromium()]);
  // Site 2 syncs; site 3 never connects. Site 2 then pushes a record of store C (active on site 3): refused.
  await server.site('remote-site-1').sync();
  const raw = rawV5({ baseUrl: server.url, siteName: 'remote-site-1', password: server.passwords['remote-site-1']!, hardwareId: 'hardware-remote-site-1' });
  const refused = legacyRecord('transact', 'TX_C_WRONG', { store_ID: 'STORE_C', name_ID: 'SOME_CUSTOMER' });
  expect((await raw.post('queued_records', { queueLength: 1, data: [{ syncOutId: 'refused-1', ...refused }] })).status).toBe(200);
  context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  page = await context.newPage();
}, 120_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
});

test('an unsigned visitor is sent to the sign-in form; a wrong token is refused there; the admin token opens the fleet', async () => {
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
  expect(detail).toContain('completed');
  await expect(page.textContent('main')).resolves.toContain('Store B');
  await expect(page.locator('#quarantine tr[data-change="refused-1"]').textContent()).resolves.toContain('store_not_active_on_site');
  await shot('site');

  const missing = await page.goto(`${server.url}/console/sites/99`);
  expect(missing?.status()).toBe(404);
});

test('the quarantine lists the refused record, filtered by site', async () => {
  await page.goto(`${server.url}/console`);
  await page.click('header a[href="/console/quarantine"]');
  const row = page.locator('#quarantine tr[data-change="refused-1"]');
  await expect(row.textContent()).resolves.toContain('TX_C_WRONG');
  await shot('quarantine');

  await page.fill('input[name=site]', '3');
  await page.click('form[action="/console/quarantine"] button');
  await expect(page.locator('#quarantine-empty').count()).resolves.toBe(1);
  await page.fill('input[name=site]', '2');
  await page.click('form[action="/console/quarantine"] button');
  await expect(row.count()).resolves.toBe(1);
});

test('the reports view renders', async () => {
  await page.goto(`${server.url}/console/reports`);
  await expect(page.textContent('h1')).resolves.toBe('Reports');
  await shot('reports');
});

test('a POST without the session\'s CSRF token, or from another origin, is refused', async () => {
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const form = { siteId: '2', changeId: 'refused-1', reason: 'forged' };
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
