/**
 * Store records authored by the configuration, through the admin API and the background
 * consumers of the in-process server (demo configuration): an imported store record that
 * contradicts the configuration is corrected, and after store F moves from site 2 to site 3 both
 * sites are sent F's record saying it is active on site 3 (site 3 now holds F; site 2 held it
 * before and must learn it is no longer active there).
 */
import { waitUntil } from '../../lib/local/ports';
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';

jest.setTimeout(120_000);

let server: TestSyncServer;

beforeAll(async () => {
  server = await startTestSyncServer();
});

afterAll(async () => {
  await server?.stop();
});

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

test('a site initialising finds records of its stores that say what the configuration says', async () => {
  // Store D never had a record imported; initialising site 3 writes it.
  expect((await server.adapters.centralCopy.get([{ tableName: 'store', recordId: 'STORE_D' }])).size).toBe(0);
  const site = server.site('remote-site-2');
  await site.sync();
  const storeD = (await server.adapters.centralCopy.get([{ tableName: 'store', recordId: 'STORE_D' }])).get('store\u0000STORE_D');
  expect(storeD?.recordData).toMatchObject({ ID: 'STORE_D', name_ID: 'NAME_STORE_D', sync_id_remote_site: 3, logo: '', created_date: '0000-00-00', disabled: false });
});
