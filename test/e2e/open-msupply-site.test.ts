/**
 * Issue 10's "Done means", with the project's faithful Open mSupply client (lib/remote-site/) on
 * the in-process server loaded with the demo configuration: each demo site completes a first sync
 * and later syncs with its v6 steps (v6 push, integration wait, pulls), the demo user logs in and
 * the site stores that user's stores and permissions, and a sync file uploaded by one site for a
 * record another site is entitled to is downloaded there byte for byte.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { RemoteSite, type SyncStep } from '../../lib/remote-site/client';
import { transferProcessor } from '../../lib/remote-site/transfer-processor';
import { legacyRecord } from '../support/legacy-records';
import { DEMO_CONFIG, startTestSyncServer, type TestSyncServer } from '../support/sync-server';

jest.setTimeout(180_000);

interface DemoConfig {
  sites: Array<{ siteId: number; name: string; kind: string }>;
  stores: Array<{ id: string; activeSiteId: number }>;
  users: Array<{ name: string; password: string; defaultStoreId: string; stores: Array<{ storeId: string; permissions: number[] }> }>;
}
const demo = JSON.parse(readFileSync(DEMO_CONFIG, 'utf8')) as DemoConfig;
const remoteSites = demo.sites.filter((site) => site.kind !== 'central');
const demoUser = demo.users[0]!;

let server: TestSyncServer;
const sites = new Map<string, { site: RemoteSite; steps: SyncStep[] }>();

/** A demo site as a real installation runs it: the client's steps recorded, its transfer processors on. */
function siteFor(name: string) {
  const steps: SyncStep[] = [];
  const site = new RemoteSite({
    baseUrl: server.url,
    siteName: name,
    password: server.passwords[name]!,
    hardwareId: `hardware-${name}`,
    timeScale: 0.25,
    processors: transferProcessor(),
    onStep: (step, phase) => void (phase === 'start' && steps.push(step)),
  });
  sites.set(name, { site, steps });
  return site;
}
const siteNamed = (name: string) => sites.get(name)!.site;
/** The site, after its first sync (so a test also runs alone). */
async function syncedSite(name: string) {
  const site = sites.get(name)?.site ?? siteFor(name);
  if (!site.isInitialised) await site.sync();
  return site;
}

beforeAll(async () => {
  server = await startTestSyncServer();
});
afterAll(() => server?.stop());

describe.each(remoteSites.map((site) => [site.name, site.siteId] as const))('demo site %s', (name, siteId) => {
  const ownStores = demo.stores.filter((store) => store.activeSiteId === siteId).map((store) => store.id);

  test('first sync: initialises, pulls v5 and v6, and counts its configured stores active', async () => {
    const site = siteFor(name);
    const first = await site.sync();
    expect(first).toMatchObject({ requestedInitialisation: true, initialised: true, pushed: 0, pushedV6: 0 });
    expect(sites.get(name)!.steps).toEqual(['prepareInitial', 'pushV6', 'push', 'pullCentral', 'pullRemote', 'pullV6', 'integrate']);
    expect(site.isInitialised).toBe(true);
    expect(site.activeStoreIds.sort()).toEqual([...ownStores].sort());
    expect(first.ignored).toEqual([]);
  });

  test('later syncs: a v6 record of its store is pushed over v6 and waited for, then the pulls; nothing is pushed twice', async () => {
    const site = siteNamed(name);
    const steps = sites.get(name)!.steps;
    steps.length = 0;
    const assetId = `asset-${name}`;
    site.change({ tableName: 'asset', recordId: assetId, action: 'update', recordData: { id: assetId, store_id: ownStores[0], notes: `fridge of ${name}`, serial_number: `SN-${siteId}` } });
    const later = await site.sync();
    expect(later).toMatchObject({ requestedInitialisation: false, initialised: false, pushedV6: 1 });
    expect(steps).toEqual(['prepareInitial', 'pushV6', 'push', 'integrationWait', 'pullCentral', 'pullRemote', 'pullV6', 'integrate']);
    // The server kept it in its v6 central copy, placed in the site's store.
    const kept = (await server.adapters.v6Store.get([{ tableName: 'asset', recordId: assetId }])).get(`asset\u0000${assetId}`);
    expect(kept).toBeDefined();

    const again = await site.sync();
    expect(again).toMatchObject({ pushed: 0, pushedV6: 0, initialised: false });
    expect(site.outgoing).toEqual([]);
  });

  test('the demo user logs in and the site stores the user, its stores here, and their permissions', async () => {
    const site = siteNamed(name);
    const result = await site.login(demoUser.name, demoUser.password);
    if (result.status !== 'loggedIn') throw new Error(`login refused: ${JSON.stringify(result)}`);
    expect(result.central).toEqual({ kind: 'updated' });
    expect(result.user).toMatchObject({ username: demoUser.name, isActive: true, firstName: 'Demo', lastName: 'User' });

    // The joins the site keeps: the user's stores that the site holds (those of other sites are skipped).
    const userStoresHere = demoUser.stores.filter((store) => ownStores.includes(store.storeId));
    expect(userStoresHere.length).toBeGreaterThan(0);
    const joined = new Map(result.stores.map((store) => [store.storeId, store]));
    for (const store of userStoresHere) {
      const join = joined.get(store.storeId);
      expect(join).toBeDefined();
      expect(join!.isDefault).toBe(store.storeId === demoUser.defaultStoreId);
      expect(join!.permissions).toContain('StoreAccess');
    }
    for (const join of result.stores) expect(site.held('store', join.storeId)).toBeDefined();
    if (joined.has('STORE_F')) {
      // Only viewing in F: 39, 43, 153, 156.
      expect(joined.get('STORE_F')!.permissions).toEqual(
        ['CustomerReturnQuery', 'InboundShipmentQuery', 'OutboundShipmentQuery', 'PrescriptionQuery', 'RequisitionQuery', 'RnrFormQuery', 'StockLineQuery', 'StocktakeQuery', 'StoreAccess', 'SupplierReturnQuery'],
      );
    }
    const full = userStoresHere.find((store) => store.storeId !== 'STORE_F')!;
    expect(joined.get(full.storeId)!.permissions).toEqual(expect.arrayContaining(['ServerAdmin', 'StockLineMutate', 'OutboundShipmentMutate', 'PatientQuery', 'AssetMutate', 'Report']));

    expect(await site.login(demoUser.name, 'not the password')).toEqual({ status: 'invalidCredentials', central: { kind: 'unauthenticated' } });
  });
});

/**
 * remote-site-1 attaches a file to `table`/`recordId` (a record it pushed in an earlier sync) and
 * its file synchroniser uploads it after the next sync; remote-site-2 syncs, receives the
 * reference, and opens the file.
 */
async function uploadThenDownload(tableName: string, recordId: string) {
  const siteB = await syncedSite('remote-site-1');
  const siteC = await syncedSite('remote-site-2');
  const bytes = randomBytes(200_000);
  const reference = siteB.attachFile({ tableName, recordId, fileName: 'delivery note.pdf', bytes, mimeType: 'application/pdf' });
  // Not yet pushed: the server does not hold the reference, the upload is to be tried again in a minute.
  const early = await siteB.fileSync();
  expect(early.failed).toEqual([{ id: reference.id, error: expect.stringContaining('syncFileNotFound'), status: 'Error' }]);

  // The next sync pushes the reference over v6; the driver then uploads the file (after its retry time).
  const pushed = await siteB.sync();
  expect(pushed.pushedV6).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, siteB.timing.ms(60) + 50));
  expect(await siteB.fileSync()).toEqual({ uploaded: [reference.id], failed: [] });
  expect(siteB.fileReference(reference.id)).toMatchObject({ status: 'Done', uploadedBytes: bytes.length });

  // The other site receives the record and the reference, then opens the file.
  await siteC.sync();
  expect(siteC.held(tableName, recordId)).toBeDefined();
  expect(siteC.fileReference(reference.id)).toMatchObject({ ...reference, direction: 'Download', status: 'New' });
  expect(siteC.file(reference.id)).toBeUndefined();
  expect(await siteC.fileSync()).toEqual({ uploaded: [], failed: [] });
  const downloaded = await siteC.downloadFile(reference.id);
  expect(downloaded.name).toBe('delivery note.pdf');
  expect(downloaded.bytes.equals(bytes)).toBe(true);
  expect(siteC.fileReference(reference.id)).toMatchObject({ status: 'Done', downloadedBytes: bytes.length });
}

test('a sync file of a vaccination: remote-site-1 uploads it; remote-site-2, where the patient is visible, downloads the same bytes', async () => {
  const siteB = await syncedSite('remote-site-1');
  // The patient is visible in store C (site 3), so the patient's records of store B go there too.
  expect((await server.admin('POST', '/stores/STORE_C/visibility', { nameId: 'PATIENT_FILE_1' })).status).toBe(201);
  siteB.change({ tableName: 'vaccination', recordId: 'VACC_FILE_1', action: 'update', recordData: { id: 'VACC_FILE_1', store_id: 'STORE_B', patient_id: 'PATIENT_FILE_1', given: true } });
  expect((await siteB.sync()).pushedV6).toBe(1);
  await uploadThenDownload('vaccination', 'VACC_FILE_1');
});

/**
 * The reference is placed as its invoice (store B, counterpart NAME_STORE_C), so it is entered in
 * both stores' partitions of the v6 change log, and remote-site-2 (store C's site) receives it.
 */
test('a sync file of an invoice from store B to store C: remote-site-2, entitled to the invoice, receives the reference and downloads the file', async () => {
  const siteB = await syncedSite('remote-site-1');
  const invoice = legacyRecord('transact', 'CI_B_TO_C_FILE', { store_ID: 'STORE_B', name_ID: 'NAME_STORE_C', invoice_num: 31 }, 1);
  siteB.changes([invoice]);
  await siteB.sync();
  await uploadThenDownload('transact', 'CI_B_TO_C_FILE');
});

/**
 * Every sync pushes v6 before v5 (`sync/synchroniser.rs`), so a file attached to a legacy record
 * made since the last sync (a purchase order and its scanned document, say) reaches the server
 * before its record: the reference is refused `parent_not_found` and waits for the record; the
 * v5 push of the same sync brings the record, and the v6 pull that follows decides the reference
 * again and accepts it, so the record's other sites receive it (docs/sync-files.md).
 */
test('a file attached to a legacy record in the same sync that creates the record reaches the record\'s other sites', async () => {
  // remote-site-2 collects store B, so it holds store B's records.
  expect((await server.admin('PUT', '/stores/STORE_B/sync-with/3', { syncWith: 'activeCollector' })).status).toBe(200);
  const siteB = await syncedSite('remote-site-1');
  const siteC = await syncedSite('remote-site-2');
  siteB.changes([legacyRecord('Location', 'LOC_WITH_FILE', { store_ID: 'STORE_B' })]);
  const reference = siteB.attachFile({ tableName: 'Location', recordId: 'LOC_WITH_FILE', fileName: 'plan.pdf', bytes: randomBytes(1000) });
  await siteB.sync();
  // Accepted within that sync, placed as its Location; its refusal is marked resolved.
  const kept = (await server.adapters.v6Store.get([{ tableName: 'sync_file_reference', recordId: reference.id }])).get(`sync_file_reference\u0000${reference.id}`);
  expect(kept).toMatchObject({ originSiteId: 2, placement: { storeId: 'STORE_B', parent: { table: 'Location', id: 'LOC_WITH_FILE' } } });
  const entries = (await server.adapters.quarantine.list({ siteId: 2, limit: 1000 })).records.filter((record) => record.recordId === reference.id);
  expect(entries).toEqual([expect.objectContaining({ reason: 'resolved', message: expect.stringContaining('Location LOC_WITH_FILE') })]);
  expect(await server.adapters.v6Store.hasWaiting(2)).toBe(false);
  expect(await siteB.fileSync()).toEqual({ uploaded: [reference.id], failed: [] });
  await siteB.sync();
  await siteC.sync();
  expect(siteC.held('Location', 'LOC_WITH_FILE')).toBeDefined();
  expect(siteC.fileReference(reference.id)).toMatchObject({ id: reference.id, direction: 'Download' });
});

/**
 * reqwest writes a file name's `"` as `\"` inside the quoted `filename` (and `\` as `\\`); the
 * server undoes those escapes in the part headers before reading the parts. (A name with a line
 * break is written by reqwest as a backslash and a raw line break: not readable as multipart by
 * anyone, so not asserted here.)
 */
test('a file whose name has quotes is uploaded', async () => {
  const siteB = await syncedSite('remote-site-1');
  siteB.change({ tableName: 'asset', recordId: 'asset-quoted-file', action: 'update', recordData: { id: 'asset-quoted-file', store_id: 'STORE_B' } });
  const reference = siteB.attachFile({ tableName: 'asset', recordId: 'asset-quoted-file', fileName: 'fridge "B" door.jpg', bytes: randomBytes(500) });
  await siteB.sync();
  expect(await siteB.fileSync()).toEqual({ uploaded: [reference.id], failed: [] });
});
