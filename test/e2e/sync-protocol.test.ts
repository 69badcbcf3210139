/**
 * The v5 wire protocol as remote sites in the field use it (spec/protocol-v5.md), on the seed's
 * example (config/demo.json): who-am-I, hardware binding, login throttling, header checks,
 * idempotent pushes, pull and acknowledgement, site_status, initialisation as the site's backup,
 * the sync report's last connection, patient authority and message routing.
 */
import { legacyRecord, type LegacyRecord } from '../support/legacy-records';
import { rawV5, type RawV5Client } from '../support/raw-v5';
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';
import { pullResponse, siteResponse, siteStatusResponse } from '../../functions/protocol/v5';
import * as z from 'zod/mini';

const key = (tableName: string, recordId: string) => `${tableName}\u0000${recordId}`;

/** Polls `check` until it holds; a bound on attempts, never an assertion on elapsed time. */
async function until(what: string, check: () => Promise<boolean>, attempts = 400, intervalMs = 50): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`Gave up waiting for ${what}`);
}

/** A pushed record as the wire carries it. */
const wire = (record: LegacyRecord, syncOutId: string) => ({ syncOutId, ...record });

function client(server: TestSyncServer, siteName: string, hardwareId = `hardware-${siteName}`, extra: { appName?: string; appVersion?: string } = {}) {
  return rawV5({ baseUrl: server.url, siteName, password: server.passwords[siteName] ?? '', hardwareId, ...extra });
}

/** Pulls (without acknowledging) everything queued for the site. */
async function peekQueue(site: RawV5Client) {
  const response = await site.get('queued_records', { limit: 1000 });
  expect(response.status).toBe(200);
  return pullResponse.parse(response.body);
}

/** Pulls and acknowledges until the site's queue is empty. */
async function drainQueue(site: RawV5Client) {
  for (;;) {
    const { data } = await peekQueue(site);
    if (data.length === 0) return;
    expect((await site.post('acknowledged_records', { syncIDs: data.map((record) => record.syncOutId) })).status).toBe(200);
  }
}

/** Polls site_status (as the client does after a push) until the site's pushed work is routed. */
async function waitUntilIdle(site: RawV5Client) {
  await until(`${site.siteName} idle`, async () => {
    const response = await site.get('site_status');
    return response.status === 200 && response.body.code === 'idle';
  });
}

async function push(site: RawV5Client, data: unknown[], queueLength = data.length) {
  const response = await site.post('queued_records', { queueLength, data });
  expect(response).toMatchObject({ status: 200 });
  return response.body as { integrationStarted: boolean };
}

describe('with the fan-out consumer running', () => {
  let server: TestSyncServer;
  let site1: RawV5Client; // remote-site-1, siteId 2: stores B and F active, collector of A
  let site2: RawV5Client; // remote-site-2, siteId 3: stores C and D active, B as a transfer store

  beforeAll(async () => {
    server = await startTestSyncServer();
    site1 = client(server, 'remote-site-1');
    site2 = client(server, 'remote-site-2');
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** Waits until what the central server imported (as site 1) has been routed. */
  const waitUntilCentralImportRouted = () =>
    until('the import routed', async () => !(await server.adapters.progress.workInProgress(1)));

  const importRecords = async (records: LegacyRecord[]) => {
    const imported = await server.admin('POST', '/records', { records });
    expect(imported).toMatchObject({ status: 200, body: { accepted: records.length, refused: [] } });
    await waitUntilCentralImportRouted();
  };

  test('GET site answers who remote-site-1 is: new before its first sync, completed after', async () => {
    const before = await site1.get('site');
    expect(before.status).toBe(200);
    expect(z.strictObject(siteResponse.shape).safeParse(before.body).success).toBe(true);
    expect(before.body).toEqual({
      id: expect.stringMatching(/\S/),
      siteId: 2,
      code: 'RS1',
      name: 'remote-site-1',
      initialisationStatus: 'new',
      omSupplyCentralServerUrl: expect.any(String),
      isOmSupplyCentralServer: false,
      mSupplyCentralSiteId: 1,
    });

    const summary = await server.site('remote-site-1').sync();
    expect(summary).toMatchObject({ requestedInitialisation: true, initialised: true });

    const after = await site1.get('site');
    expect(after.status).toBe(200);
    expect(z.strictObject(siteResponse.shape).safeParse(after.body).success).toBe(true);
    expect(after.body).toEqual({ ...before.body, initialisationStatus: 'completed' });
  });

  test('a missing or too old "version" header is api_version_incompatible, a missing msupply-site-uuid invalid_request; nothing is stored', async () => {
    const connectionBefore = await server.adapters.sessions.lastConnection(2);
    const record = (id: string) => wire(legacyRecord('transact', id, { store_ID: 'STORE_B', name_ID: 'SOME_CUSTOMER' }), `hdr-${id}`);
    const attempts = [
      { id: 'TX_B_HDR_OLD', headers: { version: '4' }, status: 400, code: 'api_version_incompatible' },
      { id: 'TX_B_HDR_NONE', headers: { version: undefined }, status: 400, code: 'api_version_incompatible' },
      { id: 'TX_B_HDR_UUID', headers: { 'msupply-site-uuid': undefined }, status: 400, code: 'invalid_request' },
    ];
    for (const attempt of attempts) {
      const response = await site1.call('POST', 'queued_records', {
        body: { queueLength: 1, data: [record(attempt.id)] },
        headers: attempt.headers,
      });
      expect({ id: attempt.id, status: response.status, body: response.body }).toEqual({
        id: attempt.id,
        status: attempt.status,
        body: { error: { code: attempt.code, message: expect.stringMatching(/\S/), data: expect.anything() } },
      });
    }
    // The same refusals on a read route.
    expect((await site1.call('GET', 'site', { headers: { version: '4' } })).body.error.code).toBe('api_version_incompatible');
    expect((await site1.call('GET', 'site', { headers: { 'msupply-site-uuid': undefined } })).body.error.code).toBe('invalid_request');

    const stored = await server.adapters.centralCopy.get(attempts.map(({ id }) => ({ tableName: 'transact', recordId: id })));
    expect([...stored.keys()]).toEqual([]);
    const quarantine = await server.admin('GET', '/quarantine?siteId=2');
    expect(quarantine.body.records.filter((entry: { recordId: string }) => entry.recordId.startsWith('TX_B_HDR_'))).toEqual([]);
    expect(await server.adapters.sessions.lastConnection(2)).toEqual(connectionBefore);
  });

  test('the last connection is recorded with the app name, app version and sync API version', async () => {
    await server.site('remote-site-1').sync();
    expect(await server.adapters.sessions.lastConnection(2)).toMatchObject({
      appName: 'Open mSupply Desktop',
      appVersion: expect.stringMatching(/\S/),
      syncApiVersion: 14,
      hardwareId: 'hardware-remote-site-1',
    });

    const other = client(server, 'remote-site-1', 'hardware-remote-site-1', { appName: 'open-msupply-test', appVersion: '2.3.4' });
    expect((await other.call('GET', 'site', { headers: { version: '12' } })).status).toBe(200);
    expect(await server.adapters.sessions.lastConnection(2)).toMatchObject({
      appName: 'open-msupply-test',
      appVersion: '2.3.4',
      syncApiVersion: 12,
      hardwareId: 'hardware-remote-site-1',
      route: 'GET /sync/v5/site',
    });
    expect(Number.isNaN(Date.parse((await server.adapters.sessions.lastConnection(2))!.at))).toBe(false);
  });

  test('a batch pushed again (exactly, then with one more record) stores the repeated record once and queues it once for the trading site', async () => {
    // Trades of store B (active on site 2) with store C: site 3 holds B as a transfer store.
    const trade = (id: string) => legacyRecord('transact', id, { store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', type: 'ci', status: 'nw' });
    const lengthBefore = (await peekQueue(site2)).queueLength;

    expect(await push(site1, [wire(trade('TX_B_TRADE_C'), 'idempotent-push-1')], 1)).toEqual({ integrationStarted: true });
    // The answer was lost: the site pushes exactly the same batch again.
    expect(await push(site1, [wire(trade('TX_B_TRADE_C'), 'idempotent-push-1')], 1)).toEqual({ integrationStarted: true });
    // Lost again: the site pushes the same entry again: the site pushes the same entry again, now with its next change.
    expect(await push(site1, [wire(trade('TX_B_TRADE_C'), 'idempotent-push-1'), wire(trade('TX_B_TRADE_C_2'), 'idempotent-push-2')], 2)).toEqual({
      integrationStarted: true,
    });
    expect(await push(site1, [], 0)).toEqual({ integrationStarted: true });
    await waitUntilIdle(site1);

    const stored = await server.adapters.centralCopy.get([
      { tableName: 'transact', recordId: 'TX_B_TRADE_C' },
      { tableName: 'transact', recordId: 'TX_B_TRADE_C_2' },
    ]);
    for (const id of ['TX_B_TRADE_C', 'TX_B_TRADE_C_2']) {
      expect(stored.get(key('transact', id))).toMatchObject({ version: 1, routedVersion: 1, originSiteId: 2, placement: { storeId: 'STORE_B' } });
    }

    const queued = await peekQueue(site2);
    expect(queued.queueLength).toBe(lengthBefore + 2);
    expect(queued.data.filter((record) => record.recordId.startsWith('TX_B_TRADE_C')).map((record) => record.recordId).sort()).toEqual([
      'TX_B_TRADE_C',
      'TX_B_TRADE_C_2',
    ]);
  });

  test('pull and acknowledge: the queue length is exact, unknown and repeated ids are harmless, a newer version is delivered again', async () => {
    await drainQueue(site1);
    expect(await peekQueue(site1)).toEqual({ queueLength: 0, data: [] });

    // Store A is active on the central server; site 2 holds a collector copy.
    const ids = ['TX_A_PULL_1', 'TX_A_PULL_2', 'TX_A_PULL_3'];
    await importRecords(ids.map((id) => legacyRecord('transact', id, { store_ID: 'STORE_A', name_ID: 'SOME_CUSTOMER' })));

    const first = await site1.get('queued_records', { limit: 2 });
    expect(first.status).toBe(200);
    const page1 = pullResponse.parse(first.body);
    expect(page1.queueLength).toBe(3);
    expect(page1.data).toHaveLength(2);
    expect((await site1.post('acknowledged_records', { syncIDs: page1.data.map((record) => record.syncOutId) })).status).toBe(200);

    const page2 = pullResponse.parse((await site1.get('queued_records', { limit: 2 })).body);
    expect(page2.queueLength).toBe(1);
    expect(page2.data).toHaveLength(1);
    expect([...page1.data, ...page2.data].map((record) => record.recordId).sort()).toEqual(ids);

    // Repeated ids, ids of no entry, and the last real one, in one acknowledgement.
    const ack = await site1.post('acknowledged_records', {
      syncIDs: [...page1.data.map((record) => record.syncOutId), 'not-a-sync-out-id', page2.data[0]!.syncOutId, page2.data[0]!.syncOutId],
    });
    expect(ack.status).toBe(200);
    expect(await peekQueue(site1)).toEqual({ queueLength: 0, data: [] });
    expect((await site1.post('acknowledged_records', { syncIDs: page1.data.map((record) => record.syncOutId) })).status).toBe(200);
    expect(await peekQueue(site1)).toEqual({ queueLength: 0, data: [] });

    // Changed between the pull and its acknowledgement: the newest version comes again.
    await importRecords([legacyRecord('transact', 'TX_A_PULL_4', { store_ID: 'STORE_A', name_ID: 'SOME_CUSTOMER', comment: 'first version' })]);
    const pulled = await peekQueue(site1);
    expect(pulled.data).toEqual([expect.objectContaining({ recordId: 'TX_A_PULL_4', recordData: expect.objectContaining({ comment: 'first version' }) })]);
    await importRecords([legacyRecord('transact', 'TX_A_PULL_4', { store_ID: 'STORE_A', name_ID: 'SOME_CUSTOMER', comment: 'second version' })]);
    expect((await site1.post('acknowledged_records', { syncIDs: [pulled.data[0]!.syncOutId] })).status).toBe(200);

    const again = await peekQueue(site1);
    expect(again.queueLength).toBe(1);
    expect(again.data).toEqual([expect.objectContaining({ recordId: 'TX_A_PULL_4', recordData: expect.objectContaining({ comment: 'second version' }) })]);
    expect(again.data[0]!.syncOutId).not.toBe(pulled.data[0]!.syncOutId);
    await drainQueue(site1);
    expect((await peekQueue(site1)).queueLength).toBe(0);
  });

  test('a patient is edited only on its home site: accepted from site 2 (home store B), refused from site 3 as not_home_site', async () => {
    const patient = legacyRecord('name', 'PATIENT_B_1', { type: 'patient', supplying_store_id: 'STORE_B', comment: 'registered in store B' });
    expect(await push(site1, [wire(patient, 'patient-home-1')], 1)).toEqual({ integrationStarted: true });
    await push(site1, [], 0);
    await waitUntilIdle(site1);
    const stored = await server.adapters.centralCopy.get([{ tableName: 'name', recordId: 'PATIENT_B_1' }]);
    expect(stored.get(key('name', 'PATIENT_B_1'))).toMatchObject({
      version: 1,
      recordData: { comment: 'registered in store B' },
      placement: { dataClass: 'patient', storeId: 'STORE_B', patientId: 'PATIENT_B_1' },
    });

    const edit = { ...patient, recordData: { ...patient.recordData, comment: 'edited on site 3' } };
    const fresh = legacyRecord('name', 'PATIENT_B_2', { type: 'patient', supplying_store_id: 'STORE_B' });
    await push(site2, [wire(edit, 'patient-away-1'), wire(fresh, 'patient-away-2')], 2);
    expect(await push(site2, [], 0)).toEqual({ integrationStarted: true });

    const quarantine = await server.admin('GET', '/quarantine?siteId=3');
    expect(quarantine.status).toBe(200);
    const refused = quarantine.body.records.filter((entry: { tableName: string }) => entry.tableName === 'name');
    expect(refused).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ siteId: 3, recordId: 'PATIENT_B_1', reason: 'not_home_site' }),
        expect.objectContaining({ siteId: 3, recordId: 'PATIENT_B_2', reason: 'not_home_site' }),
      ]),
    );
    expect(refused).toHaveLength(2);
    const after = await server.adapters.centralCopy.get([
      { tableName: 'name', recordId: 'PATIENT_B_1' },
      { tableName: 'name', recordId: 'PATIENT_B_2' },
    ]);
    expect([...after.keys()]).toEqual([key('name', 'PATIENT_B_1')]);
    expect(after.get(key('name', 'PATIENT_B_1'))).toMatchObject({ version: 1, recordData: { comment: 'registered in store B' } });
  });

  test('a message to store C pushed by site 2 reaches site 3, the site where C is active', async () => {
    const message = legacyRecord('message', 'MSG_B_TO_C', { toStoreID: 'STORE_C', fromStoreID: 'STORE_B' });
    await push(site1, [wire(message, 'message-1')], 1);
    await push(site1, [], 0);
    await waitUntilIdle(site1);

    const queued = await peekQueue(site2);
    expect(queued.data.filter((record) => record.tableName === 'message')).toEqual([
      expect.objectContaining({ recordId: 'MSG_B_TO_C', recordData: expect.objectContaining({ toStoreID: 'STORE_C' }) }),
    ]);
    expect((await peekQueue(site1)).data.filter((record) => record.tableName === 'message')).toEqual([]);
  });

  test('initialise is the site\'s backup: a rebuilt site 2 gets its own store B data and its collector copy of A, once', async () => {
    // A site's changes made before its first whole sync are never pushed: it syncs first.
    const original = server.site('remote-site-1');
    await original.sync();
    const invoice = legacyRecord('transact', 'TX_B_BACKUP', { store_ID: 'STORE_B', name_ID: 'SOME_CUSTOMER', comment: 'only on site 2 so far' });
    const line = legacyRecord('trans_line', 'TL_B_BACKUP', { transaction_ID: 'TX_B_BACKUP' });
    original.changes([invoice, line]);
    expect((await original.sync()).pushed).toBe(2);
    await importRecords([legacyRecord('transact', 'TX_A_BACKUP', { store_ID: 'STORE_A', name_ID: 'SOME_CUSTOMER' })]);
    await drainQueue(site1);

    // The same installation, its database lost: a fresh state, the same hardware id. The client
    // trusts a 2xx initialise and pulls at once, without asking site_status.
    const rebuilt = server.site('remote-site-1');
    expect(rebuilt.heldRecords()).toEqual([]);
    await rebuilt.initialise();
    const firstLength = (await peekQueue(site1)).queueLength;
    expect(firstLength).toBeGreaterThan(0);

    await rebuilt.initialise();
    expect((await peekQueue(site1)).queueLength).toBe(firstLength);

    expect(await rebuilt.pullQueue()).toBe(firstLength);
    const received = new Set(rebuilt.receivedLog.map((record) => key(record.tableName, record.recordId)));
    expect(received.size).toBe(firstLength);
    expect(rebuilt.held('transact', 'TX_B_BACKUP')).toMatchObject({ comment: 'only on site 2 so far', store_ID: 'STORE_B' });
    expect(rebuilt.held('trans_line', 'TL_B_BACKUP')).toMatchObject({ transaction_ID: 'TX_B_BACKUP' });
    expect(rebuilt.held('transact', 'TX_B_TRADE_C')).toBeDefined();
    expect(rebuilt.held('name', 'PATIENT_B_1')).toMatchObject({ comment: 'registered in store B' });
    for (const id of ['TX_A_BACKUP', 'TX_A_PULL_1', 'TX_A_PULL_2', 'TX_A_PULL_3']) expect(rebuilt.held('transact', id)).toMatchObject({ store_ID: 'STORE_A' });
    expect(rebuilt.held('transact', 'TX_A_PULL_4')).toMatchObject({ comment: 'second version' });
    // Never what its stores are not entitled to: the message to store C is site 3's.
    expect(rebuilt.held('message', 'MSG_B_TO_C')).toBeUndefined();
    expect(await peekQueue(site1)).toEqual({ queueLength: 0, data: [] });
  });
});

describe('without the fan-out consumer (integration never finishes), logins and hardware binding', () => {
  let server: TestSyncServer;

  beforeAll(async () => {
    // Routing left to the background (as when the push cannot route what it stored itself).
    server = await startTestSyncServer({ consumer: false, routeInPush: false });
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('site_status says integration_in_progress while pushed work is queued; the last push answers integrationStarted: true', async () => {
    const site = client(server, 'remote-site-1');
    const idle = await site.get('site_status');
    expect(idle.status).toBe(200);
    expect(siteStatusResponse.parse(idle.body).code).toBe('idle');

    // Trades with store C (on remote-site-2): routing has work to do (a record that goes nowhere
    // else is routed as it is stored, and queues nothing).
    const first = legacyRecord('transact', 'TX_B_WAIT_1', { store_ID: 'STORE_B', name_ID: 'NAME_STORE_C' });
    const second = legacyRecord('transact', 'TX_B_WAIT_2', { store_ID: 'STORE_B', name_ID: 'NAME_STORE_C' });
    await push(site, [wire(first, 'wait-1')], 2);
    await push(site, [wire(second, 'wait-2')], 1);
    const last = await site.post('queued_records', { queueLength: 0, data: [] });
    expect(last).toMatchObject({ status: 200, body: { integrationStarted: true } });
    expect(Object.keys(last.body)).toEqual(['integrationStarted']);

    for (let poll = 0; poll < 2; poll++) {
      const status = await site.get('site_status');
      expect(status.status).toBe(200);
      expect(siteStatusResponse.safeParse(status.body).success).toBe(true);
      expect(status.body).toMatchObject({ code: 'integration_in_progress', data: null });
    }
    // Durable before the answer, though not routed yet.
    const stored = await server.adapters.centralCopy.get([
      { tableName: 'transact', recordId: 'TX_B_WAIT_1' },
      { tableName: 'transact', recordId: 'TX_B_WAIT_2' },
    ]);
    expect([...stored.values()].map(({ version, routedVersion }) => ({ version, routedVersion }))).toEqual([
      { version: 1, routedVersion: 0 },
      { version: 1, routedVersion: 0 },
    ]);
  });

  test('the first initialise binds the hardware id; another is refused until an administrator releases the binding', async () => {
    const original = client(server, 'remote-site-2', 'hw-original');
    const replacement = client(server, 'remote-site-2', 'hw-replacement');

    expect((await server.admin('GET', '/sites/3')).body).toMatchObject({ hardwareId: '' });
    expect((await original.post('initialise', {})).status).toBe(200);
    expect((await server.admin('GET', '/sites/3')).body).toMatchObject({ hardwareId: 'hw-original' });

    for (const [method, route] of [
      ['GET', 'site'],
      ['POST', 'initialise'],
      ['GET', 'queued_records'],
    ] as const) {
      const refused = await replacement.call(method, route, method === 'POST' ? { body: {} } : {});
      expect({ route, status: refused.status, body: refused.body }).toEqual({
        route,
        status: 401,
        body: { error: { code: 'site_incorrect_hardware_id', message: expect.stringMatching(/\S/), data: null } },
      });
    }
    expect((await original.get('site')).status).toBe(200);

    const released = await server.admin('POST', '/sites/3/release-hardware');
    expect(released).toMatchObject({ status: 200, body: { siteId: 3, hardwareId: '' } });
    expect((await replacement.post('initialise', {})).status).toBe(200);
    expect((await server.admin('GET', '/sites/3')).body).toMatchObject({ hardwareId: 'hw-replacement' });
    expect((await original.get('site')).body).toMatchObject({ error: { code: 'site_incorrect_hardware_id' } });
  });

  test('failed logins: wrong password, unknown site; after 5 failures from an address its guesses wait, while the right password still gets in and clears them', async () => {
    expect(
      await server.admin('POST', '/sites', { siteId: 4, name: 'lockout-site', code: 'LCK', kind: 'desktop', password: 'lockout-site-pass' }),
    ).toMatchObject({ status: 201 });
    expect(
      await server.admin('POST', '/stores', { id: 'STORE_L', code: 'L', name: 'Store L', nameId: 'NAME_STORE_L', activeSiteId: 4 }),
    ).toMatchObject({ status: 201 });
    const right = rawV5({ baseUrl: server.url, siteName: 'lockout-site', password: 'lockout-site-pass', hardwareId: 'hw-lockout' });
    const wrong = rawV5({ baseUrl: server.url, siteName: 'lockout-site', password: 'not-the-password', hardwareId: 'hw-lockout' });
    const unknown = rawV5({ baseUrl: server.url, siteName: 'no-such-site', password: 'whatever-pass', hardwareId: 'hw-lockout' });

    expect((await right.get('site')).body).toMatchObject({ siteId: 4, name: 'lockout-site' });
    expect(await unknown.get('site')).toMatchObject({ status: 401, body: { error: { code: 'site_name_not_found', data: null } } });

    for (let failure = 1; failure <= 5; failure++) {
      const response = await wrong.get('site');
      expect({ failure, status: response.status, code: response.body?.error?.code }).toEqual({ failure, status: 401, code: 'site_incorrect_password' });
    }
    // The sixth guess from this address is not evaluated: it waits, whatever it is.
    const locked = await wrong.get('site');
    expect(locked).toMatchObject({ status: 401, body: { error: { code: 'site_auth_timeout', message: expect.stringMatching(/from this address/) } } });
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60 * 60);
    expect((await wrong.post('queued_records', { queueLength: 0, data: [] })).body).toMatchObject({ error: { code: 'site_auth_timeout' } });
    // A stranger guessing cannot lock the site out: its right password gets in, and clears the count.
    expect((await right.get('site')).body).toMatchObject({ siteId: 4, name: 'lockout-site' });
    expect((await wrong.get('site')).body).toMatchObject({ error: { code: 'site_incorrect_password' } });
    // Other sites are not affected.
    expect((await client(server, 'remote-site-1').get('site')).status).toBe(200);
  });
});
