/**
 * Console views (functions/console/views.ts): the fleet page's health colours (a site silent past
 * the threshold red like one never seen, amber when it needs a look, green otherwise), each
 * site's queue depth and their total; the reports page's stock table per location and its note
 * when more lines exist than it shows.
 */
import { fleetView, healthOf, reportsView, type ReportsModel } from '../../functions/console/views';
import type { FleetSite } from '../../functions/console/data';

const NOW = new Date('2026-11-29T06:00:00.000Z');
const hoursAgo = (hours: number) => new Date(NOW.getTime() - hours * 3_600_000).toISOString();

function site(siteId: number, changes: Partial<FleetSite> = {}): FleetSite {
  const at = changes.lastConnection === undefined ? hoursAgo(1) : changes.lastConnection?.at;
  return {
    siteId,
    name: `site-${siteId}`,
    code: `S${siteId}`,
    kind: 'desktop',
    boundHardwareId: 'hw',
    lastConnection: at ? { at, appName: 'Open mSupply Desktop', appVersion: '2.8.0', syncApiVersion: 5, hardwareId: 'hw', route: 'POST /sync/v5/queued_records' } : null,
    lastPushAt: at ?? null,
    lastPullAt: at ?? null,
    lastInitialisedAt: hoursAgo(24 * 60),
    initialisationStatus: 'initialised',
    recordsWaiting: 0,
    refusedLastDay: 0,
    daysSilent: at ? Math.floor((NOW.getTime() - Date.parse(at)) / 86_400_000) : null,
    silent: false,
    neverConnected: at === undefined,
    ...changes,
  };
}

test('red when silent past the threshold or never connected; amber when quiet for a day, refusing or not initialised; green otherwise', () => {
  expect(healthOf(site(2), NOW)).toBe('green');
  expect(healthOf(site(2, { lastConnection: null, neverConnected: true }), NOW)).toBe('red');
  const longAgo = hoursAgo(24 * 40);
  expect(healthOf(site(2, { lastConnection: { ...site(2).lastConnection!, at: longAgo }, silent: true }), NOW)).toBe('red');
  // Quiet for 40 days but under a longer threshold: not silent, still a site to look at.
  expect(healthOf(site(2, { lastConnection: { ...site(2).lastConnection!, at: longAgo }, silent: false }), NOW)).toBe('amber');
  expect(healthOf(site(2, { lastConnection: { ...site(2).lastConnection!, at: hoursAgo(25) } }), NOW)).toBe('amber');
  expect(healthOf(site(2, { refusedLastDay: 3 }), NOW)).toBe('amber');
  expect(healthOf(site(2, { initialisationStatus: 'initialising' }), NOW)).toBe('amber');
  expect(healthOf(site(2, { initialisationStatus: 'new' }), NOW)).toBe('amber');
});

test('the fleet page tints silent sites red and shows each queue depth and the total waiting', () => {
  const silent = site(3, { lastConnection: { ...site(3).lastConnection!, at: hoursAgo(24 * 31) }, silent: true, recordsWaiting: 1200 });
  const page = fleetView({ sites: [site(2, { recordsWaiting: 34 }), silent], now: NOW, silentAfterDays: 30 }).toString();
  expect(page).toMatch(/<tr class="" data-site="2" data-health="green">[\s\S]*?<td class="n">34<\/td>/);
  expect(page).toMatch(/<tr class="red" data-site="3" data-health="red">[\s\S]*?<td class="n">1,200<\/td>/);
  expect(page).toContain('<b>1,234</b>records waiting');
  expect(page).toContain('silent over 30 d or never seen');
});

test('the reports page: a Location column on request, and a note when there are more lines than shown', () => {
  const model: ReportsModel = {
    stores: [{ id: 'S1', code: 'A', name: 'Store A' }],
    storeIds: [],
    byLocation: true,
    itemNames: new Map([['AMOX', 'Amoxicillin']]),
    usage: [],
    usageStoresCut: false,
    stock: [
      { storeId: 'S1', itemId: 'AMOX', locationId: 'SHELF', units: 100, value: 12.5 },
      { storeId: 'S1', itemId: 'AMOX', locationId: '', units: 20, value: 2 },
    ],
    moreStock: false,
    value: { units: 120, value: 14.5, stores: [{ storeId: 'S1', units: 120, value: 14.5 }] },
  };
  const page = reportsView(model).toString();
  expect(page).toContain('<th>Location</th>');
  expect(page).toContain('<td>SHELF</td>');
  expect(page).toContain('<td><span class="note">none</span></td>');
  expect(page).toContain('name="locations" checked');
  expect(page).not.toContain('id="stock-more"');
  expect(page).not.toContain('id="usage-more"');
  const more = reportsView({ ...model, byLocation: false, moreStock: true, usageStoresCut: true, usage: [{ storeId: 'S1', itemId: 'AMOX', month: '2026-11', units: 4 }] }).toString();
  expect(more).not.toContain('<th>Location</th>');
  expect(more).toContain('id="stock-more"');
  expect(more).toMatch(/id="usage-more">Not every store is charted \(1 shown\)/);
});
