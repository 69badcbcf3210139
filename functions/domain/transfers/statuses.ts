/**
 * The status an Open mSupply site gives a legacy transaction or requisition when it integrates
 * it, because that status decides whether the site's own transfer processor acts on it. Pure.
 *
 * From the client's source (server/service/src/sync/translations/):
 * - invoice.rs: an outbound shipment or supplier return (`ci`, `sc`) maps `nw`/`sg` → New,
 *   `cn` → Picked, `fn` → Shipped; an `om_status` field, when present, wins.
 * - requisition.rs: a request maps `sg`/`nw` → Draft, `cn`/`fn` → Sent; `om_status` is used only
 *   when `om_created_datetime` is set (a requisition made in Open mSupply).
 * From processors/transfer/: an inbound shipment is made for an outbound one that is Picked or
 * Shipped (invoice/create_inbound_invoice.rs), a response for a request that is Sent
 * (requisition/create_response_requisition.rs).
 */
import type { RecordData } from '../legacy-fields';

export const shipmentStatuses = ['NEW', 'ALLOCATED', 'PICKED', 'SHIPPED', 'DELIVERED_NO_STOCK', 'DELIVERED', 'VERIFIED', 'CANCELLED'] as const;
export type ShipmentStatus = (typeof shipmentStatuses)[number];
export const requisitionStatuses = ['DRAFT', 'NEW', 'SENT', 'FINALISED'] as const;
export type RequisitionStatus = (typeof requisitionStatuses)[number];

const text = (value: unknown) => (typeof value === 'string' ? value : '');
const oneOf = <T extends string>(values: readonly T[], value: string): T | undefined => values.find((candidate) => candidate === value);

/**
 * An outbound invoice's status as the site sees it. `caseSensitive` reads the fields exactly as
 * the client's deserializer does; the server reads legacy status letters in any case.
 */
export function outboundShipmentStatus(data: RecordData, options: { caseSensitive?: boolean } = {}): ShipmentStatus | undefined {
  if (data.om_status !== undefined && data.om_status !== null) return oneOf(shipmentStatuses, text(data.om_status));
  const status = options.caseSensitive ? text(data.status) : text(data.status).toLowerCase();
  switch (status) {
    case 'nw':
    case 'sg':
      return 'NEW';
    case 'cn':
      return 'PICKED';
    case 'fn':
      return 'SHIPPED';
    default:
      return undefined;
  }
}

/** A request requisition's status as the site sees it. */
export function requestRequisitionStatus(data: RecordData, options: { caseSensitive?: boolean } = {}): RequisitionStatus | undefined {
  if (text(data.om_created_datetime) !== '') return oneOf(requisitionStatuses, text(data.om_status));
  const status = options.caseSensitive ? text(data.status) : text(data.status).toLowerCase();
  switch (status) {
    case 'sg':
    case 'nw':
      return 'DRAFT';
    case 'cn':
    case 'fn':
      return 'SENT';
    default:
      return undefined;
  }
}

/** The statuses at which a site's processor makes an inbound shipment of an unlinked outbound one. */
export const processorMakesInbound = (status: ShipmentStatus | undefined): boolean => status === 'PICKED' || status === 'SHIPPED';
/** The status at which a site's processor makes a response to an unlinked request. */
export const processorMakesResponse = (status: RequisitionStatus | undefined): boolean => status === 'SENT';

/**
 * The server answers an outbound invoice from the first status a processor would (Picked) and at
 * every later one a shipment reaches (a legacy `fn` included), but never a cancelled one.
 */
export const serverAnswersShipment = (status: ShipmentStatus | undefined): boolean =>
  status !== undefined && !['NEW', 'ALLOCATED', 'CANCELLED'].includes(status);
/** The server answers a request once it is sent (and still when it arrives finalised). */
export const serverAnswersRequest = (status: RequisitionStatus | undefined): boolean => status === 'SENT' || status === 'FINALISED';
