/**
 * Completing a transfer between stores on different sites (sync-rules §4): the responding half
 * (header and lines) is written into the central copy with ids derived from the initiating
 * records, then routed like any store data. Every write is conditional, so a redelivered or
 * concurrent message writes nothing twice, and a responding record its own site has changed is
 * never overwritten. A responding half numbered and pushed back sends a message to the
 * initiating store. Where a site's own processor would make the responding half too, the
 * first claim decides who makes it, and the initiating half reaches the responding site only
 * once a responding half exists (see domain/transfers/claims.ts).
 */
import type { SyncConfig } from '../domain/config/model';
import { centralSite, getStore, storeByNameId } from '../domain/config/queries';
import type { AcceptedChange, CentralCopy, RecordKey, StoredRecord } from '../domain/ports';
import { recordKeyString } from '../domain/ports';
import {
  initiatedTransfer,
  numberedMessage,
  numberedResponse,
  orderLineReceivedBy,
  receivedToDate,
  respondingHeader,
  respondingLine,
  respondingLineId,
  transferLineTables,
  transferRule,
  type Transfer,
} from '../domain/transfers/rules';
import { destinations } from '../domain/sync/routing';
import { linkedElsewhere, madeBySitesToo, readClaim, transferClaimKey, type TransferClaim } from '../domain/transfers/claims';
import { awaitingSite, headerLookup, routeRecords, wireForm, type RouteDeps, type RouteOutcome } from './route';

export interface TransferDeps extends RouteDeps {
  readonly now: () => Date;
}

export interface TransferOutcome {
  /** The initiating store was told its transfer was numbered. */
  readonly notified: boolean;
  /** Centralised procurement: a purchase-order line's received quantity was updated. */
  readonly orderLineUpdated?: boolean;
  /** The responding half created or refreshed. */
  readonly responded?: { readonly transfer: Transfer['kind']; readonly lines: number; readonly routing: RouteOutcome };
}

/**
 * A header can be both a numbered responding half and the start of the next transfer (an
 * internal requisition's invoice, numbered then finalised), so both are looked at.
 */
export async function completeTransfer(deps: TransferDeps, config: SyncConfig, key: RecordKey): Promise<TransferOutcome> {
  const central = centralSite(config)?.siteId;
  const header = (await deps.centralCopy.get([key])).get(recordKeyString(key));
  if (!header || !header.recordData || header.action === 'delete' || central === undefined) return { notified: false };
  if (orderLineReceivedBy(header, config)) return { notified: false, ...(await updateOrderLine(deps, config, header, central)) };
  const notified = await notifyNumbered(deps, config, header, central);
  const responded = await respond(deps, config, header, central);
  return responded ? { notified, responded } : { notified };
}

/** Centralised procurement: the order line's received quantity follows its goods received lines. */
async function updateOrderLine(deps: TransferDeps, config: SyncConfig, receipt: StoredRecord, central: number): Promise<Pick<TransferOutcome, 'orderLineUpdated'>> {
  const orderLineId = orderLineReceivedBy(receipt, config)!;
  const quantity = Number(receipt.recordData?.quantity_received) || 0;
  const receipts = await deps.centralCopy.recordReceipt(orderLineId, receipt.recordId, quantity);
  const key = { tableName: 'purchase_order_line', recordId: orderLineId };
  const orderLine = (await deps.centralCopy.get([key])).get(recordKeyString(key));
  if (!orderLine?.recordData) return { orderLineUpdated: false };
  const received = receivedToDate(receipts);
  if (orderLine.recordData.quan_rec_to_date === received) return { orderLineUpdated: false };
  await deps.centralCopy.apply([
    {
      record: { tableName: key.tableName, recordId: orderLineId, action: 'update', recordData: { ...orderLine.recordData, quan_rec_to_date: received } },
      placement: orderLine.placement,
      originSiteId: central,
      changeId: `transfer:received:${orderLineId}:${received}:${Object.keys(receipts).length}`,
    },
  ]);
  await routeRecords(deps, config, [key]);
  return { orderLineUpdated: true };
}

async function notifyNumbered(deps: TransferDeps, config: SyncConfig, header: StoredRecord, central: number): Promise<boolean> {
  const numbered = numberedResponse(header.tableName, header.recordData ?? {}, config);
  if (!numbered || header.originSiteId !== numbered.transfer.respondingStore.activeSiteId) return false;

  const message = numberedMessage(numbered.transfer, numbered.number, deps.now());
  const id = message.ID as string;
  await deps.centralCopy.apply([
    {
      record: { tableName: 'message', recordId: id, action: 'insert', recordData: message },
      placement: { dataClass: 'message', flags: [], storeId: numbered.transfer.initiatingStore.id },
      originSiteId: central,
      // Once per responding half: a renumbering or redelivery does not send a second message.
      changeId: `transfer:numbered:${numbered.transfer.respondingId}`,
      onlyIfLastChangedBy: central,
    },
  ]);
  await routeRecords(deps, config, [{ tableName: 'message', recordId: id }]);
  return true;
}

async function respond(deps: TransferDeps, config: SyncConfig, header: StoredRecord, central: number): Promise<TransferOutcome['responded']> {
  const transfer = initiatedTransfer(header.tableName, header.recordData ?? {}, config);
  if (!transfer) return undefined;
  const rule = transferRule(transfer.kind);
  const lines = (await collect(deps.centralCopy.byParent(header.tableName, header.recordId))).filter(
    (line) => line.tableName === rule.initiating.line,
  );
  // A site's processor makes this half too: only the first claim makes one, and the initiating
  // half reaches the responding site once a responding half exists (here, after it is routed).
  if (madeBySitesToo(transfer)) {
    const answered = linkedElsewhere(transfer, header.recordData ?? {}) || (await claimForServer(deps, transfer, central)) !== transfer.respondingId;
    if (answered) {
      await sendInitiatingHalf(deps, config, transfer, header, lines);
      return undefined;
    }
  }
  const routing = await writeRespondingHalf(deps, config, transfer, header, lines, central);
  if (madeBySitesToo(transfer)) await sendInitiatingHalf(deps, config, transfer, header, lines);
  return routing && { transfer: transfer.kind, lines: routing.lines, routing: routing.outcome };
}

/** Claims the transfer for the server's own half; answers the id of whichever half holds the claim. */
async function claimForServer(deps: TransferDeps, transfer: Transfer, central: number): Promise<string | undefined> {
  const rule = transferRule(transfer.kind);
  const claim = await claimTransfer(
    deps.centralCopy,
    { tableName: rule.initiating.header, recordId: transfer.initiatingId },
    { respondingTable: rule.responding.header, respondingId: transfer.respondingId, siteId: central },
  );
  return claim?.respondingId;
}

/**
 * Records who made the responding half of `initiating`, unless someone did already (a
 * conditional write: the first claim stands); answers the claim that stands.
 */
export async function claimTransfer(centralCopy: CentralCopy, initiating: RecordKey, claim: TransferClaim): Promise<TransferClaim | undefined> {
  await writeClaims(centralCopy, [{ initiating, claim }]);
  const key = transferClaimKey(initiating);
  return readClaim((await centralCopy.get([key])).get(recordKeyString(key))?.recordData);
}

/** Writes each claim where none exists yet (claims already held by another half stay as they are). */
export async function writeClaims(centralCopy: CentralCopy, claims: ReadonlyArray<{ readonly initiating: RecordKey; readonly claim: TransferClaim }>) {
  if (claims.length === 0) return;
  await centralCopy.apply(
    claims.map(({ initiating, claim }) => ({
      record: { ...transferClaimKey(initiating), action: 'insert' as const, recordData: { ...claim } },
      placement: { dataClass: 'local' as const, flags: [] },
      originSiteId: claim.siteId,
      changeId: `claim:${claim.respondingTable}:${claim.respondingId}`,
      // No site has id 0: the claim is written only where none exists.
      onlyIfLastChangedBy: 0,
    })),
  );
}

/**
 * Of records about to reach `siteId` outside routing (an initialisation, records sent to a newly
 * entitled site): the keys of initiating halves, and their lines, that must not reach it yet,
 * because no responding half exists for them (no claim, no link). The transfers consumer sends
 * them once one exists, so leaving them out loses nothing.
 */
export async function awaitingResponseAt(centralCopy: CentralCopy, config: SyncConfig, siteId: number, records: readonly StoredRecord[]): Promise<Set<string>> {
  // Only trades with a store active on the site, of a store active elsewhere, can wait: no reads for the rest.
  const trades = records.filter((record) => {
    const to = record.placement.counterpartNameId === undefined ? undefined : storeByNameId(config, record.placement.counterpartNameId);
    const from = record.placement.storeId === undefined ? undefined : getStore(config, record.placement.storeId);
    return to?.activeSiteId === siteId && from !== undefined && from.activeSiteId !== siteId;
  });
  if (trades.length === 0) return new Set();
  const lookupHeader = await headerLookup(centralCopy, trades);
  const waiting = new Map<string, { record: StoredRecord; header: RecordKey }>();
  for (const record of trades) {
    if (awaitingSite(record, lookupHeader, config) !== siteId) continue;
    const line = transferLineTables.get(record.tableName);
    const header = line ? { tableName: line.headerTable, recordId: String(record.recordData?.[line.parentField]) } : { tableName: record.tableName, recordId: record.recordId };
    const data = lookupHeader(header.tableName, header.recordId) ?? (line ? undefined : record.recordData);
    const transfer = data ? initiatedTransfer(header.tableName, data, config) : undefined;
    if (transfer && !linkedElsewhere(transfer, data!)) waiting.set(recordKeyString(record), { record, header });
  }
  if (waiting.size === 0) return new Set();
  const claims = await centralCopy.get([...waiting.values()].map(({ header }) => transferClaimKey(header)));
  return new Set([...waiting].filter(([, { header }]) => !claims.has(recordKeyString(transferClaimKey(header)))).map(([key]) => key));
}

/** The initiating half (header and live lines) to the responding store's site, now that a responding half exists. */
async function sendInitiatingHalf(deps: TransferDeps, config: SyncConfig, transfer: Transfer, header: StoredRecord, lines: readonly StoredRecord[]) {
  const siteId = transfer.respondingStore.activeSiteId;
  const records = [header, ...lines.filter((line) => line.action !== 'delete')].filter((record) =>
    destinations(record.tableName, record.placement, config).siteIds.includes(siteId),
  );
  await deps.outgoing.enqueue(records.map((record) => ({ ...wireForm(record), siteId, version: record.version })));
}

/** Creates or refreshes the server's responding half and routes it; undefined once the responding site took it over. */
async function writeRespondingHalf(
  deps: TransferDeps,
  config: SyncConfig,
  transfer: Transfer,
  header: StoredRecord,
  lines: readonly StoredRecord[],
  central: number,
): Promise<{ lines: number; outcome: RouteOutcome } | undefined> {
  const rule = transferRule(transfer.kind);
  const respondingKey = { tableName: rule.responding.header, recordId: transfer.respondingId };
  const respondingNow = (await deps.centralCopy.get([respondingKey])).get(recordKeyString(respondingKey));
  // The responding site has taken its half over: later edits of the initiating half stay there.
  if (respondingNow && respondingNow.originSiteId !== central) return undefined;
  const responding = respondingChanges(transfer, header, lines, central);
  const existing = await collect(deps.centralCopy.byParent(rule.responding.header, transfer.respondingId));
  const kept = new Set(responding.map(({ record }) => record.recordId));
  // Lines removed from the initiating half before the responding site touched its half. Lines
  // already deleted are routed again too: a delivery may have crashed between deleting and routing.
  const gone = existing.filter((line) => line.tableName === rule.responding.line && !kept.has(line.recordId));
  const removed: AcceptedChange[] = gone
    .filter((line) => line.action !== 'delete')
    .map((line) => ({
      record: { tableName: line.tableName, recordId: line.recordId, action: 'delete' },
      placement: line.placement,
      originSiteId: central,
      changeId: `transfer:removed:${line.recordId}`,
      onlyIfLastChangedBy: central,
    }));
  await deps.centralCopy.apply([...responding, ...removed]);
  const keys = [...responding.map(({ record }) => record), ...gone].map(({ tableName, recordId }) => ({ tableName, recordId }));
  const outcome = await routeRecords(deps, config, keys);
  // Goods received lines made here count as received here (centralised procurement).
  const receipts = responding.filter(({ record }) => orderLineReceivedBy(record, config));
  if (receipts.length > 0) {
    for (const receipt of (await deps.centralCopy.get(receipts.map(({ record }) => record))).values()) {
      await updateOrderLine(deps, config, receipt, central);
    }
  }
  return { lines: responding.length - 1, outcome };
}

function respondingChanges(transfer: Transfer, header: StoredRecord, lines: readonly StoredRecord[], central: number): AcceptedChange[] {
  const rule = transferRule(transfer.kind);
  const placement = {
    dataClass: 'store' as const,
    flags: header.placement.flags,
    storeId: transfer.respondingStore.id,
    counterpartNameId: transfer.initiatingStore.nameId,
  };
  const changes: AcceptedChange[] = [
    {
      record: { tableName: rule.responding.header, recordId: transfer.respondingId, action: 'update', recordData: respondingHeader(transfer, header.recordData ?? {}) },
      placement,
      originSiteId: central,
      changeId: `transfer:${header.tableName}:${header.recordId}:${header.version}`,
      onlyIfLastChangedBy: central,
    },
  ];
  for (const line of lines) {
    if (line.action === 'delete' || !line.recordData) continue;
    changes.push({
      record: { tableName: rule.responding.line, recordId: respondingLineId(transfer, line.recordId), action: 'update', recordData: respondingLine(transfer, line.recordData, line.recordId) },
      placement: { ...placement, flags: line.placement.flags, parent: { table: rule.responding.header, id: transfer.respondingId } },
      originSiteId: central,
      changeId: `transfer:${line.tableName}:${line.recordId}:${line.version}`,
      onlyIfLastChangedBy: central,
    });
  }
  return changes;
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...page);
  return all;
}
