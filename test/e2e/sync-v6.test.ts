/**
 * Sync v6 over HTTP, called as the Open mSupply client calls it (written from its source, not
 * from this server): `SyncApiV6::new` joins `central/sync/` onto the URL site info names and
 * POSTs JSON bodies carrying the site's v5 settings (`sync/api_v6/core.rs`); the answer is read
 * whatever its status, as `{"data": …}` or `{"error": <variant>}` (`api_v6/mod.rs`). A sync runs
 * push (initialised sites only), the 1 s site_status wait, then pull until `is_last_batch`,
 * keeping `end_cursor + 1` (`central_data_synchroniser_v6.rs`, `synchroniser.rs`).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { sha256Hex } from '../../functions/domain/config/credentials';
import { applyCommand } from '../../functions/domain/config/operations';
import type { QuarantinedRecord } from '../../functions/domain/ports';
import { v6Tables } from '../../functions/domain/sync-v6/registry';
import { MAX_V6_PUSH_RECORDS, errorAnswer, pullAnswer, pushAnswer, siteStatusAnswer } from '../../functions/protocol/v6';
import { importV6RecordsResponse } from '../../functions/services/v6-import';
import { basicAuth } from '../support/raw-v5';
import { DEMO_CONFIG, startTestSyncServer, type TestSyncServer } from '../support/sync-server';

jest.setTimeout(120_000);

/** remote-site-1 is site 2 (stores B and F); remote-site-2 is site 3; site 4 has no store. */
const SITE = 'remote-site-1';
const SITE_ID = 2;
const NO_STORE_SITE = 'remote-site-empty';
/** `sync/settings.rs` SYNC_V6_VERSION. */
const SYNC_V6_VERSION = 5;

let clockMs = Date.parse('2026-01-01T00:00:00Z');
let server: TestSyncServer;

beforeAll(async () => {
  const config = JSON.parse(readFileSync(DEMO_CONFIG, 'utf8')) as { sites: unknown[] };
  config.sites.push({ siteId: 4, name: NO_STORE_SITE, code: 'RS3', kind: 'desktop', password: 'empty-pass' });
  server = await startTestSyncServer({ config, consumer: false, now: () => new Date(clockMs) });
});
afterAll(() => server?.stop());

// --- the client's v6 API ---------------------------------------------------------------------

/** `SyncApiSettings` (`sync/api/core.rs`), serialised camelCase. */
function settingsFor(site: string, options: { password?: string; hardwareId?: string; syncVersion?: string } = {}) {
  return {
    serverUrl: server.url,
    username: site,
    passwordSha256: sha256Hex(options.password ?? server.passwords[site] ?? ''),
    siteUuid: options.hardwareId ?? `hardware-${site}`,
    appVersion: '2.13.0',
    appName: 'Open mSupply Desktop',
    syncVersion: options.syncVersion ?? '14',
  };
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

/** reqwest `.json(&request)`: a JSON body with its content type; the status is never read. */
async function post(url: URL, body: string | undefined, contentType = 'application/json'): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers: body === undefined ? {} : { 'content-type': contentType }, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // left as text: a test fails on it
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

function v6Api(baseUrl: string, settings: ReturnType<typeof settingsFor>, syncV6Version = SYNC_V6_VERSION) {
  const url = new URL('central/sync/', baseUrl);
  const call = (route: string, body: object) => post(new URL(route, url), JSON.stringify(body));
  return {
    url,
    pull: (cursor: number, batchSize: number, isInitialised: boolean) => call('pull', { cursor, batchSize, syncV5Settings: settings, isInitialised, syncV6Version }),
    push: (batch: object) => call('push', { batch, syncV5Settings: settings, syncV6Version }),
    siteStatus: () => call('site_status', { syncV5Settings: settings, syncV6Version }),
    patientPull: (cursor: number, batchSize: number, fetchPatientId: string) =>
      call('patient-pull', { cursor, batchSize, syncV5Settings: settings, syncV6Version, fetchPatientId }),
  };
}

/** `SyncPullResponseV6` etc.: data or error, nothing else. */
function data<T>(answer: Answer, schema: { parse(value: unknown): T }): T {
  if (answer.body && typeof answer.body === 'object' && 'error' in answer.body) throw new Error(`v6 error ${answer.status}: ${JSON.stringify(answer.body)}`);
  return schema.parse(answer.body);
}

function v6Error(answer: Answer) {
  return errorAnswer.parse(answer.body).error;
}

interface ChangelogEntry {
  readonly cursor: number;
  readonly record: { tableName: string; recordId: string; action: 'Update' | 'Delete'; recordData: unknown };
}

/**
 * A site's v6 sync state and steps: the pull and push cursors (`KeyType::SyncPullCursorV6`,
 * `SyncPushCursorV6`, starting at 0), its change log of v6 records to push.
 */
function clientSite(site: string) {
  const api = v6Api(server.url + '/', settingsFor(site));
  const state = { pullCursor: 0, pushCursor: 0, changelog: [] as ChangelogEntry[], pulled: [] as unknown[] };
  return {
    api,
    state,
    /** `SynchroniserV6::push`: batches from the push cursor until the change log is empty. */
    async push(batchSize = 1024) {
      const answers = [];
      for (let round = 0; round < 100; round++) {
        const pending = state.changelog.filter((entry) => entry.cursor >= state.pushCursor);
        if (pending.length === 0) break;
        const records = pending.slice(0, batchSize);
        const batch = { total_records: pending.length, end_cursor: records.at(-1)!.cursor, records, is_last_batch: pending.length <= batchSize };
        answers.push(data(await api.push(batch), pushAnswer));
        state.pushCursor = records.at(-1)!.cursor + 1;
      }
      return answers;
    },
    /** `wait_for_sync_operation(1, 30)`: poll site_status until not integrating (no sleep here). */
    async waitForSyncOperation() {
      for (let poll = 0; poll < 30; poll++) {
        if (!data(await api.siteStatus(), siteStatusAnswer).data.is_integrating) return poll + 1;
      }
      throw new Error('TimeoutReached');
    },
    /** `SynchroniserV6::pull`: until `is_last_batch`, keeping `end_cursor + 1`. */
    async pull(isInitialised: boolean, batchSize = 500) {
      const batches = [];
      for (let round = 0; round < 100; round++) {
        const batch = data(await api.pull(state.pullCursor, batchSize, isInitialised), pullAnswer).data;
        batches.push(batch);
        state.pulled.push(...batch.records);
        state.pullCursor = batch.end_cursor + 1;
        if (batch.is_last_batch) return batches;
      }
      throw new Error('pull never reached its last batch');
    },
  };
}

/** What a call could have kept: quarantine items and v6 changes written (each takes a cursor). */
async function keptCount(): Promise<number> {
  return (await quarantined()).length + (await server.adapters.v6Store.latestCursor());
}

async function quarantined(siteId?: number): Promise<QuarantinedRecord[]> {
  const all: QuarantinedRecord[] = [];
  let after: string | undefined;
  do {
    const page = await server.adapters.quarantine.list({ ...(siteId === undefined ? {} : { siteId }), limit: 500, ...(after ? { after } : {}) });
    all.push(...page.records);
    after = page.next;
  } while (after);
  return all;
}

const update = (cursor: number, tableName: string, recordId: string, recordData: Record<string, unknown>): ChangelogEntry => ({
  cursor,
  record: { tableName, recordId, action: 'Update', recordData },
});

// --- a client's syncs --------------------------------------------------------------------------

describe('a site syncing as the client does', () => {
  const site = () => clientSite(SITE);
  let client: ReturnType<typeof clientSite>;
  beforeAll(() => {
    client = site();
  });

  test('first sync (not initialised): no push, one pull answers "nothing more", and the kept cursor is stable', async () => {
    const batches = await client.pull(false);
    expect(batches).toEqual([{ end_cursor: 0, total_records: 0, records: [], is_last_batch: true }]);
    expect(client.state.pullCursor).toBe(1);
    // The next pull from cursor 1 keeps the site at 1: nothing is skipped when records appear.
    await client.pull(true);
    expect(client.state.pullCursor).toBe(1);
  });

  test('later sync: v6 push in batches, the integration wait ends at once, then the pull; accepted records are in the v6 copy, not sent back', async () => {
    // After initialising, the client sets its push cursor past what it pulled (advance_push_cursor).
    client.state.pushCursor = 10;
    client.state.changelog.push(
      update(9, 'asset', 'asset-old', { id: 'asset-old' }), // before the push cursor: never pushed
      update(10, 'asset', 'asset-1', { id: 'asset-1', store_id: 'STORE_B', serial_number: 'S1' }),
      update(11, 'name_store_join', 'nsj-1', { ID: 'nsj-1', name_ID: 'patient-1', store_ID: 'STORE_B' }),
      { cursor: 12, record: { tableName: 'vaccination', recordId: 'vacc-1', action: 'Delete', recordData: null } },
    );
    const quarantinedBefore = (await quarantined(SITE_ID)).length;
    const answers = await client.push(2);
    expect(answers).toEqual([{ data: { records_pushed: 2 } }, { data: { records_pushed: 1 } }]);
    expect(client.state.pushCursor).toBe(13);
    expect(await client.waitForSyncOperation()).toBe(1);
    // Its own change is not sent back to an initialised site; the cursor moves to the log's end.
    const batches = await client.pull(true);
    expect(batches).toEqual([{ end_cursor: 1, total_records: 0, records: [], is_last_batch: true }]);
    expect(client.state.pullCursor).toBe(2);

    // The asset is kept centrally; name_store_join is served by v5; a delete of a record never held is ignored.
    const copies = await server.adapters.v6Store.get([
      { tableName: 'asset', recordId: 'asset-1' },
      { tableName: 'name_store_join', recordId: 'nsj-1' },
      { tableName: 'vaccination', recordId: 'vacc-1' },
    ]);
    expect([...copies.values()].map(({ tableName, recordId, recordData, originSiteId }) => ({ tableName, recordId, recordData, originSiteId }))).toEqual([
      { tableName: 'asset', recordId: 'asset-1', recordData: client.state.changelog[1]!.record.recordData, originSiteId: SITE_ID },
    ]);
    expect((await quarantined(SITE_ID)).length).toBe(quarantinedBefore);
  });

  test('a batch sent again (its answer was lost) changes nothing', async () => {
    const batch = { total_records: 2, end_cursor: 11, records: client.state.changelog.slice(1, 3), is_last_batch: true };
    const before = { kept: await keptCount(), copy: (await server.adapters.v6Store.get([{ tableName: 'asset', recordId: 'asset-1' }])).get('asset\u0000asset-1') };
    expect(data(await client.api.push(batch), pushAnswer)).toEqual({ data: { records_pushed: 2 } });
    expect(data(await client.api.push(batch), pushAnswer)).toEqual({ data: { records_pushed: 2 } });
    expect(await keptCount()).toBe(before.kept);
    expect((await server.adapters.v6Store.get([{ tableName: 'asset', recordId: 'asset-1' }])).get('asset\u0000asset-1')).toEqual(before.copy);
    // A later change of the same record is a change of its own.
    const changed = update(20, 'asset', 'asset-1', { id: 'asset-1', store_id: 'STORE_B', serial_number: 'S2' });
    data(await client.api.push({ total_records: 1, end_cursor: 20, records: [changed], is_last_batch: true }), pushAnswer);
    const after = (await server.adapters.v6Store.get([{ tableName: 'asset', recordId: 'asset-1' }])).get('asset\u0000asset-1');
    expect({ version: after?.version, recordData: after?.recordData }).toEqual({ version: before.copy!.version + 1, recordData: changed.record.recordData });
  });

  test('a record the site may not make is refused into quarantine with its reason, exactly as pushed', async () => {
    // STORE_C is active on site 3, not on this site.
    const foreign = update(21, 'asset', 'asset-c', { id: 'asset-c', store_id: 'STORE_C' });
    const central = update(22, 'asset_class', 'class-1', { id: 'class-1', name: 'Cold chain' });
    data(await client.api.push({ total_records: 2, end_cursor: 22, records: [foreign, central], is_last_batch: true }), pushAnswer);
    const kept = (await quarantined(SITE_ID)).filter((item) => ['asset-c', 'class-1'].includes(item.recordId));
    expect(kept.map(({ recordId, reason, raw, receivedAt }) => ({ recordId, reason, raw, receivedAt })).sort((a, b) => a.recordId.localeCompare(b.recordId))).toEqual([
      { recordId: 'asset-c', reason: 'store_not_active_on_site', raw: foreign, receivedAt: new Date(clockMs).toISOString() },
      { recordId: 'class-1', reason: 'not_primary_site', raw: central, receivedAt: new Date(clockMs).toISOString() },
    ]);
    expect((await server.adapters.v6Store.get([{ tableName: 'asset', recordId: 'asset-c' }])).size).toBe(0);
  });

  test('a record too large for one quarantine item is kept in parts that join back to it', async () => {
    const big = update(30, 'document', 'doc-big', { id: 'doc-big', data: 'x"\\é'.repeat(60_000) });
    expect(data(await client.api.push({ total_records: 1, end_cursor: 30, records: [big], is_last_batch: true }), pushAnswer)).toEqual({ data: { records_pushed: 1 } });
    const parts = (await quarantined(SITE_ID))
      .filter((item) => item.recordId === 'doc-big')
      .map((item) => item.raw as { part: number; parts: number; text: string })
      .sort((a, b) => a.part - b.part);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((part) => part.parts === parts.length)).toBe(true);
    expect(JSON.parse(parts.map((part) => part.text).join(''))).toEqual(big);
  });

  test('patient-pull (fetching one patient) answers "nothing more" for a patient with no v6 records; patient_pull is the same route', async () => {
    expect(data(await client.api.patientPull(0, 500, 'patient-1'), pullAnswer)).toEqual({
      data: { end_cursor: await server.adapters.v6Store.latestCursor(), total_records: 0, records: [], is_last_batch: true },
    });
    const alias = await post(new URL('patient_pull', client.api.url), JSON.stringify({ cursor: 0, batchSize: 500, syncV5Settings: settingsFor(SITE), fetchPatientId: 'p' }));
    expect(data(alias, pullAnswer).data.is_last_batch).toBe(true);
  });

  test('the connection is recorded for the sync report, from the settings', async () => {
    const connection = await server.adapters.sessions.lastConnection(SITE_ID);
    expect(connection).toMatchObject({ hardwareId: `hardware-${SITE}`, appName: 'Open mSupply Desktop', appVersion: '2.13.0', syncApiVersion: 14 });
    expect(connection?.route).toMatch(/^POST \/central\/sync\//);
  });

  test('the URL site info names serves v6, joined as the client joins it', async () => {
    const response = await fetch(new URL('/sync/v5/site', server.url), {
      headers: { authorization: basicAuth(SITE, server.passwords[SITE]!), 'msupply-site-uuid': `hardware-${SITE}`, 'app-name': 'Open mSupply Desktop', 'app-version': '2.13.0', version: '14' },
    });
    const info = (await response.json()) as { omSupplyCentralServerUrl: string };
    const api = v6Api(info.omSupplyCentralServerUrl, settingsFor(SITE));
    expect(data(await api.siteStatus(), siteStatusAnswer)).toEqual({ data: { is_integrating: false } });
  });
});

// --- refusals --------------------------------------------------------------------------------

const emptyBatch = { total_records: 0, end_cursor: 0, records: [], is_last_batch: true };
const oneRecord = { total_records: 1, end_cursor: 1, records: [update(1, 'asset', 'refused-asset', { id: 'refused-asset' })], is_last_batch: true };

/** Every route with a body for `settings`; push carries a record, so a refused push would show. */
function everyRoute(settings: ReturnType<typeof settingsFor>, syncV6Version = SYNC_V6_VERSION) {
  return {
    site_status: { syncV5Settings: settings, syncV6Version },
    pull: { cursor: 0, batchSize: 500, syncV5Settings: settings, isInitialised: true, syncV6Version },
    'patient-pull': { cursor: 0, batchSize: 500, syncV5Settings: settings, syncV6Version, fetchPatientId: 'p' },
    push: { batch: oneRecord, syncV5Settings: settings, syncV6Version },
  };
}

async function callEvery(bodies: Record<string, object>) {
  const url = new URL('/central/sync/', server.url);
  const answers: Array<{ route: string; answer: Answer }> = [];
  for (const [route, body] of Object.entries(bodies)) answers.push({ route, answer: await post(new URL(route, url), JSON.stringify(body)) });
  return answers;
}

describe('refused: the error variant the client parses, nothing kept', () => {
  test.each([
    ['a wrong password', () => settingsFor('remote-site-2', { password: 'wrong' }), 'site_incorrect_password'],
    ['an unknown site', () => settingsFor('no-such-site', { password: 'x' }), 'site_name_not_found'],
    ['the central server itself', () => settingsFor('sync-server', { password: 'x' }), 'site_name_not_found'],
    ['a site without an active store', () => settingsFor(NO_STORE_SITE), 'site_has_no_store'],
    ['a v5 sync API version below 5', () => settingsFor(SITE, { syncVersion: '4' }), 'api_version_incompatible'],
  ])('%s: legacyServerError with the v5 code', async (_name, settings, code) => {
    const before = await keptCount();
    for (const { route, answer } of await callEvery(everyRoute(settings()))) {
      expect({ route, status: answer.status >= 400 && answer.status < 500, error: v6Error(answer) }).toEqual({
        route,
        status: true,
        error: { legacyServerError: expect.objectContaining({ code, message: expect.any(String) }) },
      });
    }
    expect(await keptCount()).toBe(before);
  });

  test('a site bound to other hardware: site_incorrect_hardware_id', async () => {
    const bound = await server.adapters.configStore.apply((config) => applyCommand(config, { type: 'bindHardware', siteId: 3, hardwareId: 'hardware-bound' }), 'test');
    expect(bound.ok).toBe(true);
    const before = await keptCount();
    for (const { route, answer } of await callEvery(everyRoute(settingsFor('remote-site-2', { hardwareId: 'another-installation' })))) {
      expect({ route, status: answer.status, code: (v6Error(answer) as { legacyServerError: { code: string } }).legacyServerError.code }).toEqual({
        route,
        status: 401,
        code: 'site_incorrect_hardware_id',
      });
    }
    const accepted = await callEvery(everyRoute(settingsFor('remote-site-2', { hardwareId: 'hardware-bound' })));
    expect(accepted.map(({ answer }) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(await keptCount()).toBe(before + 1);
  });

  test('an unserved v6 version: syncVersionMismatch(0, 5, received), checked before the credentials as the central does', async () => {
    const before = await keptCount();
    for (const settings of [settingsFor(SITE), settingsFor(SITE, { password: 'wrong' })]) {
      for (const { route, answer } of await callEvery(everyRoute(settings, 6))) {
        expect({ route, status: answer.status, error: v6Error(answer) }).toEqual({ route, status: 400, error: { syncVersionMismatch: [0, 5, 6] } });
      }
    }
    expect(await keptCount()).toBe(before);
  });
});

describe('lockout, shared with v5', () => {
  const LOCKED = 'remote-site-2';
  test('after five wrong passwords from an address, its guesses wait on v6 and v5 alike until the back-off ends; the right password still gets in', async () => {
    const api = v6Api(server.url, settingsFor(LOCKED, { password: 'wrong', hardwareId: 'hardware-bound' }));
    for (let i = 0; i < 5; i++) expect(v6Error(await api.siteStatus())).toMatchObject({ legacyServerError: { code: 'site_incorrect_password' } });
    const locked = await api.siteStatus();
    expect(locked.status).toBe(401);
    expect(v6Error(locked)).toMatchObject({ legacyServerError: { code: 'site_auth_timeout', data: { retryAfterSeconds: expect.any(Number) } } });
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    const wrongV5 = () =>
      fetch(new URL('/sync/v5/site', server.url), {
        headers: { authorization: basicAuth(LOCKED, 'not-the-password'), 'msupply-site-uuid': 'hardware-bound', 'app-name': 'a', 'app-version': '1', version: '14' },
      }).then(async (response) => ((await response.json()) as { error: { code: string } }).error.code);
    expect(await wrongV5()).toBe('site_auth_timeout');

    // Once the back-off has passed, a guess is evaluated again.
    clockMs += 16 * 60 * 1000;
    expect(await wrongV5()).toBe('site_incorrect_password');
    // The right password gets in whatever the guesses did.
    const right = v6Api(server.url, settingsFor(LOCKED, { hardwareId: 'hardware-bound' }));
    expect(data(await right.siteStatus(), siteStatusAnswer)).toEqual({ data: { is_integrating: false } });
  });
});

describe('malformed requests: 4xx with the error the client parses, nothing kept', () => {
  const valid = () => everyRoute(settingsFor(SITE));
  const tooMany = { ...emptyBatch, records: Array.from({ length: MAX_V6_PUSH_RECORDS + 1 }, (_, i) => update(i, 'asset', `a${i}`, {})) };
  /** 10,000 levels, written as text: JSON.stringify itself could not write it. */
  const deep = `${'['.repeat(10_000)}1${']'.repeat(10_000)}`;
  const cases: Array<[string, string, () => string | undefined]> = [
    ['no body', 'pull', () => undefined],
    ['an empty body', 'push', () => ''],
    ['not JSON', 'site_status', () => '{"syncV5Settings": '],
    ['a JSON array', 'pull', () => '[]'],
    ['a JSON string', 'push', () => '"push"'],
    ['no syncV5Settings', 'site_status', () => JSON.stringify({ syncV6Version: 5 })],
    ['settings with the password itself', 'pull', () => JSON.stringify({ ...valid().pull, syncV5Settings: { ...settingsFor(SITE), passwordSha256: 'remote-site-1-pass' } })],
    ['a negative cursor', 'pull', () => JSON.stringify({ ...valid().pull, cursor: -1 })],
    ['a cursor as text', 'pull', () => JSON.stringify({ ...valid().pull, cursor: '0' })],
    ['isInitialised missing', 'pull', () => JSON.stringify({ ...valid().pull, isInitialised: undefined })],
    ['a fractional version', 'site_status', () => JSON.stringify({ ...valid().site_status, syncV6Version: 1.5 })],
    ['no fetchPatientId', 'patient-pull', () => JSON.stringify({ ...valid()['patient-pull'], fetchPatientId: undefined })],
    ['a batch without is_last_batch', 'push', () => JSON.stringify({ ...valid().push, batch: { ...oneRecord, is_last_batch: undefined } })],
    ['records that are not a list', 'push', () => JSON.stringify({ ...valid().push, batch: { ...oneRecord, records: { 0: oneRecord.records[0] } } })],
    [`more than ${MAX_V6_PUSH_RECORDS} records`, 'push', () => JSON.stringify({ ...valid().push, batch: tooMany })],
    ['nesting deeper than any client record', 'push', () => JSON.stringify({ ...valid().push, batch: { ...oneRecord, records: [] } }).replace('"records":[]', `"records":[{"cursor":1,"record":{"tableName":"t","recordId":"r","action":"Update","recordData":${deep}}}]`)],
  ];

  test.each(cases)('%s', async (_name, route, body) => {
    const before = await keptCount();
    const answer = await post(new URL(route, new URL('/central/sync/', server.url)), body());
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    const error = v6Error(answer);
    expect(error).toEqual({ otherServerError: expect.stringMatching(/\S/) });
    expect(await keptCount()).toBe(before);
  });

  test('a malformed record inside a valid push is kept as invalid_record and the rest accepted, never blocking the site', async () => {
    const records = [update(40, 'asset', 'asset-ok', { id: 'asset-ok' }), { cursor: 41, record: { tableName: 'asset', action: 'Upsert' } }, 'not a record'];
    const answer = await post(new URL('push', new URL('/central/sync/', server.url)), JSON.stringify({ ...valid().push, batch: { ...emptyBatch, total_records: 3, records } }));
    expect(data(answer, pushAnswer)).toEqual({ data: { records_pushed: 3 } });
    const kept = (await quarantined(SITE_ID)).filter((item) => records.some((record) => JSON.stringify(record) === JSON.stringify(item.raw)));
    expect(kept.map((item) => item.reason).sort()).toEqual(['invalid_record', 'invalid_record']);
    expect((await server.adapters.v6Store.get([{ tableName: 'asset', recordId: 'asset-ok' }])).get('asset\u0000asset-ok')?.recordData).toEqual({ id: 'asset-ok' });
  });

  test('rows naming other records by ids no record can have are refused as invalid_record, never a 5xx', async () => {
    const long = 'x'.repeat(5_000);
    const records = [
      update(60, 'vaccination', 'vacc-long', { id: 'vacc-long', store_id: 'STORE_B', patient_id: long }),
      update(61, 'asset_log', 'log-long', { id: 'log-long', asset_id: long }),
      update(62, 'sync_file_reference', 'file-long', { id: 'file-long', table_name: 'asset', record_id: long }),
      update(63, 'asset', 'asset-odd-store', { id: 'asset-odd-store', store_id: 42 }),
    ];
    const answer = await post(new URL('push', new URL('/central/sync/', server.url)), JSON.stringify({ ...valid().push, batch: { ...emptyBatch, total_records: 4, records } }));
    expect(data(answer, pushAnswer)).toEqual({ data: { records_pushed: 4 } });
    const kept = (await quarantined(SITE_ID)).filter((item) => ['vacc-long', 'log-long', 'file-long', 'asset-odd-store'].includes(item.recordId));
    expect(kept.map((item) => item.reason)).toEqual(['invalid_record', 'invalid_record', 'invalid_record', 'invalid_record']);
  });

  test('arbitrary bodies on every v6 route: never a 5xx; data in the route’s answer shape, or an error variant', async () => {
    const answerFor: Record<string, { safeParse(value: unknown): { success: boolean } }> = {
      site_status: siteStatusAnswer,
      pull: pullAnswer,
      'patient-pull': pullAnswer,
      patient_pull: pullAnswer,
      push: pushAnswer,
    };
    const settingsArbitrary = fc.oneof(
      { weight: 6, arbitrary: fc.constant(settingsFor(SITE)) },
      fc.record({ ...Object.fromEntries(Object.entries(settingsFor(SITE)).map(([key, value]) => [key, fc.oneof({ weight: 4, arbitrary: fc.constant<unknown>(value) }, fc.jsonValue({ maxDepth: 1 }))])) }, { requiredKeys: [] }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    // Rows of registry tables with the fields their owner is found by, holding anything at all.
    const fieldValue = fc.oneof(fc.constantFrom('STORE_B', 'STORE_C', 'asset-1', 'patient-1', 'asset', 'name'), fc.jsonValue({ maxDepth: 1 }));
    const rowArbitrary = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.record({ id: fc.oneof(fc.constant('r'), fc.jsonValue({ maxDepth: 0 })), store_id: fieldValue, asset_id: fieldValue, rnr_form_id: fieldValue, patient_id: fieldValue, table_name: fieldValue, record_id: fieldValue }, { requiredKeys: [] }),
    );
    const recordArbitrary = fc.oneof(
      fc.record({ cursor: fc.oneof(fc.nat(), fc.constant(-1)), record: fc.record({ tableName: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...v6Tables.map((entry) => entry.table))), recordId: fc.oneof(fc.string({ maxLength: 8 }), fc.constant('r')), action: fc.constantFrom('Update', 'Delete', 'insert', 'Merge', 'x'), recordData: rowArbitrary }, { requiredKeys: [] }) }, { requiredKeys: [] }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const number = fc.oneof(fc.nat(600), fc.constantFrom(-1, 1.5, 2 ** 32, 2 ** 53, '1', null));
    const body = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      fc
        .record(
          {
            cursor: number,
            batchSize: number,
            isInitialised: fc.oneof(fc.boolean(), fc.constant('true')),
            syncV6Version: fc.oneof(fc.constantFrom(0, 5), number),
            fetchPatientId: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
            syncV5Settings: settingsArbitrary,
            batch: fc.record({ end_cursor: number, total_records: number, is_last_batch: fc.boolean(), records: fc.oneof(fc.array(recordArbitrary, { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: [] }),
          },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(answerFor)), fc.option(body, { nil: undefined }), fc.constantFrom('application/json', 'text/plain'), async (route, text, contentType) => {
        const answer = await post(new URL(route, new URL('/central/sync/', server.url)), text, contentType);
        const context = `${route} ${String(text).slice(0, 200)} -> ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`;
        if (answer.status >= 500) throw new Error(`5xx: ${context}`);
        if (answer.status < 300 && !answerFor[route]!.safeParse(answer.body).success) throw new Error(`2xx not in the answer shape: ${context}`);
        if (answer.status >= 300 && !errorAnswer.safeParse(answer.body).success) throw new Error(`not an error variant: ${context}`);
      }),
      { numRuns: 150 },
    );
  });
});

describe('the v6 import (POST /admin/v1/v6-records): bad input is a 4xx with the admin error body, nothing kept', () => {
  const cases: Array<[string, unknown]> = [
    ['no records', {}],
    ['an empty list', { records: [] }],
    ['a record without a table', { records: [{ recordId: 'x', action: 'Update', recordData: {} }] }],
    ['an unknown action', { records: [{ tableName: 'asset_class', recordId: 'x', action: 'Upsert', recordData: {} }] }],
    ['an extra field', { records: [{ tableName: 'asset_class', recordId: 'x', action: 'Update', recordData: {} }], more: 1 }],
    ['too many records', { records: Array.from({ length: 1025 }, (_, i) => ({ tableName: 'asset_class', recordId: `x${i}`, action: 'Update', recordData: {} })) }],
  ];
  test.each(cases)('%s', async (_name, body) => {
    const before = await keptCount();
    const answer = await server.admin('POST', '/v6-records', body);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: { code: expect.any(String), message: expect.stringMatching(/\S/), data: expect.anything() } });
    expect(await keptCount()).toBe(before);
  });

  test('a record the central site may not make is refused in the answer, not kept', async () => {
    const before = await keptCount();
    const answer = await server.admin('POST', '/v6-records', { records: [{ tableName: 'asset', recordId: 'asset-of-b', action: 'Update', recordData: { id: 'asset-of-b', store_id: 'STORE_B' } }, { tableName: 'invoice', recordId: 'i', action: 'Update', recordData: {} }] });
    expect(answer).toEqual({
      status: 200,
      body: { accepted: 0, ignored: 0, refused: [expect.objectContaining({ index: 0, reason: 'store_not_active_on_site' }), expect.objectContaining({ index: 1, reason: 'unknown_table' })] },
    });
    expect(await keptCount()).toBe(before);
  });

  test('arbitrary bodies: never a 5xx; the import answer or an admin error', async () => {
    const record = fc.record(
      { tableName: fc.oneof(fc.constantFrom(...v6Tables.map((entry) => entry.table)), fc.string({ maxLength: 6 })), recordId: fc.string({ maxLength: 6 }), action: fc.constantFrom('Update', 'Delete', 'Merge', 'Insert', 'nope'), recordData: fc.jsonValue({ maxDepth: 2 }) },
      { requiredKeys: [] },
    );
    const body = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ records: fc.oneof(fc.array(record, { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: [] }));
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const answer = await server.admin('POST', '/v6-records', value);
        const context = `${JSON.stringify(value).slice(0, 200)} -> ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`;
        if (answer.status >= 500) throw new Error(`5xx: ${context}`);
        if (answer.status === 200 && !importV6RecordsResponse.safeParse(answer.body).success) throw new Error(`200 not the import answer: ${context}`);
        if (answer.status !== 200 && !(answer.status >= 400 && answer.body?.error?.code)) throw new Error(`not an admin error: ${context}`);
      }),
      { numRuns: 100 },
    );
  });
});

describe('a full batch', () => {
  test(`${MAX_V6_PUSH_RECORDS} records of a store in one push are accepted, then pulled page by page by a collector of the store`, async () => {
    // STORE_A is active on the central site; site 2 collects it. The central site imports its assets.
    const records = Array.from({ length: MAX_V6_PUSH_RECORDS }, (_, i) => ({ tableName: 'asset', recordId: `bulk-${i}`, action: 'Update', recordData: { id: `bulk-${i}`, store_id: 'STORE_A', notes: 'n'.repeat(2_000) } }));
    const imported = await server.admin('POST', '/v6-records', { records });
    expect(imported).toEqual({ status: 200, body: { accepted: MAX_V6_PUSH_RECORDS, ignored: 0, refused: [] } });
    const collector = clientSite(SITE);
    const batches = await collector.pull(false, 300);
    const bulk = collector.state.pulled.filter((record: any) => record.record.recordId.startsWith('bulk-'));
    expect(bulk.length).toBe(MAX_V6_PUSH_RECORDS);
    expect(batches.length).toBeGreaterThan(3);
    expect(batches.at(-1)!.is_last_batch).toBe(true);
    // Site 3 neither holds nor collects STORE_A.
    const other = v6Api(server.url, settingsFor('remote-site-2', { hardwareId: 'hardware-bound' }));
    const page = data(await other.pull(0, 1000, false), pullAnswer).data;
    expect(page.records.filter((record) => record.record.recordId.startsWith('bulk-'))).toEqual([]);
  });
});

describe('patient data: a vaccination reaches the sites where its patient is visible', () => {
  const siteC = () => v6Api(server.url, settingsFor('remote-site-2', { hardwareId: 'hardware-bound' }));
  const vaccination = (cursor: number, given: string) => update(cursor, 'vaccination', 'vacc-v', { id: 'vacc-v', store_id: 'STORE_C', patient_id: 'patient-v', given });

  test('pulled by the patient’s store’s site only, then by a site whose store sees the patient; patient-pull serves that patient', async () => {
    const pushed = await siteC().push({ total_records: 1, end_cursor: 50, records: [vaccination(50, 'first')], is_last_batch: true });
    expect(data(pushed, pushAnswer)).toEqual({ data: { records_pushed: 1 } });
    const siteB = clientSite(SITE);
    await siteB.pull(false);
    expect(siteB.state.pulled.map((record: any) => record.record.recordId)).not.toContain('vacc-v');
    expect(data(await siteB.api.patientPull(0, 100, 'patient-v'), pullAnswer).data.records).toEqual([]);

    // STORE_B (site 2) now sees the patient: the next change of the vaccination reaches site 2.
    expect((await server.admin('POST', '/stores/STORE_B/visibility', { nameId: 'patient-v' })).status).toBe(201);
    data(await siteC().push({ total_records: 1, end_cursor: 51, records: [vaccination(51, 'second')], is_last_batch: true }), pushAnswer);
    await siteB.pull(true);
    expect(siteB.state.pulled.filter((record: any) => record.record.recordId === 'vacc-v').map((record: any) => record.record.recordData.given)).toEqual(['second']);
    const patient = data(await siteB.api.patientPull(0, 100, 'patient-v'), pullAnswer).data;
    expect(patient.records.map((record) => record.record.recordData)).toEqual([vaccination(51, 'second').record.recordData]);
    expect(data(await siteB.api.patientPull(0, 100, 'patient-1'), pullAnswer).data.records).toEqual([]);
  });
});

// --- the project's faithful client ----------------------------------------------------------

describe("the project's faithful client, its v6 steps included", () => {
  let own: TestSyncServer;
  beforeAll(async () => {
    own = await startTestSyncServer();
  });
  afterAll(() => own?.stop());

  test('a first sync and a later one complete at the URL site info names; its v6 change is kept centrally and reaches only the sites entitled to it', async () => {
    const site = own.site(SITE);
    const other = own.site('remote-site-2');
    const first = await site.sync();
    expect({ pushedV6: first.pushedV6, v6RecordsReceived: first.v6RecordsReceived }).toEqual({ pushedV6: 0, v6RecordsReceived: 0 });
    await other.sync();

    const asset = { id: 'asset-faithful', store_id: 'STORE_B', serial_number: 'F-1' };
    site.change({ tableName: 'asset', recordId: 'asset-faithful', action: 'insert', recordData: asset });
    const later = await site.sync();
    // Not sent back to the site that made it.
    expect({ pushedV6: later.pushedV6, v6RecordsReceived: later.v6RecordsReceived }).toEqual({ pushedV6: 1, v6RecordsReceived: 0 });
    expect((await own.adapters.quarantine.list({ siteId: SITE_ID, limit: 100 })).records.filter((item) => item.recordId === 'asset-faithful')).toEqual([]);
    expect((await own.adapters.v6Store.get([{ tableName: 'asset', recordId: 'asset-faithful' }])).get('asset\u0000asset-faithful')?.recordData).toEqual(asset);

    // Central v6 data imported by an operator reaches both sites; store B's asset only site 2's.
    const imported = await own.admin('POST', '/v6-records', { records: [{ tableName: 'asset_class', recordId: 'class-fridge', action: 'Update', recordData: { id: 'class-fridge', name: 'Fridge' } }] });
    expect(imported).toEqual({ status: 200, body: { accepted: 1, ignored: 0, refused: [] } });
    await site.sync();
    await other.sync();
    expect(site.held('asset_class', 'class-fridge')).toEqual({ id: 'class-fridge', name: 'Fridge' });
    expect(other.held('asset_class', 'class-fridge')).toEqual({ id: 'class-fridge', name: 'Fridge' });
    expect(other.held('asset', 'asset-faithful')).toBeUndefined();
    expect(other.receivedLog.filter((record) => record.source === 'v6').map((record) => record.recordId)).toEqual(['class-fridge']);
  });
});
