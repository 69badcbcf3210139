/**
 * The seed's example (config/demo.json) synced end to end by remote sites behaving as the Open
 * mSupply client: store data goes where the store is held, a site pushes only its active
 * stores' data (another client pushing it anyway is refused and quarantined), central data
 * reaches every site through the change log.
 */
import { legacyRecord } from '../support/legacy-records';
import { rawV5 } from '../support/raw-v5';
import { testSyncServerForFile } from '../support/sync-server';

const server = testSyncServerForFile();

test('store B data from remote site 1 reaches the central copy, not remote site 2; site 2 does not push it, and a push of it from site 2 is refused', async () => {
  const site1 = server.site('remote-site-1');
  const site2 = server.site('remote-site-2');
  await site1.sync();
  await site2.sync();
  expect(site1.activeStoreIds.sort()).toEqual(['STORE_B', 'STORE_F']);
  expect(site2.activeStoreIds.sort()).toEqual(['STORE_C', 'STORE_D']);

  const invoice = legacyRecord('transact', 'TX_B_1', { store_ID: 'STORE_B', name_ID: 'SOME_CUSTOMER' });
  const line = legacyRecord('trans_line', 'TL_B_1', { transaction_ID: 'TX_B_1' });
  site1.changes([invoice, line]);
  expect((await site1.sync()).pushed).toBe(2);

  const central = await server.adapters.centralCopy.get([
    { tableName: 'transact', recordId: 'TX_B_1' },
    { tableName: 'trans_line', recordId: 'TL_B_1' },
  ]);
  expect([...central.values()].map((record) => record.placement.storeId)).toEqual(['STORE_B', 'STORE_B']);

  // Site 2 edits B's invoice locally: B is not one of its active stores, so its client never pushes it.
  const edited = { ...invoice, recordData: { ...invoice.recordData, comment: 'edited on the wrong site' } };
  site2.change(edited);
  expect(site2.outgoing.map((entry) => entry.recordId)).not.toContain('TX_B_1');
  expect((await site2.sync()).pushed).toBe(0);
  expect(site2.held('transact', 'TX_B_1')?.comment).toBe('edited on the wrong site'); // its own local edit only

  // A client that pushes it anyway (as site 2) is refused, and the refusal is kept.
  const raw = rawV5({ baseUrl: server.url, siteName: 'remote-site-2', password: server.passwords['remote-site-2']!, hardwareId: 'hardware-remote-site-2' });
  expect((await raw.post('queued_records', { queueLength: 1, data: [{ syncOutId: 'wrong-site-1', ...edited }] })).status).toBe(200);
  expect((await raw.post('queued_records', { queueLength: 0, data: [] })).body).toEqual({ integrationStarted: true });
  const stored = await server.adapters.centralCopy.get([{ tableName: 'transact', recordId: 'TX_B_1' }]);
  expect(stored.get('transact\u0000TX_B_1')?.recordData?.comment).toBe(invoice.recordData.comment);

  const quarantine = await server.admin('GET', '/quarantine?siteId=3');
  expect(quarantine.status).toBe(200);
  expect(quarantine.body.records).toEqual([
    expect.objectContaining({ siteId: 3, tableName: 'transact', recordId: 'TX_B_1', reason: 'store_not_active_on_site' }),
  ]);

  // Nothing of B's reached site 2 (B is a transfer store there and this is no trade with C).
  await site2.sync();
  expect(site2.receivedLog.filter((record) => record.recordId === 'TX_B_1' || record.recordId === 'TL_B_1')).toEqual([]);
});

test('an item imported on the central server (the primary) reaches every site through the change log', async () => {
  const item = legacyRecord('item', 'ITEM_DEMO_1');
  const imported = await server.admin('POST', '/records', { records: [item] });
  expect(imported).toMatchObject({ status: 200, body: { accepted: 1, refused: [] } });

  for (const name of ['remote-site-1', 'remote-site-2']) {
    const site = server.site(name);
    await site.sync();
    let held = site.held('item', 'ITEM_DEMO_1');
    for (let attempt = 0; !held && attempt < 50; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await site.sync();
      held = site.held('item', 'ITEM_DEMO_1');
    }
    expect(held).toMatchObject({ ID: 'ITEM_DEMO_1' });
  }
});
