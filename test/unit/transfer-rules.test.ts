/**
 * The transfer rules on the seed's example: which headers start which transfer, what the
 * responding half looks like, and when a numbered half is recognised. Pure.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configFromFile } from '../../functions/domain/config/config-file';
import { configFileSchema } from '../../functions/protocol/admin';
import { emptyConfig } from '../../functions/domain/config/model';
import {
  derivedId,
  initiatedTransfer,
  numberedResponse,
  respondingHeader,
  respondingLine,
  transferHeaderFor,
  type TransferKind,
} from '../../functions/domain/transfers/rules';
import { awaitsResponse, linkedElsewhere, siteMadeResponse } from '../../functions/domain/transfers/claims';
import { legacyRecord } from '../support/legacy-records';

const file = configFileSchema.parse(JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config', 'demo.json'), 'utf8')));
const built = configFromFile(emptyConfig(), file, () => 'credential');
if (!built.ok) throw new Error(built.message);
const { config } = built;

const cases: Array<[string, string, Record<string, unknown>, TransferKind | undefined]> = [
  ['a finalised customer invoice B→C', 'transact', { type: 'ci', status: 'fn', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', original_PO_ID: '' }, 'stockTransfer'],
  // From Picked, where a site's own processor would make the inbound shipment (statuses.ts).
  ['a picked customer invoice B→C (confirmed)', 'transact', { type: 'ci', status: 'cn', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', original_PO_ID: '' }, 'stockTransfer'],
  ['a new customer invoice B→C', 'transact', { type: 'ci', status: 'nw', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', original_PO_ID: '' }, undefined],
  ['a suggested customer invoice B→C', 'transact', { type: 'ci', status: 'sg', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', original_PO_ID: '' }, undefined],
  ['an Open mSupply invoice whose om_status says allocated wins over its legacy status', 'transact', { type: 'ci', status: 'cn', om_status: 'ALLOCATED', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', original_PO_ID: '' }, undefined],
  ['an Open mSupply invoice picked (om_status)', 'transact', { type: 'ci', status: 'sg', om_status: 'PICKED', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', original_PO_ID: '' }, 'stockTransfer'],
  ['a cancelled outbound shipment', 'transact', { type: 'ci', status: 'fn', om_status: 'CANCELLED', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', original_PO_ID: '' }, undefined],
  ['a picked supplier return C→B', 'transact', { type: 'sc', status: 'cn', store_ID: 'STORE_C', name_ID: 'NAME_STORE_B', original_PO_ID: '' }, 'customerReturn'],
  ['a confirmed invoice made for a purchase order (stage 2 waits for finalised)', 'transact', { type: 'ci', status: 'cn', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', original_PO_ID: 'PO1' }, undefined],
  ['a finalised supplier credit (return) C→B, status in capitals', 'transact', { type: 'sc', status: 'FN', store_ID: 'STORE_C', name_ID: 'NAME_STORE_B', original_PO_ID: '' }, 'customerReturn'],
  ['a finalised invoice made for a purchase order', 'transact', { type: 'ci', status: 'fn', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', original_PO_ID: 'PO1' }, 'internalGoodsReceived'],
  ['a local transfer B→F (same site)', 'transact', { type: 'ci', status: 'fn', store_ID: 'STORE_B', name_ID: 'NAME_STORE_F', original_PO_ID: '' }, undefined],
  ['an invoice to a customer that is not a store', 'transact', { type: 'ci', status: 'fn', store_ID: 'STORE_B', name_ID: 'SOME_CLINIC', original_PO_ID: '' }, undefined],
  ['a supplier invoice', 'transact', { type: 'si', status: 'fn', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', original_PO_ID: '' }, undefined],
  // A legacy request (no om_created_datetime): its legacy status decides.
  ['a sent request requisition C→B', 'requisition', { type: 'request', status: 'cn', om_created_datetime: '', store_ID: 'STORE_C', name_ID: 'NAME_STORE_B' }, 'requisition'],
  ['a draft request requisition C→B', 'requisition', { type: 'request', status: 'sg', om_created_datetime: '', store_ID: 'STORE_C', name_ID: 'NAME_STORE_B' }, undefined],
  ['an Open mSupply request still a draft (om_status, with om_created_datetime)', 'requisition', { type: 'request', status: 'fn', om_status: 'DRAFT', om_created_datetime: '2026-01-01T10:00:00', store_ID: 'STORE_C', name_ID: 'NAME_STORE_B' }, undefined],
  ['an Open mSupply request sent (om_status)', 'requisition', { type: 'request', status: 'fn', om_status: 'SENT', om_created_datetime: '2026-01-01T10:00:00', store_ID: 'STORE_C', name_ID: 'NAME_STORE_B' }, 'requisition'],
  ['om_status without om_created_datetime is not read (legacy status decides)', 'requisition', { type: 'request', status: 'cn', om_status: 'DRAFT', om_created_datetime: '', store_ID: 'STORE_C', name_ID: 'NAME_STORE_B' }, 'requisition'],
  ['a confirmed purchase order C→B', 'purchase_order', { status: 'cn', store_ID: 'STORE_C', name_ID: 'NAME_STORE_B' }, 'internalOrder'],
  ['a new purchase order C→B', 'purchase_order', { status: 'nw', store_ID: 'STORE_C', name_ID: 'NAME_STORE_B' }, undefined],
];

test.each(cases)('%s', (_name, table, fields, kind) => {
  const header = legacyRecord(table, 'H1', fields).recordData;
  const transfer = initiatedTransfer(table, header, config);
  expect(transfer?.kind).toBe(kind);
  if (transfer) expect(transfer.respondingId).toBe(derivedId(kind!, 'H1'));
});

test('a customer return becomes a customer credit in the other store, numbered -1, on hold, linked', () => {
  const header = legacyRecord('transact', 'SC1', { type: 'sc', status: 'fn', store_ID: 'STORE_C', name_ID: 'NAME_STORE_B', original_PO_ID: '', om_type: 'SUPPLIER_RETURN' }).recordData;
  const transfer = initiatedTransfer('transact', header, config)!;
  const responding = respondingHeader(transfer, header);
  expect(responding).toMatchObject({ type: 'cc', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', invoice_num: -1, hold: true, linked_transaction_id: 'SC1' });
  // Only the status a site's own processor would give it: the initiating store's own om_ fields stay there.
  expect(Object.entries(responding).filter(([field]) => field.startsWith('om_'))).toEqual([['om_status', 'SHIPPED']]);
  expect(respondingHeader(transfer, { ...header, status: 'cn' })).toMatchObject({ status: 'nw', om_status: 'PICKED' });
  const line = respondingLine(transfer, legacyRecord('trans_line', 'L1', { transaction_ID: 'SC1', type: 'stock_out' }).recordData, 'L1');
  expect(line).toMatchObject({ transaction_ID: transfer.respondingId, type: 'stock_in', item_line_ID: '', linked_trans_line_ID: 'L1' });
});

test('a numbered responding half is recognised only with the id this server derived', () => {
  const ours = { ID: derivedId('stockTransfer', 'CI1'), type: 'si', store_ID: 'STORE_C', name_ID: 'NAME_STORE_B', invoice_num: 12, linked_transaction_id: 'CI1' };
  expect(numberedResponse('transact', ours, config)).toMatchObject({ number: 12, transfer: { kind: 'stockTransfer', initiatingStore: { id: 'STORE_B' } } });
  expect(numberedResponse('transact', { ...ours, invoice_num: -1 }, config)).toBeUndefined();
  expect(numberedResponse('transact', { ...ours, ID: 'SOMEONE_ELSES' }, config)).toBeUndefined();
});

test('a line of an initiating header asks for its header; a line of any other header asks nothing', () => {
  const headers: Record<string, Record<string, unknown>> = {
    CI1: { ID: 'CI1', type: 'ci', status: 'fn', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C' },
    CI2: { ID: 'CI2', type: 'ci', status: 'nw', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C' },
  };
  const lookup = (_table: string, id: string) => headers[id];
  expect(transferHeaderFor({ tableName: 'trans_line', recordId: 'L1', recordData: { transaction_ID: 'CI1' } }, lookup, config)).toEqual({ tableName: 'transact', recordId: 'CI1' });
  expect(transferHeaderFor({ tableName: 'trans_line', recordId: 'L2', recordData: { transaction_ID: 'CI2' } }, lookup, config)).toBeUndefined();
  expect(transferHeaderFor({ tableName: 'item_line', recordId: 'X', recordData: { store_ID: 'STORE_B' } }, lookup, config)).toBeUndefined();
});

describe('claims (functions/domain/transfers/claims.ts)', () => {
  const ci = { ID: 'CI9', type: 'ci', status: 'cn', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', original_PO_ID: '', linked_transaction_id: '' };

  test('a picked invoice to a store on another site waits for its responding half at that site; a new one, a local one and an internal order do not', () => {
    expect(awaitsResponse('transact', ci, config)).toBe(3);
    expect(awaitsResponse('transact', { ...ci, status: 'nw' }, config)).toBeUndefined();
    expect(awaitsResponse('transact', { ...ci, name_ID: 'NAME_STORE_F' }, config)).toBeUndefined();
    expect(awaitsResponse('purchase_order', { ID: 'PO1', status: 'cn', store_ID: 'STORE_C', name_ID: 'NAME_STORE_B' }, config)).toBeUndefined();
  });

  test('a half a site made is recognised by its link and an id the server did not derive', () => {
    expect(siteMadeResponse('transact', 'SITE_SI', { type: 'si', linked_transaction_id: 'CI9' })).toEqual({
      initiating: { tableName: 'transact', recordId: 'CI9' },
      claim: { respondingTable: 'transact', respondingId: 'SITE_SI' },
    });
    expect(siteMadeResponse('transact', derivedId('stockTransfer', 'CI9'), { type: 'si', linked_transaction_id: 'CI9' })).toBeUndefined();
    expect(siteMadeResponse('transact', 'SITE_CC', { type: 'cc', linked_transaction_id: 'SC9' })?.initiating).toEqual({ tableName: 'transact', recordId: 'SC9' });
    expect(siteMadeResponse('requisition', 'SITE_RS', { type: 'response', linked_requisition_id: 'RQ9' })?.initiating).toEqual({ tableName: 'requisition', recordId: 'RQ9' });
    expect(siteMadeResponse('transact', 'SITE_SI', { type: 'si', linked_transaction_id: '' })).toBeUndefined();
    expect(siteMadeResponse('transact', 'A_CI', { type: 'ci', linked_transaction_id: 'CI9' })).toBeUndefined();
  });

  test('an initiating header linked to a half that is not the server\'s is answered elsewhere', () => {
    const transfer = initiatedTransfer('transact', ci, config)!;
    expect(linkedElsewhere(transfer, ci)).toBe(false);
    expect(linkedElsewhere(transfer, { ...ci, linked_transaction_id: transfer.respondingId })).toBe(false);
    expect(linkedElsewhere(transfer, { ...ci, linked_transaction_id: 'SITE_SI' })).toBe(true);
  });
});
