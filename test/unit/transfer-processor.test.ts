/**
 * The stand-in of a site's transfer processors (lib/remote-site/transfer-processor.ts), case by
 * case against the conditions of the client's processors.
 */
import { processTransfers, type TransferProcessorInput } from '../../lib/remote-site/transfer-processor';

type Data = Record<string, unknown>;
const B = { id: 'STORE_B', nameId: 'NAME_B' };
const C = { id: 'STORE_C', nameId: 'NAME_C' };
const storeRecords: Data[] = [
  { ID: 'STORE_B', name_ID: 'NAME_B', sync_id_remote_site: 2, created_date: '0000-00-00' },
  { ID: 'STORE_C', name_ID: 'NAME_C', sync_id_remote_site: 3, created_date: '0000-00-00' },
];

function run(records: Record<string, Data[]>, activeStores = [C], extra: Partial<TransferProcessorInput> = {}) {
  let ids = 0;
  const held = new Map(Object.entries({ store: storeRecords, ...records }).map(([table, rows]) => [table, new Map(rows.map((row) => [String(row.ID), row]))]));
  return processTransfers({ held, activeStores, newId: () => `NEW${++ids}`, nextNumber: () => 77, now: () => new Date('2026-11-28T10:00:00Z'), ...extra });
}

const outbound = (fields: Data = {}): Data => ({ ID: 'CI1', type: 'ci', status: 'cn', store_ID: 'STORE_B', name_ID: 'NAME_C', invoice_num: 5, linked_transaction_id: '', comment: '', their_ref: '', ...fields });
const lines: Data[] = [
  { ID: 'L1', transaction_ID: 'CI1', type: 'stock_out', item_ID: 'I1', quantity: 3, pack_size: 1, sell_price: 2, cost_price: 1 },
  { ID: 'L2', transaction_ID: 'CI1', type: 'placeholder', item_ID: 'I2', quantity: 1, pack_size: 1 },
];

test('a picked outbound shipment to an active store, unlinked, gets an inbound shipment with its lines', () => {
  const made = run({ transact: [outbound()], trans_line: lines });
  expect(made.map(({ tableName, action }) => [tableName, action])).toEqual([['transact', 'insert'], ['trans_line', 'insert']]);
  expect(made[0]!.recordData).toMatchObject({ type: 'si', status: 'nw', om_status: 'PICKED', store_ID: 'STORE_C', name_ID: 'NAME_B', linked_transaction_id: 'CI1', invoice_num: 77, their_ref: 'From invoice number: 5', comment: 'Stock transfer' });
  expect(made[1]!.recordData).toMatchObject({ transaction_ID: made[0]!.recordId, type: 'stock_in', item_line_ID: '', quantity: 3, cost_price: 2, linked_transact_id: 'CI1' });
});

test.each([
  ['shipped (fn)', { status: 'fn' }, 'SHIPPED'],
  ['om_status wins over the legacy letters', { status: 'sg', om_status: 'SHIPPED' }, 'SHIPPED'],
])('an outbound shipment %s is answered', (_name, fields, status) => {
  expect(run({ transact: [outbound(fields)], trans_line: lines })[0]!.recordData).toMatchObject({ om_status: status });
});

test.each([
  ['new', { status: 'nw' }],
  ['allocated per om_status', { status: 'cn', om_status: 'ALLOCATED' }],
  ['addressed to a store not active here', { name_ID: 'NAME_B', store_ID: 'STORE_C' }],
  ['linked to an invoice the site does not hold', { linked_transaction_id: 'ELSEWHERE' }],
  ['a prescription (dispensary mode)', { mode: 'dispensary' }],
  ['created more than 30 days before the receiving store', { om_created_datetime: '2020-01-01T00:00:00' }],
])('nothing is made for an outbound shipment %s', (_name, fields) => {
  const stores = storeRecords.map((store) => (store.ID === 'STORE_C' ? { ...store, created_date: '2024-06-01' } : store));
  const made = run({ transact: [outbound(fields)], trans_line: lines, store: stores });
  expect(made).toEqual([]);
});

test('a held inbound shipment linked to it stops a second one; numbered -1, the site numbers it', () => {
  const central = { ID: 'SI_CENTRAL', type: 'si', status: 'nw', store_ID: 'STORE_C', name_ID: 'NAME_B', invoice_num: -1, linked_transaction_id: 'CI1' };
  const made = run({ transact: [outbound(), central], trans_line: lines });
  expect(made).toEqual([{ tableName: 'transact', recordId: 'SI_CENTRAL', action: 'update', recordData: { ...central, invoice_num: 77 } }]);
  expect(run({ transact: [outbound(), { ...central, invoice_num: 4 }], trans_line: lines })).toEqual([]);
});

test('only what changed is processed (the change log), when it is given', () => {
  expect(run({ transact: [outbound()], trans_line: lines }, [C], { changed: [{ tableName: 'trans_line', recordId: 'L1' }] })).toEqual([]);
  expect(run({ transact: [outbound()], trans_line: lines }, [C], { changed: [{ tableName: 'transact', recordId: 'CI1' }] })).toHaveLength(2);
});

test('on the initiating site, an inbound shipment links its outbound shipment', () => {
  const inbound = { ID: 'SI1', type: 'si', status: 'nw', store_ID: 'STORE_C', name_ID: 'NAME_B', invoice_num: 9, linked_transaction_id: 'CI1' };
  const made = run({ transact: [outbound({ status: 'fn' }), inbound] }, [B]);
  expect(made).toEqual([{ tableName: 'transact', recordId: 'CI1', action: 'update', recordData: expect.objectContaining({ linked_transaction_id: 'SI1' }) }]);
});

const request = (fields: Data = {}): Data => ({ ID: 'RQ1', type: 'request', status: 'fn', store_ID: 'STORE_B', name_ID: 'NAME_C', serial_number: 8, linked_requisition_id: '', om_created_datetime: '', ...fields });

test('a sent request gets a response with its lines; a draft or linked one does not', () => {
  const requestLines = [{ ID: 'RL1', requisition_ID: 'RQ1', item_ID: 'I1', Cust_stock_order: 10, approved_quantity: 4, actualQuan: 2 }];
  const made = run({ requisition: [request()], requisition_line: requestLines });
  expect(made[0]!.recordData).toMatchObject({ type: 'response', status: 'sg', om_status: 'NEW', store_ID: 'STORE_C', name_ID: 'NAME_B', linked_requisition_id: 'RQ1', serial_number: 77 });
  expect(made[1]!.recordData).toMatchObject({ requisition_ID: made[0]!.recordId, item_ID: 'I1', Cust_stock_order: 10, approved_quantity: 0, actualQuan: 0 });
  expect(run({ requisition: [request({ status: 'sg' })] })).toEqual([]);
  expect(run({ requisition: [request({ om_created_datetime: '2026-01-01T00:00:00', om_status: 'DRAFT' })] })).toEqual([]);
  const response = { ID: 'RS1', type: 'response', status: 'sg', store_ID: 'STORE_C', name_ID: 'NAME_B', linked_requisition_id: 'RQ1' };
  expect(run({ requisition: [request(), response] })).toEqual([]);
});

test('an inbound shipment still picked is remade from its outbound one once that is shipped', () => {
  const picked = { ID: 'SI_CENTRAL', type: 'si', status: 'nw', om_status: 'PICKED', store_ID: 'STORE_C', name_ID: 'NAME_B', invoice_num: 4, linked_transaction_id: 'CI1' };
  const oldLine = { ID: 'OLD_LINE', transaction_ID: 'SI_CENTRAL', type: 'stock_in', item_ID: 'I1', quantity: 1 };
  const made = run({ transact: [outbound({ status: 'fn' }), picked], trans_line: [...lines, oldLine] });
  expect(made.map(({ tableName, recordId, action }) => [tableName, recordId, action])).toEqual([
    ['trans_line', 'OLD_LINE', 'delete'],
    ['trans_line', 'NEW1', 'insert'],
    ['transact', 'SI_CENTRAL', 'update'],
  ]);
  expect(made[1]!.recordData).toMatchObject({ transaction_ID: 'SI_CENTRAL', quantity: 3, type: 'stock_in' });
  expect(made[2]!.recordData).toMatchObject({ om_status: 'SHIPPED', invoice_num: 4, comment: 'Stock transfer' });
  // Already shipped, or the outbound only picked: nothing to redo.
  expect(run({ transact: [outbound({ status: 'cn' }), picked], trans_line: [...lines, oldLine] })).toEqual([]);
  expect(run({ transact: [outbound({ status: 'fn' }), { ...picked, om_status: 'SHIPPED' }], trans_line: [...lines, oldLine] })).toEqual([]);
});
