/**
 * Configuration changes that entitle a site to more: moving a store to another site (sync-rules
 * §5: only when both sites are synchronised; the new site receives the store's whole data and
 * the corrected store record, so its client counts the store as active; the old site's client
 * no longer pushes it, and a push of it from the old site is refused and reported), a new
 * collector, new visibility.
 */
import { legacyRecord } from '../support/legacy-records';
import { rawV5 } from '../support/raw-v5';
import { startTestSyncServer, syncUntil, type TestSyncServer } from '../support/sync-server';

let server: TestSyncServer;

beforeAll(async () => {
  server = await startTestSyncServer();
});

afterAll(async () => {
  await server?.stop();
});

test('store F moves from remote site 1 to remote site 2 once both are synchronised, and its data follows', async () => {
  const site1 = server.site('remote-site-1');
  const site2 = server.site('remote-site-2');
  await site1.sync();
  await site2.sync();

  // Store F's data on its first site, and a message still waiting for remote site 2.
  site1.changes([
    legacyRecord('transact', 'MOVE_TX_F', { store_ID: 'STORE_F', name_ID: 'SOME_CUSTOMER' }, 1),
    legacyRecord('trans_line', 'MOVE_TL_F', { transaction_ID: 'MOVE_TX_F' }),
    { ...legacyRecord('message', 'MOVE_MSG', { toStoreID: 'STORE_C', fromStoreID: 'STORE_B' }) },
  ]);
  await site1.sync();

  const refused = await server.admin('PUT', '/stores/STORE_F/active-site', { siteId: 3 });
  expect(refused.status).toBe(409);
  expect(refused.body.error).toMatchObject({ code: 'sites_not_synchronised', data: { pending: [expect.objectContaining({ siteId: 3, waiting: 1 })] } });
  expect(refused.body.error.message).toMatch(/site 3 has 1 records to pull/);

  await site2.sync();
  const moved = await server.admin('PUT', '/stores/STORE_F/active-site', { siteId: 3 });
  expect(moved.status).toBe(200);

  await site2.sync();
  expect(site2.held('transact', 'MOVE_TX_F')).toMatchObject({ store_ID: 'STORE_F' });
  expect(site2.held('trans_line', 'MOVE_TL_F')).toMatchObject({ transaction_ID: 'MOVE_TX_F' });
  expect(site2.held('store', 'STORE_F')).toMatchObject({ sync_id_remote_site: 3 });
  expect(site2.activeStoreIds).toContain('STORE_F');

  // The new site edits F's data: its client pushes it, and the central copy takes it.
  site2.change({ tableName: 'transact', recordId: 'MOVE_TX_F', action: 'update', recordData: { ...site2.held('transact', 'MOVE_TX_F')!, comment: 'edited on the new site' } });
  expect((await site2.sync()).pushed).toBe(1);
  const afterNewSite = await server.adapters.centralCopy.get([{ tableName: 'transact', recordId: 'MOVE_TX_F' }]);
  expect(afterNewSite.get('transact\u0000MOVE_TX_F')?.recordData).toMatchObject({ comment: 'edited on the new site' });

  // The old site learns F is no longer active on it: its client no longer pushes F's data.
  await site1.sync();
  expect(site1.held('store', 'STORE_F')).toMatchObject({ sync_id_remote_site: 3 });
  expect(site1.activeStoreIds).not.toContain('STORE_F');
  site1.change({ tableName: 'transact', recordId: 'MOVE_TX_F', action: 'update', recordData: { ...site1.held('transact', 'MOVE_TX_F')!, comment: 'late edit' } });
  expect((await site1.sync()).pushed).toBe(0);

  // A client pushing it anyway from the old site is refused and reported.
  const raw = rawV5({ baseUrl: server.url, siteName: 'remote-site-1', password: server.passwords['remote-site-1']!, hardwareId: 'hardware-remote-site-1' });
  const late = { syncOutId: 'late-edit-1', tableName: 'transact', recordId: 'MOVE_TX_F', action: 'update', recordData: { ...site1.held('transact', 'MOVE_TX_F')! } };
  expect((await raw.post('queued_records', { queueLength: 1, data: [late] })).status).toBe(200);
  expect((await raw.post('queued_records', { queueLength: 0, data: [] })).body).toEqual({ integrationStarted: true });
  const quarantine = await server.admin('GET', '/quarantine?siteId=2');
  expect(quarantine.body.records).toContainEqual(expect.objectContaining({ recordId: 'MOVE_TX_F', reason: 'store_not_active_on_site' }));
  const stored = await server.adapters.centralCopy.get([{ tableName: 'transact', recordId: 'MOVE_TX_F' }]);
  expect(stored.get('transact\u0000MOVE_TX_F')?.recordData).toMatchObject({ comment: 'edited on the new site' });
});

test('force moves a store off a site that is gone for good, whatever is still waiting for it', async () => {
  const site2 = server.site('remote-site-2');
  await site2.sync();
  site2.change(legacyRecord('message', 'FORCE_MSG', { toStoreID: 'STORE_B', fromStoreID: 'STORE_C' }));
  await site2.sync(); // remote site 1 now has a record waiting, and never syncs again
  expect((await server.admin('PUT', '/stores/STORE_B/active-site', { siteId: 3 })).status).toBe(409);
  const forced = await server.admin('PUT', '/stores/STORE_B/active-site', { siteId: 3, force: true });
  expect(forced.status).toBe(200);
});

test('a site made a collector of a store receives the store\'s whole data, not only later changes', async () => {
  const server2 = await startTestSyncServer();
  try {
    const site1 = server2.site('remote-site-1');
    const site2 = server2.site('remote-site-2');
    await site1.sync();
    await site2.sync();
    site1.changes([legacyRecord('transact', 'COLLECT_TX_B', { store_ID: 'STORE_B', name_ID: 'SOME_CUSTOMER' }, 1)]);
    await site1.sync();
    await site2.sync();
    expect(site2.held('transact', 'COLLECT_TX_B')).toBeUndefined();

    // Store B is visible in store C (active on remote site 2), so site 2 may hold a collector copy.
    expect((await server2.admin('PUT', '/stores/STORE_B/sync-with/3', { syncWith: 'activeCollector' })).status).toBe(200);
    await site2.sync();
    expect(site2.held('transact', 'COLLECT_TX_B')).toMatchObject({ store_ID: 'STORE_B' });
  } finally {
    await server2.stop();
  }
});

test('a patient made visible in a store on another site reaches that site with what it already has', async () => {
  const server3 = await startTestSyncServer();
  try {
    const site1 = server3.site('remote-site-1');
    const site2 = server3.site('remote-site-2');
    await site1.sync();
    await site2.sync();
    site1.change(legacyRecord('name', 'PATIENT_P', { type: 'patient', supplying_store_id: 'STORE_B', name: 'Patient P' }));
    await site1.sync();
    await site2.sync();
    expect(site2.held('name', 'PATIENT_P')).toBeUndefined();

    expect((await server3.admin('POST', '/stores/STORE_C/visibility', { nameId: 'PATIENT_P' })).status).toBe(201);
    await site2.sync();
    expect(site2.held('name', 'PATIENT_P')).toMatchObject({ type: 'patient', supplying_store_id: 'STORE_B' });
  } finally {
    await server3.stop();
  }
});


test('central data follows what a site\'s stores use: a list joined later brings its lines, a name made visible later arrives with its contact, a collected store brings its lists and names', async () => {
  const server4 = await startTestSyncServer();
  try {
    const site1 = server4.site('remote-site-1'); // stores B and F active, A collected
    const site2 = server4.site('remote-site-2'); // stores C and D active
    const records = [
      legacyRecord('item', 'CD_ITEM_1'),
      legacyRecord('item', 'CD_ITEM_2'),
      legacyRecord('list_master', 'CD_LIST_B', { description: 'Store B list' }),
      legacyRecord('list_master', 'CD_LIST_C', { description: 'Store C list' }),
      legacyRecord('list_master_line', 'CD_LINE_B', { item_master_ID: 'CD_LIST_B', item_ID: 'CD_ITEM_1' }),
      legacyRecord('list_master_line', 'CD_LINE_C', { item_master_ID: 'CD_LIST_C', item_ID: 'CD_ITEM_2' }),
      legacyRecord('list_master_name_join', 'CD_JOIN_B', { list_master_ID: 'CD_LIST_B', name_ID: 'NAME_STORE_B' }),
      legacyRecord('list_master_name_join', 'CD_JOIN_C', { list_master_ID: 'CD_LIST_C', name_ID: 'NAME_STORE_C' }),
      legacyRecord('name', 'CD_SUPPLIER', { type: 'facility', name: 'Regional supplier', supplier: true, manufacturer: false }),
      legacyRecord('contact', 'CD_CONTACT', { name_ID: 'CD_SUPPLIER', first: 'Ana' }),
    ];
    expect(await server4.admin('POST', '/records', { records })).toMatchObject({ status: 200, body: { accepted: records.length, refused: [] } });

    await syncUntil(site1, () => site1.held('list_master_line', 'CD_LINE_B') !== undefined);
    await syncUntil(site2, () => site2.held('list_master_line', 'CD_LINE_C') !== undefined);
    // Every site holds every item and list; lines and joins only of the lists its own stores use.
    for (const site of [site1, site2]) {
      expect(site.held('item', 'CD_ITEM_2')).toMatchObject({ ID: 'CD_ITEM_2' });
      expect(site.held('list_master', 'CD_LIST_B')).toMatchObject({ ID: 'CD_LIST_B' });
      expect(site.held('name', 'CD_SUPPLIER')).toBeUndefined();
      expect(site.held('contact', 'CD_CONTACT')).toBeUndefined();
    }
    expect(site1.held('list_master_line', 'CD_LINE_C')).toBeUndefined();
    // Store C is visible in store B: site 1 holds C's name and its join, not the lines of C's list.
    expect(site1.held('list_master_name_join', 'CD_JOIN_C')).toMatchObject({ name_ID: 'NAME_STORE_C' });
    expect(site2.held('list_master_line', 'CD_LINE_B')).toBeUndefined();

    // Store B joined to C's list: site 1's cursor passed that line long ago; it comes through the queue.
    const joined = [legacyRecord('list_master_name_join', 'CD_JOIN_B2', { list_master_ID: 'CD_LIST_C', name_ID: 'NAME_STORE_B' })];
    expect(await server4.admin('POST', '/records', { records: joined })).toMatchObject({ status: 200, body: { accepted: 1 } });
    await syncUntil(site1, () => site1.held('list_master_line', 'CD_LINE_C') !== undefined);
    expect(site1.held('list_master_name_join', 'CD_JOIN_B2')).toMatchObject({ list_master_ID: 'CD_LIST_C' });

    // The supplier made visible in store C: site 2 receives it with its contact; site 1 still does not.
    expect((await server4.admin('POST', '/stores/STORE_C/visibility', { nameId: 'CD_SUPPLIER' })).status).toBe(201);
    await syncUntil(site2, () => site2.held('name', 'CD_SUPPLIER') !== undefined);
    expect(site2.held('contact', 'CD_CONTACT')).toMatchObject({ name_ID: 'CD_SUPPLIER' });
    await site1.sync();
    expect(site1.held('name', 'CD_SUPPLIER')).toBeUndefined();

    // Site 2 made a collector of store B: B's lists' lines and the names visible in B come with B's data.
    expect(site2.held('list_master_line', 'CD_LINE_B')).toBeUndefined();
    expect(site2.held('name', 'NAME_STORE_A')).toBeUndefined();
    expect((await server4.admin('PUT', '/stores/STORE_B/sync-with/3', { syncWith: 'activeCollector' })).status).toBe(200);
    await syncUntil(site2, () => site2.held('list_master_line', 'CD_LINE_B') !== undefined);
    expect(site2.held('name', 'NAME_STORE_A')).toMatchObject({ ID: 'NAME_STORE_A' });
  } finally {
    await server4.stop();
  }
});
