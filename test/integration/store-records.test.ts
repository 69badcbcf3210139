/**
 * Store records authored by the configuration, through the admin API and the background
 * consumers of the in-process server (demo configuration): an imported store record that
 * contradicts the configuration is corrected, and after store F moves from site 2 to site 3 both
 * sites are sent F's record saying it is active on site 3 (site 3 now holds F; site 2 held it
 * before and must learn it is no longer active there).
 */
import { waitUntil } from '../../lib/local/ports';
import { testSyncServerForFile } from '../support/sync-server';

jest.setTimeout(120_000);

const server = testSyncServerForFile();

const storedF = async () => (await server.adapters.centralCopy.get([{ tableName: 'store', recordId: 'STORE_F' }])).get('store\u0000STORE_F');

/** Everything waiting for a site, acknowledged (the site pulled it). */
async function pullAll(siteId: number) {
  const { records } = await server.adapters.outgoing.pull(siteId, 1000);
  await server.adapters.outgoing.acknowledge(siteId, records.map((record) => record.syncOutId));
  return records;
}

const idle = async (siteId: number) => !(await server.adapters.progress.workInProgress(siteId));

test('an imported store record contradicting the configuration is corrected; after F moves, sites 2 and 3 receive F active on site 3', async () => {
  const contradicting = {
    ID: 'STORE_F',
    name_ID: 'SOMEONE_ELSE',
    code: 'WRONG',
    name: 'Wrong name',
    store_mode: 'dispensary',
    sync_id_remote_site: 9,
    logo: 'a logo',
    created_date: '2021-05-04',
    custom_field: 'kept',
  };
  const imported = await server.admin('POST', '/records', { records: [{ tableName: 'store', recordId: 'STORE_F', action: 'insert', recordData: contradicting }] });
  expect(imported.status).toBe(200);
  expect(imported.body.accepted).toBe(1);
  const corrected = await storedF();
  expect(corrected?.recordData).toEqual({
    ID: 'STORE_F',
    name_ID: 'NAME_STORE_F',
    code: 'F',
    name: expect.any(String),
    store_mode: 'store',
    sync_id_remote_site: 2,
    logo: 'a logo',
    created_date: '2021-05-04',
    disabled: false,
    custom_field: 'kept',
  });
  expect(corrected?.recordData?.name).not.toBe('Wrong name');

  // Site 2 (F's active site) is sent the corrected record.
  await waitUntil(async () => (await idle(1)) && (await idle(2)), 15_000, 'routing the import did not finish');
  expect((await pullAll(2)).filter((record) => record.tableName === 'store' && record.recordId === 'STORE_F').map((record) => record.recordData)).toEqual([corrected?.recordData]);
  await pullAll(3);

  const moved = await server.admin('PUT', '/stores/STORE_F/active-site', { siteId: 3 });
  expect(moved.status).toBe(200);
  // Written as a new version by the central site before the answer; sent in the background.
  expect(await storedF()).toMatchObject({ originSiteId: 1, version: corrected!.version + 1, recordData: { ...corrected!.recordData, sync_id_remote_site: 3 } });

  const received = new Map<number, unknown[]>([[2, []], [3, []]]);
  await waitUntil(
    async () => {
      for (const siteId of [2, 3]) {
        for (const record of await pullAll(siteId)) if (record.tableName === 'store' && record.recordId === 'STORE_F') received.get(siteId)!.push(record.recordData);
      }
      return received.get(2)!.length > 0 && received.get(3)!.length > 0 && (await idle(2)) && (await idle(3));
    },
    15_000,
    'F\'s record did not reach both sites',
  );
  // Every version either site received says site 3 (none older came after the move).
  for (const siteId of [2, 3]) for (const data of received.get(siteId)!) expect(data).toMatchObject({ sync_id_remote_site: 3 });
  expect(received.get(3)!.at(-1)).toMatchObject({ ID: 'STORE_F', sync_id_remote_site: 3, logo: 'a logo', custom_field: 'kept' });
  expect(received.get(2)!.at(-1)).toMatchObject({ ID: 'STORE_F', sync_id_remote_site: 3 });
});

test('a configured store\'s record cannot be deleted by an import', async () => {
  const before = await storedF();
  const deleted = await server.admin('POST', '/records', { records: [{ tableName: 'store', recordId: 'STORE_F', action: 'delete' }] });
  expect(deleted.status).toBe(200);
  expect(deleted.body.refused).toEqual([expect.objectContaining({ recordId: 'STORE_F', reason: 'store_record_configured' })]);
  expect(await storedF()).toEqual(before);
});

const stored = async (tableName: string, recordId: string) => (await server.adapters.centralCopy.get([{ tableName, recordId }])).get(`${tableName}\u0000${recordId}`);

test("loading the configuration wrote every store's record and its name, the names into the change log", async () => {
  const { entries } = await server.adapters.changeLog.read(0, 10_000);
  for (const letter of ['A', 'B', 'C', 'D', 'E', 'F']) {
    expect((await stored('store', `STORE_${letter}`))?.recordData).toMatchObject({ ID: `STORE_${letter}`, name_ID: `NAME_STORE_${letter}` });
    const name = await stored('name', `NAME_STORE_${letter}`);
    expect(name).toMatchObject({ originSiteId: 1, placement: { dataClass: 'central' }, recordData: { ID: `NAME_STORE_${letter}`, name: `Store ${letter}`, type: 'store' } });
    expect(entries.filter((entry) => entry.tableName === 'name' && entry.recordId === `NAME_STORE_${letter}`).map((entry) => entry.recordData)).toEqual([name!.recordData]);
  }
});

test("a store's name imported after its store record is rewritten where the configuration owns it, and the store record is sent again to the store's sites", async () => {
  await waitUntil(async () => (await idle(1)) && (await idle(2)) && (await idle(3)), 15_000, 'earlier work did not finish');
  await pullAll(2);
  const imported = await server.admin('POST', '/records', {
    records: [{ tableName: 'name', recordId: 'NAME_STORE_B', action: 'update', recordData: { ID: 'NAME_STORE_B', name: 'Wrong', code: 'X', type: 'patient', phone: '555-0100', customer: false } }],
  });
  expect(imported.status).toBe(200);
  expect(imported.body.accepted).toBe(1);
  const name = await stored('name', 'NAME_STORE_B');
  expect(name).toMatchObject({ placement: { dataClass: 'central' }, recordData: { ID: 'NAME_STORE_B', name: 'Store B', code: 'B', type: 'store', phone: '555-0100', customer: false, supplier: true, female: false } });

  await waitUntil(async () => (await idle(1)) && (await idle(2)), 15_000, 'routing the import did not finish');
  const { entries } = await server.adapters.changeLog.read(0, 10_000);
  expect(entries.filter((entry) => entry.recordId === 'NAME_STORE_B').map((entry) => entry.recordData)).toEqual([name!.recordData]);
  // B's site ignored nothing for good: B's record is waiting for it again.
  const resent = (await pullAll(2)).filter((record) => record.tableName === 'store' && record.recordId === 'STORE_B');
  expect(resent.map((record) => record.recordData)).toEqual([(await stored('store', 'STORE_B'))!.recordData]);

  const deleted = await server.admin('POST', '/records', { records: [{ tableName: 'name', recordId: 'NAME_STORE_B', action: 'delete' }] });
  expect(deleted.body.refused).toEqual([expect.objectContaining({ recordId: 'NAME_STORE_B', reason: 'store_record_configured' })]);
});

test('a site initialising finds records of its stores and their names that say what the configuration says, and counts them active', async () => {
  // Records written outside the configuration (an older version, a direct write) that contradict it.
  const storeD = (await stored('store', 'STORE_D'))!;
  const nameD = (await stored('name', 'NAME_STORE_D'))!;
  await server.adapters.centralCopy.apply([
    { record: { tableName: 'store', recordId: 'STORE_D', action: 'update', recordData: { ...storeD.recordData, sync_id_remote_site: 9 } }, placement: storeD.placement, originSiteId: 1, changeId: 'test:contradicting-store-d' },
    { record: { tableName: 'name', recordId: 'NAME_STORE_D', action: 'update', recordData: { ...nameD.recordData, type: 'patient', name: 'Wrong' } }, placement: nameD.placement, originSiteId: 1, changeId: 'test:contradicting-name-d' },
  ]);
  const site = server.site('remote-site-2');
  await site.sync();
  expect((await stored('store', 'STORE_D'))?.recordData).toMatchObject({ ID: 'STORE_D', name_ID: 'NAME_STORE_D', sync_id_remote_site: 3, logo: '', created_date: '0000-00-00', disabled: false });
  expect((await stored('name', 'NAME_STORE_D'))?.recordData).toMatchObject({ type: 'store', name: 'Store D' });
  expect(site.held('name', 'NAME_STORE_D')).toMatchObject({ type: 'store', name: 'Store D' });
  expect(site.activeStoreIds.sort()).toEqual(['STORE_C', 'STORE_D', 'STORE_F']);
});
