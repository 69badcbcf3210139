/**
 * The reports through the admin handler, on figures held in memory: JSON and CSV, the store,
 * item and month filters, a merged item shown under the item kept, bad queries (400) and a
 * server started without the reports (503).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { ReportFigures, StockFigure, StoreValueFigure, UsageFigure } from '../../functions/domain/reports/ports';
import { createAdminOperationsHandler as createAdminHandler } from '../../functions/handlers/admin-operations';
import type { ConfigStore } from '../../functions/storage/config-store';
import { lambdaContext } from '../../lib/local/http-gateway';

const TOKEN = 'reports-token';

class HeldFigures implements ReportFigures {
  constructor(
    private readonly stockRows: StockFigure[],
    private readonly usageRows: UsageFigure[],
    private readonly merged: Map<string, string>,
  ) {}
  async stores() {
    return [...new Set([...this.stockRows, ...this.usageRows].map((row) => row.storeId))];
  }
  async stock(storeId: string, itemIds?: readonly string[]) {
    return this.stockRows.filter((row) => row.storeId === storeId && (!itemIds || itemIds.includes(row.itemId)));
  }
  async storeValues(): Promise<StoreValueFigure[]> {
    const byStore = new Map<string, StoreValueFigure>();
    for (const row of this.stockRows) {
      const before = byStore.get(row.storeId) ?? { storeId: row.storeId, units: 0, value: 0 };
      byStore.set(row.storeId, { storeId: row.storeId, units: before.units + row.units, value: before.value + row.value });
    }
    return [...byStore.values()];
  }
  async usage(storeId: string, fromMonth = '0000-00', toMonth = '9999-99') {
    return this.usageRows.filter((row) => row.storeId === storeId && row.month >= fromMonth && row.month <= toMonth);
  }
  async mergedItems() {
    return this.merged;
  }
}

const figures = new HeldFigures(
  [
    { storeId: 'S1', itemId: 'AMOX', locationId: 'SHELF', units: 100, value: 12.5 },
    { storeId: 'S1', itemId: 'AMOX', locationId: '', units: 50, value: 6 },
    { storeId: 'S1', itemId: 'AMOX_OLD', locationId: '', units: 10, value: 1 },
    { storeId: 'S2', itemId: 'PARA', locationId: '', units: 1000, value: 8 },
  ],
  [
    { storeId: 'S1', itemId: 'AMOX', month: '2026-10', units: 20 },
    { storeId: 'S1', itemId: 'AMOX_OLD', month: '2026-10', units: 5 },
    { storeId: 'S1', itemId: 'AMOX', month: '2026-11', units: 7 },
    { storeId: 'S2', itemId: 'PARA', month: '2026-11', units: 300 },
  ],
  new Map([['AMOX_OLD', 'AMOX']]),
);

const store = {} as ConfigStore;
const withReports = createAdminHandler({ store, adminToken: async () => TOKEN, reports: { figures } });
const withoutReports = createAdminHandler({ store, adminToken: async () => TOKEN });

async function call(handler: typeof withReports, path: string, headers: Record<string, string> = {}, method = 'GET', body?: unknown) {
  const [rawPath, query] = path.split('?') as [string, string | undefined];
  const event = {
    rawPath: `/admin/v1${rawPath}`,
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
    queryStringParameters: query ? Object.fromEntries(new URLSearchParams(query)) : undefined,
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { http: { method, path: `/admin/v1${rawPath}`, sourceIp: '10.0.0.9' } },
  } as unknown as APIGatewayProxyEventV2;
  const result = (await handler(event, lambdaContext('admin') as Context)) as APIGatewayProxyStructuredResultV2;
  const type = String(result.headers?.['content-type'] ?? '');
  return { status: result.statusCode, type, headers: result.headers ?? {}, body: type.startsWith('application/json') ? JSON.parse(result.body!) : result.body };
}

test('stock on hand per item per store, a merged item under the item kept; per location on request', async () => {
  expect((await call(withReports, '/reports/stock-on-hand')).body).toEqual({
    rows: [
      { storeId: 'S1', itemId: 'AMOX', units: 160, value: 19.5 },
      { storeId: 'S2', itemId: 'PARA', units: 1000, value: 8 },
    ],
  });
  expect((await call(withReports, '/reports/stock-on-hand?storeIds=S1&itemId=AMOX&byLocation=true')).body).toEqual({
    rows: [
      { storeId: 'S1', itemId: 'AMOX', locationId: '', units: 60, value: 7 },
      { storeId: 'S1', itemId: 'AMOX', locationId: 'SHELF', units: 100, value: 12.5 },
    ],
  });
});

test('stock value per store and in all, JSON and CSV', async () => {
  expect((await call(withReports, '/reports/stock-value')).body).toEqual({
    units: 1160,
    value: 27.5,
    stores: [
      { storeId: 'S1', units: 160, value: 19.5 },
      { storeId: 'S2', units: 1000, value: 8 },
    ],
  });
  const csv = await call(withReports, '/reports/stock-value?storeIds=S2', { accept: 'text/csv' });
  expect(csv.type).toContain('text/csv');
  expect(csv.body).toBe('storeId,units,value\r\nS2,1000,8\r\n');
});

test('monthly usage per item per store, within a month range, and as CSV', async () => {
  expect((await call(withReports, '/reports/monthly-usage?itemId=AMOX&fromMonth=2026-10&toMonth=2026-10')).body).toEqual({
    rows: [{ storeId: 'S1', itemId: 'AMOX', month: '2026-10', units: 25 }],
  });
  expect((await call(withReports, '/reports/monthly-usage?storeIds=S1,S2&fromMonth=2026-11&format=csv')).body).toBe(
    'storeId,itemId,month,units\r\nS1,AMOX,2026-11,7\r\nS2,PARA,2026-11,300\r\n',
  );
});

test('pages of whole stores: `limit` rows, about, then `next` (CSV: x-next-page, the header row on the first page only)', async () => {
  // Store S1 has one stock row, S2 one: a page of 1 row ends after S1.
  const first = await call(withReports, '/reports/stock-on-hand?limit=1');
  expect(first.body).toEqual({ rows: [{ storeId: 'S1', itemId: 'AMOX', units: 160, value: 19.5 }], next: 'S1' });
  expect((await call(withReports, `/reports/stock-on-hand?limit=1&after=${first.body.next}`)).body).toEqual({ rows: [{ storeId: 'S2', itemId: 'PARA', units: 1000, value: 8 }] });
  // A store is never split: S1's two locations stay on one page past the limit.
  expect((await call(withReports, '/reports/stock-on-hand?limit=1&byLocation=true')).body).toMatchObject({ rows: [{ locationId: '' }, { locationId: 'SHELF' }], next: 'S1' });

  const usage = await call(withReports, '/reports/monthly-usage?limit=1&format=csv');
  expect(usage.headers['x-next-page']).toBe('S1');
  expect(usage.body).toBe('storeId,itemId,month,units\r\nS1,AMOX,2026-10,25\r\nS1,AMOX,2026-11,7\r\n');
  expect((await call(withReports, '/reports/monthly-usage?limit=1&format=csv&after=S1')).body).toBe('S2,PARA,2026-11,300\r\n');
  // The default page holds both stores.
  expect((await call(withReports, '/reports/monthly-usage')).body.next).toBeUndefined();
  for (const query of ['limit=0', 'limit=x', 'limit=100000', 'after=']) {
    expect({ query, status: (await call(withReports, `/reports/stock-on-hand?${query}`)).status }).toEqual({ query, status: 400 });
  }
});

test('a month that is not YYYY-MM, an unknown format or byLocation value is a 400; without the reports a 503', async () => {
  for (const path of ['/reports/monthly-usage?fromMonth=2026-13', '/reports/monthly-usage?toMonth=November', '/reports/stock-value?format=xml', '/reports/stock-on-hand?byLocation=yes']) {
    const answer = await call(withReports, path);
    expect({ path, status: answer.status, code: answer.body.error?.code ?? answer.body.code }).toEqual({ path, status: 400, code: 'invalid_query' });
  }
  expect((await call(withoutReports, '/reports/stock-value')).status).toBe(503);
  // The back-fill needs the projection and the central copy besides the figures.
  expect((await call(withReports, '/reports/backfill', {}, 'POST', { storeId: 'S1' })).status).toBe(503);
  expect((await call(withReports, '/reports/backfill', {}, 'POST', { storeId: '' })).status).toBe(400);
});
