/**
 * Central reports, property-based, on DynamoDB Local: random sequences of pushes (inserts,
 * updates, deletes of stock lines, transactions and their lines, item merges) and store moves go
 * through `acceptPush` and `routeRecords`, each routing work delivered once, twice, or twice at
 * the same time. After every step the reports (services/reports.ts) must equal a recomputation
 * from the central copy by the oracle below, written from docs/reports.md without the domain's
 * projection code.
 */
import fc from 'fast-check';
import { applyCommand, type SyncConfig } from '../../functions/domain/config';
import { configFromFile } from '../../functions/domain/config/config-file';
import { emptyConfig } from '../../functions/domain/config/model';
import type { RecordKey, StoredRecord } from '../../functions/domain/ports';
import type { ConfigFile } from '../../functions/protocol/admin';
import { acceptPush, type PushedRecord } from '../../functions/services/push';
import { monthlyUsage, stockOnHand, stockValue } from '../../functions/services/reports';
import { routeRecords } from '../../functions/services/route';
import { DynamoReportFigures } from '../../functions/storage/report-figures';
import { DynamoReportProjection } from '../../functions/storage/report-projection';
import { adaptersFor, createTestResources } from '../support/stand-ins';
import { CollectedWork } from '../support/collected-work';

const RUNS = 12;
jest.setTimeout(300_000);

let adapters: ReturnType<typeof adaptersFor>;
let projection: DynamoReportProjection;
let figures: DynamoReportFigures;
beforeAll(async () => {
  const resources = await createTestResources();
  adapters = adaptersFor(resources);
  projection = new DynamoReportProjection(resources.db, resources.tables.reports);
  figures = new DynamoReportFigures(resources.db, resources.tables.reports);
});

const STORES = ['S1', 'S2', 'S3'] as const;
const ITEMS = ['I1', 'I2', 'I3'] as const;
const STOCK_LINES = ['L1', 'L2', 'L3', 'L4'] as const;
const HEADERS = ['T1', 'T2', 'T3'] as const;
const LINES = ['X1', 'X2', 'X3', 'X4', 'X5'] as const;

type Op =
  | { readonly kind: 'stock'; readonly id: string; readonly store: number; readonly item: number; readonly location: string; readonly quantity: number; readonly packSize: number; readonly cost: number }
  | { readonly kind: 'header'; readonly id: string; readonly store: number; readonly type: string; readonly status: string; readonly confirmDate: string }
  /**
   * A line; when the test has not pushed its header, the header comes in the same batch (a
   * finalised customer invoice of `store`), or with `headerLater` only when a header op pushes it.
   */
  | { readonly kind: 'line'; readonly id: string; readonly header: string; readonly store: number; readonly item: number; readonly type: string; readonly quantity: number; readonly packSize: number; readonly headerLater: boolean }
  | { readonly kind: 'delete'; readonly table: 'item_line' | 'transact' | 'trans_line'; readonly id: string }
  /** M1 always merges I2 away, M2 always I3 (each kept item chosen): an item is merged away by one record only. */
  | { readonly kind: 'merge'; readonly id: 'M1' | 'M2'; readonly keep: number };

type Step = { readonly kind: 'push'; readonly ops: readonly Op[]; readonly delivery: 'once' | 'twice' | 'together' } | { readonly kind: 'move'; readonly store: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('stock' as const),
      id: fc.constantFrom(...STOCK_LINES),
      store: fc.nat({ max: 2 }),
      item: fc.nat({ max: 2 }),
      location: fc.constantFrom('', 'LOC1'),
      quantity: fc.integer({ min: -5, max: 40 }),
      packSize: fc.constantFrom(0, 1, 10),
      cost: fc.constantFrom(0, 1.5, 2.25, 0.1),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('header' as const),
      id: fc.constantFrom(...HEADERS),
      store: fc.nat({ max: 2 }),
      type: fc.constantFrom('ci', 'ci', 'si'),
      status: fc.constantFrom('nw', 'cn', 'fn', 'FN', 'fn'),
      confirmDate: fc.constantFrom('2026-01-15', '2026-02-28', '0000-00-00'),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('line' as const),
      id: fc.constantFrom(...LINES),
      header: fc.constantFrom(...HEADERS),
      store: fc.nat({ max: 2 }),
      item: fc.nat({ max: 2 }),
      type: fc.constantFrom('stock_out', 'stock_out', 'stock_in', 'placeholder'),
      quantity: fc.integer({ min: 0, max: 30 }),
      packSize: fc.constantFrom(1, 2, 0),
      headerLater: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.record({ kind: fc.constant('delete' as const), table: fc.constant('item_line' as const), id: fc.constantFrom(...STOCK_LINES) }),
      fc.record({ kind: fc.constant('delete' as const), table: fc.constant('transact' as const), id: fc.constantFrom(...HEADERS) }),
      fc.record({ kind: fc.constant('delete' as const), table: fc.constant('trans_line' as const), id: fc.constantFrom(...LINES) }),
    ),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('merge' as const), id: fc.constantFrom('M1' as const, 'M2' as const), keep: fc.nat({ max: 1 }) }) },
);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('push' as const), ops: fc.array(opArb, { minLength: 1, maxLength: 4 }), delivery: fc.constantFrom('once' as const, 'twice' as const, 'together' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('move' as const), store: fc.nat({ max: 2 }) }) },
);

let runCounter = 0;

test('the reports equal a recomputation from the central copy after any sequence of pushes, redeliveries and store moves', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 12 }), async (steps) => {
      const run = new Run(`r${++runCounter}x${Date.now().toString(36)}_`);
      await run.start();
      for (const step of steps) {
        if (step.kind === 'move') run.move(step.store);
        else await run.push(step.ops, step.delivery);
        await run.check();
      }
    }),
    { numRuns: RUNS },
  );
});

class Run {
  private config: SyncConfig;
  private change = 0;
  /** What the test last pushed per record, to pick the pushing site and a delete's data. */
  private readonly latest = new Map<string, Record<string, unknown>>();

  constructor(private readonly p: string) {
    const file = {
      sites: [
        { siteId: 1, name: `${p}central`, code: 'C', kind: 'central' },
        { siteId: 2, name: `${p}two`, code: 'TWO', kind: 'desktop' },
        { siteId: 3, name: `${p}three`, code: 'THREE', kind: 'desktop' },
      ],
      stores: STORES.map((store, i) => ({ id: this.store(i), code: store, name: store, nameId: `${p}N_${store}`, mode: 'store', activeSiteId: i === 2 ? 3 : 2, syncWith: {} })),
      visibility: [],
      preferences: { primarySiteId: 2 },
      users: [],
    } as unknown as ConfigFile;
    const built = configFromFile(emptyConfig(), file, (password) => password);
    if (!built.ok) throw new Error(built.message);
    this.config = built.config;
  }

  store = (index: number) => `${this.p}${STORES[index]}`;
  item = (index: number) => `${this.p}${ITEMS[index]}`;
  id = (id: string) => `${this.p}${id}`;

  /** The items, from the primary site, so merges have both records to name. */
  async start() {
    await this.pushFrom(2, ITEMS.map((_, i) => ({ tableName: 'item', recordId: this.item(i), action: 'insert' as const, recordData: { ID: this.item(i), code: ITEMS[i], item_name: ITEMS[i] } })), 'once');
  }

  move(storeIndex: number) {
    const storeId = this.store(storeIndex);
    const to = this.config.stores[storeId]!.activeSiteId === 2 ? 3 : 2;
    const moved = applyCommand(this.config, { type: 'setActiveSite', storeId, siteId: to });
    if (!moved.ok) throw new Error(moved.message);
    this.config = moved.config;
  }

  async push(ops: readonly Op[], delivery: 'once' | 'twice' | 'together') {
    // One batch per pushing site: the active site of each record's store.
    const bySite = new Map<number, Array<Omit<PushedRecord, 'syncOutId'>>>();
    const expanded: Op[] = [];
    for (const op of ops) {
      const headerKnown = op.kind !== 'line' || this.latest.has(`transact/${this.id(op.header)}`) || expanded.some((o) => o.kind === 'header' && o.id === op.header);
      if (op.kind === 'line' && !headerKnown && !op.headerLater) expanded.push({ kind: 'header', id: op.header, store: op.store, type: 'ci', status: 'fn', confirmDate: '2026-02-10' });
      expanded.push(op);
    }
    for (const op of expanded) {
      const record = this.recordOf(op);
      if (!record) continue;
      const siteId = this.siteOf(record.tableName, record.recordData ?? {});
      bySite.set(siteId, [...(bySite.get(siteId) ?? []), record]);
      if (record.action !== 'delete' && record.action !== 'merge') this.latest.set(`${record.tableName}/${record.recordId}`, record.recordData!);
    }
    for (const [siteId, records] of bySite) await this.pushFrom(siteId, records, delivery);
  }

  private recordOf(op: Op): Omit<PushedRecord, 'syncOutId'> | undefined {
    switch (op.kind) {
      case 'stock': {
        const data = { ID: this.id(op.id), store_ID: this.store(op.store), item_ID: this.item(op.item), location_ID: op.location, quantity: op.quantity, pack_size: op.packSize, cost_price: op.cost };
        return { tableName: 'item_line', recordId: this.id(op.id), action: this.latest.has(`item_line/${this.id(op.id)}`) ? 'update' : 'insert', recordData: data };
      }
      case 'header': {
        const data = { ID: this.id(op.id), store_ID: this.store(op.store), name_ID: '', type: op.type, status: op.status, confirm_date: op.confirmDate, entry_date: '2026-03-09' };
        return { tableName: 'transact', recordId: this.id(op.id), action: 'update', recordData: data };
      }
      case 'line': {
        const data = { ID: this.id(op.id), transaction_ID: this.id(op.header), item_ID: this.item(op.item), type: op.type, quantity: op.quantity, pack_size: op.packSize };
        return { tableName: 'trans_line', recordId: this.id(op.id), action: 'update', recordData: data };
      }
      case 'delete': {
        const data = this.latest.get(`${op.table}/${this.id(op.id)}`);
        if (!data) return undefined;
        this.latest.delete(`${op.table}/${this.id(op.id)}`);
        return { tableName: op.table, recordId: this.id(op.id), action: 'delete', recordData: data };
      }
      case 'merge': {
        const remove = op.id === 'M1' ? 1 : 2;
        const keep = [0, 1, 2].filter((i) => i !== remove)[op.keep]!;
        return { tableName: 'item', recordId: this.id(op.id), action: 'merge', recordData: { ID: this.id(op.id), mergeIdToKeep: this.item(keep), mergeIdToDelete: this.item(remove) } };
      }
    }
  }

  /** The active site of the record's store (a line's: its header's, as last pushed); items: the primary. */
  private siteOf(tableName: string, data: Record<string, unknown>): number {
    if (tableName === 'item') return 2;
    const storeId = tableName === 'trans_line' ? this.latest.get(`transact/${data.transaction_ID as string}`)?.store_ID : data.store_ID;
    return typeof storeId === 'string' ? this.config.stores[storeId]!.activeSiteId : 2;
  }

  private async pushFrom(siteId: number, records: ReadonlyArray<Omit<PushedRecord, 'syncOutId'>>, delivery: 'once' | 'twice' | 'together') {
    const work = new CollectedWork();
    const pushed = records.map((record) => ({ ...record, syncOutId: `${this.p}${++this.change}` }));
    await acceptPush({ ...adapters, work, now: () => new Date(), newId: () => `${this.p}w${++this.change}` }, this.config, siteId, pushed);
    const deps = { centralCopy: adapters.centralCopy, outgoing: adapters.outgoing, changeLog: adapters.changeLog, reports: projection };
    for (const message of work.sent) {
      if (message.kind !== 'route') continue;
      const route = () => routeRecords(deps, this.config, message.keys);
      if (delivery === 'together') {
        // Two deliveries of one batch counting at the same moment, as well as routing it.
        const records = [...(await adapters.centralCopy.get(message.keys)).values()];
        await Promise.all([route(), projection.project(records), projection.project(records)]);
      }
      else {
        await route();
        // A redelivery after the records were marked routed, and one as if the mark was lost.
        if (delivery === 'twice') await projection.project([...(await adapters.centralCopy.get(message.keys)).values()]);
      }
    }
  }

  async check() {
    const stored = await this.centralRecords();
    const expected = oracle(stored);
    const storeIds = STORES.map((_, i) => this.store(i));
    const deps = { figures };
    expect(await stockOnHand(deps, { storeIds, byLocation: true })).toEqual(expected.stockByLocation);
    expect(await stockOnHand(deps, { storeIds })).toEqual(expected.stock);
    const value = await stockValue(deps, { storeIds });
    expect(value.stores).toEqual(expected.values);
    expect(value.value).toBeCloseTo(expected.values.reduce((sum, store) => sum + store.value, 0), 6);
    expect(await monthlyUsage(deps, { storeIds })).toEqual(expected.usage);
    const item = this.item(0);
    expect(await monthlyUsage(deps, { storeIds, itemId: item, fromMonth: '2026-02', toMonth: '2026-03' })).toEqual(
      expected.usage.filter((row) => row.itemId === expected.reported(item) && row.month >= '2026-02' && row.month <= '2026-03'),
    );
  }

  private async centralRecords(): Promise<StoredRecord[]> {
    const keys: RecordKey[] = [
      ...ITEMS.map((_, i) => ({ tableName: 'item', recordId: this.item(i) })),
      ...['M1', 'M2'].map((id) => ({ tableName: 'item', recordId: this.id(id) })),
      ...STOCK_LINES.map((id) => ({ tableName: 'item_line', recordId: this.id(id) })),
      ...HEADERS.map((id) => ({ tableName: 'transact', recordId: this.id(id) })),
      ...LINES.map((id) => ({ tableName: 'trans_line', recordId: this.id(id) })),
    ];
    return [...(await adapters.centralCopy.get(keys)).values()];
  }
}

// ---------------------------------------------------------------------------------------------
// The oracle: docs/reports.md applied to the whole central copy at once.

const round = (value: number) => Math.round(value * 1e6) / 1e6 + 0;
const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const units = (data: Record<string, unknown>) => num(data.quantity) * (num(data.pack_size) || 1);

function oracle(records: readonly StoredRecord[]) {
  const live = records.filter((record) => record.action !== 'delete' && record.recordData);
  const keptFor = new Map<string, string>();
  for (const merge of live.filter((record) => record.tableName === 'item' && record.action === 'merge')) {
    const keep = merge.recordData!.mergeIdToKeep as string;
    const remove = merge.recordData!.mergeIdToDelete as string;
    if (keep !== remove) keptFor.set(remove, keep);
  }
  // Followed to the end of the chain; a cycle of merges stops before an item already passed.
  const reported = (itemId: string) => {
    const passed = new Set([itemId]);
    let id = itemId;
    while (keptFor.has(id) && !passed.has(keptFor.get(id)!)) {
      id = keptFor.get(id)!;
      passed.add(id);
    }
    return id;
  };

  const byLocation = new Map<string, { storeId: string; itemId: string; locationId: string; units: number; value: number }>();
  const byItem = new Map<string, { storeId: string; itemId: string; units: number; value: number }>();
  const byStore = new Map<string, { storeId: string; units: number; value: number }>();
  for (const line of live.filter((record) => record.tableName === 'item_line')) {
    const data = line.recordData!;
    const storeId = data.store_ID as string;
    const itemId = reported(data.item_ID as string);
    const locationId = (data.location_ID as string) ?? '';
    const u = round(units(data));
    const v = round(num(data.quantity) * num(data.cost_price));
    const add = <T extends { units: number; value: number }>(map: Map<string, T>, key: string, empty: T) => {
      const row = map.get(key) ?? empty;
      map.set(key, { ...row, units: round(row.units + u), value: round(row.value + v) });
    };
    add(byLocation, JSON.stringify([storeId, itemId, locationId]), { storeId, itemId, locationId, units: 0, value: 0 });
    add(byItem, JSON.stringify([storeId, itemId]), { storeId, itemId, units: 0, value: 0 });
    add(byStore, storeId, { storeId, units: 0, value: 0 });
  }

  const headers = new Map(live.filter((record) => record.tableName === 'transact').map((record) => [record.recordId, record.recordData!]));
  const usage = new Map<string, { storeId: string; itemId: string; month: string; units: number }>();
  for (const line of live.filter((record) => record.tableName === 'trans_line')) {
    const data = line.recordData!;
    const header = headers.get(data.transaction_ID as string);
    if (!header || data.type !== 'stock_out' || header.type !== 'ci' || !['cn', 'fn'].includes(String(header.status).toLowerCase())) continue;
    const date = header.confirm_date !== '0000-00-00' ? header.confirm_date : header.entry_date;
    const month = (date as string).slice(0, 7);
    const storeId = header.store_ID as string;
    const itemId = reported(data.item_ID as string);
    const key = JSON.stringify([storeId, itemId, month]);
    const row = usage.get(key) ?? { storeId, itemId, month, units: 0 };
    usage.set(key, { ...row, units: round(row.units + round(units(data))) });
  }

  const sorted = <T extends object>(rows: Iterable<T>, keep: (row: T) => boolean, ...keys: Array<keyof T>) =>
    [...rows].filter(keep).sort((a, b) => {
      for (const key of keys) if (a[key] !== b[key]) return String(a[key]) < String(b[key]) ? -1 : 1;
      return 0;
    });
  const holds = (row: { units: number; value: number }) => row.units !== 0 || row.value !== 0;
  return {
    reported,
    stockByLocation: sorted(byLocation.values(), holds, 'storeId', 'itemId', 'locationId'),
    stock: sorted(byItem.values(), holds, 'storeId', 'itemId'),
    values: sorted(byStore.values(), holds, 'storeId'),
    usage: sorted(usage.values(), (row) => row.units !== 0, 'storeId', 'itemId', 'month'),
  };
}
