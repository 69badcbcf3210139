/**
 * Loading a configuration writes what a site's first sync needs besides it: every store's record
 * and name, and every user's record, all readable from the central change log or the stores'
 * records before any site has synced.
 */
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';

let server: TestSyncServer;

beforeAll(async () => {
  server = await startTestSyncServer({ consumer: false });
});

afterAll(async () => {
  await server?.stop();
});

test('the demo configuration\'s users and store names are in the change log, and its stores\' records in the central copy', async () => {
  const { entries } = await server.adapters.changeLog.read(0, 1_000);
  const users = entries.filter((entry) => entry.tableName === 'user');
  expect(users.map((entry) => entry.recordData?.name)).toContain('demo-user');
  const names = entries.filter((entry) => entry.tableName === 'name').map((entry) => entry.recordId);
  const stores = await server.adapters.centralCopy.get(['STORE_A', 'STORE_B', 'STORE_F'].map((recordId) => ({ tableName: 'store', recordId })));
  expect(stores.size).toBe(3);
  for (const store of stores.values()) expect(names).toContain(store.recordData?.name_ID);
});
