/**
 * The central reports over one, several or all stores (docs/reports.md): stock on hand per item
 * per store (or per location), the value of stock on hand, and monthly usage per item per store.
 * Each reads figures kept up to date as records are routed (storage/report-projection.ts), one
 * partition per store; a merged-away item's figures are shown under the item kept.
 */
import type { CentralCopy } from '../domain/ports';
import { exact, reportedItem } from '../domain/reports/contributions';
import type { ReportFigures, ReportProjection } from '../domain/reports/ports';

export interface ReportDeps {
  readonly figures: ReportFigures;
  /** Back-filling counts records already held; without these, it is unavailable. */
  readonly projection?: ReportProjection;
  readonly centralCopy?: CentralCopy;
}

export interface StockOnHandRow {
  readonly storeId: string;
  readonly itemId: string;
  /** Only when asked `byLocation`: '' for stock kept in no location. */
  readonly locationId?: string;
  readonly units: number;
  readonly value: number;
}

export interface StockValueReport {
  readonly units: number;
  readonly value: number;
  readonly stores: ReadonlyArray<{ readonly storeId: string; readonly units: number; readonly value: number }>;
}

export interface UsageRow {
  readonly storeId: string;
  readonly itemId: string;
  /** `YYYY-MM` */
  readonly month: string;
  readonly units: number;
}

/** Rows a page of a report holds, about: a page ends after the store that reaches it. */
export const REPORT_PAGE_ROWS = 10_000;

export interface ReportPageOptions {
  /** The `next` of the previous page: the last store it held. */
  readonly after?: string;
  /** Rows per page, about (whole stores are kept together). @default REPORT_PAGE_ROWS */
  readonly maxRows?: number;
}

export interface ReportPage<Row> {
  readonly rows: Row[];
  /** Present when stores remain: pass it as `after` for the next page. */
  readonly next?: string;
}

type StockOptions = { readonly storeIds?: readonly string[]; readonly itemId?: string; readonly byLocation?: boolean };
type UsageOptions = { readonly storeIds?: readonly string[]; readonly itemId?: string; readonly fromMonth?: string; readonly toMonth?: string };

/** Stock on hand per item (per location when asked) per store; rows holding nothing are left out. */
export async function stockOnHand(deps: ReportDeps, options: StockOptions = {}): Promise<StockOnHandRow[]> {
  return (await stockOnHandPage(deps, { ...options, maxRows: Infinity })).rows;
}

/** One page of stock on hand, whole stores in store id order, rows in (store, item, location) order. */
export async function stockOnHandPage(deps: ReportDeps, options: StockOptions & ReportPageOptions = {}): Promise<ReportPage<StockOnHandRow>> {
  const merged = await deps.figures.mergedItems();
  const itemIds = options.itemId === undefined ? undefined : itemsReportedAs(options.itemId, merged);
  return pageOfStores(deps, options, async (storeId) => {
    const rows = new Map<string, StockOnHandRow>();
    for (const figure of await deps.figures.stock(storeId, itemIds)) {
      const itemId = reportedItem(figure.itemId, merged);
      const row = options.byLocation ? { storeId, itemId, locationId: figure.locationId } : { storeId, itemId };
      const key = JSON.stringify(row);
      const before = rows.get(key) ?? { ...row, units: 0, value: 0 };
      rows.set(key, { ...before, units: exact(before.units + figure.units), value: exact(before.value + figure.value) });
    }
    return [...rows.values()].filter((row) => row.units !== 0 || row.value !== 0).sort(byKeys('storeId', 'itemId', 'locationId'));
  });
}

/** The value (and units) of stock on hand per store and over all the stores asked for. */
export async function stockValue(deps: ReportDeps, options: { readonly storeIds?: readonly string[] } = {}): Promise<StockValueReport> {
  const wanted = options.storeIds ? new Set(options.storeIds) : undefined;
  const stores = (await deps.figures.storeValues())
    .filter((figure) => !wanted || wanted.has(figure.storeId))
    .filter((figure) => figure.units !== 0 || figure.value !== 0)
    .map(({ storeId, units, value }) => ({ storeId, units, value }))
    .sort(byKeys('storeId'));
  return {
    units: exact(stores.reduce((sum, store) => sum + store.units, 0)),
    value: exact(stores.reduce((sum, store) => sum + store.value, 0)),
    stores,
  };
}

/** Units used per item per store per month (`YYYY-MM`, both ends included); zero months left out. */
export async function monthlyUsage(deps: ReportDeps, options: UsageOptions = {}): Promise<UsageRow[]> {
  return (await monthlyUsagePage(deps, { ...options, maxRows: Infinity })).rows;
}

/** One page of monthly usage, whole stores in store id order, rows in (store, item, month) order. */
export async function monthlyUsagePage(deps: ReportDeps, options: UsageOptions & ReportPageOptions = {}): Promise<ReportPage<UsageRow>> {
  const merged = await deps.figures.mergedItems();
  return pageOfStores(deps, options, async (storeId) => {
    const rows = new Map<string, UsageRow>();
    for (const figure of await deps.figures.usage(storeId, options.fromMonth, options.toMonth)) {
      const itemId = reportedItem(figure.itemId, merged);
      if (options.itemId !== undefined && itemId !== reportedItem(options.itemId, merged)) continue;
      const key = JSON.stringify([itemId, figure.month]);
      const units = exact((rows.get(key)?.units ?? 0) + figure.units);
      rows.set(key, { storeId, itemId, month: figure.month, units });
    }
    return [...rows.values()].filter((row) => row.units !== 0).sort(byKeys('storeId', 'itemId', 'month'));
  });
}

/**
 * The rows of the stores asked for (every store with a figure by default), store by store in id
 * order after `after`, until a store brings the page to `maxRows`: a report over a large system
 * answers in bounded pages instead of one answer too large to send.
 */
async function pageOfStores<Row>(
  deps: ReportDeps,
  options: { readonly storeIds?: readonly string[] } & ReportPageOptions,
  rowsOf: (storeId: string) => Promise<Row[]>,
): Promise<ReportPage<Row>> {
  const maxRows = options.maxRows ?? REPORT_PAGE_ROWS;
  const stores = (await storesOf(deps, options.storeIds)).filter((storeId) => options.after === undefined || storeId > options.after);
  const rows: Row[] = [];
  for (const [index, storeId] of stores.entries()) {
    for (const row of await rowsOf(storeId)) rows.push(row);
    if (rows.length >= maxRows && index < stores.length - 1) return { rows, next: storeId };
  }
  return { rows };
}

/** Records of a store counted per back-fill call: one page of the central copy's store index. */
export const BACKFILL_PAGE = 500;

/**
 * Counts one page of a store's records as the central copy holds them (records held before the
 * reports existed); `next` continues. Idempotent: a version already counted is left as it is.
 */
export async function backfillStore(
  deps: Required<Pick<ReportDeps, 'projection' | 'centralCopy'>>,
  storeId: string,
  options: { readonly after?: string; readonly limit?: number } = {},
): Promise<{ readonly records: number; readonly next?: string }> {
  const page = await deps.centralCopy.keyedPage({ index: 'byStore', value: storeId }, options.limit ?? BACKFILL_PAGE, options.after);
  await deps.projection.project(page.records.map(({ record }) => record));
  const last = page.records.at(-1);
  return { records: page.records.length, ...(page.more && last ? { next: last.key } : {}) };
}

async function storesOf(deps: ReportDeps, storeIds: readonly string[] | undefined): Promise<string[]> {
  return (storeIds ? [...new Set(storeIds)] : await deps.figures.stores()).sort();
}

/** The item and every item merged (directly or not) into it. */
function itemsReportedAs(itemId: string, merged: ReadonlyMap<string, string>): string[] {
  const target = reportedItem(itemId, merged);
  return [target, ...[...merged.keys()].filter((removed) => reportedItem(removed, merged) === target)];
}

function byKeys<T>(...keys: ReadonlyArray<keyof T>) {
  return (a: T, b: T) => {
    for (const key of keys) {
      const left = String(a[key] ?? '');
      const right = String(b[key] ?? '');
      if (left !== right) return left < right ? -1 : 1;
    }
    return 0;
  };
}
