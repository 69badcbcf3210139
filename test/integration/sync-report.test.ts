/**
 * The sync report through the admin handler, on real tables holding hand-made state: connections
 * (with the last push and pull), initialisations, queued records and refused records at known
 * times; the silent flag at the default and a given threshold, CSV, and paging.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createAdminApiHandler } from '../../functions/admin-api/handler';
import { adminRoutes } from '../../functions/admin-api/registry';
import type { AdminDeps } from '../../functions/admin-api/types';
import type { QuarantinedRecord } from '../../functions/domain/ports';
import { ConfigStore } from '../../functions/storage/config-store';
import { DynamoOutgoingQueue } from '../../functions/storage/outgoing-queue';
import { DynamoQuarantine } from '../../functions/storage/quarantine';
import { countingRefusals, DynamoRefusalCounts } from '../../functions/storage/refusal-counts';
import { DynamoSiteProgress } from '../../functions/storage/site-progress';
import { DynamoSiteSessions } from '../../functions/storage/site-sessions';
import { syncReport } from '../../functions/services/sync-report';
import { lambdaContext } from '../../lib/local/http-gateway';
import { createTestResources } from '../support/stand-ins';

const TOKEN = 'report-token';
const NOW = new Date('2026-11-29T12:30:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// Over every route (sites and the sync report are the two admin functions' routes).
const createAdminHandler = (deps: AdminDeps) => createAdminApiHandler(adminRoutes, deps);
let handler: ReturnType<typeof createAdminHandler>;
let deps: Parameters<typeof syncReport>[0];

async function call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
  const [rawPath, query] = path.split('?') as [string, string | undefined];
  const event = {
    rawPath: `/admin/v1${rawPath}`,
    headers: { authorization: `Bearer ${TOKEN}`, ...options.headers },
    queryStringParameters: query ? Object.fromEntries(new URLSearchParams(query)) : undefined,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: { http: { method, path: `/admin/v1${rawPath}`, sourceIp: '10.0.0.9' } },
  } as unknown as APIGatewayProxyEventV2;
  const result = (await handler(event, lambdaContext('admin') as Context)) as APIGatewayProxyStructuredResultV2;
  const type = String(result.headers?.['content-type'] ?? '');
  return { status: result.statusCode, headers: result.headers ?? {}, body: type.startsWith('application/json') && result.body ? JSON.parse(result.body) : result.body };
}

const refused = (siteId: number, changeId: string): QuarantinedRecord => ({
  siteId,
  changeId,
  tableName: 'item',
  recordId: changeId,
  action: 'update',
  reason: 'invalid_record',
  message: 'test',
  receivedAt: NOW.toISOString(),
  raw: {},
});

beforeAll(async () => {
  const resources = await createTestResources();
  const { db, tables } = resources;
  const store = new ConfigStore(db, tables.config);
  const sessions = new DynamoSiteSessions(db, tables.siteState);
  const progress = new DynamoSiteProgress(db, tables.siteState);
  const outgoing = new DynamoOutgoingQueue(db, { syncOut: tables.syncOut, siteState: tables.siteState });
  const refusals = new DynamoRefusalCounts(db, tables.siteState);
  deps = { store, sessions, progress, outgoing, refusals };
  handler = createAdminHandler({ store, adminToken: async () => TOKEN, now: () => NOW, syncReport: { sessions, progress, outgoing, refusals } });

  expect((await call('POST', '/sites', { body: { siteId: 1, name: 'central', code: 'C', kind: 'central' } })).status).toBe(201);
  for (const [siteId, name] of [[2, 'north'], [3, 'south'], [4, 'east'], [5, 'west']] as const)
    expect((await call('POST', '/sites', { body: { siteId, name, code: name.toUpperCase(), kind: 'desktop' } })).status).toBe(201);

  // north: pushed 2 h ago, pulled 1 h ago (a later connection of another kind keeps both), fully initialised.
  const connection = { hardwareId: 'HW-N', appName: 'Open mSupply Desktop', appVersion: '2.13.0', syncApiVersion: 14 };
  await sessions.recordConnection(2, { ...connection, at: ago(2 * HOUR).toISOString(), route: 'POST /sync/v5/queued_records' });
  await sessions.recordConnection(2, { ...connection, at: ago(HOUR).toISOString(), route: 'GET /sync/v5/queued_records' });
  await sessions.recordConnection(2, { ...connection, at: ago(HOUR / 2).toISOString(), route: 'GET /sync/v5/site_status' });
  await progress.startInitialisation(2, 'gen-north', ago(10 * DAY).toISOString());
  expect(await progress.advanceInitialStream(2, 'gen-north', undefined, 'done')).toBe(true);
  // south: last seen 40 days ago (v6), its initialisation never finished.
  await sessions.recordConnection(3, { ...connection, hardwareId: 'HW-S', at: ago(40 * DAY).toISOString(), route: 'POST /central/sync/pull' });
  await progress.startInitialisation(3, 'gen-south', ago(41 * DAY).toISOString());
  // east never connected; three records wait for it.
  await outgoing.enqueue(['a', 'b', 'c'].map((id) => ({ siteId: 4, tableName: 'item', recordId: id, action: 'insert' as const, version: 1, recordData: { ID: id } })));
  // north had three records refused an hour ago and two 30 hours ago (outside the last day).
  const quarantine = new DynamoQuarantine(db, tables.quarantine);
  await countingRefusals(quarantine, refusals, () => ago(HOUR)).keep([refused(2, 'r1'), refused(2, 'r2'), refused(2, 'r3')]);
  await countingRefusals(quarantine, refusals, () => ago(30 * HOUR)).keep([refused(2, 'r4'), refused(2, 'r5')]);
});

test('every remote site with its connection, activity, initialisation, queue, refusals and silence', async () => {
  const { status, body } = await call('GET', '/sync-report');
  expect(status).toBe(200);
  expect(body.silentAfterDays).toBe(30);
  expect(body.next).toBeUndefined();
  const bySite = Object.fromEntries(body.sites.map((row: { siteId: number }) => [row.siteId, row]));
  expect(Object.keys(bySite)).toEqual(['2', '3', '4', '5']);
  expect(bySite[2]).toEqual({
    siteId: 2,
    name: 'north',
    code: 'NORTH',
    kind: 'desktop',
    boundHardwareId: '',
    lastConnection: { at: ago(HOUR / 2).toISOString(), appName: 'Open mSupply Desktop', appVersion: '2.13.0', syncApiVersion: 14, hardwareId: 'HW-N', route: 'GET /sync/v5/site_status' },
    lastPushAt: ago(2 * HOUR).toISOString(),
    lastPullAt: ago(HOUR).toISOString(),
    lastInitialisedAt: ago(10 * DAY).toISOString(),
    initialisationStatus: 'initialised',
    recordsWaiting: 0,
    refusedLastDay: 3,
    daysSilent: 0,
    silent: false,
    neverConnected: false,
  });
  expect(bySite[3]).toMatchObject({ lastPullAt: ago(40 * DAY).toISOString(), lastPushAt: null, initialisationStatus: 'initialising', daysSilent: 40, silent: true, neverConnected: false });
  expect(bySite[4]).toMatchObject({ lastConnection: null, recordsWaiting: 3, initialisationStatus: 'new', daysSilent: null, silent: false, neverConnected: true });

  // A longer threshold: south is no longer silent.
  const lenient = await call('GET', '/sync-report?silentAfterDays=45');
  expect(lenient.body.silentAfterDays).toBe(45);
  expect(lenient.body.sites.find((row: { siteId: number }) => row.siteId === 3).silent).toBe(false);
});

test('a deployment\'s own threshold (SILENT_AFTER_DAYS, as the alarm\'s) is the default; a query still overrides it', async () => {
  const strict = createAdminHandler({ store: deps.store as ConfigStore, adminToken: async () => TOKEN, now: () => NOW, syncReport: { ...deps }, silentAfterDays: 45 });
  const saved = handler;
  handler = strict;
  try {
    const lenient = await call('GET', '/sync-report');
    expect(lenient.body.silentAfterDays).toBe(45);
    expect(lenient.body.sites.find((row: { siteId: number }) => row.siteId === 3).silent).toBe(false);
    const asked = await call('GET', '/sync-report?silentAfterDays=30');
    expect(asked.body.sites.find((row: { siteId: number }) => row.siteId === 3).silent).toBe(true);
    expect((await call('GET', '/sites')).body.sites.find((site: { siteId: number }) => site.siteId === 3).health.silent).toBe(false);
  } finally {
    handler = saved;
  }
});

test('CSV with ?format=csv or Accept: text/csv: a header row, one line per site, the silent flag', async () => {
  const byQuery = await call('GET', '/sync-report?format=csv');
  const byAccept = await call('GET', '/sync-report', { headers: { accept: 'text/csv' } });
  expect(byQuery.status).toBe(200);
  expect(byQuery.headers['content-type']).toMatch(/^text\/csv/);
  expect(byAccept.body).toBe(byQuery.body);
  const lines = (byQuery.body as string).trimEnd().split('\r\n').map((line) => line.split(','));
  const header = lines[0]!;
  expect(header.slice(0, 2)).toEqual(['site_id', 'name']);
  expect(lines).toHaveLength(5);
  const cell = (siteId: number, column: string) => lines.find((line) => line[0] === String(siteId))![header.indexOf(column)];
  expect(cell(3, 'silent')).toBe('true');
  expect(cell(2, 'silent')).toBe('false');
  expect(cell(2, 'refused_last_day')).toBe('3');
  expect(cell(2, 'last_pull_at')).toBe(ago(HOUR).toISOString());
  expect(cell(4, 'last_connection_at')).toBe('');
  expect(cell(4, 'records_waiting')).toBe('3');
});

test('pages: bounded, in site order, each page token continuing where the last stopped', async () => {
  const first = await call('GET', '/sync-report?limit=3');
  expect(first.body.sites.map((row: { siteId: number }) => row.siteId)).toEqual([2, 3, 4]);
  const second = await call('GET', `/sync-report?limit=3&after=${first.body.next}`);
  expect(second.body.sites.map((row: { siteId: number }) => row.siteId)).toEqual([5]);
  expect(second.body.next).toBeUndefined();
  // The service itself, as other parts call it.
  const page = await syncReport(deps, { now: NOW, limit: 2 });
  expect(page.rows.map((row) => row.siteId)).toEqual([2, 3]);
  expect((await syncReport(deps, { now: NOW, limit: 2, pageToken: page.nextPageToken })).rows.map((row) => row.siteId)).toEqual([4, 5]);
  // A CSV page after the first has no header row and names the next page in a header.
  const csv = await call('GET', `/sync-report?format=csv&limit=2&after=${page.nextPageToken}`);
  expect((csv.body as string).split('\r\n')[0]!.startsWith('4,')).toBe(true);

  for (const query of ['limit=0', 'limit=501', 'limit=x', 'silentAfterDays=-1', 'after=not-a-token', 'format=xml'])
    expect(await call('GET', `/sync-report?${query}`)).toMatchObject({ status: 400, body: { error: { code: 'invalid_query' } } });
});

test('GET /sites pages and shows each site\'s health', async () => {
  const first = await call('GET', '/sites?limit=2');
  expect(first.body.sites.map((site: { siteId: number }) => site.siteId)).toEqual([1, 2]);
  expect(first.body.sites[1]).toMatchObject({ siteId: 2, hasPassword: false, health: { lastPullAt: ago(HOUR).toISOString(), silent: false } });
  expect(first.body.sites[0].health).toMatchObject({ kind: 'central', neverConnected: false, silent: false });
  const rest = await call('GET', `/sites?after=${first.body.next}`);
  expect(rest.body.sites.map((site: { siteId: number }) => site.siteId)).toEqual([3, 4, 5]);
  expect(rest.body.sites[0].health.silent).toBe(true);
});
