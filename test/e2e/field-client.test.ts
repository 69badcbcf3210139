/**
 * The demo configuration (config/demo.json) served to remote sites that behave as the Open
 * mSupply client, its transfer processors included, with both queue consumers slowed: the sites
 * initialise, push records built from the shared legacy fixtures, sync twice, store F moves to
 * remote site 2 (site 3), and everyone syncs again. Every site holds only what it is entitled to
 * (docs/sync.md), the moved store's new site pushes its data and the old site no longer can, and
 * no store ever holds two inbound shipments (or two responses) for one transfer.
 */
import { readFileSync } from 'node:fs';
import { derivedId } from '../../functions/domain/transfers/rules';
import type { RemoteSite } from '../../lib/remote-site/client';
import { transferProcessor } from '../../lib/remote-site/transfer-processor';
import { legacyRecord, type LegacyRecord } from '../support/legacy-records';
import { DEMO_CONFIG, startTestSyncServer, type TestSyncServer } from '../support/sync-server';

jest.setTimeout(240_000);

interface DemoStore {
  id: string;
  nameId: string;
  activeSiteId: number;
  syncWith?: Record<string, string>;
}
const demo = JSON.parse(readFileSync(DEMO_CONFIG, 'utf8')) as { stores: DemoStore[] };
const nameOf = (storeId: string) => demo.stores.find((store) => store.id === storeId)!.nameId;

const today = new Date().toISOString().slice(0, 10);
const key = (tableName: string, recordId: string) => `${tableName}\u0000${recordId}`;

/** Store data of one store, from the fixtures, with ids of its own. */
function storeData(storeId: string, tag: string): LegacyRecord[] {
  const id = (table: string) => `${tag}_${storeId}_${table}`.toUpperCase();
  return [
    legacyRecord('transact', id('tx'), { store_ID: storeId, name_ID: 'SOME_CUSTOMER', type: 'ci', status: 'nw', invoice_num: 5 }, 1),
    legacyRecord('trans_line', id('tl'), { transaction_ID: id('tx'), item_ID: 'ITEM_1', quantity: 3 }),
    legacyRecord('item_line', id('stock'), { store_ID: storeId }),
    legacyRecord('Stock_take', id('st'), { store_ID: storeId }),
    legacyRecord('Stock_take_lines', id('stl'), { stock_take_ID: id('st') }),
    legacyRecord('Location', id('loc'), { store_ID: storeId }),
  ];
}

/** The store a received or held record belongs to (lines through their header), and the name it trades with. */
function ownerOf(site: RemoteSite, tableName: string, data: Record<string, unknown>): { storeId?: string; nameId?: string } {
  const parents: Record<string, [string, string]> = {
    trans_line: ['transact', 'transaction_ID'],
    Stock_take_lines: ['Stock_take', 'stock_take_ID'],
    requisition_line: ['requisition', 'requisition_ID'],
  };
  const parent = parents[tableName];
  const header = parent ? site.held(parent[0], String(data[parent[1]])) : data;
  return { storeId: header?.store_ID as string | undefined, nameId: header?.name_ID as string | undefined };
}

const storeTables = ['transact', 'trans_line', 'item_line', 'Stock_take', 'Stock_take_lines', 'Location', 'requisition', 'requisition_line'];

/**
 * What a site may receive (docs/sync.md): its active stores' data, the data of stores it
 * collects, trades addressed to one of its active stores, messages to its active stores.
 */
function notEntitled(site: RemoteSite, siteId: number, records: ReadonlyArray<{ tableName: string; recordId: string; recordData: unknown }>, stores: DemoStore[]) {
  const active = stores.filter((store) => store.activeSiteId === siteId);
  const activeIds = new Set(active.map((store) => store.id));
  const activeNames = new Set(active.map((store) => store.nameId));
  const collected = new Set(stores.filter((store) => store.syncWith?.[String(siteId)] === 'activeCollector').map((store) => store.id));
  return records.flatMap(({ tableName, recordId, recordData }) => {
    const data = (recordData ?? {}) as Record<string, unknown>;
    if (tableName === 'message') return activeIds.has(String(data.toStoreID)) ? [] : [`${tableName} ${recordId} to ${String(data.toStoreID)}`];
    if (!storeTables.includes(tableName)) return [];
    const { storeId, nameId } = ownerOf(site, tableName, data);
    if (storeId !== undefined && (activeIds.has(storeId) || collected.has(storeId))) return [];
    if (nameId !== undefined && activeNames.has(nameId)) return [];
    return [`${tableName} ${recordId} of ${String(storeId)} (trading with ${String(nameId)})`];
  });
}

/** Inbound shipments (and response requisitions) a site holds per initiating record: never more than one. */
function respondingHalves(site: RemoteSite): Map<string, string[]> {
  const halves = new Map<string, string[]>();
  const add = (initiating: string, id: string) => halves.set(initiating, [...(halves.get(initiating) ?? []), id]);
  for (const { recordId, recordData } of site.heldRecords('transact')) {
    if (recordData.type === 'si' && typeof recordData.linked_transaction_id === 'string' && recordData.linked_transaction_id !== '') add(`transact ${recordData.linked_transaction_id}`, recordId);
  }
  for (const { recordId, recordData } of site.heldRecords('requisition')) {
    if (recordData.type === 'response' && typeof recordData.linked_requisition_id === 'string' && recordData.linked_requisition_id !== '') add(`requisition ${recordData.linked_requisition_id}`, recordId);
  }
  return halves;
}

let server: TestSyncServer;
let site1: RemoteSite; // remote-site-1, site 2: stores B and F active, collector of A
let site2: RemoteSite; // remote-site-2, site 3: stores C and D active

beforeAll(async () => {
  server = await startTestSyncServer({ consumerStepDelayMs: 100 });
  // Half-scale waits: 0.5 s polls, and a sync fails if integration takes 15 s.
  site1 = server.site('remote-site-1', { processors: transferProcessor(), timeScale: 0.5 });
  site2 = server.site('remote-site-2', { processors: transferProcessor(), timeScale: 0.5 });
});

afterAll(async () => {
  await server?.stop();
});

const syncEveryone = async () => {
  await site1.sync();
  await site2.sync();
};

const outbound = legacyRecord('transact', 'FIELD_CI_B_TO_C', {
  store_ID: 'STORE_B',
  name_ID: nameOf('STORE_C'),
  type: 'ci',
  status: 'fn',
  invoice_num: 17,
  entry_date: today,
  linked_transaction_id: '',
}, 1);
const outboundLines = [1, 2].map((n) =>
  legacyRecord('trans_line', `FIELD_CI_B_TO_C_LINE_${n}`, { transaction_ID: 'FIELD_CI_B_TO_C', item_ID: `ITEM_${n}`, quantity: n * 10, pack_size: 1, type: 'stock_out' }),
);
const request = legacyRecord('requisition', 'FIELD_REQ_C_TO_B', {
  store_ID: 'STORE_C',
  name_ID: nameOf('STORE_B'),
  type: 'request',
  status: 'fn',
  om_status: 'SENT',
  om_created_datetime: `${today}T08:00:00`,
  serial_number: 4,
  linked_requisition_id: '',
});
const requestLine = legacyRecord('requisition_line', 'FIELD_REQ_C_TO_B_LINE', { requisition_ID: 'FIELD_REQ_C_TO_B', item_ID: 'ITEM_1', Cust_stock_order: 50 });

describe('the demo sites, synced by faithful clients with slowed consumers', () => {
  const pushedBy = new Map<string, LegacyRecord[]>();

  test('the sites initialise and know their active stores from the store records they pulled', async () => {
    const first1 = await site1.sync();
    const first2 = await site2.sync();
    expect([first1, first2]).toEqual([
      expect.objectContaining({ requestedInitialisation: true, initialised: true, pushed: 0 }),
      expect.objectContaining({ requestedInitialisation: true, initialised: true, pushed: 0 }),
    ]);
    expect(site1.activeStoreIds.sort()).toEqual(['STORE_B', 'STORE_F']);
    expect(site2.activeStoreIds.sort()).toEqual(['STORE_C', 'STORE_D']);
    expect((await site1.site()).initialisationStatus).toBe('completed');
    expect((await site2.site()).initialisationStatus).toBe('completed');
  });

  test('records built from the legacy fixtures are pushed by the sites of their stores, and everyone syncs twice', async () => {
    const records1 = [...storeData('STORE_B', 'field'), ...storeData('STORE_F', 'field'), outbound, ...outboundLines, legacyRecord('message', 'FIELD_MSG_B_TO_C', { toStoreID: 'STORE_C', fromStoreID: 'STORE_B' })];
    const records2 = [...storeData('STORE_C', 'field'), ...storeData('STORE_D', 'field'), request, requestLine, legacyRecord('message', 'FIELD_MSG_C_TO_F', { toStoreID: 'STORE_F', fromStoreID: 'STORE_C' })];
    site1.changes(records1);
    site2.changes(records2);
    pushedBy.set('remote-site-1', records1);
    pushedBy.set('remote-site-2', records2);
    expect(site1.outgoing).toHaveLength(records1.length);
    expect(site2.outgoing).toHaveLength(records2.length);

    await syncEveryone();
    await syncEveryone();

    // Everything pushed is in the central copy, placed in its store, from the site that pushed it.
    for (const [siteName, siteId] of [['remote-site-1', 2], ['remote-site-2', 3]] as const) {
      const records = pushedBy.get(siteName)!;
      const stored = await server.adapters.centralCopy.get(records.map(({ tableName, recordId }) => ({ tableName, recordId })));
      expect(records.filter(({ tableName, recordId }) => !stored.has(key(tableName, recordId))).map(({ recordId }) => recordId)).toEqual([]);
      for (const record of stored.values()) expect({ id: record.recordId, origin: record.originSiteId }).toEqual({ id: record.recordId, origin: siteId });
    }
    // Faithful sites push only what they may: nothing refused.
    for (const siteId of [2, 3]) expect((await server.admin('GET', `/quarantine?siteId=${siteId}`)).body.records).toEqual([]);
  });

  test('routing: each site holds only what it is entitled to, and receives the trades and messages addressed to its stores', async () => {
    // What each site received (what it made itself it may hold anyway).
    expect(site1.receivedLog.length).toBeGreaterThan(0);
    expect(site2.receivedLog.length).toBeGreaterThan(0);
    expect(notEntitled(site1, 2, site1.receivedLog, demo.stores)).toEqual([]);
    expect(notEntitled(site2, 3, site2.receivedLog, demo.stores)).toEqual([]);

    // Store F's data never reached site 3 (F syncs with the central server only); B's own data neither.
    expect(site2.heldRecords().filter(({ recordId }) => recordId.startsWith('FIELD_STORE_F_') || recordId.startsWith('FIELD_STORE_B_'))).toEqual([]);
    // The trade and the messages reached their stores' sites.
    expect(site2.held('transact', 'FIELD_CI_B_TO_C')).toMatchObject({ store_ID: 'STORE_B', name_ID: nameOf('STORE_C') });
    expect(site2.held('message', 'FIELD_MSG_B_TO_C')).toMatchObject({ toStoreID: 'STORE_C' });
    expect(site1.held('message', 'FIELD_MSG_C_TO_F')).toMatchObject({ toStoreID: 'STORE_F' });
    expect(site1.held('requisition', 'FIELD_REQ_C_TO_B')).toMatchObject({ store_ID: 'STORE_C' });
  });

  test('each transfer has exactly one responding half, whoever made it', async () => {
    const inbound = respondingHalves(site2).get('transact FIELD_CI_B_TO_C') ?? [];
    expect(inbound).toHaveLength(1);
    const response = respondingHalves(site1).get('requisition FIELD_REQ_C_TO_B') ?? [];
    expect(response).toHaveLength(1);
    for (const site of [site1, site2]) {
      expect([...respondingHalves(site)].filter(([, halves]) => halves.length > 1)).toEqual([]);
    }
    // The central copy has no other inbound shipment for it: not the server's if the site made one.
    const candidates = [derivedId('stockTransfer', 'FIELD_CI_B_TO_C'), ...inbound];
    const stored = await server.adapters.centralCopy.get(candidates.map((recordId) => ({ tableName: 'transact', recordId })));
    expect([...stored.values()].filter((record) => record.recordData?.linked_transaction_id === 'FIELD_CI_B_TO_C').map((record) => record.recordId)).toEqual(inbound);
  });

  test('store F moves to site 3: the new site counts it as active and pushes its data; the old site no longer does', async () => {
    let moved = await server.admin('PUT', '/stores/STORE_F/active-site', { siteId: 3 });
    for (let attempt = 0; moved.status === 409 && attempt < 5; attempt++) {
      await syncEveryone();
      moved = await server.admin('PUT', '/stores/STORE_F/active-site', { siteId: 3 });
    }
    expect(moved.status).toBe(200);
    const received1 = site1.receivedLog.length;
    const received2 = site2.receivedLog.length;

    await site2.sync();
    await site1.sync();
    await site2.sync();
    const after = demo.stores.map((store) => (store.id === 'STORE_F' ? { ...store, activeSiteId: 3 } : store));

    // Store F's record, corrected by the configuration, reached both sites.
    expect(site2.held('store', 'STORE_F')).toMatchObject({ sync_id_remote_site: 3 });
    expect(site1.held('store', 'STORE_F')).toMatchObject({ sync_id_remote_site: 3 });
    expect(site2.activeStoreIds.sort()).toEqual(['STORE_C', 'STORE_D', 'STORE_F']);
    expect(site1.activeStoreIds).toEqual(['STORE_B']);

    // The new site received F's whole data; neither site received what it is not entitled to since.
    for (const record of storeData('STORE_F', 'field')) expect(site2.held(record.tableName, record.recordId)).toMatchObject({ ID: record.recordId });
    expect(notEntitled(site2, 3, site2.receivedLog.slice(received2), after)).toEqual([]);
    expect(notEntitled(site1, 2, site1.receivedLog.slice(received1), after)).toEqual([]);

    // The new site pushes F's data.
    const newStocktake = legacyRecord('Stock_take', 'FIELD_AFTER_MOVE_F_ST', { store_ID: 'STORE_F', comment: 'counted on site 3' });
    site2.change(newStocktake);
    expect((await site2.sync()).pushed).toBe(1);
    const stored = await server.adapters.centralCopy.get([{ tableName: 'Stock_take', recordId: 'FIELD_AFTER_MOVE_F_ST' }]);
    expect(stored.get(key('Stock_take', 'FIELD_AFTER_MOVE_F_ST'))).toMatchObject({ originSiteId: 3, placement: { storeId: 'STORE_F' } });

    // The old site's edit of F's data stays local: its client no longer pushes it.
    const oldInvoice = site1.held('transact', 'FIELD_STORE_F_TX')!;
    site1.change({ tableName: 'transact', recordId: 'FIELD_STORE_F_TX', action: 'update', recordData: { ...oldInvoice, comment: 'late edit on site 2' } });
    expect(site1.outgoing).toEqual([]);
    expect((await site1.sync()).pushed).toBe(0);
    const invoice = await server.adapters.centralCopy.get([{ tableName: 'transact', recordId: 'FIELD_STORE_F_TX' }]);
    expect(invoice.get(key('transact', 'FIELD_STORE_F_TX'))?.recordData?.comment).not.toBe('late edit on site 2');
    for (const siteId of [2, 3]) expect((await server.admin('GET', `/quarantine?siteId=${siteId}`)).body.records).toEqual([]);
  });

  test('after everything, still one responding half per transfer on every site', async () => {
    await syncEveryone();
    for (const site of [site1, site2]) expect([...respondingHalves(site)].filter(([, halves]) => halves.length > 1)).toEqual([]);
    expect(respondingHalves(site2).get('transact FIELD_CI_B_TO_C')).toHaveLength(1);
  });
});
