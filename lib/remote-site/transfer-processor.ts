/**
 * A stand-in of an Open mSupply site's transfer processors, run after each sync that integrated:
 * given what the site holds, it answers the records the site itself would create or change.
 * Pure. Written from the client's source (msupply-foundation/open-msupply, server/service/src/):
 *
 * - processors/transfer/invoice/mod.rs: only invoices whose `name_id` is an active store's name
 *   are processed (the change log filter), each once per change (the cursor), the records the
 *   processors make included; an invoice whose `linked_invoice_id` names an invoice the site
 *   does not hold is not processed (LinkedInvoiceNotFound); otherwise its linked invoice is that
 *   one, or else a held invoice whose `linked_invoice_id` is its id. Processors in order:
 *   create inbound, link outbound, ..., assign invoice number.
 * - invoice/create_inbound_invoice.rs: an outbound shipment or supplier return, Picked or
 *   Shipped, with no linked invoice, not created more than 30 days before the receiving store's
 *   `created_date`, gets an inbound shipment (customer return) in the receiving store: a new
 *   id, the next number, the outbound status (Picked/Shipped), `name_id` = the outbound store's
 *   name, `linked_invoice_id` = the outbound invoice, "From invoice number: N (ref)",
 *   "Stock transfer (comment)" / "Stock return (comment)"; invoice/common.rs: one line per
 *   outbound line except placeholders, `stock_in` (service stays service), no stock line or
 *   location, cost price = the outbound sell price (a return: its cost price).
 * - invoice/link_outbound_invoice.rs: an inbound shipment or customer return links its
 *   outbound invoice when that one is not linked yet.
 * - invoice/update_inbound_invoice.rs: an inbound invoice still Picked whose outbound invoice is
 *   now Shipped has its lines made again from the outbound lines and becomes Shipped.
 * - invoice/assign_invoice_number.rs: a Picked or Shipped outbound invoice whose linked invoice
 *   is numbered -1 numbers it (next inbound shipment number of that invoice's store).
 * - processors/transfer/requisition/: create_response_requisition.rs (a Sent request with no
 *   linked requisition gets a response: New, the next response number, linked to the request,
 *   "From internal order N (...)", its lines copied) and link_request_requisition.rs.
 * - processors/assign_requisition_number/: triggered after every sync too (synchroniser.rs, after
 *   the transfer processors), over the change log of requisitions whose `store_id` is an active
 *   store, each change once (its own cursor): a response requisition numbered -1 (the server's
 *   responding half arrives so) gets the next response requisition number of its store.
 * - sync/translations/invoice.rs, requisition.rs: how a held legacy record reads (type from
 *   `type`, `mode` and `om_type`; status from the legacy letters or `om_status`, see
 *   functions/domain/transfers/statuses.ts) and how a made record is written back (an inbound
 *   shipment: `si`, status `nw`, `om_status` PICKED/SHIPPED; a response: `response`, `sg`, NEW).
 *
 * Not modelled (their defaults leave them inert): the "prevent transfers months before
 * initialisation" preference (0), pack-to-one and auto-verify store preferences (off), default
 * sell prices and margins (the transfer cost price is kept), the delete of an inbound invoice
 * whose outbound one is deleted, status updates of outbound invoices, status and approved
 * quantity updates of requests.
 */
import { randomUUID } from 'node:crypto';
import type { Processor } from './processors';

type Data = Readonly<Record<string, unknown>>;

/** A record the site would create or change, in the legacy form its next push carries. */
export interface LocalChange {
  readonly tableName: 'transact' | 'trans_line' | 'requisition' | 'requisition_line';
  readonly recordId: string;
  /** `delete`: the record is gone from the site (its last data, as the change log keeps it). */
  readonly action: 'insert' | 'update' | 'delete';
  readonly recordData: Record<string, unknown>;
}

export type NumberKind = 'inbound_shipment' | 'customer_return' | 'response_requisition';

export interface TransferProcessorInput {
  /** What the site holds: table → id → legacy record data. */
  readonly held: ReadonlyMap<string, ReadonlyMap<string, Data>>;
  /** The site's active stores (`ActiveStoresOnSite`: held store records whose site is this one). */
  readonly activeStores: ReadonlyArray<{ readonly id: string; readonly nameId: string }>;
  /**
   * The change log since the processors last ran: invoices (`transact`) and requisitions changed
   * by this sync, in order. Absent: every held invoice and requisition.
   */
  readonly changed?: ReadonlyArray<{ readonly tableName: string; readonly recordId: string }>;
  readonly newId: () => string;
  readonly nextNumber: (kind: NumberKind, storeId: string) => number;
  /** @default the current time */
  readonly now?: () => Date;
}

export function processTransfers(input: TransferProcessorInput): LocalChange[] {
  const site = new SiteView(input);
  const queue = [...(input.changed ?? site.allHeaders())].filter((entry) => entry.tableName === 'transact' || entry.tableName === 'requisition');
  // Like the change log cursor: each change once, the processors' own changes included.
  for (let i = 0; i < queue.length; i++) {
    const { tableName, recordId } = queue[i]!;
    const made = tableName === 'transact' ? processInvoice(site, recordId) : processRequisition(site, recordId);
    for (const change of made) if (change.tableName === 'transact' || change.tableName === 'requisition') queue.push(change);
  }
  // AssignRequisitionNumber reads the same change log after the transfer processors.
  for (const { tableName, recordId } of queue) if (tableName === 'requisition') assignRequisitionNumber(site, recordId);
  return site.changes();
}

// ---------------------------------------------------------------------------------------------
// Invoices

type InvoiceType = 'INBOUND_SHIPMENT' | 'OUTBOUND_SHIPMENT' | 'SUPPLIER_RETURN' | 'CUSTOMER_RETURN' | 'OTHER';

function processInvoice(site: SiteView, id: string): LocalChange[] {
  const invoice = site.get('transact', id);
  if (!invoice || !site.isActiveName(text(invoice.name_ID))) return [];
  const link = text(invoice.linked_transaction_id);
  if (link !== '' && !site.get('transact', link)) return []; // LinkedInvoiceNotFound: not processed
  const made: LocalChange[] = [];
  const linked = () => {
    const own = text(site.get('transact', id)?.linked_transaction_id);
    return own !== '' ? site.get('transact', own) : site.find('transact', (other) => text(other.linked_transaction_id) === id);
  };
  made.push(...createInbound(site, site.get('transact', id)!, linked()));
  made.push(...linkOutbound(site, site.get('transact', id)!, linked()));
  made.push(...updateInbound(site, site.get('transact', id)!, linked()));
  made.push(...assignInvoiceNumber(site, site.get('transact', id)!, linked()));
  return made;
}

function createInbound(site: SiteView, outbound: Data, linked: Data | undefined): LocalChange[] {
  const type = invoiceType(site, outbound);
  if (type !== 'OUTBOUND_SHIPMENT' && type !== 'SUPPLIER_RETURN') return [];
  const status = invoiceStatus(site, outbound, type);
  if (status !== 'PICKED' && status !== 'SHIPPED') return [];
  if (linked) return [];
  const store = site.activeStoreByName(text(outbound.name_ID))!;
  const createdDate = dateOnly(site.get('store', store.id)?.created_date);
  if (createdDate && createdOn(outbound) !== undefined && createdOn(outbound)! < shiftDays(createdDate, -30)) return [];

  const now = site.now();
  const isReturn = type === 'SUPPLIER_RETURN';
  const id = site.newId();
  const number = site.nextNumber(isReturn ? 'customer_return' : 'inbound_shipment', store.id);
  const ref = text(outbound.their_ref);
  const comment = text(outbound.comment);
  const header: Record<string, unknown> = {
    ID: id,
    type: isReturn ? 'cc' : 'si',
    status: 'nw',
    om_status: status,
    om_type: isReturn ? 'CUSTOMER_RETURN' : 'INBOUND_SHIPMENT',
    store_ID: store.id,
    name_ID: text(site.get('store', text(outbound.store_ID))?.name_ID),
    invoice_num: number,
    linked_transaction_id: text(outbound.ID),
    their_ref: ref !== '' ? `From invoice number: ${String(outbound.invoice_num)} (${ref})` : `From invoice number: ${String(outbound.invoice_num)}`,
    comment: isReturn ? (comment !== '' ? `Stock return (${comment})` : 'Stock return') : comment !== '' ? `Stock transfer (${comment})` : 'Stock transfer',
    hold: false,
    mode: 'store',
    requisition_ID: requestOfShipment(site, outbound),
    om_original_shipment_id: '',
    entry_date: now.toISOString().slice(0, 10),
    om_created_datetime: now.toISOString().slice(0, 19),
    om_picked_datetime: outbound.om_picked_datetime ?? null,
    om_shipped_datetime: outbound.om_shipped_datetime ?? null,
    om_transport_reference: outbound.om_transport_reference ?? '',
    currency_ID: outbound.currency_ID ?? '',
    currency_rate: outbound.currency_rate ?? 1,
    user_ID: '',
  };
  return [site.write('transact', header, 'insert'), ...inboundLines(site, outbound, id, isReturn)];
}

/** One inbound line per outbound line but placeholders (invoice/common.rs, generate_inbound_lines). */
function inboundLines(site: SiteView, outbound: Data, inboundId: string, isReturn: boolean): LocalChange[] {
  const lines = site.all('trans_line').filter((line) => text(line.transaction_ID) === text(outbound.ID) && text(line.type) !== 'placeholder');
  return lines.map((line) =>
    site.write(
      'trans_line',
      {
        ID: site.newId(),
        transaction_ID: inboundId,
        item_ID: line.item_ID ?? '',
        item_name: line.item_name ?? '',
        item_line_ID: '',
        location_ID: '',
        batch: line.batch ?? '',
        expiry_date: line.expiry_date ?? '0000-00-00',
        pack_size: line.pack_size ?? 1,
        quantity: line.quantity ?? 0,
        cost_price: isReturn ? (line.cost_price ?? 0) : (line.sell_price ?? 0),
        sell_price: isReturn ? (line.cost_price ?? 0) : (line.sell_price ?? 0),
        type: text(line.type) === 'service' ? 'service' : 'stock_in',
        note: line.note ?? '',
        linked_transact_id: text(outbound.ID),
        volume_per_pack: line.volume_per_pack ?? 0,
        donor_id: line.donor_id ?? '',
      },
      'insert',
    ),
  );
}

/**
 * invoice/update_inbound_invoice.rs: an inbound invoice still Picked whose outbound invoice is now
 * Shipped gets the outbound lines again (its own deleted, new ones made) and becomes Shipped.
 */
function updateInbound(site: SiteView, outbound: Data, linked: Data | undefined): LocalChange[] {
  const type = invoiceType(site, outbound);
  if (type !== 'OUTBOUND_SHIPMENT' && type !== 'SUPPLIER_RETURN') return [];
  if (!linked || invoiceStatus(site, linked, invoiceType(site, linked)) !== 'PICKED') return [];
  if (invoiceStatus(site, outbound, type) !== 'SHIPPED') return [];
  const isReturn = type === 'SUPPLIER_RETURN';
  const inboundId = text(linked.ID);
  const removed = site.all('trans_line').filter((line) => text(line.transaction_ID) === inboundId).map((line) => site.remove('trans_line', line));
  const remade = inboundLines(site, outbound, inboundId, isReturn);
  const ref = text(outbound.their_ref);
  const comment = text(outbound.comment);
  // As the client does: the lines first, then the invoice.
  const header = site.write(
    'transact',
    {
      ...linked,
      status: 'nw',
      om_status: 'SHIPPED',
      om_picked_datetime: outbound.om_picked_datetime ?? null,
      om_shipped_datetime: outbound.om_shipped_datetime ?? null,
      their_ref: ref !== '' ? `From invoice number: ${String(outbound.invoice_num)} (${ref})` : `From invoice number: ${String(outbound.invoice_num)}`,
      comment: isReturn ? (comment !== '' ? `Stock return (${comment})` : 'Stock return') : comment !== '' ? `Stock transfer (${comment})` : 'Stock transfer',
      om_transport_reference: outbound.om_transport_reference ?? '',
      currency_ID: outbound.currency_ID ?? linked.currency_ID ?? '',
      currency_rate: outbound.currency_rate ?? linked.currency_rate ?? 1,
    },
    'update',
  );
  return [...removed, ...remade, header];
}

function linkOutbound(site: SiteView, inbound: Data, linked: Data | undefined): LocalChange[] {
  const type = invoiceType(site, inbound);
  if (type !== 'INBOUND_SHIPMENT' && type !== 'CUSTOMER_RETURN') return [];
  if (!linked || text(linked.linked_transaction_id) !== '') return [];
  return [site.write('transact', { ...linked, linked_transaction_id: text(inbound.ID) }, 'update')];
}

function assignInvoiceNumber(site: SiteView, outbound: Data, linked: Data | undefined): LocalChange[] {
  const type = invoiceType(site, outbound);
  if (type !== 'OUTBOUND_SHIPMENT' && type !== 'SUPPLIER_RETURN') return [];
  const status = invoiceStatus(site, outbound, type);
  if (status !== 'PICKED' && status !== 'SHIPPED') return [];
  if (!linked || Number(linked.invoice_num) !== -1) return [];
  // The client numbers it as an inbound shipment whatever its type.
  return [site.write('transact', { ...linked, invoice_num: site.nextNumber('inbound_shipment', text(linked.store_ID)) }, 'update')];
}

/** The held invoice as the client reads it: `om_*` fields dropped from a transfer copy whose `om_type` contradicts its type. */
function invoiceType(site: SiteView, data: Data): InvoiceType {
  const legacy = text(data.type);
  const omType = sanitisedOm(data).om_type;
  if (typeof omType === 'string' && omType !== '') return (['INBOUND_SHIPMENT', 'OUTBOUND_SHIPMENT', 'SUPPLIER_RETURN', 'CUSTOMER_RETURN'] as const).find((t) => t === omType) ?? 'OTHER';
  if (site.get('name', text(data.name_ID))?.code === 'invad') return 'OTHER'; // inventory adjustments
  if (text(data.mode) === 'dispensary') return 'OTHER'; // a `ci` there is a prescription
  switch (legacy) {
    case 'si':
      return 'INBOUND_SHIPMENT';
    case 'ci':
      return 'OUTBOUND_SHIPMENT';
    case 'sc':
      return 'SUPPLIER_RETURN';
    case 'cc':
      return 'CUSTOMER_RETURN';
    default:
      return 'OTHER';
  }
}

function invoiceStatus(site: SiteView, data: Data, type: InvoiceType): string | undefined {
  const om = sanitisedOm(data).om_status;
  if (om !== undefined && om !== null && om !== '') return text(om);
  const status = text(data.status);
  if (type === 'OUTBOUND_SHIPMENT' || type === 'SUPPLIER_RETURN') return { nw: 'NEW', sg: 'NEW', cn: 'PICKED', fn: 'SHIPPED' }[status];
  if (type === 'INBOUND_SHIPMENT' || type === 'CUSTOMER_RETURN') {
    // A transfer (its name is a store's) arriving new is already shipped.
    const isTransfer = site.find('store', (store) => text(store.name_ID) === text(data.name_ID)) !== undefined;
    return { sg: 'NEW', nw: isTransfer ? 'SHIPPED' : 'NEW', cn: 'RECEIVED', fn: 'VERIFIED' }[status];
  }
  return undefined;
}

function sanitisedOm(data: Data): Data {
  const stray = (text(data.type) === 'si' && data.om_type === 'OUTBOUND_SHIPMENT') || (text(data.type) === 'cc' && data.om_type === 'SUPPLIER_RETURN');
  return stray ? {} : data;
}

/** The request a shipment answers, through the shipment's requisition (invoice/mod.rs, linked_shipment_requisition). */
function requestOfShipment(site: SiteView, outbound: Data): string {
  const requisition = site.get('requisition', text(outbound.requisition_ID));
  if (!requisition) return '';
  const link = text(requisition.linked_requisition_id);
  if (link !== '') return site.get('requisition', link) ? link : '';
  return text(site.find('requisition', (other) => text(other.linked_requisition_id) === text(requisition.ID))?.ID);
}

// ---------------------------------------------------------------------------------------------
// Requisitions

function processRequisition(site: SiteView, id: string): LocalChange[] {
  const requisition = site.get('requisition', id);
  if (!requisition || !site.isActiveName(text(requisition.name_ID))) return [];
  const link = text(requisition.linked_requisition_id);
  if (link !== '' && !site.get('requisition', link)) return []; // LinkedRequisitionNotFound
  const linked = link !== '' ? site.get('requisition', link) : site.find('requisition', (other) => text(other.linked_requisition_id) === id);
  return [...createResponse(site, requisition, linked), ...linkRequest(site, requisition, linked)];
}

function requisitionStatus(data: Data): string | undefined {
  if (text(data.om_created_datetime) !== '') return text(data.om_status) || undefined;
  const status = text(data.status);
  if (text(data.type) === 'request') return { sg: 'DRAFT', nw: 'DRAFT', cn: 'SENT', fn: 'SENT' }[status];
  return { sg: 'NEW', cn: 'NEW', nw: 'NEW', fn: 'FINALISED' }[status];
}

function createResponse(site: SiteView, request: Data, linked: Data | undefined): LocalChange[] {
  if (text(request.type) !== 'request' || requisitionStatus(request) !== 'SENT' || linked) return [];
  const store = site.activeStoreByName(text(request.name_ID))!;
  const now = site.now();
  const id = site.newId();
  const number = String(request.serial_number);
  const ref = text(request.requester_reference);
  const comment = text(request.comment);
  const changes: LocalChange[] = [
    site.write(
      'requisition',
      {
        ID: id,
        serial_number: site.nextNumber('response_requisition', store.id),
        name_ID: text(site.get('store', text(request.store_ID))?.name_ID),
        store_ID: store.id,
        type: 'response',
        status: 'sg',
        om_status: 'NEW',
        om_created_datetime: now.toISOString().slice(0, 19),
        date_entered: now.toISOString().slice(0, 10),
        requester_reference: ref !== '' ? `From internal order ${number} (${ref})` : `From internal order ${number}`,
        comment: comment !== '' ? `From internal order ${number} (${comment})` : `From internal order ${number}`,
        linked_requisition_id: text(request.ID),
        thresholdMOS: request.thresholdMOS ?? 0,
        daysToSupply: request.daysToSupply ?? 0,
        om_max_months_of_stock: request.om_max_months_of_stock ?? null,
        periodID: request.periodID ?? '',
        programID: request.programID ?? '',
        orderType: request.orderType ?? '',
        is_emergency: request.is_emergency ?? false,
        lastModifiedAt: Math.floor(now.getTime() / 1000),
        user_ID: '',
      },
      'insert',
    ),
  ];
  for (const line of site.all('requisition_line').filter((candidate) => text(candidate.requisition_ID) === text(request.ID))) {
    const { ID: _id, requisition_ID: _requisition, approved_quantity: _approved, authoriser_comment: _comment, actualQuan: _supply, ...copied } = line;
    changes.push(site.write('requisition_line', { ...copied, ID: site.newId(), requisition_ID: id, approved_quantity: 0, actualQuan: 0, authoriser_comment: '' }, 'insert'));
  }
  return changes;
}

/** processors/assign_requisition_number: a response of an active store still numbered -1 is numbered. */
function assignRequisitionNumber(site: SiteView, id: string): LocalChange[] {
  const requisition = site.get('requisition', id);
  if (!requisition || !site.isActiveStore(text(requisition.store_ID))) return [];
  if (text(requisition.type) !== 'response' || Number(requisition.serial_number) !== -1) return [];
  return [site.write('requisition', { ...requisition, serial_number: site.nextNumber('response_requisition', text(requisition.store_ID)) }, 'update')];
}

function linkRequest(site: SiteView, response: Data, linked: Data | undefined): LocalChange[] {
  if (text(response.type) !== 'response' || !linked || text(linked.linked_requisition_id) !== '') return [];
  return [site.write('requisition', { ...linked, linked_requisition_id: text(response.ID) }, 'update')];
}

// ---------------------------------------------------------------------------------------------
// The site's records, with what the processors made in this run on top.

class SiteView {
  private readonly made = new Map<string, LocalChange>();
  private readonly overlay = new Map<string, Map<string, Data>>();
  private readonly removed = new Set<string>();

  constructor(private readonly input: TransferProcessorInput) {}

  readonly newId = () => this.input.newId();
  readonly nextNumber = (kind: NumberKind, storeId: string) => this.input.nextNumber(kind, storeId);
  readonly now = () => (this.input.now ?? (() => new Date()))();

  get(table: string, id: string): Data | undefined {
    if (id === '' || this.removed.has(`${table}\u0000${id}`)) return undefined;
    return this.overlay.get(table)?.get(id) ?? this.input.held.get(table)?.get(id);
  }

  all(table: string): Data[] {
    const merged = new Map(this.input.held.get(table) ?? []);
    for (const [id, data] of this.overlay.get(table) ?? []) merged.set(id, data);
    return [...merged.entries()].filter(([id]) => !this.removed.has(`${table}\u0000${id}`)).map(([, data]) => data);
  }

  remove(tableName: LocalChange['tableName'], recordData: Data): LocalChange {
    const recordId = text(recordData.ID);
    const key = `${tableName}\u0000${recordId}`;
    this.removed.add(key);
    this.overlay.get(tableName)?.delete(recordId);
    const change: LocalChange = { tableName, recordId, action: 'delete', recordData: { ...recordData } };
    // A record made in this run and removed again leaves nothing to push.
    if (this.made.get(key)?.action === 'insert') this.made.delete(key);
    else this.made.set(key, change);
    return change;
  }

  find(table: string, test: (data: Data) => boolean): Data | undefined {
    return this.all(table).find(test);
  }

  allHeaders() {
    return ['transact', 'requisition'].flatMap((tableName) => this.all(tableName).map((data) => ({ tableName, recordId: text(data.ID) })));
  }

  isActiveName(nameId: string): boolean {
    return nameId !== '' && this.activeStoreByName(nameId) !== undefined;
  }

  isActiveStore(storeId: string): boolean {
    return this.input.activeStores.some((store) => store.id === storeId);
  }

  activeStoreByName(nameId: string) {
    return this.input.activeStores.find((store) => store.nameId === nameId);
  }

  write(tableName: LocalChange['tableName'], recordData: Record<string, unknown>, action: LocalChange['action']): LocalChange {
    const recordId = text(recordData.ID);
    if (!this.overlay.has(tableName)) this.overlay.set(tableName, new Map());
    this.overlay.get(tableName)!.set(recordId, recordData);
    const key = `${tableName}\u0000${recordId}`;
    this.removed.delete(key);
    // A record made and changed in one run is one insert.
    const change: LocalChange = { tableName, recordId, action: this.made.get(key)?.action ?? action, recordData };
    this.made.set(key, change);
    return change;
  }

  changes(): LocalChange[] {
    return [...this.made.values()];
  }
}

const text = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '');

function dateOnly(value: unknown): string | undefined {
  const date = text(value).slice(0, 10);
  return /^\d{4}-\d{2}-\d{2}$/.test(date) && !date.startsWith('0000') ? date : undefined;
}

/** When the invoice was created, as the client maps it: `om_created_datetime`, else `entry_date`. */
function createdOn(invoice: Data): string | undefined {
  return dateOnly(invoice.om_created_datetime) ?? dateOnly(invoice.entry_date);
}

function shiftDays(date: string, days: number): string {
  const at = new Date(`${date}T00:00:00Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// As the remote site's `Processor` (see processors.ts).

/**
 * The transfer processors as a `Processor` of the remote site: the records it integrated are the
 * change log to process; numbers continue from the highest the site holds (per store and kind,
 * like the client's number table).
 */
export function transferProcessor(options: { readonly newId?: () => string; readonly now?: () => Date } = {}): Processor {
  const last = new Map<string, number>();
  return (input) => {
    const held = new Map<string, Map<string, Data>>();
    for (const record of input.heldRecords()) {
      if (!held.has(record.tableName)) held.set(record.tableName, new Map());
      held.get(record.tableName)!.set(record.recordId, record.recordData);
    }
    const activeStores = input.activeStoreIds.map((id) => ({ id, nameId: text(input.held('store', id)?.name_ID) }));
    const nextNumber = (kind: NumberKind, storeId: string) => {
      const key = `${kind}\u0000${storeId}`;
      const [table, types, field] = kind === 'response_requisition' ? ['requisition', ['response'], 'serial_number'] : ['transact', kind === 'inbound_shipment' ? ['si'] : ['cc'], 'invoice_num'];
      const highest = [...(held.get(table)?.values() ?? [])]
        .filter((data) => text(data.store_ID) === storeId && types.includes(text(data.type)))
        .reduce((max, data) => Math.max(max, Number(data[field]) || 0), last.get(key) ?? 0);
      last.set(key, highest + 1);
      return highest + 1;
    };
    return processTransfers({
      held,
      activeStores,
      changed: input.integrated.map(({ tableName, recordId }) => ({ tableName, recordId })),
      newId: options.newId ?? (() => randomUUID().replace(/-/g, '').toUpperCase()),
      nextNumber,
      ...(options.now ? { now: options.now } : {}),
    }).map(({ tableName, recordId, action, recordData }) => ({ tableName, recordId, action, recordData }));
  };
}
