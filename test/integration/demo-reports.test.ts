/**
 * The demo data npm start loads (config/demo-data.json on config/demo.json), pushed as its sites
 * and routed as the fan-out consumer routes it: every report figure checked against values
 * computed by hand from the file (the working is in the comments; docs/reports.md explains it).
 */
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { importConfigFile } from '../../functions/storage/config-import';
import { writeConfiguredRecords } from '../../functions/services/configured-records';
import { routeRecords } from '../../functions/services/route';
import { backfillStore, monthlyUsage, monthlyUsagePage, stockOnHand, stockOnHandPage, stockValue } from '../../functions/services/reports';
import { DynamoReportFigures } from '../../functions/storage/report-figures';
import { DynamoReportProjection } from '../../functions/storage/report-projection';
import { loadDemoData, readDemoData } from '../../lib/local/demo-data';
import { adaptersFor, createTestResources } from '../support/stand-ins';
import { CollectedWork } from '../support/collected-work';

jest.setTimeout(120_000);

const CONFIG_DIR = path.join(__dirname, '..', '..', 'config');

let deps: { figures: DynamoReportFigures };
let loaded: number;

/** The demo on fresh tables, routed with the reports counted as records are routed, or not. */
async function demo(counted: boolean) {
  const resources = await createTestResources();
  const adapters = adaptersFor(resources);
  const imported = await importConfigFile(adapters.configStore, JSON.parse(readFileSync(path.join(CONFIG_DIR, 'demo.json'), 'utf8')), 'test');
  if (!imported.ok) throw new Error(imported.message);
  const config = await adapters.configStore.load();
  await writeConfiguredRecords(adapters, config);
  const work = new CollectedWork();
  const records = (await loadDemoData({ ...adapters, work }, config, readDemoData(path.join(CONFIG_DIR, 'demo-data.json')))).records;
  const projection = new DynamoReportProjection(resources.db, resources.tables.reports);
  for (const message of work.sent) {
    if (message.kind === 'route') await routeRecords({ ...adapters, ...(counted ? { reports: projection } : {}) }, config, message.keys);
  }
  return { records, projection, centralCopy: adapters.centralCopy, figures: new DynamoReportFigures(resources.db, resources.tables.reports) };
}

beforeAll(async () => {
  const counted = await demo(true);
  loaded = counted.records;
  deps = { figures: counted.figures };
});

test('every demo record is accepted', () => {
  // 5 items + 2 names; Store A 4; Store B 2 locations + 4 stock lines + 4 invoices + 5 lines; Store C 2 + 1 + 2.
  expect(loaded).toBe(7 + 4 + 15 + 5);
});

test('stock on hand per item per store: packs × pack size, value packs × cost price', async () => {
  expect(await stockOnHand(deps)).toEqual([
    { storeId: 'STORE_A', itemId: 'ITM_GAUZE', units: 200, value: 70 }, // 200 × 1; 200 × 0.35
    { storeId: 'STORE_A', itemId: 'ITM_PARA', units: 40_000, value: 310 }, // 40 × 1000; 40 × 7.75
    { storeId: 'STORE_B', itemId: 'ITM_AMOX', units: 1200, value: 149 }, // 10 × 100 + 2 × 100; 10 × 12.5 + 2 × 12
    { storeId: 'STORE_B', itemId: 'ITM_ORS', units: 150, value: 18.6 }, // 3 × 50; 3 × 6.2
    { storeId: 'STORE_B', itemId: 'ITM_PARA', units: 6000, value: 48 }, // 6 × 1000; 6 × 8
    { storeId: 'STORE_C', itemId: 'ITM_ALU', units: 720, value: 165 }, // 30 × 24; 30 × 5.5
    { storeId: 'STORE_C', itemId: 'ITM_AMOX', units: 400, value: 52 }, // 4 × 100; 4 × 13
  ]);
});

test('stock on hand of one item, per location, in one store', async () => {
  expect(await stockOnHand(deps, { storeIds: ['STORE_B'], itemId: 'ITM_AMOX', byLocation: true })).toEqual([
    { storeId: 'STORE_B', itemId: 'ITM_AMOX', locationId: 'LOC_B_SHELF', units: 1000, value: 125 },
    { storeId: 'STORE_B', itemId: 'ITM_AMOX', locationId: 'LOC_B_STORE', units: 200, value: 24 },
  ]);
  expect(await stockOnHand(deps, { itemId: 'ITM_AMOX' })).toEqual([
    { storeId: 'STORE_B', itemId: 'ITM_AMOX', units: 1200, value: 149 },
    { storeId: 'STORE_C', itemId: 'ITM_AMOX', units: 400, value: 52 },
  ]);
});

test('the value of stock on hand across the system and per store', async () => {
  expect(await stockValue(deps)).toEqual({
    units: 48_670, // 40,200 + 7,350 + 1,120
    value: 812.6, // 380 + 215.6 + 217
    stores: [
      { storeId: 'STORE_A', units: 40_200, value: 380 },
      { storeId: 'STORE_B', units: 7350, value: 215.6 },
      { storeId: 'STORE_C', units: 1120, value: 217 },
    ],
  });
  expect(await stockValue(deps, { storeIds: ['STORE_B', 'STORE_C'] })).toMatchObject({ units: 8470, value: 432.6 });
});

test('monthly usage: confirmed and finalised customer invoices (the transfer to Store B included), not drafts or receipts', async () => {
  expect(await monthlyUsage(deps)).toEqual([
    { storeId: 'STORE_A', itemId: 'ITM_PARA', month: '2026-11', units: 5000 }, // INV_A_3001 (fn, to Store B): 5 × 1000
    { storeId: 'STORE_B', itemId: 'ITM_AMOX', month: '2026-10', units: 200 }, // INV_B_1001 (fn): 2 × 100
    { storeId: 'STORE_B', itemId: 'ITM_AMOX', month: '2026-11', units: 100 }, // INV_B_1002 (cn): 1 × 100
    { storeId: 'STORE_B', itemId: 'ITM_PARA', month: '2026-10', units: 1000 }, // INV_B_1001: 1 × 1000
    { storeId: 'STORE_C', itemId: 'ITM_ALU', month: '2026-11', units: 120 }, // INV_C_2001 (fn): 5 × 24
    { storeId: 'STORE_C', itemId: 'ITM_AMOX', month: '2026-11', units: 100 }, // INV_C_2001: 1 × 100
  ]); // INV_B_1003 (nw, a draft) and INV_B_1004 (si, a receipt) count nothing
  expect(await monthlyUsage(deps, { itemId: 'ITM_AMOX', fromMonth: '2026-11', toMonth: '2026-11' })).toEqual([
    { storeId: 'STORE_B', itemId: 'ITM_AMOX', month: '2026-11', units: 100 },
    { storeId: 'STORE_C', itemId: 'ITM_AMOX', month: '2026-11', units: 100 },
  ]);
});

test('read a page at a time (whole stores), the reports join to the same rows', async () => {
  const pages: string[][] = [];
  const joined = [];
  let after: string | undefined;
  do {
    const page = await stockOnHandPage(deps, { byLocation: true, maxRows: 2, ...(after ? { after } : {}) });
    pages.push([...new Set(page.rows.map((row) => row.storeId))]);
    joined.push(...page.rows);
    after = page.next;
  } while (after);
  // Store A has 2 lines (a page); B's 4 (Amoxicillin in two locations) stay together past the limit; then C.
  expect(pages).toEqual([['STORE_A'], ['STORE_B'], ['STORE_C']]);
  expect(joined).toEqual(await stockOnHand(deps, { byLocation: true }));
  const first = await monthlyUsagePage(deps, { maxRows: 3 });
  expect(first).toEqual({ rows: (await monthlyUsage(deps)).slice(0, 4), next: 'STORE_B' });
  expect((await monthlyUsagePage(deps, { maxRows: 3, after: 'STORE_B' })).rows).toEqual((await monthlyUsage(deps)).slice(4));
});

test('a back-fill counts records held before the reports, page by page, and counts nothing twice', async () => {
  const held = await demo(false);
  expect((await stockValue({ figures: held.figures })).value).toBe(0);
  const backfill = async () => {
    for (const storeId of ['STORE_A', 'STORE_B', 'STORE_C']) {
      let after: string | undefined;
      do after = (await backfillStore(held, storeId, { limit: 4, ...(after ? { after } : {}) })).next;
      while (after);
    }
  };
  await backfill();
  await backfill();
  const figures = { figures: held.figures };
  expect(await stockValue(figures)).toEqual(await stockValue(deps));
  expect(await stockOnHand(figures, { byLocation: true })).toEqual(await stockOnHand(deps, { byLocation: true }));
  expect(await monthlyUsage(figures)).toEqual(await monthlyUsage(deps));
  expect((await stockValue(figures)).value).toBe(812.6);
});
