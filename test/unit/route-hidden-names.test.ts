/**
 * Routing a store record that names a name its destination sites do not hold (hidden in the store
 * since it traded with it) sends the name along to each of them, with one read of the central
 * copy however many sites lack it: no round trip per destination site.
 */
import type { CentralCopy, RecordKey, StoredRecord } from '../../functions/domain/ports';
import { recordKeyString } from '../../functions/domain/ports';
import { planRoutes } from '../../functions/services/route';
import { configOf } from '../support/config-of';

const COLLECTORS = [3, 4, 5, 6];
const config = configOf({
  sites: [
    { siteId: 1, name: 'central', code: 'C', kind: 'central' },
    ...[2, ...COLLECTORS].map((siteId) => ({ siteId, name: `site-${siteId}`, code: `S${siteId}`, kind: 'desktop' as const })),
  ],
  stores: [
    { id: 'STORE_X', code: 'X', name: 'Store X', nameId: 'NAME_X', mode: 'store', activeSiteId: 2, syncWith: Object.fromEntries(COLLECTORS.map((siteId) => [String(siteId), 'activeCollector' as const])) },
    // Each collector's own store, which sees store X (a collector must).
    ...COLLECTORS.map((siteId) => ({ id: `STORE_${siteId}`, code: `S${siteId}`, name: `Store ${siteId}`, nameId: `NAME_${siteId}`, mode: 'store' as const, activeSiteId: siteId })),
  ],
  visibility: COLLECTORS.map((siteId) => ({ storeId: `STORE_${siteId}`, nameId: 'NAME_X' })),
  preferences: { primarySiteId: null, centralisedProcurement: false, centralisedPayments: false },
});

const hiddenCustomer: StoredRecord = {
  tableName: 'name',
  recordId: 'HIDDEN_CUSTOMER',
  action: 'update',
  recordData: { ID: 'HIDDEN_CUSTOMER', name: 'Hidden customer', type: 'facility', customer: true },
  placement: { dataClass: 'central', flags: [] },
  originSiteId: 1,
  changeId: '1:a',
  version: 3,
  routedVersion: 3,
};

const invoice: StoredRecord = {
  tableName: 'transact',
  recordId: 'INVOICE_1',
  action: 'update',
  recordData: { ID: 'INVOICE_1', store_ID: 'STORE_X', name_ID: 'HIDDEN_CUSTOMER', type: 'ci', status: 'nw' },
  placement: { dataClass: 'store', flags: [], storeId: 'STORE_X', counterpartNameId: 'HIDDEN_CUSTOMER' },
  originSiteId: 2,
  changeId: '2:1',
  version: 1,
  routedVersion: 0,
};

test('each collector lacking the invoice\'s customer gets it with the invoice, from one read', async () => {
  const reads: RecordKey[][] = [];
  const centralCopy = {
    get: async (keys: readonly RecordKey[]) => {
      reads.push([...keys]);
      return new Map(keys.filter((key) => key.recordId === hiddenCustomer.recordId).map((key) => [recordKeyString(key), hiddenCustomer]));
    },
  } as unknown as CentralCopy;

  const plan = await planRoutes(centralCopy, config, [invoice]);

  const delivered = (table: string) => plan.deliveries.filter((delivery) => delivery.tableName === table).map((delivery) => delivery.siteId).sort();
  expect(delivered('transact')).toEqual(COLLECTORS);
  expect(delivered('name')).toEqual(COLLECTORS);
  expect(plan.deliveries.find((delivery) => delivery.tableName === 'name')).toMatchObject({ recordId: 'HIDDEN_CUSTOMER', version: 3 });
  expect(reads).toEqual([[{ tableName: 'name', recordId: 'HIDDEN_CUSTOMER' }]]);
});
