/**
 * A name hidden in a store after the store traded with it: a site that comes to hold the store
 * afterwards (a new collector, a re-initialised site) receives the store's old records naming it
 * and the name with them (the Open mSupply client refuses an invoice whose name it lacks:
 * "Missing name"), and so does a record routed to such a site later; names nothing it holds points
 * at stay off. Sites sync as the client does.
 */
import { legacyRecord } from '../support/legacy-records';
import { startTestSyncServer, syncUntil, type TestSyncServer } from '../support/sync-server';

jest.setTimeout(120_000);

let server: TestSyncServer;
afterAll(async () => {
  await server?.stop();
});

const customer = (id: string) => legacyRecord('name', id, { type: 'facility', name: `Customer ${id}`, customer: true, supplier: false, manufacturer: false });

test('store B\'s invoice to a customer hidden since, and its stock line from a hidden supplier, bring those names to a new collector and to a re-initialised site', async () => {
  server = await startTestSyncServer();
  const traded = [customer('HN_CUSTOMER'), customer('HN_SUPPLIER')];
  // Seen in B while site 2 had it, hidden before anything named it: only a later record does.
  const later = customer('HN_LATER');
  const unused = customer('HN_UNUSED');
  expect(await server.admin('POST', '/records', { records: [...traded, later, unused] })).toMatchObject({ status: 200, body: { accepted: 4 } });

  // Site 2 (store B active) sees them in B, holds them, and trades with them.
  const original = server.site('remote-site-1', { hardwareId: 'hn-old-machine' });
  await original.sync();
  for (const { recordId } of [...traded, later]) expect((await server.admin('POST', '/stores/STORE_B/visibility', { nameId: recordId })).status).toBe(201);
  await syncUntil(original, () => ['HN_CUSTOMER', 'HN_SUPPLIER', 'HN_LATER'].every((id) => original.held('name', id) !== undefined));
  original.changes([
    legacyRecord('transact', 'HN_INVOICE', { store_ID: 'STORE_B', name_ID: 'HN_CUSTOMER' }),
    legacyRecord('item_line', 'HN_STOCK', { store_ID: 'STORE_B', name_ID: 'HN_SUPPLIER', quantity: 5 }),
  ]);
  expect(await original.sync()).toMatchObject({ pushed: 2 });
  // Then they are hidden in B: nothing new names them, the old records stay.
  for (const { recordId } of [...traded, later]) expect((await server.admin('DELETE', `/stores/STORE_B/visibility/${recordId}`)).status).toBe(204);
  await original.sync();

  // Site 3, initialised already, made a collector of store B: B's records come through its queue, with the names they point at.
  const site3 = server.site('remote-site-2');
  await site3.sync();
  expect((await server.admin('PUT', '/stores/STORE_B/sync-with/3', { syncWith: 'activeCollector' })).status).toBe(200);
  await syncUntil(site3, () => site3.held('transact', 'HN_INVOICE') !== undefined && site3.held('item_line', 'HN_STOCK') !== undefined);
  expect(site3.held('name', 'HN_CUSTOMER')).toMatchObject({ ID: 'HN_CUSTOMER' });
  expect(site3.held('name', 'HN_SUPPLIER')).toMatchObject({ ID: 'HN_SUPPLIER' });
  expect(site3.held('name', 'HN_UNUSED')).toBeUndefined();
  expect(site3.held('name', 'HN_LATER')).toBeUndefined();

  // Site 2 records stock from the supplier hidden since (it still holds the name): routed to the
  // collector with the name it points at, which the collector did not hold.
  original.changes([legacyRecord('item_line', 'HN_STOCK_LATER', { store_ID: 'STORE_B', name_ID: 'HN_LATER', quantity: 3 })]);
  expect(await original.sync()).toMatchObject({ pushed: 1 });
  await syncUntil(site3, () => site3.held('item_line', 'HN_STOCK_LATER') !== undefined);
  expect(site3.held('name', 'HN_LATER')).toMatchObject({ ID: 'HN_LATER' });
  expect(site3.held('name', 'HN_UNUSED')).toBeUndefined();

  // Site 2 reinstalled: its initialisation stream brings the names with the records naming them.
  expect((await server.admin('POST', '/sites/2/re-initialise')).status).toBe(200);
  const fresh = server.site('remote-site-1', { hardwareId: 'hn-new-machine' });
  await syncUntil(fresh, () => fresh.held('transact', 'HN_INVOICE') !== undefined);
  expect(fresh.held('name', 'HN_CUSTOMER')).toMatchObject({ ID: 'HN_CUSTOMER' });
  expect(fresh.held('item_line', 'HN_STOCK')).toMatchObject({ name_ID: 'HN_SUPPLIER' });
  expect(fresh.held('name', 'HN_SUPPLIER')).toMatchObject({ ID: 'HN_SUPPLIER' });
  expect(fresh.held('name', 'HN_UNUSED')).toBeUndefined();
});
