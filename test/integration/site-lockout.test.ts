/**
 * Guessing a site's password: every guess is counted before it is evaluated, per (site name,
 * source address) and apart for guesses presenting the site's bound hardware id, so forty guesses
 * at once get only five evaluated, and no stranger can make the site's own installation wait.
 */
import { DEFAULT_GATE_POLICY } from '../../functions/domain/auth/attempt-gate';
import { checkSiteCredentials, type SiteCredentials } from '../../functions/commons/site-auth';
import { sha256Hex } from '../../functions/domain/config/credentials';
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';

let server: TestSyncServer;
beforeAll(async () => {
  server = await startTestSyncServer({ consumer: false });
  // Bind remote-site-2 to its installation, as its first initialisation does.
  const bound = await fetch(`${server.url}/sync/v5/initialise`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`remote-site-2:${sha256Hex(server.passwords['remote-site-2']!)}`).toString('base64')}`,
      'msupply-site-uuid': 'installation-2',
      'app-name': 'test',
      'app-version': '1',
      version: '14',
    },
  });
  expect(bound.status).toBe(200);
});
afterAll(async () => {
  await server?.stop();
});

const attempt = (password: string, source: string, hardwareId = 'stranger-hw'): SiteCredentials => ({
  siteName: 'remote-site-2',
  passwordSha256: sha256Hex(password),
  headers: { siteUuid: hardwareId, appName: 'test', appVersion: '1', version: 14 },
  source,
});
const codeOf = async (credentials: SiteCredentials) => {
  const checked = await checkSiteCredentials(server.adapters, credentials);
  return checked.ok ? 'ok' : checked.error.code;
};

test('forty guesses at once from one address: five evaluated, the rest wait; another address and the bound installation are unaffected', async () => {
  const codes = await Promise.all(Array.from({ length: 40 }, (_, i) => codeOf(attempt(`guess-${i}`, '203.0.113.9'))));
  expect(codes.filter((code) => code === 'site_incorrect_password')).toHaveLength(DEFAULT_GATE_POLICY.freeAttempts);
  expect(codes.filter((code) => code === 'site_auth_timeout')).toHaveLength(40 - DEFAULT_GATE_POLICY.freeAttempts);

  // A guess from elsewhere is evaluated; the site's own installation gets in from the same address.
  expect(await codeOf(attempt('guess-elsewhere', '198.51.100.4'))).toBe('site_incorrect_password');
  expect(await codeOf(attempt(server.passwords['remote-site-2']!, '203.0.113.9', 'installation-2'))).toBe('ok');
  // The stranger's address still waits (the right password without the bound id is not theirs to try).
  expect(await codeOf(attempt('guess-after', '203.0.113.9'))).toBe('site_auth_timeout');
});

test('an administrator clears a site\'s counted attempts from every address: guesses are evaluated again at once', async () => {
  for (let i = 0; i < DEFAULT_GATE_POLICY.freeAttempts + 1; i++) await codeOf(attempt(`before-clear-${i}`, '192.0.2.55'));
  expect(await codeOf(attempt('still-waiting', '192.0.2.55'))).toBe('site_auth_timeout');
  const cleared = await server.admin('POST', '/sites/3/clear-login-throttle');
  expect(cleared).toMatchObject({ status: 200, body: { siteId: 3, cleared: expect.any(Number) } });
  expect(cleared.body.cleared).toBeGreaterThanOrEqual(1);
  expect(await codeOf(attempt('after-clear', '192.0.2.55'))).toBe('site_incorrect_password');
  expect(await server.admin('POST', '/sites/99/clear-login-throttle')).toMatchObject({ status: 404 });
});
