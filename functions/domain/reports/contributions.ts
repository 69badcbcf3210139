/**
 * What one record version adds to the central reports (docs/reports.md). Pure: a record version
 * (or none: a delete, a record never seen) maps to its contribution, and two contributions of the
 * same record map to the deltas that turn one into the other. Every report figure is the sum of
 * the contributions of the records as the central copy holds them now.
 */
import { reference, legacyDate, type RecordData } from '../legacy-fields';
import type { SyncRecord } from '../ports';

/** Tables whose records count in a report: routing always projects them (services/route.ts). */
export const reportTables: ReadonlySet<string> = new Set(['item_line', 'trans_line', 'transact', 'item']);

/** Location of a stock line that names none. */
export const NO_LOCATION = '';

/** A stock line's stock on hand: units (packs × pack size) and value (packs × cost price per pack). */
export interface StockContribution {
  readonly kind: 'stock';
  readonly storeId: string;
  readonly itemId: string;
  readonly locationId: string;
  readonly units: number;
  readonly value: number;
}

/** A transaction line's units of an item, counted under its header (the header decides the month). */
export interface LineContribution {
  readonly kind: 'line';
  readonly headerId: string;
  readonly itemId: string;
  readonly units: number;
}

/** Whether a transaction header's lines count as usage, and where: `usageKey` ('' = not usage). */
export interface HeaderContribution {
  readonly kind: 'header';
  readonly usageKey: string;
}

/** An item merged into another: reports show the merged-away item's figures under the kept one. */
export interface ItemMergeContribution {
  readonly kind: 'itemMerge';
  readonly keepId: string;
  readonly removeId: string;
}

export type Contribution = StockContribution | LineContribution | HeaderContribution | ItemMergeContribution;

/** The record's contribution now, or undefined when it adds nothing (deleted, not counted). */
export function contributionOf(record: Pick<SyncRecord, 'tableName' | 'action' | 'recordData'> | undefined): Contribution | undefined {
  if (!record || record.action === 'delete' || !record.recordData) return undefined;
  const data = record.recordData;
  switch (record.tableName) {
    case 'item_line':
      return record.action === 'merge' ? undefined : stockOf(data);
    case 'trans_line':
      return record.action === 'merge' ? undefined : lineOf(data);
    case 'transact':
      return record.action === 'merge' ? undefined : { kind: 'header', usageKey: usageKeyOf(data) };
    case 'item':
      return record.action === 'merge' ? itemMergeOf(data) : undefined;
    default:
      return undefined;
  }
}

function stockOf(data: RecordData): StockContribution | undefined {
  const storeId = reference(data, 'store_ID');
  const itemId = reference(data, 'item_ID');
  if (!storeId || !itemId) return undefined;
  const packs = numberOf(data.quantity);
  return {
    kind: 'stock',
    storeId,
    itemId,
    locationId: reference(data, 'location_ID') ?? NO_LOCATION,
    units: exact(packs * packSize(data)),
    value: exact(packs * numberOf(data.cost_price)),
  };
}

/** Lines that move stock out count; placeholders, services and stock coming in do not. */
function lineOf(data: RecordData): LineContribution | undefined {
  const headerId = reference(data, 'transaction_ID');
  const itemId = reference(data, 'item_ID');
  if (!headerId || !itemId || data.type !== 'stock_out') return undefined;
  return { kind: 'line', headerId, itemId, units: exact(numberOf(data.quantity) * packSize(data)) };
}

/**
 * Usage is stock issued to customers (and, in a dispensary, to patients): a customer invoice
 * (`ci`) once confirmed or finalised (`cn`/`fn`: the stock has left the store), in the month of
 * its confirm date (its entry date when it has none).
 */
export function usageKeyOf(data: RecordData): string {
  const storeId = reference(data, 'store_ID');
  const status = typeof data.status === 'string' ? data.status.toLowerCase() : '';
  if (!storeId || data.type !== 'ci' || (status !== 'cn' && status !== 'fn')) return '';
  const month = monthOf(legacyDate(data, 'confirm_date') ?? legacyDate(data, 'entry_date'));
  return month ? usageKey(storeId, month) : '';
}

function itemMergeOf(data: RecordData): ItemMergeContribution | undefined {
  const keepId = reference(data, 'mergeIdToKeep');
  const removeId = reference(data, 'mergeIdToDelete');
  return keepId && removeId && keepId !== removeId ? { kind: 'itemMerge', keepId, removeId } : undefined;
}

const USAGE_KEY_SEPARATOR = '\u0001';

/** Where a header's lines count: store and month (`YYYY-MM`). */
export const usageKey = (storeId: string, month: string): string => `${storeId}${USAGE_KEY_SEPARATOR}${month}`;

export function parseUsageKey(key: string): { storeId: string; month: string } | undefined {
  const at = key.lastIndexOf(USAGE_KEY_SEPARATOR);
  return at < 0 ? undefined : { storeId: key.slice(0, at), month: key.slice(at + 1) };
}

function monthOf(date: string | undefined): string | undefined {
  const match = date === undefined ? null : /^(\d{4})-(\d{2})/.exec(date);
  return match && match[1] !== '0000' && Number(match[2]) >= 1 && Number(match[2]) <= 12 ? `${match[1]}-${match[2]}` : undefined;
}

function packSize(data: RecordData): number {
  const size = numberOf(data.pack_size);
  // A pack size of 0 is the legacy "not set": one unit per pack.
  return size === 0 ? 1 : size;
}

function numberOf(value: unknown): number {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : 0;
  return Number.isFinite(number) ? number : 0;
}

/** Figures kept to 6 decimals, so sums in the store (decimal) and in memory (binary) agree. */
export const exact = (value: number): number => Math.round(value * 1e6) / 1e6 + 0;

/** A change of a store's stock figure for one (item, location). */
export interface StockDelta {
  readonly storeId: string;
  readonly itemId: string;
  readonly locationId: string;
  readonly units: number;
  readonly value: number;
}

/** A change of a header's units of one item. */
export interface LineDelta {
  readonly headerId: string;
  readonly itemId: string;
  readonly units: number;
}

/**
 * The stock deltas that replace `previous` by `next` (a stock line's contributions, or none):
 * the old line taken out, the new one put in, merged where they name the same figure.
 */
export function stockDeltas(previous: Contribution | undefined, next: Contribution | undefined): StockDelta[] {
  const stock = (c: Contribution | undefined) => (c?.kind === 'stock' ? c : undefined);
  return differences(stock(previous), stock(next), ({ storeId, itemId, locationId }) => ({ storeId, itemId, locationId }), ({ units, value }) => ({ units, value }));
}

/** The per-header deltas that replace one line contribution by another. */
export function lineDeltas(previous: Contribution | undefined, next: Contribution | undefined): LineDelta[] {
  const line = (c: Contribution | undefined) => (c?.kind === 'line' ? c : undefined);
  return differences(line(previous), line(next), ({ headerId, itemId }) => ({ headerId, itemId }), ({ units }) => ({ units }));
}

/** `next`'s amounts minus `previous`'s, per figure (what `figureOf` names); unchanged figures left out. */
function differences<C, F extends Record<string, string>, A extends Record<string, number>>(
  previous: C | undefined,
  next: C | undefined,
  figureOf: (contribution: C) => F,
  amountsOf: (contribution: C) => A,
): Array<F & A> {
  const deltas = new Map<string, F & A>();
  for (const [contribution, sign] of [[previous, -1], [next, 1]] as const) {
    if (contribution === undefined) continue;
    const figure = figureOf(contribution);
    const key = JSON.stringify(Object.values(figure));
    const before: Readonly<Record<string, unknown>> = deltas.get(key) ?? {};
    const was = (name: string) => Number(before[name] ?? 0);
    const amounts = Object.fromEntries(Object.entries(amountsOf(contribution)).map(([name, amount]) => [name, exact(was(name) + sign * amount)]));
    deltas.set(key, { ...figure, ...amounts } as F & A);
  }
  return [...deltas.values()].filter((delta) => Object.values(delta).some((value) => typeof value === 'number' && value !== 0));
}

/**
 * True when a contribution is as good as none: it adds to no figure, and any next version's
 * deltas over it are the deltas over nothing (a header that is not usage, a stock line or a
 * transaction line of zero amounts, a record that counts in no report). A record's first version
 * that adds nothing needs no write: nothing older can be counted after it.
 */
export function addsNothing(contribution: Contribution | undefined): boolean {
  if (contribution === undefined) return true;
  if (contribution.kind === 'header') return contribution.usageKey === '';
  if (contribution.kind === 'itemMerge') return false;
  return stockDeltas(contribution, undefined).length === 0 && lineDeltas(contribution, undefined).length === 0;
}

/**
 * Follows merges (kept id of each merged-away id) to the item a figure is reported under; a cycle
 * of merges (never meant, but possible) stops at the last item before one already passed.
 */
export function reportedItem(itemId: string, keptBy: ReadonlyMap<string, string>): string {
  let current = itemId;
  const passed = new Set([itemId]);
  for (let next = keptBy.get(current); next !== undefined && !passed.has(next); next = keptBy.get(current)) {
    current = next;
    passed.add(next);
  }
  return current;
}
