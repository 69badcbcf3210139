/**
 * Inter-store transfers (sync-rules §4): which records initiate one, and the responding half the
 * central server creates for the other store. Pure. Ids of everything created are derived from
 * the initiating records, so creating a responding half twice writes the same records.
 */
import { createHash } from 'node:crypto';
import type { Store, SyncConfig } from '../config/model';
import { getStore, storeByNameId } from '../config/queries';
import { reference, type RecordData } from '../legacy-fields';

export const transferKinds = ['stockTransfer', 'customerReturn', 'requisition'] as const;
export type TransferKind = (typeof transferKinds)[number];

interface KindRule {
  readonly headerTable: 'transact' | 'requisition';
  readonly lineTable: 'trans_line' | 'requisition_line';
  /** The line's field naming its header. */
  readonly lineParentField: string;
  /** The responding header's field linking it to the initiating header. */
  readonly linkField: string;
  /** The number the responding site assigns (the central server writes -1). */
  readonly numberField: string;
  readonly initiatingType: string;
  readonly initiatingStatuses: readonly string[];
  readonly respondingType: string;
  readonly respondingStatus: string;
  readonly respondingHeader: Readonly<Record<string, unknown>>;
}

const rules: Readonly<Record<TransferKind, KindRule>> = {
  // A finalised customer invoice to another store becomes its supplier invoice, on hold.
  stockTransfer: {
    headerTable: 'transact',
    lineTable: 'trans_line',
    lineParentField: 'transaction_ID',
    linkField: 'linked_transaction_id',
    numberField: 'invoice_num',
    initiatingType: 'ci',
    initiatingStatuses: ['fn'],
    respondingType: 'si',
    respondingStatus: 'nw',
    respondingHeader: { hold: true },
  },
  // A finalised supplier credit (return) to another store becomes its customer credit.
  customerReturn: {
    headerTable: 'transact',
    lineTable: 'trans_line',
    lineParentField: 'transaction_ID',
    linkField: 'linked_transaction_id',
    numberField: 'invoice_num',
    initiatingType: 'sc',
    initiatingStatuses: ['fn'],
    respondingType: 'cc',
    respondingStatus: 'nw',
    respondingHeader: { hold: true },
  },
  // A sent request requisition to another store becomes its response requisition.
  requisition: {
    headerTable: 'requisition',
    lineTable: 'requisition_line',
    lineParentField: 'requisition_ID',
    linkField: 'linked_requisition_id',
    numberField: 'serial_number',
    initiatingType: 'request',
    initiatingStatuses: ['cn', 'fn'],
    respondingType: 'response',
    respondingStatus: 'sg',
    respondingHeader: {},
  },
};

export const transferRule = (kind: TransferKind): KindRule => rules[kind];

/** Header tables of every transfer kind, and their line tables. */
export const transferHeaderTables: ReadonlySet<string> = new Set(Object.values(rules).map((rule) => rule.headerTable));
export const transferLineTables: ReadonlyMap<string, { headerTable: string; parentField: string }> = new Map(
  Object.values(rules).map((rule) => [rule.lineTable, { headerTable: rule.headerTable, parentField: rule.lineParentField }]),
);

/** A 32-hex id (the legacy id format) derived from what it responds to. */
export function derivedId(purpose: string, ...sources: readonly string[]): string {
  return createHash('sha256').update([purpose, ...sources].join('\u0000')).digest('hex').slice(0, 32).toUpperCase();
}

const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : '');

export interface Transfer {
  readonly kind: TransferKind;
  readonly initiatingStore: Store;
  readonly respondingStore: Store;
  readonly initiatingId: string;
  readonly respondingId: string;
}

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
  for (const kind of transferKinds) {
    const rule = rules[kind];
    if (rule.headerTable !== tableName || lower(header.type) !== rule.initiatingType) continue;
    if (!rule.initiatingStatuses.includes(lower(header.status))) return undefined;
    return { kind, initiatingStore: from, respondingStore: to, initiatingId, respondingId: derivedId(kind, initiatingId) };
  }
  return undefined;
}

/** Fields that only mean something in the initiating store, or that Open mSupply re-derives. */
const dropped = (field: string) => field.startsWith('om_') || field === 'oms_fields';

function copyFields(data: RecordData): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([field]) => !dropped(field)));
}

/** The responding header: the initiating one addressed back, numbered -1, linked to it. */
export function respondingHeader(transfer: Transfer, initiating: RecordData): Record<string, unknown> {
  const rule = rules[transfer.kind];
  return {
    ...copyFields(initiating),
    ...rule.respondingHeader,
    ID: transfer.respondingId,
    type: rule.respondingType,
    status: rule.respondingStatus,
    store_ID: transfer.respondingStore.id,
    name_ID: transfer.initiatingStore.nameId,
    [rule.numberField]: -1,
    [rule.linkField]: transfer.initiatingId,
    ...(rule.headerTable === 'transact' ? { requisition_ID: '', goods_received_ID: '', user_ID: '' } : { user_ID: '' }),
  };
}

export const respondingLineId = (transfer: Transfer, initiatingLineId: string) =>
  derivedId(`${transfer.kind}Line`, transfer.initiatingId, initiatingLineId);

/** A responding line: the initiating line in the responding header, stock received not issued. */
export function respondingLine(transfer: Transfer, line: RecordData, lineId: string): Record<string, unknown> {
  const rule = rules[transfer.kind];
  const copy: Record<string, unknown> = {
    ...copyFields(line),
    ID: respondingLineId(transfer, lineId),
    [rule.lineParentField]: transfer.respondingId,
  };
  if (rule.lineTable === 'trans_line') {
    Object.assign(copy, {
      // The initiating store's stock line and location mean nothing in the responding store.
      item_line_ID: '',
      location_ID: '',
      linked_trans_line_ID: lineId,
      linked_transact_id: transfer.initiatingId,
      type: lower(line.type) === 'stock_out' ? 'stock_in' : line.type,
    });
  } else {
    Object.assign(copy, { linked_requisition_line_ID: lineId });
  }
  return copy;
}

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
    const rule = rules[kind];
    if (rule.headerTable !== tableName || lower(header.type) !== rule.respondingType) continue;
    const initiatingId = reference(header, rule.linkField);
    const respondingId = reference(header, 'ID');
    const number = Number(header[rule.numberField]);
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
  const rule = rules[transfer.kind];
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
      table: rule.headerTable,
      initiatingId: transfer.initiatingId,
      respondingId: transfer.respondingId,
      respondingStoreId: transfer.respondingStore.id,
      number,
      text: `${rule.headerTable === 'transact' ? 'Invoice' : 'Requisition'} ${transfer.respondingId} was numbered ${number} in store ${transfer.respondingStore.code}.`,
    },
  };
}

/** What a routed record asks of the transfers function, if anything: the header to (re)process. */
export function transferHeaderFor(
  record: { readonly tableName: string; readonly recordData?: RecordData },
  lookupHeader: (table: string, id: string) => RecordData | undefined,
  config: SyncConfig,
): { readonly tableName: string; readonly recordId: string } | undefined {
  const data = record.recordData ?? {};
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
