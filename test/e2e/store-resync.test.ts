/**
 * A store saved on the central server with consequences for its site (seed: the store's
 * Synchronisation tab): a store switched to dispensary brings its site the dispensary data its
 * cursor passed; "resync patient records when store is saved" sends every patient visible in the
 * store again, with the dispensary data. Sites are the faithful client (lib/remote-site).
 */
import { legacyRecord } from '../support/legacy-records';
import { startTestSyncServer, syncUntil, type TestSyncServer } from '../support/sync-server';

let server: TestSyncServer;

beforeAll(async () => {
  server = await startTestSyncServer();
});

afterAll(async () => {
  await server?.stop();
});


test('a store switched to dispensary brings its site the dispensary data it had no right to before', async () => {
  const site1 = server.site('remote-site-1'); // stores B and F active, no dispensary
  const site2 = server.site('remote-site-2'); // store D is a dispensary
  await site1.sync();
  await site2.sync();
  const records = [legacyRecord('abbreviation', 'RESYNC_ABBR', { abbreviation: 'bd', expansion: 'twice a day' })];
  expect(await server.admin('POST', '/records', { records })).toMatchObject({ status: 200, body: { accepted: 1 } });
  await syncUntil(site2, () => site2.held('abbreviation', 'RESYNC_ABBR') !== undefined);
  await site1.sync();
  await site1.sync();
  expect(site1.held('abbreviation', 'RESYNC_ABBR')).toBeUndefined();

  const saved = await server.admin('PATCH', '/stores/STORE_F', { mode: 'dispensary' });
  expect(saved).toMatchObject({ status: 200, body: { id: 'STORE_F', mode: 'dispensary' } });
  await syncUntil(site1, () => site1.held('abbreviation', 'RESYNC_ABBR') !== undefined);
  expect(site1.held('abbreviation', 'RESYNC_ABBR')).toMatchObject({ expansion: 'twice a day' });
});

test('a dispensary store created on a site that had none brings that site the dispensary data', async () => {
  const own = await startTestSyncServer();
  try {
    const site1 = own.site('remote-site-1'); // stores B and F, no dispensary
    await site1.sync();
    const records = [legacyRecord('abbreviation', 'NEW_DISP_ABBR', { abbreviation: 'tds', expansion: 'three times a day' })];
    expect(await own.admin('POST', '/records', { records })).toMatchObject({ status: 200, body: { accepted: 1 } });
    await site1.sync();
    await site1.sync();
    expect(site1.held('abbreviation', 'NEW_DISP_ABBR')).toBeUndefined();

    const store = { id: 'STORE_NEW_DISP', code: 'ND', name: 'New dispensary', nameId: 'NAME_STORE_NEW_DISP', mode: 'dispensary', activeSiteId: 2 };
    expect(await own.admin('POST', '/stores', store)).toMatchObject({ status: 201, body: { id: 'STORE_NEW_DISP', mode: 'dispensary' } });
    await syncUntil(site1, () => site1.held('abbreviation', 'NEW_DISP_ABBR') !== undefined);
    expect(site1.held('abbreviation', 'NEW_DISP_ABBR')).toMatchObject({ expansion: 'three times a day' });
  } finally {
    await own.stop();
  }
});

test('a store saved with "resync patient records" sends its site every patient visible in it again, and the dispensary data', async () => {
  const site1 = server.site('remote-site-1');
  const site2 = server.site('remote-site-2'); // store C active
  await site1.sync();
  await site2.sync();
  site1.change(legacyRecord('name', 'RESYNC_PATIENT', { type: 'patient', supplying_store_id: 'STORE_B', name: 'Patient R' }));
  await site1.sync();
  expect((await server.admin('POST', '/stores/STORE_C/visibility', { nameId: 'RESYNC_PATIENT' })).status).toBe(201);
  await syncUntil(site2, () => site2.held('name', 'RESYNC_PATIENT') !== undefined);
  // Dispensary data site 2 holds already (its store D is a dispensary).
  const abbreviation = [legacyRecord('abbreviation', 'RESYNC_ABBR_D', { abbreviation: 'od', expansion: 'once a day' })];
  expect(await server.admin('POST', '/records', { records: abbreviation })).toMatchObject({ status: 200, body: { accepted: 1 } });
  await syncUntil(site2, () => site2.held('abbreviation', 'RESYNC_ABBR_D') !== undefined);
  const receivedBefore = timesReceived(site2, 'RESYNC_PATIENT');
  const partnerBefore = timesReceived(site2, 'NAME_STORE_B');
  const dispensaryBefore = timesReceived(site2, 'RESYNC_ABBR_D', 'abbreviation');
  await site2.sync();
  expect(timesReceived(site2, 'RESYNC_PATIENT')).toBe(receivedBefore);

  // Nothing else about the store changes: the option alone is a valid save.
  const saved = await server.admin('PATCH', '/stores/STORE_C', { resyncPatients: true });
  expect(saved).toMatchObject({ status: 200, body: { id: 'STORE_C', mode: 'store' } });
  await syncUntil(site2, () => timesReceived(site2, 'RESYNC_PATIENT') > receivedBefore && timesReceived(site2, 'RESYNC_ABBR_D', 'abbreviation') > dispensaryBefore);
  expect(site2.held('name', 'RESYNC_PATIENT')).toMatchObject({ type: 'patient', name: 'Patient R' });
  // A store's own name visible in it is a trading partner, not a patient: not sent again.
  expect(timesReceived(site2, 'NAME_STORE_B')).toBe(partnerBefore);
});

test('a save with nothing to change, or a resync option that is not true or false, is refused and changes nothing', async () => {
  for (const body of [{}, { resyncPatients: 'yes' }, { resyncPatients: true, colour: 'red' }]) {
    const refused = await server.admin('PATCH', '/stores/STORE_C', body);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  }
  expect((await server.admin('PATCH', '/stores/NO_SUCH_STORE', { resyncPatients: true })).status).toBe(404);
});

function timesReceived(site: ReturnType<TestSyncServer['site']>, recordId: string, tableName = 'name'): number {
  return site.receivedLog.filter((record) => record.tableName === tableName && record.recordId === recordId).length;
}

test('a site made primary receives the central records its filter had left out', async () => {
  const own = await startTestSyncServer();
  try {
    const site1 = own.site('remote-site-1'); // stores B and F: no list joined to them
    await site1.sync();
    const records = [
      legacyRecord('item', 'PRIMARY_ITEM'),
      legacyRecord('list_master', 'PRIMARY_LIST', { description: 'Another store\'s list' }),
      legacyRecord('list_master_line', 'PRIMARY_LINE', { item_master_ID: 'PRIMARY_LIST', item_ID: 'PRIMARY_ITEM' }),
      legacyRecord('name', 'PRIMARY_SUPPLIER', { type: 'facility', name: 'A supplier no store of site 1 sees', supplier: true, manufacturer: false }),
    ];
    expect(await own.admin('POST', '/records', { records })).toMatchObject({ status: 200, body: { accepted: records.length } });
    await syncUntil(site1, () => site1.held('list_master', 'PRIMARY_LIST') !== undefined);
    await site1.sync();
    expect(site1.held('list_master_line', 'PRIMARY_LINE')).toBeUndefined();
    expect(site1.held('name', 'PRIMARY_SUPPLIER')).toBeUndefined();

    expect(await own.admin('PATCH', '/preferences', { primarySiteId: 2 })).toMatchObject({ status: 200, body: { primarySiteId: 2 } });
    await syncUntil(site1, () => site1.held('list_master_line', 'PRIMARY_LINE') !== undefined && site1.held('name', 'PRIMARY_SUPPLIER') !== undefined);
    expect(site1.held('list_master_line', 'PRIMARY_LINE')).toMatchObject({ item_master_ID: 'PRIMARY_LIST' });
  } finally {
    await own.stop();
  }
});
