/**
 * Inter-store transfers (sync-rules §4): which records initiate one, and the responding half the
 * central server creates for the other store. Pure. Ids of everything created are derived from
 * the initiating records, so creating a responding half twice writes the same records.
 */
import { createHash } from 'node:crypto';
import type { Store, SyncConfig } from '../config/model';
import { getStore, storeByNameId } from '../config/queries';
import { reference, type RecordData } from '../legacy-fields';
import { outboundShipmentStatus, requestRequisitionStatus, serverAnswersRequest, serverAnswersShipment } from './statuses';

export const transferKinds = ['internalGoodsReceived', 'stockTransfer', 'customerReturn', 'requisition', 'internalOrder'] as const;
export type TransferKind = (typeof transferKinds)[number];

export interface Transfer {
  readonly kind: TransferKind;
  readonly initiatingStore: Store;
  readonly respondingStore: Store;
  readonly initiatingId: string;
  readonly respondingId: string;
}

interface Half {
  readonly header: string;
  readonly line: string;
  /** The line's field naming its header. */
  readonly lineParentField: string;
}

interface KindRule {
  readonly initiating: Half;
  readonly responding: Half;
  /** Does this header (of `initiating.header`) start this kind, stores aside? */
  readonly starts: (header: RecordData) => boolean;
  readonly header: (transfer: Transfer, initiating: RecordData) => Record<string, unknown>;
  readonly line: (transfer: Transfer, line: RecordData, lineId: string) => Record<string, unknown>;
  /** How a numbered responding header is recognised: its type, number field and link to the initiating header. */
  readonly numbering?: { readonly type: string; readonly field: string; readonly linkField: string };
  /**
   * An Open mSupply site's own transfer processor makes this responding half too, when the
   * initiating half reaches it unlinked: `linkField` is the initiating header's link to its
   * responding half (set: the site's processor makes nothing).
   */
  readonly siteProcessor?: { readonly linkField: string };
}

const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : '');
const isOneOf = (value: unknown, ...accepted: string[]) => accepted.includes(lower(value));
const hasReference = (data: RecordData, field: string) => reference(data, field) !== undefined;

/** Fields that only mean something in the initiating store, or that Open mSupply re-derives. */
const dropped = (field: string) => field.startsWith('om_') || field === 'oms_fields';
const copyFields = (data: RecordData): Record<string, unknown> =>
  Object.fromEntries(Object.entries(data).filter(([field]) => !dropped(field)));

const transactHalf: Half = { header: 'transact', line: 'trans_line', lineParentField: 'transaction_ID' };
const requisitionHalf: Half = { header: 'requisition', line: 'requisition_line', lineParentField: 'requisition_ID' };
const purchaseOrderHalf: Half = { header: 'purchase_order', line: 'purchase_order_line', lineParentField: 'purchase_order_ID' };
const goodsReceivedHalf: Half = { header: 'Goods_received', line: 'Goods_received_line', lineParentField: 'goods_received_ID' };

/**
 * The invoice addressed back, numbered -1, linked to the initiating one. Its Open mSupply status
 * is the outbound one's, Picked or Shipped, as a site's own processor makes it
 * (create_inbound_invoice.rs): a site's client then takes a picked one to Shipped itself when the
 * outbound invoice ships (update_inbound_invoice.rs). Legacy mSupply reads `status` `nw`.
 */
const invoiceHeader = (type: string, extra: Record<string, unknown>) => (transfer: Transfer, initiating: RecordData) => ({
  ...copyFields(initiating),
  ...extra,
  ID: transfer.respondingId,
  type,
  status: 'nw',
  om_status: outboundShipmentStatus(initiating) === 'PICKED' ? 'PICKED' : 'SHIPPED',
  store_ID: transfer.respondingStore.id,
  name_ID: transfer.initiatingStore.nameId,
  invoice_num: -1,
  linked_transaction_id: transfer.initiatingId,
  requisition_ID: '',
  goods_received_ID: '',
  user_ID: '',
});

/** An invoice line received instead of issued; the initiating store's stock line means nothing here. */
const invoiceLine = (transfer: Transfer, line: RecordData, lineId: string) => ({
  ...copyFields(line),
  ID: respondingLineId(transfer, lineId),
  transaction_ID: transfer.respondingId,
  item_line_ID: '',
  location_ID: '',
  linked_trans_line_ID: lineId,
  linked_transact_id: transfer.initiatingId,
  type: lower(line.type) === 'stock_out' ? 'stock_in' : line.type,
});

const rules: Readonly<Record<TransferKind, KindRule>> = {
  // Internal requisition, stage 2: the customer invoice made for a purchase order, finalised in
  // the supplying store, becomes goods received in the ordering store (before stockTransfer:
  // such an invoice is not also a stock transfer).
  internalGoodsReceived: {
    initiating: transactHalf,
    responding: goodsReceivedHalf,
    starts: (header) => lower(header.type) === 'ci' && isOneOf(header.status, 'fn') && hasReference(header, 'original_PO_ID'),
    header: (transfer, invoice) => ({
      ID: transfer.respondingId,
      store_ID: transfer.respondingStore.id,
      purchase_order_ID: reference(invoice, 'original_PO_ID') ?? '',
      serial_number: -1,
      status: 'nw',
      comment: `Goods from ${transfer.initiatingStore.code}, invoice ${String(invoice.invoice_num ?? '')}`,
      supplier_reference: String(invoice.invoice_num ?? ''),
      user_id_created: '',
      entry_date: typeof invoice.entry_date === 'string' ? invoice.entry_date : '0000-00-00',
      received_date: '0000-00-00',
      donor_id: typeof invoice.donor_default_id === 'string' ? invoice.donor_default_id : '',
    }),
    line: (transfer, line, lineId) => ({
      ID: respondingLineId(transfer, lineId),
      goods_received_ID: transfer.respondingId,
      item_ID: line.item_ID ?? '',
      item_name: line.item_name ?? '',
      pack_received: line.pack_size ?? 1,
      quantity_received: line.quantity ?? 0,
      cost_price: line.sell_price ?? line.cost_price ?? 0,
      batch_received: line.batch ?? '',
      expiry_date: line.expiry_date ?? '0000-00-00',
      comment: line.note ?? '',
      location_ID: '',
      volume_per_pack: line.volume_per_pack ?? 0,
      order_line_ID: line.order_lines_ID ?? '',
    }),
  },
  // A picked or shipped customer invoice to another store becomes its supplier invoice, on hold
  // (from Picked, where a site's own processor would make it: see statuses.ts).
  stockTransfer: {
    initiating: transactHalf,
    responding: transactHalf,
    starts: (header) =>
      lower(header.type) === 'ci' && !hasReference(header, 'original_PO_ID') && serverAnswersShipment(outboundShipmentStatus(header)),
    header: invoiceHeader('si', { hold: true }),
    line: invoiceLine,
    numbering: { type: 'si', field: 'invoice_num', linkField: 'linked_transaction_id' },
    siteProcessor: { linkField: 'linked_transaction_id' },
  },
  // A picked or shipped supplier credit (return) to another store becomes its customer credit.
  customerReturn: {
    initiating: transactHalf,
    responding: transactHalf,
    starts: (header) => lower(header.type) === 'sc' && serverAnswersShipment(outboundShipmentStatus(header)),
    header: invoiceHeader('cc', { hold: true }),
    line: invoiceLine,
    numbering: { type: 'cc', field: 'invoice_num', linkField: 'linked_transaction_id' },
    siteProcessor: { linkField: 'linked_transaction_id' },
  },
  // A sent request requisition to another store becomes its response requisition.
  requisition: {
    initiating: requisitionHalf,
    responding: requisitionHalf,
    starts: (header) => lower(header.type) === 'request' && serverAnswersRequest(requestRequisitionStatus(header)),
    header: (transfer, request) => ({
      ...copyFields(request),
      ID: transfer.respondingId,
      type: 'response',
      status: 'sg',
      store_ID: transfer.respondingStore.id,
      name_ID: transfer.initiatingStore.nameId,
      serial_number: -1,
      linked_requisition_id: transfer.initiatingId,
      user_ID: '',
    }),
    line: (transfer, line, lineId) => ({
      ...copyFields(line),
      ID: respondingLineId(transfer, lineId),
      requisition_ID: transfer.respondingId,
      linked_requisition_line_ID: lineId,
    }),
    numbering: { type: 'response', field: 'serial_number', linkField: 'linked_requisition_id' },
    siteProcessor: { linkField: 'linked_requisition_id' },
  },
  // Internal requisition, stage 1: a confirmed purchase order to another store becomes a
  // customer invoice in that store, one line per order line.
  internalOrder: {
    initiating: purchaseOrderHalf,
    responding: transactHalf,
    starts: (header) => isOneOf(header.status, 'cn'),
    header: (transfer, order) => ({
      ID: transfer.respondingId,
      type: 'ci',
      status: 'nw',
      mode: 'store',
      store_ID: transfer.respondingStore.id,
      name_ID: transfer.initiatingStore.nameId,
      invoice_num: -1,
      original_PO_ID: transfer.initiatingId,
      linked_transaction_id: '',
      their_ref: `PO ${String(order.serial_number ?? '')}`,
      comment: `From purchase order ${String(order.serial_number ?? '')} of ${transfer.initiatingStore.code}`,
      entry_date: typeof order.creation_date === 'string' ? order.creation_date : '0000-00-00',
      hold: false,
      requisition_ID: '',
      goods_received_ID: '',
      user_ID: '',
    }),
    line: (transfer, orderLine, lineId) => ({
      ID: respondingLineId(transfer, lineId),
      transaction_ID: transfer.respondingId,
      type: 'stock_out',
      item_ID: orderLine.item_ID ?? '',
      item_name: orderLine.item_name ?? '',
      line_number: orderLine.line_number ?? 0,
      pack_size: orderLine.packsize_ordered ?? 1,
      quantity: Number(orderLine.quan_adjusted_order) || Number(orderLine.quan_original_order) || 0,
      sell_price: orderLine.price_expected_after_discount ?? 0,
      cost_price: 0,
      batch: '',
      expiry_date: '0000-00-00',
      note: orderLine.comment ?? '',
      item_line_ID: '',
      location_ID: '',
      order_lines_ID: lineId,
    }),
    numbering: { type: 'ci', field: 'invoice_num', linkField: 'original_PO_ID' },
  },
};

export const transferRule = (kind: TransferKind): KindRule => rules[kind];

/** Header tables that can start a transfer or come back numbered. */
export const transferHeaderTables: ReadonlySet<string> = new Set(
  Object.values(rules).flatMap((rule) => [rule.initiating.header, ...(rule.numbering ? [rule.responding.header] : [])]),
);
/** Line tables of initiating halves, with their header. */
export const transferLineTables: ReadonlyMap<string, { headerTable: string; parentField: string }> = new Map(
  Object.values(rules).map((rule) => [rule.initiating.line, { headerTable: rule.initiating.header, parentField: rule.initiating.lineParentField }]),
);

/** A 32-hex id (the legacy id format) derived from what it responds to. */
export function derivedId(purpose: string, ...sources: readonly string[]): string {
  return createHash('sha256').update([purpose, ...sources].join('\u0000')).digest('hex').slice(0, 32).toUpperCase();
}

export const respondingLineId = (transfer: Pick<Transfer, 'kind' | 'initiatingId'>, initiatingLineId: string) =>
  derivedId(`${transfer.kind}Line`, transfer.initiatingId, initiatingLineId);

/**
 * The transfer a header starts, if it does: the right type and status, addressed to another
 * store's name, and that store active on a different site (a local transfer is the site's own
 * business: the central server only routes it).
 */
export function initiatedTransfer(tableName: string, header: RecordData, config: SyncConfig): Transfer | undefined {
  const initiatingId = reference(header, 'ID');
  const from = getStore(config, reference(header, 'store_ID') ?? '');
  const to = storeByNameId(config, reference(header, 'name_ID') ?? '');
  if (!initiatingId || !from || !to || from.id === to.id || from.activeSiteId === to.activeSiteId) return undefined;
  const kind = transferKinds.find((candidate) => rules[candidate].initiating.header === tableName && rules[candidate].starts(header));
  return kind ? { kind, initiatingStore: from, respondingStore: to, initiatingId, respondingId: derivedId(kind, initiatingId) } : undefined;
}

export const respondingHeader = (transfer: Transfer, initiating: RecordData) => rules[transfer.kind].header(transfer, initiating);
export const respondingLine = (transfer: Transfer, line: RecordData, lineId: string) => rules[transfer.kind].line(transfer, line, lineId);

/**
 * A responding half the responding site numbered and pushed back: the initiating store's site
 * is told with a message. Recognised by its derived id, so only halves this server created count.
 */
export function numberedResponse(
  tableName: string,
  header: RecordData,
  config: SyncConfig,
): { transfer: Transfer; number: number } | undefined {
  for (const kind of transferKinds) {
    const { responding, numbering } = rules[kind];
    if (!numbering || responding.header !== tableName || lower(header.type) !== numbering.type) continue;
    const initiatingId = reference(header, numbering.linkField);
    const respondingId = reference(header, 'ID');
    const number = Number(header[numbering.field]);
    if (!initiatingId || respondingId !== derivedId(kind, initiatingId) || !Number.isFinite(number) || number < 0) continue;
    const to = getStore(config, reference(header, 'store_ID') ?? '');
    const from = storeByNameId(config, reference(header, 'name_ID') ?? '');
    if (!to || !from) continue;
    return { transfer: { kind, initiatingStore: from, respondingStore: to, initiatingId, respondingId }, number };
  }
  return undefined;
}

/** The message telling the initiating store its transfer was numbered on the responding site. */
export function numberedMessage(transfer: Transfer, number: number, at: Date): Record<string, unknown> {
  const { responding } = rules[transfer.kind];
  return {
    ID: derivedId('numberedMessage', transfer.respondingId),
    fromStoreID: transfer.respondingStore.id,
    toStoreID: transfer.initiatingStore.id,
    type: 'transfer_numbered',
    status: 'new',
    createdDate: at.toISOString().slice(0, 10),
    createdTime: at.getUTCHours() * 3600 + at.getUTCMinutes() * 60 + at.getUTCSeconds(),
    body: {
      kind: transfer.kind,
      table: responding.header,
      initiatingId: transfer.initiatingId,
      respondingId: transfer.respondingId,
      respondingStoreId: transfer.respondingStore.id,
      number,
      text: `Your ${transfer.kind} ${transfer.initiatingId} was numbered ${number} in store ${transfer.respondingStore.code}.`,
    },
  };
}

/** What a routed record asks of the transfers function, if anything: the header to (re)process. */
export function transferHeaderFor(
  record: { readonly tableName: string; readonly recordId: string; readonly recordData?: RecordData },
  lookupHeader: (table: string, id: string) => RecordData | undefined,
  config: SyncConfig,
): { readonly tableName: string; readonly recordId: string } | undefined {
  const data = record.recordData ?? {};
  if (orderLineReceivedBy(record, config)) return { tableName: record.tableName, recordId: record.recordId };
  if (transferHeaderTables.has(record.tableName)) {
    const id = reference(data, 'ID');
    if (id && (initiatedTransfer(record.tableName, data, config) || numberedResponse(record.tableName, data, config))) {
      return { tableName: record.tableName, recordId: id };
    }
    return undefined;
  }
  const line = transferLineTables.get(record.tableName);
  const headerId = line ? reference(data, line.parentField) : undefined;
  if (!line || !headerId) return undefined;
  const header = lookupHeader(line.headerTable, headerId);
  // A line added or changed after its header started a transfer: the responding half follows.
  return header && initiatedTransfer(line.headerTable, header, config) ? { tableName: line.headerTable, recordId: headerId } : undefined;
}

/**
 * Centralised procurement with the central server as the primary: a goods received line for a
 * purchase-order line updates that line's received quantity here, and it is forwarded from here.
 */
export function orderLineReceivedBy(
  record: { readonly tableName: string; readonly recordData?: RecordData },
  config: SyncConfig,
): string | undefined {
  if (record.tableName !== 'Goods_received_line' || !config.preferences.centralisedProcurement) return undefined;
  if (config.preferences.primarySiteId !== null) return undefined;
  return reference(record.recordData, 'order_line_ID');
}

/** Quantity received to date on an order line: the sum over its goods received lines. */
export const receivedToDate = (receipts: Readonly<Record<string, number>>): number =>
  Object.values(receipts).reduce((sum, quantity) => sum + quantity, 0);
