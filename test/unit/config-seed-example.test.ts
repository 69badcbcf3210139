/** The documented mSupply sync example (stores A–F on the sync server and two remote sites), from config/demo.json. */
import { configFromFile, exportConfig } from '../../functions/domain/config/config-file';
import { verifyCredential, sha256Hex } from '../../functions/domain/config/credentials';
import {
  activeStoresOnSite,
  emptyConfig,
  instanceType,
  invariantViolations,
  sitesHoldingCollector,
  sitesHoldingTransfer,
  syncWith,
  type SyncConfig,
} from '../../functions/domain/config';
import { configFileSchema } from '../../functions/protocol/admin';
import { demoConfig } from '../support/config-of';

const config: SyncConfig = demoConfig();

const SYNC_SERVER = 1;
const REMOTE_1 = 2;
const REMOTE_2 = 3;

// Store instance type on [sync server, remote site 1, remote site 2], as the seed's tables say.
const expectedTypes: Record<string, [string, string, string]> = {
  STORE_A: ['active', 'collector', 'none'],
  STORE_B: ['collector', 'active', 'transfer'],
  STORE_C: ['collector', 'transfer', 'active'],
  STORE_D: ['collector', 'none', 'active'],
  STORE_E: ['active', 'none', 'none'],
  STORE_F: ['transfer', 'active', 'none'],
};

// "Sync server settings for Store X": the sync-with column for the two remote sites.
const expectedSyncWith: Record<string, [string, string]> = {
  STORE_A: ['activeCollector', 'none'],
  STORE_B: ['activeCollector', 'transfer'],
  STORE_C: ['transfer', 'activeCollector'],
  STORE_D: ['none', 'activeCollector'],
  STORE_E: ['none', 'none'],
  STORE_F: ['activeCollector', 'none'],
};

test('the demo configuration keeps every invariant', () => {
  expect(invariantViolations(config)).toEqual([]);
});

test.each(Object.entries(expectedTypes))('%s has the seed\'s type on every site', (storeId, types) => {
  expect([SYNC_SERVER, REMOTE_1, REMOTE_2].map((siteId) => instanceType(config, storeId, siteId))).toEqual(types);
});

test.each(Object.entries(expectedSyncWith))('%s has the seed\'s sync-with settings on the sync server', (storeId, values) => {
  expect([REMOTE_1, REMOTE_2].map((siteId) => syncWith(config, storeId, siteId))).toEqual(values);
});

test('the seed\'s "Sync ID" is the site where each store is active', () => {
  expect(Object.fromEntries(Object.values(config.stores).map((s) => [s.id, s.activeSiteId]))).toEqual({
    STORE_A: 1,
    STORE_B: 2,
    STORE_C: 3,
    STORE_D: 3,
    STORE_E: 1,
    STORE_F: 2,
  });
  expect(activeStoresOnSite(config, SYNC_SERVER).map((s) => s.id)).toEqual(['STORE_A', 'STORE_E']);
});

test('helpers list the sites holding collector and transfer copies', () => {
  expect(sitesHoldingCollector(config, 'STORE_B')).toEqual([SYNC_SERVER]);
  expect(sitesHoldingTransfer(config, 'STORE_B')).toEqual([REMOTE_2]);
  expect(sitesHoldingCollector(config, 'STORE_A')).toEqual([REMOTE_1]);
  expect(sitesHoldingTransfer(config, 'STORE_F')).toEqual([SYNC_SERVER]);
  expect(instanceType(config, 'NO_SUCH_STORE', 1)).toBe('none');
  expect(instanceType(config, 'STORE_A', 99)).toBe('none');
});

test('export then import gives the same configuration, without passwords', () => {
  const exported = exportConfig(config);
  expect(JSON.stringify(exported)).not.toContain('pass');
  const again = configFromFile(emptyConfig(), configFileSchema.parse(exported), () => 'unused');
  if (!again.ok) throw new Error(again.message);
  const withoutCredentials = (c: SyncConfig) => ({
    ...c,
    sites: Object.fromEntries(Object.entries(c.sites).map(([k, s]) => [k, { ...s, credential: '' }])),
    users: Object.fromEntries(Object.entries(c.users ?? {}).map(([k, u]) => [k, { ...u, credential: '' }])),
  });
  expect(withoutCredentials(again.config)).toEqual(withoutCredentials(config));
});

test('demo passwords are stored as verifiable slow hashes of their SHA-256', async () => {
  const { hashPassword } = await import('../../functions/domain/config/credentials');
  const stored = hashPassword('remote-site-1-pass');
  expect(stored).toMatch(/^scrypt\$131072\$8\$1\$/);
  expect(stored).not.toContain(sha256Hex('remote-site-1-pass'));
  expect(await verifyCredential(stored, sha256Hex('remote-site-1-pass'))).toBe(true);
  expect(await verifyCredential(stored, sha256Hex('wrong'))).toBe(false);
  expect(await verifyCredential('garbage', sha256Hex('remote-site-1-pass'))).toBe(false);
});
