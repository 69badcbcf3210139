/**
 * Transfers between stores on different sites, end to end on the seed's example with remote
 * sites behaving as the Open mSupply client: the central server creates the responding half, routes it, and tells the
 * initiating store once the responding site has numbered it. A local transfer creates nothing.
 */
import { derivedId, respondingLineId } from '../../functions/domain/transfers/rules';
import { legacyRecord } from '../support/legacy-records';
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';

let server: TestSyncServer;

beforeAll(async () => {
  // The stores' names come with the configuration: no import needed for a site to see its stores.
  server = await startTestSyncServer();
});

afterAll(async () => {
  await server?.stop();
});

test('a finalised customer invoice from store B to store C becomes a supplier invoice in C numbered -1, and B hears when C numbers it', async () => {
  const siteB = server.site('remote-site-1');
  const siteC = server.site('remote-site-2');
  await siteB.sync();
  await siteC.sync();

  // Fixture 1 is a finalised customer invoice (fixture 0 is tied to a purchase order).
  const invoice = legacyRecord('transact', 'CI_B_TO_C', { store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', invoice_num: 17 }, 1);
  const lines = [1, 2].map((n) =>
    legacyRecord('trans_line', `CI_B_TO_C_LINE_${n}`, { transaction_ID: 'CI_B_TO_C', item_ID: `ITEM_${n}`, quantity: n * 10, pack_size: 1, type: 'stock_out' }),
  );
  siteB.changes([invoice, ...lines]);
  await siteB.sync();
  await siteC.sync();

  const supplierInvoiceId = derivedId('stockTransfer', 'CI_B_TO_C');
  const made = { type: 'si', store_ID: 'STORE_C', name_ID: 'NAME_STORE_B', linked_transaction_id: 'CI_B_TO_C' };
  // The server's half arrives numbered -1, in the same sync as the outbound shipment, so the
  // site's processor makes no inbound shipment of its own: it numbers the server's.
  const arrived = siteC.receivedLog.filter((record) => record.tableName === 'transact' && record.recordId === supplierInvoiceId);
  expect(arrived.map((record) => record.recordData)).toEqual([expect.objectContaining({ ...made, invoice_num: -1 })]);
  expect(siteC.held('transact', supplierInvoiceId)).toMatchObject({ ...made, invoice_num: expect.any(Number) });
  expect(siteC.held('transact', supplierInvoiceId)!.invoice_num).toBeGreaterThan(0);
  expect(siteC.heldRecords('transact').filter((held) => held.recordData.linked_transaction_id === 'CI_B_TO_C').map((held) => held.recordId)).toEqual([supplierInvoiceId]);
  const received = siteC.heldRecords('trans_line').filter((line) => line.recordData.transaction_ID === supplierInvoiceId);
  expect(received.map((line) => [line.recordData.item_ID, line.recordData.quantity, line.recordData.type]).sort()).toEqual([
    ['ITEM_1', 10, 'stock_in'],
    ['ITEM_2', 20, 'stock_in'],
  ]);
  // The initiating half reaches the responding site too.
  expect(siteC.held('transact', 'CI_B_TO_C')).toMatchObject({ type: 'ci', status: 'fn' });

  // C's site renumbers its half and pushes it back; B's site then receives the log message.
  siteC.change({ tableName: 'transact', recordId: supplierInvoiceId, action: 'update', recordData: { ...siteC.held('transact', supplierInvoiceId)!, invoice_num: 42 } });
  await siteC.sync();
  await siteB.sync();
  const messages = siteB.heldRecords('message');
  expect(messages).toHaveLength(1);
  expect(messages[0]!.recordData).toMatchObject({ toStoreID: 'STORE_B', fromStoreID: 'STORE_C', body: expect.objectContaining({ number: 42, initiatingId: 'CI_B_TO_C' }) });
  expect(siteB.held('transact', supplierInvoiceId)).toMatchObject({ invoice_num: 42 });

  // Pushing the initiating half again (a retry, a later edit) creates nothing new and keeps C's number.
  siteB.change({ ...invoice, recordData: { ...invoice.recordData, comment: 'edited after numbering' } });
  await siteB.sync();
  const stored = await server.adapters.centralCopy.get([{ tableName: 'transact', recordId: supplierInvoiceId }]);
  expect(stored.get(`transact\u0000${supplierInvoiceId}`)?.recordData).toMatchObject({ invoice_num: 42 });
  const lineKeys = lines.map((line) => ({ tableName: 'trans_line', recordId: respondingLineId({ kind: 'stockTransfer', initiatingId: 'CI_B_TO_C' } as never, line.recordId) }));
  expect((await server.adapters.centralCopy.get(lineKeys)).size).toBe(2);
});

test('a sent request requisition from store C to store B becomes a response requisition in B', async () => {
  const siteB = server.site('remote-site-1');
  const siteC = server.site('remote-site-2');
  await siteB.sync();
  await siteC.sync();
  // The fixture is linked to a response already and its Open mSupply status is NEW: a request
  // just sent has no response yet and is SENT.
  const request = legacyRecord('requisition', 'REQ_C_TO_B', {
    store_ID: 'STORE_C',
    name_ID: 'NAME_STORE_B',
    type: 'request',
    status: 'fn',
    om_status: 'SENT',
    serial_number: 3,
    linked_requisition_id: '',
  });
  const line = legacyRecord('requisition_line', 'REQ_C_TO_B_LINE', { requisition_ID: 'REQ_C_TO_B', item_ID: 'ITEM_1', Cust_stock_order: 50 });
  siteC.changes([request, line]);
  await siteC.sync();
  await siteB.sync();
  const responseId = derivedId('requisition', 'REQ_C_TO_B');
  const made = { type: 'response', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', linked_requisition_id: 'REQ_C_TO_B' };
  // The server's half arrives numbered -1; the site's AssignRequisitionNumber processor, run
  // after the sync, gives it the store's next response number, and the site pushes it so.
  const arrived = siteB.receivedLog.filter((record) => record.tableName === 'requisition' && record.recordId === responseId);
  expect(arrived.map((record) => record.recordData)).toEqual([expect.objectContaining({ ...made, serial_number: -1 })]);
  const held = siteB.held('requisition', responseId);
  expect(held).toMatchObject(made);
  expect(held!.serial_number).toBeGreaterThan(0);
  await siteB.sync();
  const stored = (await server.adapters.centralCopy.get([{ tableName: 'requisition', recordId: responseId }])).get(`requisition\u0000${responseId}`);
  expect(stored?.recordData).toMatchObject({ ...made, serial_number: held!.serial_number });
  expect(siteB.heldRecords('requisition_line').filter((held) => held.recordData.requisition_ID === responseId)).toHaveLength(1);
});

test('a local transfer (store B to store F, both on remote site 1) creates nothing', async () => {
  const siteB = server.site('remote-site-1');
  await siteB.sync();
  const invoice = legacyRecord('transact', 'CI_B_TO_F', { store_ID: 'STORE_B', name_ID: 'NAME_STORE_F' }, 1);
  siteB.change(invoice);
  await siteB.sync();
  const created = await server.adapters.centralCopy.get([{ tableName: 'transact', recordId: derivedId('stockTransfer', 'CI_B_TO_F') }]);
  expect(created.size).toBe(0);
  const original = await server.adapters.centralCopy.get([{ tableName: 'transact', recordId: 'CI_B_TO_F' }]);
  expect(original.size).toBe(1);
});

test('an internal requisition: a confirmed purchase order from C to B becomes a customer invoice in B, which finalised becomes goods received in C', async () => {
  const siteB = server.site('remote-site-1');
  const siteC = server.site('remote-site-2');
  await siteB.sync();
  await siteC.sync();

  const order = legacyRecord('purchase_order', 'PO_C_FROM_B', { store_ID: 'STORE_C', name_ID: 'NAME_STORE_B', status: 'cn', serial_number: 8 });
  const orderLines = [1, 2].map((n) =>
    legacyRecord('purchase_order_line', `PO_C_FROM_B_LINE_${n}`, { purchase_order_ID: 'PO_C_FROM_B', store_ID: 'STORE_C', item_ID: `ITEM_${n}`, quan_original_order: 100 * n, quan_adjusted_order: 0 }),
  );
  siteC.changes([order, ...orderLines]);
  await siteC.sync();
  await siteB.sync();

  // Stage 1: the customer invoice in B, numbered -1, one line per order line.
  const invoiceId = derivedId('internalOrder', 'PO_C_FROM_B');
  const invoice = siteB.held('transact', invoiceId);
  expect(invoice).toMatchObject({ type: 'ci', store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', invoice_num: -1, original_PO_ID: 'PO_C_FROM_B' });
  const invoiceLines = siteB.heldRecords('trans_line').filter((line) => line.recordData.transaction_ID === invoiceId);
  expect(invoiceLines.map((line) => [line.recordData.item_ID, line.recordData.quantity]).sort()).toEqual([
    ['ITEM_1', 100],
    ['ITEM_2', 200],
  ]);

  // B numbers it, adds a line and finalises it: stage 2 gives goods received in C, extra line included.
  const extra = legacyRecord('trans_line', 'B_EXTRA_LINE', { transaction_ID: invoiceId, item_ID: 'ITEM_3', quantity: 5, type: 'stock_out' });
  siteB.changes([{ tableName: 'transact', recordId: invoiceId, action: 'update', recordData: { ...invoice!, invoice_num: 31, status: 'fn' } }, extra]);
  await siteB.sync();
  await siteC.sync();

  const goodsReceivedId = derivedId('internalGoodsReceived', invoiceId);
  expect(siteC.held('Goods_received', goodsReceivedId)).toMatchObject({ store_ID: 'STORE_C', purchase_order_ID: 'PO_C_FROM_B', serial_number: -1 });
  const receivedLines = siteC.heldRecords('Goods_received_line').filter((line) => line.recordData.goods_received_ID === goodsReceivedId);
  expect(receivedLines.map((line) => [line.recordData.item_ID, line.recordData.quantity_received]).sort()).toEqual([
    ['ITEM_1', 100],
    ['ITEM_2', 200],
    ['ITEM_3', 5],
  ]);
  // C hears that B numbered the invoice made for its order.
  expect(siteC.heldRecords('message').map((message) => message.recordData.body)).toContainEqual(
    expect.objectContaining({ kind: 'internalOrder', initiatingId: 'PO_C_FROM_B', number: 31 }),
  );
  // The finalised invoice is not also treated as a stock transfer.
  const asStockTransfer = await server.adapters.centralCopy.get([{ tableName: 'transact', recordId: derivedId('stockTransfer', invoiceId) }]);
  expect(asStockTransfer.size).toBe(0);
});

test('centralised procurement: a purchase order entered on the central server for store C; received quantities follow the goods received lines', async () => {
  expect((await server.admin('PATCH', '/preferences', { centralisedProcurement: true })).status).toBe(200);
  try {
    const siteB = server.site('remote-site-1');
    const siteC = server.site('remote-site-2');
    await siteB.sync();
    await siteC.sync();

    const order = legacyRecord('purchase_order', 'CPO_C_FROM_B', { store_ID: 'STORE_C', name_ID: 'NAME_STORE_B', status: 'cn' });
    const orderLine = legacyRecord('purchase_order_line', 'CPO_LINE', { purchase_order_ID: 'CPO_C_FROM_B', store_ID: 'STORE_C', item_ID: 'ITEM_1', quan_original_order: 40, quan_adjusted_order: 0, quan_rec_to_date: 0 });
    const imported = await server.admin('POST', '/records', { records: [order, orderLine] });
    expect(imported.body).toMatchObject({ accepted: 2, refused: [] });

    // The ordering site cannot enter purchase orders itself any more.
    siteC.change({ ...order, recordId: 'CPO_LOCAL', recordData: { ...order.recordData, ID: 'CPO_LOCAL' } });
    await siteC.sync();
    expect((await server.admin('GET', '/quarantine?siteId=3')).body.records).toContainEqual(expect.objectContaining({ recordId: 'CPO_LOCAL', reason: 'not_primary_site' }));

    await waitFor(async () => {
      await siteB.sync();
      return siteB.held('transact', derivedId('internalOrder', 'CPO_C_FROM_B')) !== undefined;
    });
    const invoiceId = derivedId('internalOrder', 'CPO_C_FROM_B');
    siteB.change({ tableName: 'transact', recordId: invoiceId, action: 'update', recordData: { ...siteB.held('transact', invoiceId)!, invoice_num: 9, status: 'fn' } });
    await siteB.sync();

    const orderLineNow = async () =>
      (await server.adapters.centralCopy.get([{ tableName: 'purchase_order_line', recordId: 'CPO_LINE' }])).get('purchase_order_line\u0000CPO_LINE')?.recordData;
    await waitFor(async () => (await orderLineNow())?.quan_rec_to_date === 40);
    await siteC.sync();
    expect(siteC.held('purchase_order_line', 'CPO_LINE')).toMatchObject({ quan_rec_to_date: 40 });

    // C's site corrects the received quantity: the order line follows.
    const goodsReceivedId = derivedId('internalGoodsReceived', invoiceId);
    const receivedLine = siteC.heldRecords('Goods_received_line').find((line) => line.recordData.goods_received_ID === goodsReceivedId)!;
    siteC.change({ tableName: 'Goods_received_line', recordId: receivedLine.recordId, action: 'update', recordData: { ...receivedLine.recordData, quantity_received: 35 } });
    await siteC.sync();
    await waitFor(async () => (await orderLineNow())?.quan_rec_to_date === 35);
  } finally {
    await server.admin('PATCH', '/preferences', { centralisedProcurement: false });
  }
});

async function waitFor(condition: () => Promise<boolean>, attempts = 100) {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('condition not met');
}
