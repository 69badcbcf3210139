/**
 * Replaying and resolving refused records: a record refused because its store was active on
 * another site is refused again until the configuration is fixed, then accepted, stored, routed
 * to the sites entitled to it and closed; a change overtaken by a later one is never applied;
 * resolve closes entries with a note; both are in the audit log.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256Hex } from '../../functions/domain/config/credentials';
import { recordKeyString } from '../../functions/domain/ports';
import { replayEntries, resolveEntries, openEntries, type QuarantineActionDeps } from '../../functions/services/quarantine-actions';
import { DynamoAuditLog } from '../../functions/storage/audit-log';
import { quarantineEntryId, type QuarantineEntry } from '../../functions/storage/quarantine';
import { lastChanges } from '../../functions/storage/record-changes';
import { legacyRecord } from '../support/legacy-records';
import { rawV5 } from '../support/raw-v5';
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';

let server: TestSyncServer;
let deps: QuarantineActionDeps;
const actor = 'admin:test@127.0.0.1';

beforeAll(async () => {
  server = await startTestSyncServer();
  const { db, tables } = server.resources;
  deps = {
    push: server.adapters,
    entries: server.adapters.quarantine,
    lastChanges: (keys) => lastChanges(db, tables.records, keys),
    v6: { v6Store: server.adapters.v6Store, legacyCopy: server.adapters.centralCopy },
    audit: (entry, who) => new DynamoAuditLog(db, tables.config).append(entry, who),
  };
});

afterAll(async () => {
  await server?.stop();
});

/** Site 3 (remote-site-2) holds stores C and D; store A is active on the central site (1), with a collector on site 2. */
const site3 = () => rawV5({ baseUrl: server.url, siteName: 'remote-site-2', password: server.passwords['remote-site-2']!, hardwareId: 'quarantine-hw-3' });

async function pushFromSite3(syncOutId: string, record: ReturnType<typeof legacyRecord>) {
  const response = await site3().post('queued_records', { queueLength: 0, data: [{ syncOutId, ...record }] });
  expect(response.status).toBe(200);
}

async function entry(siteId: number, changeId: string): Promise<QuarantineEntry> {
  const found = await server.adapters.quarantine.get(siteId, changeId);
  if (!found) throw new Error(`no quarantine entry ${siteId}:${changeId}`);
  return found;
}

async function until<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('a record refused because its store was on another site is refused again on replay, then accepted and routed once the store is moved', async () => {
  const stockLine = legacyRecord('item_line', 'REPLAY_IL_A', { store_ID: 'STORE_A', quantity: 7 });
  await pushFromSite3('501', stockLine);
  const refused = await entry(3, '501');
  expect(refused).toMatchObject({ tableName: 'item_line', recordId: 'REPLAY_IL_A', reason: 'store_not_active_on_site' });
  expect(await server.adapters.centralCopy.get([stockLine])).toEqual(new Map());

  // Nothing fixed yet: decided again, refused again, still open.
  const early = await replayEntries(deps, await server.adapters.configStore.current(), [refused], actor, 'quarantine/3:501');
  expect(early).toMatchObject({ accepted: 0, refused: 1, results: [{ id: '3:501', outcome: 'refused', reason: 'store_not_active_on_site' }] });
  expect(await entry(3, '501')).toMatchObject({ reason: 'store_not_active_on_site', receivedAt: refused.receivedAt, replayedAt: expect.any(String) });
  expect((await openEntries(deps, { siteId: 3, limit: 100 })).records.map((open) => open.changeId)).toContain('501');

  // The fix: store A is active on site 3 now; site 2 still holds it as a collector, so receives its records.
  expect((await server.admin('PUT', '/stores/STORE_A/active-site', { siteId: 3, force: true })).status).toBe(200);
  // What the move and the new collector send is queued before the replay, so the record can reach site 2 only by its routing.
  await until('the configuration work done', async () => ((await server.adapters.progress.workInProgress(2)) || (await server.adapters.progress.workInProgress(3)) ? undefined : true));
  expect((await server.adapters.outgoing.pull(2, 1000)).records.map((record) => record.recordId)).not.toContain('REPLAY_IL_A');
  const replayed = await replayEntries(deps, await server.adapters.configStore.current(), [await entry(3, '501')], actor, 'quarantine/3:501');
  expect(replayed).toMatchObject({ accepted: 1, refused: 0, results: [{ id: '3:501', outcome: 'accepted' }] });

  const stored = (await server.adapters.centralCopy.get([stockLine])).get(recordKeyString(stockLine));
  expect(stored).toMatchObject({ originSiteId: 3, changeId: '3:501', recordData: expect.objectContaining({ store_ID: 'STORE_A', quantity: 7 }) });
  expect(await entry(3, '501')).toMatchObject({ closure: 'replayed', closedBy: actor, closedAt: expect.any(String) });
  expect((await openEntries(deps, { siteId: 3, limit: 100 })).records.map((open) => open.changeId)).not.toContain('501');

  // Routed through the push path: the background routing queues it for site 2, the collector.
  const queued = await until('the record queued for site 2', async () => {
    const { records } = await server.adapters.outgoing.pull(2, 1000);
    return records.find((record) => record.recordId === 'REPLAY_IL_A');
  });
  expect(queued).toMatchObject({ tableName: 'item_line', recordData: expect.objectContaining({ quantity: 7 }) });

  // Replaying a closed entry decides nothing; the audit log names both replays and who asked.
  const again = await replayEntries(deps, await server.adapters.configStore.current(), [await entry(3, '501')], actor, 'quarantine/3:501');
  expect(again).toMatchObject({ accepted: 0, skipped: 1 });
  const audit = await server.admin('GET', '/audit');
  const replays = (audit.body.entries as Array<{ action: string; actor: string; target: string; details: Record<string, unknown> }>).filter((e) => e.action === 'quarantine.replay');
  expect(replays.length).toBeGreaterThanOrEqual(3);
  expect(replays).toContainEqual(expect.objectContaining({ actor, target: 'quarantine/3:501', details: expect.objectContaining({ accepted: 1, entries: ['3:501 accepted'] }) }));
});

test('a refused change overtaken by a later stored change of the same record is never applied', async () => {
  // Store C is active on site 3: its records are accepted; a stock line naming a store nobody configured is refused.
  const line = legacyRecord('item_line', 'REPLAY_IL_C', { store_ID: 'STORE_C', quantity: 1 });
  const refusedChange = { ...line, tableName: 'item_line', recordData: { ...line.recordData, store_ID: 'STORE_NOT_CONFIGURED' } };
  await pushFromSite3('601', refusedChange);
  const refused = await entry(3, '601');
  expect(refused.reason).not.toBe('resolved');
  // The site then changes the record again, and that change is accepted.
  await pushFromSite3('602', { ...line, recordData: { ...line.recordData, quantity: 9 } });
  const before = (await server.adapters.centralCopy.get([line])).get(recordKeyString(line));
  expect(before).toMatchObject({ changeId: '3:602' });

  const outcome = await replayEntries(deps, await server.adapters.configStore.current(), [refused], actor, 'quarantine/3:601');
  expect(outcome).toMatchObject({ accepted: 0, superseded: 1, results: [{ outcome: 'superseded', reason: 'superseded' }] });
  expect((await server.adapters.centralCopy.get([line])).get(recordKeyString(line))).toMatchObject({ changeId: '3:602', version: before!.version });
  expect(await entry(3, '601')).toMatchObject({ reason: 'superseded', message: expect.stringContaining('3:602') });
});

test('of two refused changes of one record, only the later one is decided', async () => {
  const first = legacyRecord('item_line', 'REPLAY_IL_TWICE', { store_ID: 'STORE_E', quantity: 1 });
  await pushFromSite3('701', first);
  await pushFromSite3('702', { ...first, recordData: { ...first.recordData, quantity: 2 } });
  const outcome = await replayEntries(deps, await server.adapters.configStore.current(), [await entry(3, '701'), await entry(3, '702')], actor, 'quarantine/site/3');
  expect(outcome.results).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ id: '3:701', outcome: 'superseded' }),
      expect.objectContaining({ id: '3:702', outcome: 'refused', reason: 'store_not_active_on_site' }),
    ]),
  );
});

test('resolve closes entries with the note, reports ids it does not know, and is audited', async () => {
  await pushFromSite3('801', legacyRecord('item_line', 'RESOLVE_IL', { store_ID: 'STORE_E' }));
  const result = await resolveEntries(deps, [{ siteId: 3, changeId: '801' }, { siteId: 3, changeId: 'never-pushed' }], 'Old installation; the record was entered again on the right site.', actor, 'quarantine/3:801');
  expect(result).toEqual({ resolved: ['3:801'], notFound: ['3:never-pushed'] });
  expect(await server.adapters.quarantine.get(3, 'never-pushed')).toBeUndefined();
  expect(await entry(3, '801')).toMatchObject({ closure: 'resolved', closedBy: actor, resolution: 'Old installation; the record was entered again on the right site.' });
  expect((await server.adapters.quarantine.list({ siteId: 3, limit: 100, state: 'closed' })).records.map((closed) => closed.changeId)).toContain('801');
  expect((await openEntries(deps, { siteId: 3, limit: 100 })).records.map((open) => open.changeId)).not.toContain('801');

  // The same change pushed again reopens it: the site still holds it.
  await pushFromSite3('801', legacyRecord('item_line', 'RESOLVE_IL', { store_ID: 'STORE_E' }));
  expect(await entry(3, '801')).not.toHaveProperty('closedAt');
  const audit = await server.admin('GET', '/audit');
  expect(audit.body.entries).toContainEqual(expect.objectContaining({ action: 'quarantine.resolve', actor, target: 'quarantine/3:801', details: expect.objectContaining({ count: 1 }) }));
});

test('entry ids name the site and the change, whatever the change id holds', () => {
  expect(quarantineEntryId(3, 'v6-abc:def')).toBe('3:v6-abc:def');
});

describe('through the admin API', () => {
  test('replay and resolve one entry by its id; unknown and malformed ids are refused', async () => {
    await pushFromSite3('901', legacyRecord('item_line', 'ROUTE_IL_E1', { store_ID: 'STORE_E' }));
    await pushFromSite3('902', legacyRecord('item_line', 'ROUTE_IL_E2', { store_ID: 'STORE_E' }));
    const replayed = await server.admin('POST', `/quarantine/${encodeURIComponent('3:901')}/replay`);
    expect(replayed).toMatchObject({ status: 200, body: { accepted: 0, refused: 1, results: [{ id: '3:901', outcome: 'refused', reason: 'store_not_active_on_site' }] } });

    const resolved = await server.admin('POST', '/quarantine/3:902/resolve', { resolution: 'Typed on the wrong store; entered again.' });
    expect(resolved).toMatchObject({ status: 200, body: { resolved: ['3:902'], notFound: [] } });
    const open = await server.admin('GET', '/quarantine?siteId=3&state=open&limit=1000');
    expect(open.status).toBe(200);
    const openIds = (open.body.records as Array<{ changeId: string }>).map((record) => record.changeId);
    expect(openIds).toContain('901');
    expect(openIds).not.toContain('902');
    const closed = await server.admin('GET', '/quarantine?siteId=3&state=closed&limit=1000');
    expect(closed.body.records).toContainEqual(expect.objectContaining({ changeId: '902', closure: 'resolved', resolution: 'Typed on the wrong store; entered again.' }));

    expect(await server.admin('POST', '/quarantine/3:never/replay')).toMatchObject({ status: 404, body: { error: { code: 'quarantine_entry_not_found' } } });
    expect(await server.admin('POST', '/quarantine/not-an-id/resolve', { resolution: 'x' })).toMatchObject({ status: 400, body: { error: { code: 'invalid_quarantine_id' } } });
    expect(await server.admin('POST', '/quarantine/3:901/resolve', { resolution: '' })).toMatchObject({ status: 400 });
    expect(await server.admin('GET', '/quarantine?state=shut')).toMatchObject({ status: 400 });
  });

  test('bulk replay takes the open entries of a site and reason a page at a time, then bulk resolve closes them', async () => {
    for (const n of [1, 2, 3]) await pushFromSite3(`95${n}`, legacyRecord('item_line', `BULK_IL_${n}`, { store_ID: 'STORE_E' }));
    expect(await server.admin('POST', '/quarantine/replay', {})).toMatchObject({ status: 400 });
    const results: Array<{ id: string; outcome: string }> = [];
    let after: string | undefined;
    do {
      const page = await server.admin('POST', '/quarantine/replay', { siteId: 3, reason: 'store_not_active_on_site', limit: 2, ...(after ? { after } : {}) });
      expect(page.status).toBe(200);
      results.push(...page.body.results);
      after = page.body.next;
    } while (after);
    expect(results.map((result) => result.id)).toEqual(expect.arrayContaining(['3:951', '3:952', '3:953']));
    expect(results.every((result) => result.outcome === 'refused')).toBe(true);

    const resolved = await server.admin('POST', '/quarantine/resolve', { siteId: 3, reason: 'store_not_active_on_site', resolution: 'Store E stays on the central server.', limit: 500 });
    expect(resolved.status).toBe(200);
    expect(resolved.body.resolved).toEqual(expect.arrayContaining(['3:951', '3:952', '3:953']));
    expect((await server.admin('GET', '/quarantine?siteId=3&state=open&reason=store_not_active_on_site')).body.records).toEqual([]);
    const audit = (await server.admin('GET', '/audit')).body.entries as Array<{ action: string; target: string }>;
    expect(audit).toContainEqual(expect.objectContaining({ action: 'quarantine.replay', target: 'quarantine/site/3/reason/store_not_active_on_site' }));
    expect(audit).toContainEqual(expect.objectContaining({ action: 'quarantine.resolve', target: 'quarantine/site/3/reason/store_not_active_on_site' }));
  });
});

test('a v6 record refused because its store was on another site is accepted into the v6 copy and change log on replay once the store is moved', async () => {
  const settings = {
    serverUrl: server.url,
    username: 'remote-site-2',
    passwordSha256: sha256Hex(server.passwords['remote-site-2']!),
    siteUuid: 'quarantine-hw-3',
    appVersion: '2.13.0',
    appName: 'Open mSupply Desktop',
    syncVersion: '14',
  };
  const pushed = { cursor: 40, record: { tableName: 'asset', recordId: 'replay-asset-b', action: 'Update', recordData: { id: 'replay-asset-b', store_id: 'STORE_B', serial_number: 'R1' } } };
  const response = await fetch(new URL('/central/sync/push', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ batch: { total_records: 1, end_cursor: 40, records: [pushed], is_last_batch: true }, syncV5Settings: settings, syncV6Version: 5 }),
  });
  expect(response.status).toBe(200);
  const [refused] = (await server.adapters.quarantine.list({ siteId: 3, limit: 1000, state: 'open' })).records.filter((record) => record.recordId === 'replay-asset-b');
  expect(refused).toMatchObject({ changeId: expect.stringMatching(/^v6-/), reason: 'store_not_active_on_site', raw: pushed });

  const early = await replayEntries(deps, await server.adapters.configStore.current(), [refused!], actor, 'quarantine/v6');
  expect(early).toMatchObject({ refused: 1, results: [{ outcome: 'refused', reason: 'store_not_active_on_site' }] });

  expect((await server.admin('PUT', '/stores/STORE_B/active-site', { siteId: 3, force: true })).status).toBe(200);
  const replayed = await server.admin('POST', `/quarantine/${encodeURIComponent(quarantineEntryId(3, refused!.changeId))}/replay`);
  expect(replayed).toMatchObject({ status: 200, body: { accepted: 1, results: [{ outcome: 'accepted' }] } });
  const copy = (await server.adapters.v6Store.get([{ tableName: 'asset', recordId: 'replay-asset-b' }])).get('asset\u0000replay-asset-b');
  expect(copy).toMatchObject({ originSiteId: 3, recordData: pushed.record.recordData, cursor: expect.any(Number) });
  expect(copy!.cursor).toBeGreaterThan(0);
  expect(await entry(3, refused!.changeId)).toMatchObject({ closure: 'replayed' });
});
