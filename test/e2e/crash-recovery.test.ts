/**
 * The local server killed (SIGKILL of its whole process group: server, DynamoDB Local, queue
 * emulator) while a push runs (it routes what it stores before answering), right after answering
 * it, while routing and transfers run, over several cycles,
 * and restarted on the same data each time. Its queues live in memory, so every kill loses every
 * queued message: what was answered 2xx must still reach every site entitled to it, every
 * transfer must complete exactly once, and both sites must end idle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { derivedId } from '../../functions/domain/transfers/rules';
import { RemoteSite, SyncFlowError } from '../../lib/remote-site/client';
import { transferProcessor } from '../../lib/remote-site/transfer-processor';
import { legacyRecord } from '../support/legacy-records';
import { freePort } from '../../lib/local/ports';
import { startLocalServerProcess, type LocalServerProcess } from '../support/local-server-process';

jest.setTimeout(15 * 60_000);

const ADMIN_TOKEN = 'crash-test-admin-token';
const dataDir = mkdtempSync(path.join(tmpdir(), 'central-sync-crash-'));
let server: LocalServerProcess | undefined;
let port = 0;

afterAll(async () => {
  await server?.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** The same port every time: the sites keep their configured URL across the server's restarts. */
async function start() {
  port ||= await freePort();
  server = await startLocalServerProcess([], { dataDir, port, env: { ADMIN_TOKEN } });
}

let onStepB: (step: string, phase: string) => void = () => {};
const makeSite = (siteName: string, hardwareId: string, onStep?: (step: string, phase: string) => void) =>
  new RemoteSite({
    baseUrl: `http://127.0.0.1:${port}`,
    siteName,
    password: `${siteName}-pass`,
    hardwareId,
    timeScale: 0.25,
    processors: transferProcessor(),
    ...(onStep ? { onStep } : {}),
  });
let siteB: RemoteSite;
let siteC: RemoteSite;

/**
 * Store B's work of one cycle: invoices to store C (transfers) and to a plain customer, with
 * lines; `invoices` beyond four are all to the customer (a push long enough to be cut mid-way).
 */
function makeChanges(cycle: number, invoices = 4): { ids: string[]; cursors: number[] } {
  const ids: string[] = [];
  const cursors: number[] = [];
  for (let n = 0; n < invoices; n++) {
    const toStoreC = n < 4 && n % 2 === 0;
    const invoiceId = `CRASH_${cycle}_CI_${n}`;
    const invoice = legacyRecord('transact', invoiceId, { store_ID: 'STORE_B', name_ID: toStoreC ? 'NAME_STORE_C' : 'NAME_CUSTOMER_X', invoice_num: cycle * 1000 + n }, 1);
    const lines = [1, 2, 3].map((line) =>
      legacyRecord('trans_line', `${invoiceId}_LINE_${line}`, { transaction_ID: invoiceId, item_ID: `ITEM_${line}`, quantity: line, pack_size: 1, type: 'stock_out' }),
    );
    cursors.push(...siteB.changes([invoice, ...lines]).map((entry) => entry.cursor));
    ids.push(invoiceId, ...lines.map((line) => line.recordId));
  }
  return { ids, cursors };
}

const transfersOf = (ids: readonly string[]) => ids.filter((id) => /^CRASH_\d+_CI_[02]$/.test(id));

test('killed during a push or at any point after its 2xx, restarted on the same data: nothing answered is lost, transfers complete once, sites go idle', async () => {
  await start();
  siteB = makeSite('remote-site-1', 'crash-hw-b', (step, phase) => onStepB(step, phase));
  siteC = makeSite('remote-site-2', 'crash-hw-c');
  // Site 3 collects store B: everything B's site pushes is routed there.
  const response = await fetch(`${server!.url}/admin/v1/stores/STORE_B/sync-with/3`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ syncWith: 'activeCollector' }),
  });
  expect(response.status).toBe(200);
  for (const site of [siteB, siteC]) await site.sync();

  const created: string[] = [];
  // How long a long push takes here, not killed: the kills during a push are placed within it.
  const BULK = 150;
  const first = makeChanges(0, BULK);
  created.push(...first.ids);
  const pushSpan: number[] = [];
  onStepB = (step, phase) => {
    if ((step === 'push' || step === 'integrationWait') && phase === 'start') pushSpan.push(Date.now());
  };
  await Promise.all([siteB.sync(), siteC.sync()]);
  const pushMs = pushSpan[1]! - pushSpan[0]!;
  // Kill points while the push runs (it routes what it stores before it answers), then after it
  // was answered: at once, while routing, while transfers run, later.
  const killPoints = [
    { after: 'push', delayMs: Math.round(pushMs * 0.5), invoices: BULK },
    { after: 'push', delayMs: Math.round(pushMs * 0.85), invoices: BULK },
    { after: 'integrationWait', delayMs: 0, invoices: 4 },
    { after: 'integrationWait', delayMs: 150, invoices: 4 },
    { after: 'integrationWait', delayMs: 400, invoices: 4 },
    { after: 'integrationWait', delayMs: 900, invoices: 4 },
  ] as const;
  for (const [index, { after, delayMs, invoices }] of killPoints.entries()) {
    const cycle = index + 1;
    const made = makeChanges(cycle, invoices);
    created.push(...made.ids);
    const reached = new Promise<void>((resolve) => {
      onStepB = (step, phase) => {
        if (step === after && phase === 'start') resolve();
      };
    });
    const syncing = siteB.sync().catch((error: unknown) => error);
    const syncingC = siteC.sync().catch((error: unknown) => error);
    await reached;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    const killed = server!.stop('SIGKILL');
    await Promise.all([syncing, syncingC, killed]);
    // Once the push was answered 2xx, none of this cycle's changes waits to be pushed (the site's
    // processors may have changed the same records since: those are new changes). A push cut
    // short is pushed again by the next sync.
    if (after === 'integrationWait') expect(siteB.outgoing.filter((entry) => made.cursors.includes(entry.cursor))).toEqual([]);
    await start();
  }
  onStepB = () => {};

  // Sync both until nothing moves: every site's queue drained and every processor's change pushed.
  // A sync whose integration wait runs out (the work the restarts left, caught up after the long
  // pushes) fails as it does in the field and the next one carries on; three rounds in a row
  // without a failure end it.
  const timedOut: string[] = [];
  for (let round = 0, clean = 0; clean < 3; round++) {
    if (round >= 12) throw new Error(`syncs still timing out after 12 rounds: ${timedOut.join('; ')}`);
    let failed = false;
    for (const site of [siteB, siteC]) {
      const error = await site.sync().then(() => undefined, (reason: unknown) => reason);
      if (error instanceof SyncFlowError && error.code === 'timeout_reached') {
        timedOut.push(`round ${round} ${site.siteName}`);
        failed = true;
      } else if (error) throw error;
    }
    clean = failed ? 0 : clean + 1;
  }
  for (const site of [siteB, siteC]) expect((await site.siteStatus()).code).toBe('idle');

  // Everything store B's site pushed (and was answered 2xx) reached its collector, site 3.
  const missing = created.filter((id) => !siteC.held(id.includes('_LINE_') ? 'trans_line' : 'transact', id));
  expect(missing).toEqual([]);
  // Each transfer has exactly one responding half on store C's site, made once.
  for (const invoiceId of transfersOf(created)) {
    const halves = siteC.heldRecords('transact').filter((held) => held.recordData.linked_transaction_id === invoiceId);
    expect({ invoiceId, halves: halves.map((held) => held.recordId) }).toEqual({ invoiceId, halves: [derivedId('stockTransfer', invoiceId)] });
    const lines = siteC.heldRecords('trans_line').filter((line) => line.recordData.transaction_ID === derivedId('stockTransfer', invoiceId));
    expect(lines).toHaveLength(3);
  }
});
