/**
 * The fleet page's health colours (functions/console/views.ts): a site silent past the threshold
 * is red like one never seen, amber when it needs a look, green otherwise; the page shows each
 * site's queue depth and their total.
 */
import { fleetView, healthOf } from '../../functions/console/views';
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
