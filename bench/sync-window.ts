/**
 * The two waits a real site's sync depends on, on the local server (in-process, in memory):
 *  - integration: a site pushes BENCH_SYNC_RECORDS (default 5000) store records the way the client
 *    does (batches of 1024, queueLength counting down, a closing call with 0), and the time from
 *    the closing answer until `site_status` says idle is measured. The client polls every second
 *    and fails its sync after 30 s, so this must stay well under 30 s.
 *  - initialisation: with BENCH_INIT_RECORDS (default 100000) records of a store the site holds in
 *    the central copy, the time of `POST initialise`, of the first pull, and of pulling and
 *    acknowledging all of them in the client's pages of 500.
 * Figures only: nothing here asserts a time. Run through `npm run bench`, or alone with
 * `tsx bench/sync-window.ts`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalServer } from '../lib/local/local-server';
import { adminClient, envNumber, seconds, v5SiteHeaders } from './bench-support';

const FIXTURES = path.join(__dirname, '..', '..', 'shared', 'fixtures', 'legacy-records');
const CLIENT_PUSH_BATCH = 1024;
const CLIENT_PULL_LIMIT = 500;
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;


const transactTemplate = (JSON.parse(readFileSync(path.join(FIXTURES, 'transact.json'), 'utf8')) as Array<{ recordData?: Record<string, unknown> }>).find(
  (record) => record.recordData,
)!.recordData!;

const transact = (id: string, storeId: string) => ({ tableName: 'transact', recordId: id, action: 'update', recordData: { ...transactTemplate, ID: id, store_ID: storeId, name_ID: 'BENCH_CUSTOMER' } });

/** A v5 caller with the client's headers. */
function siteClient(baseUrl: string, name: string, password: string) {
  const headers = v5SiteHeaders(name, password, `bench-${name}`);
  const call = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}/sync/v5/${route}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as any;
  };
  return { get: (route: string) => call('GET', route), post: (route: string, body: unknown) => call('POST', route, body) };
}

export async function runSyncWindow(): Promise<void> {
  const syncRecords = envNumber('BENCH_SYNC_RECORDS', 5000);
  const initRecords = envNumber('BENCH_INIT_RECORDS', 100_000);
  const server = await startLocalServer({ inMemory: true, port: 0, log: (line) => (/fail|error/i.test(line) ? console.log(`  [server] ${line}`) : undefined) });
  try {
    const admin = adminClient(server);
    const password = server.sitePasswords.find((entry) => entry.name === 'remote-site-1')!.password;
    const site = siteClient(server.url, 'remote-site-1', password);
    // Store B (active on remote-site-1) is also a collector copy on remote-site-2: every record routes.
    await admin('PUT', '/stores/STORE_B/sync-with/3', { syncWith: 'activeCollector' });
    await site.post('initialise', {});

    // --- integration window
    const records = Array.from({ length: syncRecords }, (_, i) => transact(`bench-sync-${i}`, 'STORE_B'));
    const pushStart = process.hrtime.bigint();
    for (let sent = 0; sent < records.length; sent += CLIENT_PUSH_BATCH) {
      const data = records.slice(sent, sent + CLIENT_PUSH_BATCH).map((record, i) => ({ syncOutId: String(sent + i + 1), ...record }));
      await site.post('queued_records', { queueLength: records.length - sent, data });
    }
    const closing = await site.post('queued_records', { queueLength: 0, data: [] });
    if (closing.integrationStarted !== true) throw new Error('the closing push did not answer integrationStarted: true');
    const pushSeconds = seconds(pushStart);
    const idleStart = process.hrtime.bigint();
    let polls = 0;
    for (;;) {
      polls++;
      if ((await site.get('site_status')).code === 'idle') break;
      if (seconds(idleStart) * 1000 > IDLE_TIMEOUT_MS) throw new Error('site_status never became idle');
      await sleep(100);
    }
    const integrationSeconds = seconds(idleStart);
    console.log(`\nIntegration window (one site pushes ${syncRecords} store records, each routed to a collector site)`);
    console.log(`  push (${Math.ceil(syncRecords / CLIENT_PUSH_BATCH) + 1} calls): ${pushSeconds.toFixed(1)} s, ${(syncRecords / pushSeconds).toFixed(0)} records/s`);
    console.log(`  closing push answer -> site_status idle: ${integrationSeconds.toFixed(2)} s (${polls} polls every 100 ms; the client gives up after 30 s)`);

    // --- initialisation at size: store A (active on the central server) is a collector copy on remote-site-1.
    const importStart = process.hrtime.bigint();
    for (let i = 0; i < initRecords; i += CLIENT_PUSH_BATCH) {
      const batch = Array.from({ length: Math.min(CLIENT_PUSH_BATCH, initRecords - i) }, (_, j) => transact(`bench-init-${i + j}`, 'STORE_A'));
      await admin('POST', '/records', { records: batch });
    }
    const importSeconds = seconds(importStart);
    const initStart = process.hrtime.bigint();
    await site.post('initialise', {});
    const initialiseSeconds = seconds(initStart);
    const pullStart = process.hrtime.bigint();
    let firstPullSeconds = 0;
    let received = 0;
    let pulls = 0;
    for (;;) {
      const page = await site.get(`queued_records?limit=${CLIENT_PULL_LIMIT}`);
      if (pulls++ === 0) firstPullSeconds = seconds(pullStart);
      if (page.data.length === 0) break;
      received += page.data.length;
      await site.post('acknowledged_records', { syncIDs: page.data.map((record: { syncOutId: string }) => record.syncOutId) });
    }
    const streamSeconds = seconds(pullStart);
    console.log(`\nInitialisation served at pull time (${initRecords} records of a store the site holds, imported in ${importSeconds.toFixed(0)} s)`);
    console.log(`  POST initialise: ${(initialiseSeconds * 1000).toFixed(0)} ms; first pull of ${CLIENT_PULL_LIMIT}: ${(firstPullSeconds * 1000).toFixed(0)} ms`);
    console.log(`  all ${received} records pulled and acknowledged in ${pulls} calls: ${streamSeconds.toFixed(1)} s, ${(received / streamSeconds).toFixed(0)} records/s`);
  } finally {
    await server.stop();
  }
}

if (require.main === module) {
  runSyncWindow().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
