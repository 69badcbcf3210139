/**
 * Central reports (docs/reports.md): stock on hand, stock value and monthly usage over one,
 * several or all stores, read from figures kept as records are routed; JSON, or CSV with
 * `?format=csv` (or Accept: text/csv).
 */
import * as z from '../protocol/zod';
import { csvText, wantsCsv, type CsvColumns } from '../commons/csv';
import { HttpError, json, type HttpResult } from '../commons/http';
import { backfillStore, monthlyUsagePage, REPORT_PAGE_ROWS, stockOnHandPage, stockValue, type ReportDeps, type ReportPage, type StockOnHandRow, type UsageRow } from '../services/reports';
import { parseBody, parseQuery, queryText } from './helpers';
import { route, type AdminRoute, type RouteDeps } from './types';

const tag = 'reports';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

const common = {
  storeIds: queryText('Comma-separated store ids (default: every store with a figure)'),
  format: queryText('`csv` for CSV, `json` (default)'),
};
const itemQuery = { itemId: queryText('One item (an item merged into it is counted as it)') };
const MAX_PAGE_ROWS = 50_000;
const pageQuery = {
  limit: queryText(`Rows per page, about: a page ends after the store that reaches it (1 to ${MAX_PAGE_ROWS}; default ${REPORT_PAGE_ROWS})`),
  after: queryText('`next` of the previous page (CSV: its x-next-page header): the stores after it'),
};
const pageSchema = z.object({
  limit: z.optional(z.string().check(z.regex(/^[1-9]\d{0,4}$/, `a whole number from 1 to ${MAX_PAGE_ROWS}`))),
  after: z.optional(z.string().check(z.minLength(1))),
});

/** The page asked for: rows per page and the store to continue after. */
function pageOf(query: { limit?: string; after?: string }) {
  const { limit, after } = parseQuery(pageSchema, { limit: query.limit, after: query.after });
  const maxRows = limit === undefined ? REPORT_PAGE_ROWS : Math.min(Number(limit), MAX_PAGE_ROWS);
  return { maxRows, ...(after === undefined ? {} : { after }) };
}

const formatSchema = z.object({ format: z.optional(z.enum(['csv', 'json'])) });
const monthSchema = z.optional(z.string().check(z.regex(MONTH, 'a month as YYYY-MM')));
const usageSchema = z.object({ fromMonth: monthSchema, toMonth: monthSchema });
const byLocationSchema = z.object({ byLocation: z.optional(z.enum(['true', 'false'])) });

const stockRowView = z.object({ storeId: z.string(), itemId: z.string(), locationId: z.optional(z.string()), units: z.number(), value: z.number() });
const usageRowView = z.object({ storeId: z.string(), itemId: z.string(), month: z.string(), units: z.number() });
const storeValueView = z.object({ storeId: z.string(), units: z.number(), value: z.number() });

const backfillBody = z.object({
  storeId: z.string().check(z.minLength(1)),
  after: z.optional(z.string().check(z.minLength(1))),
});

function reportDeps(deps: RouteDeps): ReportDeps {
  if (!deps.reports) throw new HttpError(503, 'reports_unavailable', 'This server was started without the reports.');
  return deps.reports;
}

const storeIdsOf = (text: string | undefined): string[] | undefined =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((id) => id.trim())
        .filter((id) => id !== '');

function answer<Row>(request: { query: { format?: string }; headers: Record<string, string | undefined> }, name: string, columns: CsvColumns<Row>, rows: readonly Row[], body: unknown): HttpResult {
  const { format } = parseQuery(formatSchema, { format: request.query.format });
  if (!wantsCsv(format, request.headers.accept)) return json(200, body);
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}.csv"` },
    body: csvText(columns, rows),
  };
}

/** A page of a paged report: JSON with `next`, or CSV with the header row on the first page only and `x-next-page`. */
function answerPage<Row>(request: { query: { format?: string; after?: string }; headers: Record<string, string | undefined> }, name: string, columns: CsvColumns<Row>, page: ReportPage<Row>): HttpResult {
  const next = page.next === undefined ? {} : { next: page.next };
  const { format } = parseQuery(formatSchema, { format: request.query.format });
  if (!wantsCsv(format, request.headers.accept)) return json(200, { rows: page.rows, ...next });
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}.csv"`,
      ...(page.next === undefined ? {} : { 'x-next-page': page.next }),
    },
    body: csvText(columns, page.rows, request.query.after === undefined),
  };
}

const stockColumns = (byLocation: boolean): CsvColumns<StockOnHandRow> => [
  ['storeId', (row) => row.storeId],
  ['itemId', (row) => row.itemId],
  ...(byLocation ? [['locationId', (row: StockOnHandRow) => row.locationId] as const] : []),
  ['units', (row) => row.units],
  ['value', (row) => row.value],
];

const usageColumns: CsvColumns<UsageRow> = [
  ['storeId', (row) => row.storeId],
  ['itemId', (row) => row.itemId],
  ['month', (row) => row.month],
  ['units', (row) => row.units],
];

export const reportRoutes: AdminRoute[] = [
  route({
    method: 'GET',
    path: '/reports/stock-on-hand',
    summary: 'Stock on hand per item per store (per location with byLocation=true): units (packs × pack size) and value (packs × cost price)',
    operationId: 'getStockOnHand',
    verb: 'stock-on-hand',
    tag,
    query: z.object({ ...common, ...itemQuery, byLocation: queryText('`true`: one row per location (\'\' = no location)'), ...pageQuery }),
    response: z.object({ rows: z.array(stockRowView), next: z.optional(z.string()) }),
    alsoProduces: ['text/csv'],
    run: async (deps, request) => {
      const byLocation = parseQuery(byLocationSchema, { byLocation: request.query.byLocation }).byLocation === 'true';
      const storeIds = storeIdsOf(request.query.storeIds);
      const page = await stockOnHandPage(reportDeps(deps), {
        ...(storeIds ? { storeIds } : {}),
        ...(request.query.itemId ? { itemId: request.query.itemId } : {}),
        byLocation,
        ...pageOf(request.query),
      });
      return answerPage(request, 'stock-on-hand', stockColumns(byLocation), page);
    },
  }),
  route({
    method: 'GET',
    path: '/reports/stock-value',
    summary: 'Value (and units) of stock on hand per store and across the stores asked for (the whole system by default)',
    operationId: 'getStockValue',
    verb: 'stock-value',
    tag,
    query: z.object({ ...common }),
    response: z.object({ units: z.number(), value: z.number(), stores: z.array(storeValueView) }),
    alsoProduces: ['text/csv'],
    run: async (deps, request) => {
      const storeIds = storeIdsOf(request.query.storeIds);
      const report = await stockValue(reportDeps(deps), storeIds ? { storeIds } : {});
      const columns: CsvColumns<{ storeId: string; units: number; value: number }> = [
        ['storeId', (row) => row.storeId],
        ['units', (row) => row.units],
        ['value', (row) => row.value],
      ];
      return answer(request, 'stock-value', columns, report.stores, report);
    },
  }),
  route({
    method: 'GET',
    path: '/reports/monthly-usage',
    summary: 'Units used per item per store per month: lines of confirmed or finalised customer invoices, in the month of their confirm date',
    operationId: 'getMonthlyUsage',
    verb: 'monthly-usage',
    tag,
    query: z.object({ ...common, ...itemQuery, fromMonth: queryText('First month, YYYY-MM'), toMonth: queryText('Last month, YYYY-MM'), ...pageQuery }),
    response: z.object({ rows: z.array(usageRowView), next: z.optional(z.string()) }),
    alsoProduces: ['text/csv'],
    run: async (deps, request) => {
      const months = parseQuery(usageSchema, { fromMonth: request.query.fromMonth, toMonth: request.query.toMonth });
      const storeIds = storeIdsOf(request.query.storeIds);
      const page = await monthlyUsagePage(reportDeps(deps), {
        ...(storeIds ? { storeIds } : {}),
        ...(request.query.itemId ? { itemId: request.query.itemId } : {}),
        ...(months.fromMonth ? { fromMonth: months.fromMonth } : {}),
        ...(months.toMonth ? { toMonth: months.toMonth } : {}),
        ...pageOf(request.query),
      });
      return answerPage(request, 'monthly-usage', usageColumns, page);
    },
  }),
  route({
    method: 'POST',
    path: '/reports/backfill',
    summary: 'Count one page of a store\'s records already held centrally (held before the reports existed); repeat with `after` = `next` until no `next` (privileged)',
    operationId: 'backfillReports',
    verb: 'backfill',
    tag,
    body: backfillBody,
    response: z.object({ storeId: z.string(), records: z.int(), next: z.optional(z.string()) }),
    privileged: true,
    run: async (deps, request) => {
      const body = parseBody(backfillBody, request.body);
      const { projection, centralCopy } = reportDeps(deps);
      if (!projection || !centralCopy) throw new HttpError(503, 'reports_unavailable', 'This server was started without the report back-fill.');
      const page = await backfillStore({ projection, centralCopy }, body.storeId, body.after ? { after: body.after } : {});
      return json(200, { storeId: body.storeId, ...page });
    },
  }),
];
