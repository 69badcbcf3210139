/**
 * What the console shows, read through the project's services: the sync report (one row per
 * site), the configuration's stores, the quarantine, the central reports, and the quarantine
 * actions when this deployment has them.
 */
import type { SyncConfig } from '../domain/config/model';
import { allStores, getStore, storesOnSite } from '../domain/config/queries';
import type { ReportFigures } from '../domain/reports/ports';
import { replayEntries, resolveEntries, type QuarantineActionDeps, type QuarantineEntries, type ReplayResult } from '../services/quarantine-actions';
import type { ReportDeps } from '../services/reports';
import { syncReport, type SyncReportDeps, type SyncReportRow } from '../services/sync-report';
import { encodePageToken } from '../storage/page-token';
import { quarantineEntryId } from '../storage/quarantine';

export type FleetSite = SyncReportRow;

export interface QuarantineActionResult {
  /** Whether the entry existed (a missing one is a 404 page). */
  readonly found: boolean;
  /** Whether the entry is closed now (accepted or resolved); otherwise it stays open. */
  readonly closed: boolean;
  /** What the operator is told, e.g. "Accepted: stored and sent on." */
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
  /** The quarantine's entries, open and closed (storage/quarantine.ts). */
  readonly quarantine: Pick<QuarantineEntries, 'list'>;
  /** Re-decides a quarantined record under today's configuration (services/quarantine-actions.ts); absent: no button. */
  readonly replay?: (request: { siteId: number; changeId: string; actor: string }) => Promise<QuarantineActionResult>;
  /** Closes a quarantined record with the operator's note; absent: no button. */
  readonly resolve?: (request: { siteId: number; changeId: string; reason: string; actor: string }) => Promise<QuarantineActionResult>;
  /** The central reports (services/reports.ts); absent: the reports page says they are not available. */
  readonly reports?: ReportDeps;
  /** Items' names from the central copy, by item id (ids it does not hold are left out). */
  itemNames(itemIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

export type ConsoleSources = SyncReportDeps & {
  readonly reportFigures: ReportFigures;
  /** Replay and resolve, as the admin API's quarantine routes use them. */
  readonly actions: QuarantineActionDeps;
};

const OUTCOME_WORDS: Record<ReplayResult['outcome'], string> = {
  accepted: 'Accepted: stored and sent on; the entry is closed.',
  refused: 'Still refused',
  superseded: 'Not applied: the central copy already holds a later change of this record',
  skipped: 'Not decided (closed already, or kept in parts)',
};

export function consoleDataFrom(sources: ConsoleSources): ConsoleData {
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
    quarantine: sources.actions.entries,
    reports: { figures: sources.reportFigures },
    async itemNames(itemIds) {
      const held = await sources.actions.push.centralCopy.get([...new Set(itemIds)].map((recordId) => ({ tableName: 'item', recordId })));
      const names = new Map<string, string>();
      for (const record of held.values()) if (typeof record.recordData?.item_name === 'string' && record.recordData.item_name) names.set(record.recordId, record.recordData.item_name);
      return names;
    },
    async replay({ siteId, changeId, actor }) {
      const entry = await sources.actions.entries.get(siteId, changeId);
      if (!entry) return { found: false, closed: false, message: `Quarantine entry ${quarantineEntryId(siteId, changeId)} does not exist.` };
      const summary = await replayEntries(sources.actions, await config(), [entry], actor, `quarantine/${quarantineEntryId(siteId, changeId)}`);
      const result = summary.results[0];
      if (!result || result.outcome === 'accepted') return { found: true, closed: true, message: OUTCOME_WORDS.accepted };
      return { found: true, closed: false, message: `${OUTCOME_WORDS[result.outcome]}: ${result.reason}. ${result.message}`.trim() };
    },
    async resolve({ siteId, changeId, reason, actor }) {
      const id = quarantineEntryId(siteId, changeId);
      const { resolved } = await resolveEntries(sources.actions, [{ siteId, changeId }], reason, actor, `quarantine/${id}`);
      return resolved.length ? { found: true, closed: true, message: `Resolved: ${reason}` } : { found: false, closed: false, message: `Quarantine entry ${id} does not exist.` };
    },
  };
}
