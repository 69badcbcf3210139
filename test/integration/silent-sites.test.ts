/** The hourly count of silent sites, against the site-state table: one read per site, central site excluded. */
import { readFileSync } from 'node:fs';
import { createSilentSitesHandler, silentAfterDaysFromEnvironment } from '../../functions/handlers/silent-sites';
import { logger, metrics } from '../../functions/commons/observability';
import { findSilentSites } from '../../functions/services/silent-sites';
import { importConfigFile } from '../../functions/storage/config-import';
import { lastConnectionTimes } from '../../functions/storage/last-connections';
import { adaptersFor, createTestResources, type TestResources } from '../support/stand-ins';
import { DEMO_CONFIG } from '../support/sync-server';

let resources: TestResources;
let adapters: ReturnType<typeof adaptersFor>;
const now = new Date('2026-11-29T01:00:00.000Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 24 * 60 * 60 * 1000).toISOString();
const connection = (at: string) => ({ at, hardwareId: 'hw', appName: 'Open mSupply Desktop', appVersion: '2.20.00', syncApiVersion: 14, route: 'GET /sync/v5/site' });

beforeAll(async () => {
  resources = await createTestResources();
  adapters = adaptersFor(resources);
  const imported = await importConfigFile(adapters.configStore, JSON.parse(readFileSync(DEMO_CONFIG, 'utf8')), 'test', { generatePasswords: true });
  if (!imported.ok) throw new Error(imported.message);
});

const lastConnections = (siteIds: readonly number[]) => lastConnectionTimes(resources.db, resources.tables.siteState, siteIds);

test('a site quiet for longer than the threshold is silent; a recent one is not; one that never connected is counted apart', async () => {
  // Demo: site 1 is the central server, sites 2 and 3 remote.
  await adapters.sessions.recordConnection(2, connection(daysAgo(31)));
  const config = await adapters.configStore.current();
  const first = await findSilentSites({ lastConnections }, config, { now });
  expect(first).toEqual({ checked: 2, silent: [{ siteId: 2, name: 'remote-site-1', lastConnectionAt: daysAgo(31), silentDays: 31 }], neverConnected: [3] });

  await adapters.sessions.recordConnection(3, connection(daysAgo(29)));
  expect(await findSilentSites({ lastConnections }, config, { now })).toMatchObject({ silent: [{ siteId: 2 }], neverConnected: [] });
  // A shorter threshold catches site 3 too.
  expect((await findSilentSites({ lastConnections }, config, { now, silentAfterDays: 7 })).silent.map((site) => site.siteId)).toEqual([2, 3]);

  await adapters.sessions.recordConnection(2, connection(daysAgo(0)));
  expect(await findSilentSites({ lastConnections }, config, { now })).toMatchObject({ silent: [], neverConnected: [] });
});

test('the scheduled handler answers the counts it published', async () => {
  await adapters.sessions.recordConnection(2, connection(daysAgo(45)));
  await adapters.sessions.recordConnection(3, connection(daysAgo(1)));
  const handler = createSilentSitesHandler({ config: () => adapters.configStore.current(), lastConnections, now: () => now, silentAfterDays: 30 });
  const context = { getRemainingTimeInMillis: () => 60_000, functionName: 'silentSites', awsRequestId: 'test' } as never;
  await expect(handler({}, context)).resolves.toEqual({ checked: 2, silent: 1, neverConnected: 0 });
});

test('each silent site is one log line with its figures as properties; the metrics carry no site dimension', async () => {
  await adapters.sessions.recordConnection(2, connection(daysAgo(45)));
  await adapters.sessions.recordConnection(3, connection(daysAgo(1)));
  const warned = jest.spyOn(logger, 'warn');
  const published = jest.spyOn(metrics, 'addMetric');
  const dimensions = jest.spyOn(metrics, 'addDimension');
  try {
    const handler = createSilentSitesHandler({ config: () => adapters.configStore.current(), lastConnections, now: () => now, silentAfterDays: 30 });
    await handler({}, { getRemainingTimeInMillis: () => 60_000, functionName: 'silentSites', awsRequestId: 'test' } as never);
    expect(warned.mock.calls).toEqual([['site silent', { siteId: 2, name: 'remote-site-1', lastConnectionAt: daysAgo(45), silentDays: 45, silentAfterDays: 30 }]]);
    expect(published.mock.calls.map(([name, , value]) => [name, value])).toEqual([['SilentSites', 1], ['NeverConnectedSites', 0]]);
    expect(dimensions).not.toHaveBeenCalled();
  } finally {
    warned.mockRestore();
    published.mockRestore();
    dimensions.mockRestore();
  }
});

test('the threshold comes from SILENT_AFTER_DAYS when it is a whole number from 1, else 30 days', () => {
  expect(silentAfterDaysFromEnvironment('14')).toBe(14);
  for (const value of [undefined, '', '0', '-3', '2.5', 'thirty']) expect(silentAfterDaysFromEnvironment(value)).toBe(30);
});
