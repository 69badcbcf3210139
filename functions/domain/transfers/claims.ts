/**
 * Exactly one responding half per initiating half, whoever makes it: the central server, or an
 * Open mSupply site's own transfer processor (which makes one for an initiating half that
 * reaches it unlinked). Pure.
 *
 * - An initiating half the server answers reaches the responding store's site only together
 *   with its responding half or after it (`awaitsResponse`): ordinary routing leaves that site
 *   out, and the transfers consumer sends the initiating half there once a responding half
 *   exists.
 * - A claim item, keyed by the initiating half, records who made the responding half. The
 *   server claims before it writes its half; a pushed half a site made claims when it is
 *   accepted. The first claim stands, so the server never makes a second half.
 */
import type { SyncConfig } from '../config/model';
import { reference, type RecordData } from '../legacy-fields';
import type { RecordKey } from '../ports';
import { derivedId, initiatedTransfer, transferKinds, transferRule, type Transfer } from './rules';

/** Who made the responding half of one initiating half. */
export interface TransferClaim {
  readonly respondingTable: string;
  readonly respondingId: string;
  /** The site that made it (the central site for the server's own half). */
  readonly siteId: number;
}

/** Claims live in the central copy under a table name no legacy table has. */
export const TRANSFER_CLAIM_TABLE = '~transferClaim';
export const transferClaimKey = (initiating: RecordKey): RecordKey => ({
  tableName: TRANSFER_CLAIM_TABLE,
  recordId: `${initiating.tableName}#${initiating.recordId}`,
});

/** Does a site's own processor make this kind's responding half too? */
export const madeBySitesToo = (transfer: Pick<Transfer, 'kind'>): boolean => transferRule(transfer.kind).siteProcessor !== undefined;

/**
 * The site that must not receive this record before its responding half exists: the responding
 * store's site, for an initiating header the server answers and a site's processor would too.
 */
export function awaitsResponse(tableName: string, header: RecordData | undefined, config: SyncConfig): number | undefined {
  const transfer = header ? initiatedTransfer(tableName, header, config) : undefined;
  return transfer && madeBySitesToo(transfer) ? transfer.respondingStore.activeSiteId : undefined;
}

/**
 * The initiating header is already linked to a responding half that is not the server's (the
 * client's escape hatch: its processor makes nothing for a linked outbound invoice either).
 */
export function linkedElsewhere(transfer: Transfer, header: RecordData): boolean {
  const processor = transferRule(transfer.kind).siteProcessor;
  const link = processor ? reference(header, processor.linkField) : undefined;
  return link !== undefined && link !== transfer.respondingId;
}

/**
 * A responding half a site made itself (an inbound shipment or customer return linked to an
 * outbound invoice, a response linked to a request), recognised by its link and by an id the
 * server did not derive: the claim it makes for its initiating half.
 */
export function siteMadeResponse(
  tableName: string,
  recordId: string,
  data: RecordData | undefined,
): { readonly initiating: RecordKey; readonly claim: Omit<TransferClaim, 'siteId'> } | undefined {
  if (!data) return undefined;
  for (const kind of transferKinds) {
    const { responding, initiating, numbering, siteProcessor } = transferRule(kind);
    if (!siteProcessor || !numbering || responding.header !== tableName) continue;
    if (String(data.type ?? '').toLowerCase() !== numbering.type) continue;
    const initiatingId = reference(data, numbering.linkField);
    if (!initiatingId || recordId === derivedId(kind, initiatingId)) continue;
    return {
      initiating: { tableName: initiating.header, recordId: initiatingId },
      claim: { respondingTable: tableName, respondingId: recordId },
    };
  }
  return undefined;
}

/** A claim as stored (its record data), read back; undefined when it is not one. */
export function readClaim(data: RecordData | undefined): TransferClaim | undefined {
  if (!data || typeof data.respondingTable !== 'string' || typeof data.respondingId !== 'string' || typeof data.siteId !== 'number') return undefined;
  return { respondingTable: data.respondingTable, respondingId: data.respondingId, siteId: data.siteId };
}
