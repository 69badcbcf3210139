/**
 * What the console shows, read through the project's services: the sync report (one row per
 * site), the configuration's stores, the quarantine, the central reports, and the quarantine
 * actions when this deployment has them.
 */
import type { SyncConfig } from '../domain/config/model';
import { allStores, getStore, storesOnSite } from '../domain/config/queries';
import type { Quarantine } from '../domain/ports';
import type { ReportFigures } from '../domain/reports/ports';
import type { ReportDeps } from '../services/reports';
import { syncReport, type SyncReportDeps, type SyncReportRow } from '../services/sync-report';
import { encodePageToken } from '../storage/page-token';

export type FleetSite = SyncReportRow;

export interface QuarantineActionResult {
  /** What the operator is told, e.g. "accepted" or "still refused: store_not_active_on_site". */
  readonly message: string;
}

export interface ConsoleData {
  fleet(options: { now: Date; silentAfterDays: number; pageToken?: string; limit: number }): Promise<{ sites: readonly FleetSite[]; next?: string }>;
  /** One remote site's row, or undefined when there is no such remote site. */
  site(options: { siteId: number; now: Date; silentAfterDays: number }): Promise<FleetSite | undefined>;
  /** The stores on a site, with how each is held there. */
  storesOf(siteId: number): Promise<ReadonlyArray<{ id: string; code: string; name: string; type: string }>>;
  /** Every store, for the reports' store picker. */
  allStores(): Promise<ReadonlyArray<{ id: string; code: string; name: string }>>;
  readonly quarantine: Quarantine;
  /** Re-decides a quarantined record under today's configuration; absent: the button is not offered. */
  readonly replay?: (request: { siteId: number; changeId: string; actor: string }) => Promise<QuarantineActionResult>;
  /** Closes a quarantined record with a reason; absent: the button is not offered. */
  readonly resolve?: (request: { siteId: number; changeId: string; reason: string; actor: string }) => Promise<QuarantineActionResult>;
  /** The central reports (services/reports.ts); absent: the reports page says they are not available. */
  readonly reports?: ReportDeps;
}

export type ConsoleSources = SyncReportDeps & { readonly quarantine: Quarantine; readonly reportFigures: ReportFigures };

export function consoleDataFrom(sources: ConsoleSources): Omit<ConsoleData, 'replay' | 'resolve'> {
  const config = (): Promise<SyncConfig> => sources.store.current();
  return {
    async fleet({ now, silentAfterDays, pageToken, limit }) {
      const page = await syncReport(sources, { now, silentAfterDays, limit, ...(pageToken ? { pageToken } : {}) });
      return page.nextPageToken ? { sites: page.rows, next: page.nextPageToken } : { sites: page.rows };
    },
    async site({ siteId, now, silentAfterDays }) {
      // The report pages by site id: the page after the id before it starts with this site.
      const { rows } = await syncReport(sources, { now, silentAfterDays, limit: 1, pageToken: encodePageToken({ siteId: siteId - 1 }) });
      return rows.find((row) => row.siteId === siteId);
    },
    async storesOf(siteId) {
      const current = await config();
      return storesOnSite(current, siteId).flatMap(({ storeId, type }) => {
        const store = getStore(current, storeId);
        return store ? [{ id: store.id, code: store.code, name: store.name, type }] : [];
      });
    },
    async allStores() {
      return allStores(await config()).map(({ id, code, name }) => ({ id, code, name }));
    },
    quarantine: sources.quarantine,
    reports: { figures: sources.reportFigures },
  };
}
