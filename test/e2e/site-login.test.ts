/**
 * The project's faithful Open mSupply site (lib/remote-site) logging users in against this
 * server on the demo configuration: after its first sync it knows its active stores, and a login
 * stores the user, its store joins and the permissions it maps from the answer.
 */
import { defaultUserId } from '../../functions/domain/users/users';
import { testSyncServerForFile } from '../support/sync-server';

jest.setTimeout(120_000);

const server = testSyncServerForFile();

test('the demo user logs in on remote-site-1 and gets its stores there with their permissions; a wrong password is refused', async () => {
  const site = server.site('remote-site-1');
  await site.sync();
  const result = await site.login('demo-user', 'demo-user-pass');
  expect(result.status).toBe('loggedIn');
  if (result.status !== 'loggedIn') return;
  expect(result.user).toMatchObject({ id: defaultUserId('demo-user'), username: 'demo-user', isActive: true });
  // Joins to stores the site does not hold (D, active on remote-site-2 and unseen here) are skipped by the site.
  const stores = site.userStores(result.user.id);
  expect(stores.map((store) => [store.storeId, store.isDefault]).sort()).toEqual([
    ['STORE_B', true],
    ['STORE_C', false],
    ['STORE_F', false],
  ]);
  const f = stores.find((store) => store.storeId === 'STORE_F')!;
  expect(f.permissions).toEqual(expect.arrayContaining(['StoreAccess', 'StockLineQuery', 'RequisitionQuery']));
  expect(f.permissions).not.toContain('StockLineMutate');
  expect(stores.find((store) => store.storeId === 'STORE_B')!.permissions).toEqual(expect.arrayContaining(['StockLineMutate', 'ServerAdmin']));

  expect((await site.login('demo-user', 'wrong-password')).status).toBe('invalidCredentials');
});

test('a user whose stores are all on another site gets no access on this one; repeated failures block with timeoutRemaining', async () => {
  expect((await server.admin('POST', '/users', { name: 'ines', password: 'ines-password', stores: [{ storeId: 'STORE_C', permissions: [156] }] })).status).toBe(201);
  const site = server.site('remote-site-1');
  await site.sync();
  expect((await site.login('ines', 'ines-password')).status).toBe('noSiteAccess');

  for (let i = 0; i < 5; i++) expect((await site.login('ines', `wrong-${i}`)).status).toBe('invalidCredentials');
  const blocked = await site.login('ines', 'ines-password');
  expect(blocked.status).toBe('accountBlocked');
  if (blocked.status === 'accountBlocked') expect(blocked.timeoutRemaining).toBeGreaterThan(0);
});

test('deactivating a user reaches the site through sync: its account there becomes inactive', async () => {
  const site = server.site('remote-site-2');
  await site.sync();
  expect((await site.login('demo-user', 'demo-user-pass')).status).toBe('loggedIn');
  const id = defaultUserId('demo-user');
  expect((await server.admin('PATCH', `/users/${id}`, { active: false })).status).toBe(200);
  for (let attempt = 0; attempt < 40 && site.users.find((user) => user.id === id)?.isActive !== false; attempt++) {
    await site.sync();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(site.users.find((user) => user.id === id)).toMatchObject({ isActive: false, username: 'demo-user' });
  // The hash it stored at the online login is kept; only the active flag ends its offline logins. Online, the server refuses too.
  expect(site.users.find((user) => user.id === id)!.hashedPassword).not.toBe('');
  expect((await site.login('demo-user', 'demo-user-pass')).status).toBe('invalidCredentials');
});
