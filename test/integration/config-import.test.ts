/** Importing a configuration file: passwords hashed ahead, generated on request, items batch-written. */
import { sha256Hex, verifyCredential } from '../../functions/domain/config/credentials';
import { configFromFileByCommands } from '../../functions/domain/config/config-file';
import { emptyConfig } from '../../functions/domain/config';
import { configFileSchema } from '../../functions/protocol/admin';
import { ConfigStore } from '../../functions/storage/config-store';
import { importConfigFile } from '../../functions/storage/config-import';
import { fleetConfigFile, sitePassword } from '../../bench/fleet-config';
import { createTestResources } from '../support/stand-ins';

test('a fleet file imports with typed passwords kept, the rest generated, and loads as its commands build it', async () => {
  const resources = await createTestResources();
  const store = new ConfigStore(resources.db, resources.tables.config);
  const sites = 60;
  const typed = (siteId: number) => siteId % 4 === 0;
  const file = fleetConfigFile(sites, typed);
  const imported = await importConfigFile(store, file, 'test', { generatePasswords: true });
  if (!imported.ok) throw new Error(imported.message);
  expect(imported.passwords).toHaveLength(sites);

  const loaded = await store.load();
  for (const { siteId, password } of imported.passwords) {
    const credential = loaded.sites[String(siteId)]!.credential;
    if (typed(siteId)) {
      expect(password).toBe(sitePassword(siteId));
      expect(credential).toMatch(/^scrypt\$/);
    } else {
      expect(credential).toMatch(/^hmac-sha256\$/);
    }
    expect(await verifyCredential(credential, sha256Hex(password))).toBe(true);
  }
  // Apart from the salts, exactly what the commands build.
  const reference = configFromFileByCommands(
    emptyConfig(),
    configFileSchema.parse({ ...file, sites: file.sites.map((site) => ({ ...site, password: undefined })) }),
    () => '',
  );
  if (!reference.ok) throw new Error(reference.message);
  const withoutCredentials = (config: typeof loaded) => ({
    ...config,
    version: 0,
    sites: Object.fromEntries(Object.entries(config.sites).map(([key, site]) => [key, { ...site, credential: '' }])),
  });
  expect(withoutCredentials(loaded)).toEqual(withoutCredentials(reference.config));
  expect(loaded.version).toBe(1);

  expect(await importConfigFile(store, file, 'test')).toMatchObject({ ok: false, code: 'not_empty' });
});

test('without the option a site the file gives no password gets none', async () => {
  const resources = await createTestResources();
  const store = new ConfigStore(resources.db, resources.tables.config);
  const imported = await importConfigFile(store, fleetConfigFile(3, (siteId) => siteId === 2), 'test');
  if (!imported.ok) throw new Error(imported.message);
  expect(imported.passwords.map((entry) => entry.siteId)).toEqual([2]);
  const loaded = await store.load();
  expect(loaded.sites['3']!.credential).toBe('');
});
