/**
 * Sites silent past a threshold: every remote site whose last connection is older than
 * `silentAfterDays`. One read per site (its connection item), whatever else the site keeps, so an
 * hourly run over a whole fleet stays cheap (docs/operations.md, Alarms). A site that never
 * connected is counted apart: a newly configured site is not a silent one.
 */
import type { SyncConfig } from '../domain/config/model';
import { configLookup } from '../domain/config/lookup';
import { DEFAULT_SILENT_AFTER_DAYS } from './sync-report';

// The same threshold and the same rule as the sync report's `silent` flag.
export { DEFAULT_SILENT_AFTER_DAYS };
const DAY_MS = 24 * 60 * 60 * 1000;

export interface SilentSitesDeps {
  /** Site id → time of its last connection (ISO 8601), for the sites asked about. */
  readonly lastConnections: (siteIds: readonly number[]) => Promise<ReadonlyMap<number, string>>;
}

export interface SilentSite {
  readonly siteId: number;
  readonly name: string;
  readonly lastConnectionAt: string;
  /** Whole days since the last connection. */
  readonly silentDays: number;
}

export interface SilentSitesReport {
  /** Remote sites looked at (the central site never connects). */
  readonly checked: number;
  readonly silent: readonly SilentSite[];
  readonly neverConnected: readonly number[];
}

export async function findSilentSites(
  deps: SilentSitesDeps,
  config: SyncConfig,
  options: { readonly now: Date; readonly silentAfterDays?: number },
): Promise<SilentSitesReport> {
  const threshold = (options.silentAfterDays ?? DEFAULT_SILENT_AFTER_DAYS) * DAY_MS;
  const sites = configLookup(config).remoteSitesInOrder;
  const times = await deps.lastConnections(sites.map((site) => site.siteId));
  const silent: SilentSite[] = [];
  const neverConnected: number[] = [];
  for (const site of sites) {
    const at = times.get(site.siteId);
    if (at === undefined) {
      neverConnected.push(site.siteId);
      continue;
    }
    const quietMs = options.now.getTime() - Date.parse(at);
    if (quietMs > threshold) silent.push({ siteId: site.siteId, name: site.name, lastConnectionAt: at, silentDays: Math.floor(quietMs / DAY_MS) });
  }
  return { checked: sites.length, silent, neverConnected };
}
