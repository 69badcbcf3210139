/** The sync report: every site's last connection, push, pull, initialisation, queue and refusals. */
import * as z from 'zod/mini';
import { wantsCsv } from '../commons/csv';
import { HttpError, json } from '../commons/http';
import { DEFAULT_SILENT_AFTER_DAYS, syncReport, syncReportCsv, type SyncReportDeps, type SyncReportOptions } from '../services/sync-report';
import { InvalidPageTokenError } from '../storage/page-token';
import { parseQuery, queryText } from './helpers';
import { route, type AdminRoute, type RouteDeps } from './types';

const initialisationStatus = z.enum(['new', 'initialising', 'initialised', 'started', 'error']);
const timeOrNull = z.nullable(z.string());

export const syncReportRowView = z.object({
  siteId: z.int(),
  name: z.string(),
  code: z.string(),
  kind: z.enum(['central', 'desktop', 'mobile']),
  boundHardwareId: z.string(),
  lastConnection: z.nullable(
    z.object({ at: z.string(), appName: z.string(), appVersion: z.string(), syncApiVersion: z.number(), hardwareId: z.string(), route: z.string() }),
  ),
  lastPushAt: timeOrNull,
  lastPullAt: timeOrNull,
  lastInitialisedAt: timeOrNull,
  initialisationStatus,
  recordsWaiting: z.int(),
  refusedLastDay: z.int(),
  daysSilent: z.nullable(z.int()),
  silent: z.boolean(),
  neverConnected: z.boolean(),
});

/** Paging and the silence threshold, shared with GET /sites. */
export const reportPagingQuery = {
  limit: queryText('Sites per page, 1 to 500 (default 100)'),
  after: queryText('The page token `next` of the previous page'),
  silentAfterDays: queryText(`Flag sites silent longer than this many days (default: the deployment's, ${DEFAULT_SILENT_AFTER_DAYS} unless set)`),
};

const whole = (name: string, text: string | undefined, min: number, max: number): number | undefined => {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new HttpError(400, 'invalid_query', `${name} is a whole number from ${min} to ${max}; got "${text}".`);
  return value;
};

/** The report's options from the query; a page token not handed out by the report is a 400. */
export function reportOptions(deps: RouteDeps, query: { limit?: string; after?: string; silentAfterDays?: string }): SyncReportOptions {
  return {
    now: deps.now(),
    limit: whole('limit', query.limit, 1, 500),
    silentAfterDays: whole('silentAfterDays', query.silentAfterDays, 0, 36_500) ?? deps.silentAfterDays,
    ...(query.after === undefined ? {} : { pageToken: query.after }),
  };
}

/** Runs a paged read; a page token it did not hand out is the caller's 400. */
export async function paged<T>(read: () => Promise<T> | T): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof InvalidPageTokenError) throw new HttpError(400, 'invalid_query', error.message);
    throw error;
  }
}

export function syncReportSources(deps: RouteDeps): Omit<SyncReportDeps, 'store'> {
  if (!deps.syncReport) throw new HttpError(503, 'sync_report_unavailable', 'This server was started without the sync report.');
  return deps.syncReport;
}

export const syncReportRoutes: AdminRoute[] = [
  route({
    method: 'GET',
    path: '/sync-report',
    summary: 'Per site: last connection (time, software, hardware), last push, pull and initialisation, initialisation status, records waiting, records refused in the last day, silent past the threshold; JSON, or CSV with ?format=csv or Accept: text/csv',
    operationId: 'getSyncReport',
    tag: 'sync-report',
    query: z.object({ ...reportPagingQuery, format: queryText('`csv` for CSV (one page; the header row only on the first page), `json` (default)') }),
    response: z.object({ silentAfterDays: z.int(), sites: z.array(syncReportRowView), next: z.optional(z.string()) }),
    alsoProduces: ['text/csv'],
    run: async (deps, request) => {
      const query = parseQuery(z.object({ format: z.optional(z.enum(['csv', 'json'])) }), request.query);
      const options = reportOptions(deps, request.query);
      const page = await paged(() => syncReport({ ...syncReportSources(deps), store: deps.store }, options));
      if (wantsCsv(query.format, request.headers.accept)) {
        const headers: Record<string, string> = { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="sync-report.csv"' };
        if (page.nextPageToken) headers['x-next-page'] = page.nextPageToken;
        return { statusCode: 200, headers, body: syncReportCsv(page.rows, options.pageToken === undefined) };
      }
      return json(200, {
        silentAfterDays: options.silentAfterDays ?? DEFAULT_SILENT_AFTER_DAYS,
        sites: page.rows,
        ...(page.nextPageToken ? { next: page.nextPageToken } : {}),
      });
    },
  }),
];
