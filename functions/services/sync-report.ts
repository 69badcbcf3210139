/**
 * The sync report: per site, its last connection (time, software, hardware id), last push, pull
 * and initialisation, whether its initialisation finished, records waiting for it, records
 * refused from it in the last day, and whether it has been silent longer than a threshold.
 * Everything comes from what sync already stores (the connection item, the initialisation item,
 * the queue counter, the per-hour refusal counts): a few reads per site, a bounded page of sites
 * per call.
 */
import { csvText, type CsvColumns } from '../commons/csv';
import type { Site, SyncConfig } from '../domain/config/model';
import { configLookup } from '../domain/config/lookup';
import type { InitialisationState, OutgoingQueue, SiteProgress } from '../domain/ports';
import { decodePageToken, encodePageToken, InvalidPageTokenError } from '../storage/page-token';
import { forEachChunk } from '../storage/parallel-chunks';
import type { DynamoRefusalCounts } from '../storage/refusal-counts';
import type { DynamoSiteSessions } from '../storage/site-sessions';

export const DEFAULT_SILENT_AFTER_DAYS = 30;
export const DEFAULT_REPORT_PAGE = 100;
export const MAX_REPORT_PAGE = 500;
const DAY_MS = 86_400_000;
/** Sites read at once: a page costs a few round trips, not one per site. */
const SITES_AT_ONCE = 16;

export interface SyncReportDeps {
  readonly store: { current(): Promise<SyncConfig> };
  readonly sessions: Pick<DynamoSiteSessions, 'lastConnection'>;
  readonly progress: Pick<SiteProgress, 'initialisation'>;
  readonly outgoing: Pick<OutgoingQueue, 'queueLength'>;
  readonly refusals: Pick<DynamoRefusalCounts, 'lastDay'>;
}

export interface SyncReportOptions {
  readonly now: Date;
  /** A site whose last connection is older than this is flagged silent. @default 30 */
  readonly silentAfterDays?: number;
  /** `nextPageToken` of the previous page. */
  readonly pageToken?: string;
  /** Sites per page, 1 to 500. @default 100 */
  readonly limit?: number;
  /** Report the central site too (it never connects); by default only remote sites. */
  readonly includeCentral?: boolean;
}

/**
 * `new`: never initialised; `initialising`: its initial records are still being pulled;
 * `initialised`: all of them acknowledged; `started`/`error`: left by an older version.
 */
export type InitialisationStatus = 'new' | 'initialising' | 'initialised' | 'started' | 'error';

export interface SyncReportRow {
  readonly siteId: number;
  readonly name: string;
  readonly code: string;
  readonly kind: Site['kind'];
  /** The hardware the site is bound to ('' when not bound). */
  readonly boundHardwareId: string;
  readonly lastConnection: {
    readonly at: string;
    readonly appName: string;
    readonly appVersion: string;
    readonly syncApiVersion: number;
    readonly hardwareId: string;
    readonly route: string;
  } | null;
  readonly lastPushAt: string | null;
  readonly lastPullAt: string | null;
  /** When the last initialisation started. */
  readonly lastInitialisedAt: string | null;
  readonly initialisationStatus: InitialisationStatus;
  readonly recordsWaiting: number;
  /** Records refused (quarantined) from the site in the last 24 hours (by whole UTC hours). */
  readonly refusedLastDay: number;
  /** Whole days since the last connection; null: never connected. */
  readonly daysSilent: number | null;
  /** Connected once, but not for longer than the threshold. */
  readonly silent: boolean;
  readonly neverConnected: boolean;
}

export interface SyncReportPage {
  readonly rows: SyncReportRow[];
  readonly nextPageToken?: string;
}

export function initialisationStatusOf(state: InitialisationState): InitialisationStatus {
  if (state.status !== 'completed') return state.status;
  return state.stream && !state.stream.done ? 'initialising' : 'initialised';
}

/** One page of the report, sites in id order. An unknown page token is an InvalidPageTokenError. */
export async function syncReport(deps: SyncReportDeps, options: SyncReportOptions): Promise<SyncReportPage> {
  const silentAfterMs = (options.silentAfterDays ?? DEFAULT_SILENT_AFTER_DAYS) * DAY_MS;
  const config = await deps.store.current();
  const { sites, nextPageToken } = pageOfSites(config, options);
  const rows = new Array<SyncReportRow>(sites.length);
  await forEachChunk(sites.map((site, index) => ({ site, index })), 1, SITES_AT_ONCE, async ([entry]) => {
    rows[entry!.index] = await rowOf(deps, entry!.site, options.now, silentAfterMs);
  });
  return nextPageToken ? { rows, nextPageToken } : { rows };
}

/** One page of sites in id order, and the token of the next page when there is one. */
export function pageOfSites(
  config: SyncConfig,
  options: Pick<SyncReportOptions, 'pageToken' | 'limit' | 'includeCentral'>,
): { sites: Site[]; nextPageToken?: string } {
  const limit = Math.min(Math.max(Math.floor(options.limit ?? DEFAULT_REPORT_PAGE), 1), MAX_REPORT_PAGE);
  const after = options.pageToken === undefined ? 0 : siteIdOfToken(options.pageToken);
  // Sorted once per configuration version, not per page.
  const lookup = configLookup(config);
  const sites = options.includeCentral ? lookup.sitesInOrder : lookup.remoteSitesInOrder;
  const start = firstAfter(sites, after);
  const page = sites.slice(start, start + limit);
  const last = page.at(-1);
  return last && start + limit < sites.length ? { sites: page, nextPageToken: encodePageToken({ siteId: last.siteId }) } : { sites: page };
}

async function rowOf(deps: SyncReportDeps, site: Site, now: Date, silentAfterMs: number): Promise<SyncReportRow> {
  const central = site.kind === 'central';
  const [connection, initialisation, recordsWaiting, refusedLastDay] = await Promise.all([
    central ? undefined : deps.sessions.lastConnection(site.siteId),
    central ? ({ status: 'new' } as InitialisationState) : deps.progress.initialisation(site.siteId),
    central ? 0 : deps.outgoing.queueLength(site.siteId),
    deps.refusals.lastDay(site.siteId, now),
  ]);
  const quietMs = connection ? now.getTime() - Date.parse(connection.at) : undefined;
  return {
    siteId: site.siteId,
    name: site.name,
    code: site.code,
    kind: site.kind,
    boundHardwareId: site.hardwareId,
    lastConnection: connection
      ? { at: connection.at, appName: connection.appName, appVersion: connection.appVersion, syncApiVersion: connection.syncApiVersion, hardwareId: connection.hardwareId, route: connection.route }
      : null,
    lastPushAt: connection?.lastPushAt ?? null,
    lastPullAt: connection?.lastPullAt ?? null,
    lastInitialisedAt: initialisation.at ?? null,
    initialisationStatus: initialisationStatusOf(initialisation),
    recordsWaiting,
    refusedLastDay,
    daysSilent: quietMs === undefined ? null : Math.max(0, Math.floor(quietMs / DAY_MS)),
    silent: quietMs !== undefined && quietMs > silentAfterMs,
    neverConnected: !central && connection === undefined,
  };
}

function siteIdOfToken(token: string): number {
  const siteId = decodePageToken(token, ['siteId'])?.siteId;
  if (typeof siteId !== 'number' || !Number.isInteger(siteId)) throw new InvalidPageTokenError();
  return siteId;
}

/** Index of the first site with an id above `after` (sites are in id order). */
function firstAfter(sites: readonly Site[], after: number): number {
  let low = 0;
  let high = sites.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sites[middle]!.siteId <= after) low = middle + 1;
    else high = middle;
  }
  return low;
}

// --- CSV -------------------------------------------------------------------------------------

const CSV_COLUMNS: CsvColumns<SyncReportRow> = [
  ['site_id', (row) => row.siteId],
  ['name', (row) => row.name],
  ['code', (row) => row.code],
  ['kind', (row) => row.kind],
  ['last_connection_at', (row) => row.lastConnection?.at ?? null],
  ['app_name', (row) => row.lastConnection?.appName ?? null],
  ['app_version', (row) => row.lastConnection?.appVersion ?? null],
  ['sync_api_version', (row) => row.lastConnection?.syncApiVersion ?? null],
  ['hardware_id', (row) => row.lastConnection?.hardwareId ?? null],
  ['bound_hardware_id', (row) => row.boundHardwareId],
  ['last_push_at', (row) => row.lastPushAt],
  ['last_pull_at', (row) => row.lastPullAt],
  ['last_initialised_at', (row) => row.lastInitialisedAt],
  ['initialisation_status', (row) => row.initialisationStatus],
  ['records_waiting', (row) => row.recordsWaiting],
  ['refused_last_day', (row) => row.refusedLastDay],
  ['days_silent', (row) => row.daysSilent],
  ['silent', (row) => row.silent],
  ['never_connected', (row) => row.neverConnected],
];

export const syncReportCsv = (rows: readonly SyncReportRow[], withHeader = true): string => csvText(CSV_COLUMNS, rows, withHeader);
