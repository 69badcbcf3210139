/**
 * Exactly one responding half per initiating half, with the sites' own transfer processors in
 * the loop, property-based on DynamoDB Local. Store B (site 2) trades with store C (site 3): an
 * outbound invoice (ci) or a request requisition. Site 2 pushes the header through its statuses
 * and its lines with it or on their own; the background messages (routing, transfers) are
 * handled in any order; each site syncs at any moment: it pushes what it holds changed, pulls
 * its whole queue, integrates it (an owned invoice is never updated, as the client refuses it)
 * and runs the stand-in of the client's transfer processors (lib/remote-site/transfer-processor.ts),
 * whose records it pushes at its next sync. So the halves can reach a site in different syncs,
 * and a site makes its own responding half whenever an initiating half reaches it unlinked.
 *
 * Property: after any interleaving, once everything has settled, the central copy, site 2 and
 * site 3 together hold exactly one responding half of the trade when its last status is one a
 * client's processor answers (picked/shipped, sent), and none before; site 3 holds it and the
 * initiating half. The oracle counts records by their links (`mustBeAnswered`, sync-arbitraries.ts)
 * and knows nothing of the server's rules.
 *
 * And the claim, deterministically: a responding half a site made and pushed first stops the
 * server from making one, and the initiating half still reaches the responding site.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { SyncConfig } from '../../functions/domain/config/model';
import type { BackgroundWork, RecordKey, SyncRecord } from '../../functions/domain/ports';
import { recordKeyString } from '../../functions/domain/ports';
import { derivedId } from '../../functions/domain/transfers/rules';
import { acceptPush } from '../../functions/services/push';
import { routeRecords } from '../../functions/services/route';
import { awaitingResponseAt, completeTransfer } from '../../functions/services/transfers';
import { processTransfers, type NumberKind } from '../../lib/remote-site/transfer-processor';
import type { adaptersFor, TestResources } from '../support/stand-ins';
import { mustBeAnswered, tradePlanArb, type TradeKind, type TradePlan } from '../support/sync-arbitraries';
import { CollectedWork } from '../support/collected-work';
import { withDemoConfig } from '../support/demo-config';

jest.setTimeout(300_000);

const SITE_B = 2;
const SITE_C = 3;
const STORES = {
  [SITE_B]: { id: 'STORE_B', nameId: 'NAME_STORE_B' },
  [SITE_C]: { id: 'STORE_C', nameId: 'NAME_STORE_C' },
} as const;

let resources: TestResources;
let adapters: ReturnType<typeof adaptersFor>;
let config: SyncConfig;

beforeAll(async () => {
  ({ resources, adapters, config } = await withDemoConfig());
});

const newId = () => randomUUID().replace(/-/g, '').toUpperCase();

type Data = Record<string, unknown>;
const tableKey = (table: string, id: string) => `${table}\u0000${id}`;

/** A remote site as far as transfers go: what it holds, what it changed and has not pushed yet. */
class Site {
  readonly held = new Map<string, Map<string, Data>>();
  private readonly unpushed = new Map<string, SyncRecord>();
  private numbers = 0;
  private syncOutIds = 0;

  constructor(readonly siteId: 2 | 3) {
    // Both stores' records, as initialisation brought them.
    for (const store of Object.values(STORES)) this.put('store', { ID: store.id, name_ID: store.nameId, sync_id_remote_site: Number(store.id === 'STORE_B' ? SITE_B : SITE_C), created_date: '0000-00-00' });
  }

  get(table: string, id: string): Data | undefined {
    return this.held.get(table)?.get(id);
  }

  all(table: string): Data[] {
    return [...(this.held.get(table)?.values() ?? [])];
  }

  private put(table: string, data: Data) {
    if (!this.held.has(table)) this.held.set(table, new Map());
    this.held.get(table)!.set(String(data.ID), data);
  }

  /** A change made on the site: held, and pushed by its next sync. */
  change(tableName: string, data: Data) {
    const recordId = String(data.ID);
    const action = this.unpushed.get(tableKey(tableName, recordId))?.action ?? (this.get(tableName, recordId) ? 'update' : 'insert');
    this.put(tableName, data);
    this.unpushed.set(tableKey(tableName, recordId), { tableName, recordId, action, recordData: structuredClone(data) });
  }

  /** A record deleted on the site: gone, and its delete pushed by the next sync. */
  remove(tableName: string, recordId: string) {
    const key = tableKey(tableName, recordId);
    const made = this.unpushed.get(key);
    this.held.get(tableName)?.delete(recordId);
    if (made?.action === 'insert') this.unpushed.delete(key);
    else this.unpushed.set(key, { tableName, recordId, action: 'delete' });
  }

  /** Pushes what changed (one push per call, as the site's changes are ordered). */
  async push(sim: Simulation, records = [...this.unpushed.values()]) {
    for (const record of records) this.unpushed.delete(tableKey(record.tableName, record.recordId));
    if (records.length === 0) return 0;
    const fanOut = new CollectedWork();
    const outcome = await acceptPush({ ...adapters, work: fanOut }, config, this.siteId, records.map((record) => ({ ...record, syncOutId: `s${this.siteId}-${++this.syncOutIds}-${newId()}` })));
    expect(outcome.refused).toEqual([]);
    sim.routes.push(...fanOut.sent.filter((work) => work.kind === 'route'));
    return records.length;
  }

  /** Pulls and acknowledges its whole queue, integrates it, runs its processors. Answers how many records arrived. */
  async pullAndProcess(): Promise<number> {
    const integrated: RecordKey[] = [];
    for (;;) {
      const { records } = await adapters.outgoing.pull(this.siteId, 500);
      if (records.length === 0) break;
      for (const record of records) {
        if (record.action === 'delete') this.held.get(record.tableName)?.delete(record.recordId);
        else if (record.recordData && !this.ownedUpdate(record.tableName, record.recordData)) {
          this.put(record.tableName, structuredClone(record.recordData) as Data);
          integrated.push({ tableName: record.tableName, recordId: record.recordId });
        }
      }
      await adapters.outgoing.acknowledge(this.siteId, records.map((record) => record.syncOutId));
    }
    const made = processTransfers({
      held: this.held,
      activeStores: [STORES[this.siteId]],
      changed: integrated,
      newId,
      nextNumber: (_kind: NumberKind) => ++this.numbers,
    });
    for (const change of made) {
      if (change.action === 'delete') this.remove(change.tableName, change.recordId);
      else this.change(change.tableName, change.recordData);
    }
    return integrated.length;
  }

  /** The client refuses an update of an invoice it owns (translations/invoice.rs, check_owned_invoice_update). */
  private ownedUpdate(table: string, data: Data): boolean {
    return table === 'transact' && data.store_ID === STORES[this.siteId].id && this.get(table, String(data.ID)) !== undefined;
  }

  async sync(sim: Simulation): Promise<number> {
    const pushed = await this.push(sim);
    return pushed + (await this.pullAndProcess());
  }
}

/** One trade's run: the two sites and the background messages waiting. */
class Simulation {
  readonly routes: BackgroundWork[] = [];
  readonly transfers: BackgroundWork[] = [];
  readonly initiating = new Site(SITE_B);
  readonly responding = new Site(SITE_C);
  readonly headerId = newId();
  private edits: Array<() => void>;
  lastStatus = '';

  constructor(readonly plan: TradePlan) {
    const table = this.headerTable;
    const lineTable = plan.kind === 'invoice' ? 'trans_line' : 'requisition_line';
    const lines = plan.lineQuantities.map((quantity, i) =>
      plan.kind === 'invoice'
        ? { ID: newId(), transaction_ID: this.headerId, type: 'stock_out', item_ID: `ITEM_${i}`, item_name: `Item ${i}`, quantity, pack_size: 1, sell_price: 2, cost_price: 1 }
        : { ID: newId(), requisition_ID: this.headerId, item_ID: `ITEM_${i}`, itemName: `Item ${i}`, Cust_stock_order: quantity, approved_quantity: 0, actualQuan: 0 },
    );
    const header = (status: string): Data => ({
      ...(this.initiating.get(table, this.headerId) ?? this.newHeader()),
      status,
    });
    const pushLines = () => lines.forEach((line) => this.initiating.change(lineTable, line));
    this.edits = plan.statuses.flatMap((status, i) => {
      const edit = () => {
        this.lastStatus = status;
        this.initiating.change(table, header(status));
        if (i === 0 && !plan.linesApart) pushLines();
      };
      return i === 0 && plan.linesApart ? [edit, pushLines] : [edit];
    });
  }

  get headerTable() {
    return this.plan.kind === 'invoice' ? 'transact' : 'requisition';
  }

  private newHeader(): Data {
    const common = { ID: this.headerId, store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', comment: '' };
    return this.plan.kind === 'invoice'
      ? { ...common, type: 'ci', mode: 'store', invoice_num: 7, linked_transaction_id: '', original_PO_ID: '', their_ref: '' }
      : { ...common, type: 'request', serial_number: 7, linked_requisition_id: '', om_created_datetime: '', requester_reference: '' };
  }

  /** The initiating site's next edit, pushed at once (a sync of its own). */
  async edit(): Promise<boolean> {
    const next = this.edits.shift();
    if (!next) return false;
    next();
    await this.initiating.sync(this);
    return true;
  }

  async route(pick: number): Promise<boolean> {
    const [work] = this.routes.splice(pick % Math.max(this.routes.length, 1), 1);
    if (!work || work.kind !== 'route') return false;
    const transfers = new CollectedWork();
    await routeRecords({ ...adapters, transfers: { work: transfers, progress: adapters.progress, newId } }, config, work.keys);
    this.transfers.push(...transfers.sent);
    return true;
  }

  async transfer(pick: number): Promise<boolean> {
    const [work] = this.transfers.splice(pick % Math.max(this.transfers.length, 1), 1);
    if (!work || work.kind !== 'transfer') return false;
    await completeTransfer({ ...adapters }, config, work.header);
    return true;
  }

  /** Everything left: the edits, the messages, and syncs until nothing moves. */
  async settle() {
    while (await this.edit());
    for (let round = 0; round < 12; round++) {
      let moved = 0;
      while (this.routes.length || this.transfers.length) {
        while (await this.route(0)) moved++;
        while (await this.transfer(0)) moved++;
      }
      moved += await this.responding.sync(this);
      moved += await this.initiating.sync(this);
      if (moved === 0 && !this.routes.length && !this.transfers.length) return;
    }
    throw new Error('The trade never settled');
  }
}

/** Responding halves of the trade, by id, wherever they are held. */
async function respondingHalves(sim: Simulation) {
  const kind: TradeKind = sim.plan.kind;
  const isResponse = (data: Data | undefined) =>
    data !== undefined &&
    (kind === 'invoice' ? data.type === 'si' && data.linked_transaction_id === sim.headerId : data.type === 'response' && data.linked_requisition_id === sim.headerId);
  const central: string[] = [];
  for await (const page of adapters.centralCopy.byStore('STORE_C')) {
    for (const record of page) if (record.tableName === sim.headerTable && record.action !== 'delete' && isResponse(record.recordData)) central.push(record.recordId);
  }
  const heldBy = (site: Site) => site.all(sim.headerTable).filter(isResponse).map((data) => String(data.ID));
  return { central, siteB: heldBy(sim.initiating), siteC: heldBy(sim.responding) };
}

async function drainQueues() {
  for (const siteId of [SITE_B, SITE_C]) {
    for (;;) {
      const { records } = await adapters.outgoing.pull(siteId, 1000);
      if (records.length === 0) break;
      await adapters.outgoing.acknowledge(siteId, records.map((record) => record.syncOutId));
    }
  }
}

async function run(plan: TradePlan) {
  await drainQueues();
  const sim = new Simulation(plan);
  for (const step of plan.steps) {
    if (step.kind === 'edit') await sim.edit();
    else if (step.kind === 'route') await sim.route(step.pick);
    else if (step.kind === 'transfer') await sim.transfer(step.pick);
    else await (step.site === 'initiating' ? sim.initiating : sim.responding).sync(sim);
  }
  await sim.settle();
  const halves = await respondingHalves(sim);
  const all = new Set([...halves.central, ...halves.siteB, ...halves.siteC]);
  const expected = mustBeAnswered(plan.kind, sim.lastStatus) ? 1 : 0;
  expect({ status: sim.lastStatus, halves: all.size, central: halves.central.length, siteC: halves.siteC.length }).toEqual({
    status: sim.lastStatus,
    halves: expected,
    central: expected,
    siteC: expected,
  });
  if (expected) {
    // The responding site holds the initiating half, at its last status, and its lines.
    expect(sim.responding.get(sim.headerTable, sim.headerId)).toMatchObject({ status: sim.lastStatus });
    const lineTable = plan.kind === 'invoice' ? 'trans_line' : 'requisition_line';
    const parent = plan.kind === 'invoice' ? 'transaction_ID' : 'requisition_ID';
    expect(sim.responding.all(lineTable).filter((line) => line[parent] === sim.headerId)).toHaveLength(plan.lineQuantities.length);
  }
  return sim;
}

describe('with the sites’ own transfer processors, each initiating half ends with exactly one responding half', () => {
  test.each(['invoice', 'request'] as const)('%s: any interleaving of edits, background messages and syncs', async (kind) => {
    await fc.assert(fc.asyncProperty(tradePlanArb(kind), async (plan) => void (await run(plan))), { numRuns: 40 });
  });

  test('the halves split across syncs: picked, lines apart, each site syncing between every step', async () => {
    const steps = [{ kind: 'edit' }, { kind: 'sync', site: 'responding' }, { kind: 'route', pick: 0 }, { kind: 'sync', site: 'responding' }, { kind: 'edit' }, { kind: 'route', pick: 0 }, { kind: 'sync', site: 'responding' }, { kind: 'transfer', pick: 0 }, { kind: 'route', pick: 0 }, { kind: 'sync', site: 'responding' }, { kind: 'edit' }] as const;
    await run({ kind: 'invoice', statuses: ['cn', 'fn'], lineQuantities: [4, 5], linesApart: true, steps });
  });
});

describe('a responding half a site made claims the transfer', () => {
  test('the server makes none, and the initiating half still reaches the responding site', async () => {
    await drainQueues();
    const sim = new Simulation({ kind: 'invoice', statuses: ['cn'], lineQuantities: [3], linesApart: false, steps: [] });
    await sim.edit();
    // Site 3 made its own half (as a site that received the invoice unlinked would) and pushes it first.
    const own = { ID: newId(), type: 'si', status: 'nw', om_status: 'PICKED', store_ID: 'STORE_C', name_ID: 'NAME_STORE_B', invoice_num: 1, linked_transaction_id: sim.headerId };
    sim.responding.change('transact', own);
    await sim.responding.push(sim);
    await sim.settle();
    const halves = await respondingHalves(sim);
    expect(halves.central).toEqual([own.ID]);
    expect(new Set([...halves.siteB, ...halves.siteC])).toEqual(new Set([own.ID]));
    expect((await adapters.centralCopy.get([{ tableName: 'transact', recordId: derivedId('stockTransfer', sim.headerId) }])).size).toBe(0);
    expect(sim.responding.get('transact', sim.headerId)).toMatchObject({ status: 'cn' });
    // Site 2 linked its invoice to site 3's half.
    expect(sim.initiating.get('transact', sim.headerId)).toMatchObject({ linked_transaction_id: own.ID });
  });

  test('an initiating half linked to another half is not answered by the server either', async () => {
    await drainQueues();
    const sim = new Simulation({ kind: 'invoice', statuses: ['fn'], lineQuantities: [2], linesApart: false, steps: [] });
    sim.initiating.change('transact', { ...sim.initiating.get('transact', sim.headerId), ID: sim.headerId, store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', type: 'ci', status: 'fn', linked_transaction_id: 'MADE_ELSEWHERE', original_PO_ID: '' });
    await sim.initiating.push(sim);
    await sim.settle();
    expect((await respondingHalves(sim)).central).toEqual([]);
  });
});

describe('records sent to a site outside routing (an initialisation, a newly entitled site)', () => {
  test('an unanswered initiating half and its lines are held back from the responding site until a responding half exists', async () => {
    await drainQueues();
    const sim = new Simulation({ kind: 'invoice', statuses: ['cn'], lineQuantities: [2, 3], linesApart: false, steps: [] });
    await sim.edit();
    const lines = sim.initiating.all('trans_line').filter((line) => line.transaction_ID === sim.headerId).map((line) => ({ tableName: 'trans_line', recordId: String(line.ID) }));
    const keys = [{ tableName: 'transact', recordId: sim.headerId }, ...lines];
    const stored = [...(await adapters.centralCopy.get(keys)).values()];
    expect(stored).toHaveLength(3);
    const heldBack = await awaitingResponseAt(adapters.centralCopy, config, SITE_C, stored);
    expect([...heldBack].sort()).toEqual(keys.map(recordKeyString).sort());
    // Site 2 is not the responding site: nothing is held back from it.
    expect((await awaitingResponseAt(adapters.centralCopy, config, SITE_B, stored)).size).toBe(0);
    await sim.settle();
    expect((await awaitingResponseAt(adapters.centralCopy, config, SITE_C, stored)).size).toBe(0);
  });
});

describe('the claim against a concurrent server', () => {
  test('a site pushing its own half while the server completes the transfer: the server writes its half only when its claim stands', async () => {
    for (let run = 0; run < 12; run++) {
      await drainQueues();
      const sim = new Simulation({ kind: 'invoice', statuses: ['cn'], lineQuantities: [1], linesApart: false, steps: [] });
      await sim.edit();
      while (await sim.route(0));
      const own = { ID: newId(), type: 'si', status: 'nw', om_status: 'PICKED', store_ID: 'STORE_C', name_ID: 'NAME_STORE_B', invoice_num: 1, linked_transaction_id: sim.headerId };
      sim.responding.change('transact', own);
      const [work] = sim.transfers.splice(0, 1);
      await Promise.all([sim.responding.push(sim), completeTransfer({ ...adapters }, config, (work as Extract<BackgroundWork, { kind: 'transfer' }>).header)]);
      const claim = (await adapters.centralCopy.get([{ tableName: '~transferClaim', recordId: `transact#${sim.headerId}` }])).get(`~transferClaim\u0000transact#${sim.headerId}`);
      const serverHalf = (await adapters.centralCopy.get([{ tableName: 'transact', recordId: derivedId('stockTransfer', sim.headerId) }])).size;
      const serverClaimed = claim?.recordData?.respondingId === derivedId('stockTransfer', sim.headerId);
      expect({ serverClaimed, serverHalf }).toEqual({ serverClaimed, serverHalf: serverClaimed ? 1 : 0 });
    }
  });
});
