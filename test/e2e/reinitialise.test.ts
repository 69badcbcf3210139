/**
 * Re-initialising a site from the admin side, with sites behaving as the Open mSupply client: the
 * client initialises only when its own state says it never did, so a site is re-initialised by
 * resetting or reinstalling it; once the operator has re-initialised it on the server, that fresh
 * installation (new hardware included) initialises as a new site and receives its stores' data,
 * and the old installation is refused from then on.
 */
import { legacyRecord } from '../support/legacy-records';
import { rawV5 } from '../support/raw-v5';
import { testSyncServerForFile } from '../support/sync-server';

const server = testSyncServerForFile();

const siteInfo = async (hardwareId: string) =>
  (await rawV5({ baseUrl: server.url, siteName: 'remote-site-1', password: server.passwords['remote-site-1']!, hardwareId }).get('site')).body as { initialisationStatus: string };

test('a reinstalled site initialises afresh once re-initialised, with its stores\' data; the old installation is refused', async () => {
  const original = server.site('remote-site-1', { hardwareId: 'old-machine' });
  expect(await original.sync()).toMatchObject({ requestedInitialisation: true, initialised: true });
  original.changes([legacyRecord('item_line', 'REINIT_IL_B', { store_ID: 'STORE_B', quantity: 3 })]);
  await original.sync();
  expect((await siteInfo('old-machine')).initialisationStatus).toBe('completed');

  // Reinstalled on a new machine before the operator acts: refused, the site is bound to the old one.
  const tooSoon = server.site('remote-site-1', { hardwareId: 'new-machine' });
  await expect(tooSoon.sync()).rejects.toMatchObject({ code: 'site_incorrect_hardware_id' });

  const reinitialised = await server.admin('POST', '/sites/2/re-initialise');
  expect(reinitialised).toMatchObject({
    status: 200,
    body: { siteId: 2, previousInitialisationStatus: 'completed', previousHardwareId: 'old-machine', initialisationStatus: 'new' },
  });
  expect((await siteInfo('new-machine')).initialisationStatus).toBe('new');

  // A fresh installation (the client's own state empty) initialises and receives what it holds.
  const fresh = server.site('remote-site-1', { hardwareId: 'new-machine' });
  expect(await fresh.sync()).toMatchObject({ requestedInitialisation: true, initialised: true });
  expect(fresh.held('item_line', 'REINIT_IL_B')).toMatchObject({ store_ID: 'STORE_B', quantity: 3 });
  expect(fresh.activeStoreIds).toEqual(expect.arrayContaining(['STORE_B', 'STORE_F']));
  expect((await siteInfo('new-machine')).initialisationStatus).toBe('completed');
  // It syncs on as any site: a change it makes reaches the central copy.
  fresh.changes([legacyRecord('item_line', 'REINIT_IL_B2', { store_ID: 'STORE_B', quantity: 4 })]);
  expect(await fresh.sync()).toMatchObject({ pushed: 1 });

  // The new installation holds the binding now: the old one can no longer sync as this site.
  await expect(original.sync()).rejects.toMatchObject({ code: 'site_incorrect_hardware_id' });

  const audit = (await server.admin('GET', '/audit')).body.entries as Array<{ action: string; target: string; actor: string; details: Record<string, unknown> }>;
  expect(audit).toContainEqual(expect.objectContaining({ action: 'site.reinitialise', target: 'site/2', actor: expect.stringMatching(/^admin@/), details: expect.objectContaining({ previousHardwareId: 'old-machine' }) }));
  expect(audit).toContainEqual(expect.objectContaining({ action: 'site.releaseHardware', target: 'site/2' }));
});

test('the central site cannot be re-initialised, and an unknown site is not found', async () => {
  expect(await server.admin('POST', '/sites/1/re-initialise')).toMatchObject({ status: 422, body: { error: { code: 'central_site' } } });
  expect(await server.admin('POST', '/sites/99/re-initialise')).toMatchObject({ status: 404, body: { error: { code: 'site_not_found' } } });
});
