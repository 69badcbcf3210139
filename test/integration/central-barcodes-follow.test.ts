/**
 * A barcode whose maker is an ordinary name stays off a site that does not hold the name (the
 * client needs a barcode's manufacturer); once the name is made visible in one of the site's
 * stores, the site's cursor has long passed the barcode, so it comes with the name through the
 * site's queue (it hangs under its manufacturer, docs/central-data.md). The site syncs as the
 * Open mSupply client does.
 */
import { legacyRecord } from '../support/legacy-records';
import { syncUntil, testSyncServerForFile } from '../support/sync-server';

jest.setTimeout(120_000);

const server = testSyncServerForFile();

test('a barcode of a name the site does not hold arrives when the name is made visible in its store, with the name', async () => {
  const site = server.site('remote-site-1'); // stores B and F active
  const records = [
    legacyRecord('item', 'BC_ITEM'),
    legacyRecord('name', 'BC_MAKER', { type: 'facility', name: 'Local packer', supplier: true, manufacturer: false }),
    legacyRecord('name', 'BC_FLAGGED', { type: 'facility', name: 'Flagged maker', manufacturer: true }),
    legacyRecord('barcode', 'BC_OF_MAKER', { itemID: 'BC_ITEM', manufacturerID: 'BC_MAKER', barcode: '5012345678900' }),
    legacyRecord('barcode', 'BC_OF_FLAGGED', { itemID: 'BC_ITEM', manufacturerID: 'BC_FLAGGED', barcode: '5012345678917' }),
    legacyRecord('barcode', 'BC_NO_MAKER', { itemID: 'BC_ITEM', manufacturerID: '', barcode: '5012345678924' }),
  ];
  expect(await server.admin('POST', '/records', { records })).toMatchObject({ status: 200, body: { accepted: records.length, refused: [] } });

  await syncUntil(site, () => site.held('barcode', 'BC_NO_MAKER') !== undefined);
  expect(site.held('barcode', 'BC_OF_FLAGGED')).toMatchObject({ manufacturerID: 'BC_FLAGGED' });
  expect(site.held('name', 'BC_FLAGGED')).toMatchObject({ ID: 'BC_FLAGGED' });
  expect(site.held('barcode', 'BC_OF_MAKER')).toBeUndefined();
  expect(site.held('name', 'BC_MAKER')).toBeUndefined();

  expect((await server.admin('POST', '/stores/STORE_B/visibility', { nameId: 'BC_MAKER' })).status).toBe(201);
  await syncUntil(site, () => site.held('barcode', 'BC_OF_MAKER') !== undefined);
  expect(site.held('name', 'BC_MAKER')).toMatchObject({ ID: 'BC_MAKER' });
});

test('the barcodes of a name flagged manufacturer later reach a site whose cursor had passed them, once the name is', async () => {
  const site = server.site('remote-site-2'); // stores C and D active
  const ordinary = legacyRecord('name', 'BC_LATE_MAKER', { type: 'facility', name: 'Packer flagged later', supplier: true, manufacturer: false });
  const records = [
    legacyRecord('item', 'BC_LATE_ITEM'),
    ordinary,
    legacyRecord('barcode', 'BC_OF_LATE_MAKER', { itemID: 'BC_LATE_ITEM', manufacturerID: 'BC_LATE_MAKER', barcode: '5012345678931' }),
    legacyRecord('barcode', 'BC_LATE_MARK', { itemID: 'BC_LATE_ITEM', manufacturerID: '', barcode: '5012345678948' }),
  ];
  expect(await server.admin('POST', '/records', { records })).toMatchObject({ status: 200, body: { accepted: records.length, refused: [] } });
  await syncUntil(site, () => site.held('barcode', 'BC_LATE_MARK') !== undefined);
  expect(site.held('barcode', 'BC_OF_LATE_MAKER')).toBeUndefined();
  expect(site.held('name', 'BC_LATE_MAKER')).toBeUndefined();

  // The central server flags the name a manufacturer: every site holds it from now on.
  const flagged = legacyRecord('name', 'BC_LATE_MAKER', { type: 'facility', name: 'Packer flagged later', supplier: true, manufacturer: true });
  expect(await server.admin('POST', '/records', { records: [flagged] })).toMatchObject({ status: 200, body: { accepted: 1, refused: [] } });
  await syncUntil(site, () => site.held('barcode', 'BC_OF_LATE_MAKER') !== undefined);
  expect(site.held('name', 'BC_LATE_MAKER')).toMatchObject({ ID: 'BC_LATE_MAKER', manufacturer: true });
  expect(site.held('barcode', 'BC_OF_LATE_MAKER')).toMatchObject({ manufacturerID: 'BC_LATE_MAKER' });
});
