/**
 * `user` records a site pushes over v5 (docs/users.md): a configured user's record is authored by
 * the configuration, so a site's push of it (any change) is refused `user_record_configured` and
 * the central copy keeps what the configuration wrote; a user the site made itself (an id not
 * configured) is kept centrally as before. On the in-process server with the demo configuration,
 * pushed by the project's faithful remote site.
 */
import { legacyRecord } from '../support/legacy-records';
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';

jest.setTimeout(120_000);

let server: TestSyncServer;
beforeAll(async () => {
  server = await startTestSyncServer();
});
afterAll(() => server?.stop());

const storedUser = async (id: string) => (await server.adapters.centralCopy.get([{ tableName: 'user', recordId: id }])).get(`user\u0000${id}`);

test('a site pushing a configured user\'s record is refused and the configured record stays; its own user is kept', async () => {
  const users = await server.admin('GET', '/users');
  expect(users.status).toBe(200);
  const demoUserId = (users.body.users as Array<{ id: string; name: string }>).find((user) => user.name === 'demo-user')!.id;
  const authored = await storedUser(demoUserId);
  expect(authored).toMatchObject({ originSiteId: 1, recordData: { ID: demoUserId, name: 'demo-user', active: true } });

  const site = server.site('remote-site-1');
  await site.sync();
  site.changes([
    legacyRecord('user', demoUserId, { name: 'demo-user', active: false, first_name: 'Taken over' }),
    legacyRecord('user', 'SITE_OWN_USER', { name: 'site-own-user' }),
  ]);
  const summary = await site.sync();
  expect(summary.pushed).toBe(2);

  // The configured user's record is what the configuration wrote, unchanged.
  expect(await storedUser(demoUserId)).toEqual(authored);
  const quarantined = (await server.adapters.quarantine.list({ siteId: 2, limit: 100 })).records.filter((record) => record.tableName === 'user');
  expect(quarantined).toEqual([
    expect.objectContaining({ recordId: demoUserId, reason: 'user_record_configured', message: expect.stringContaining(`User ${demoUserId} is configured on the central server`) }),
  ]);
  // The site's own user is kept centrally as pushed.
  expect(await storedUser('SITE_OWN_USER')).toMatchObject({ originSiteId: 2, recordData: { ID: 'SITE_OWN_USER', name: 'site-own-user' } });

  // A delete of the configured user's record is refused too.
  site.change({ tableName: 'user', recordId: demoUserId, action: 'delete', recordData: {} });
  await site.sync();
  expect(await storedUser(demoUserId)).toEqual(authored);
  const refusals = (await server.adapters.quarantine.list({ siteId: 2, limit: 100 })).records.filter((record) => record.recordId === demoUserId);
  expect(refusals.map((record) => [record.action, record.reason]).sort()).toEqual([
    ['delete', 'user_record_configured'],
    ['update', 'user_record_configured'],
  ]);
});
