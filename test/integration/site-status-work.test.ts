/**
 * `site_status` never keeps a site waiting for work that nothing runs: work whose message never
 * left (a failed send, a request that died) is sent again from its marker, and work whose message
 * fails for the last time (on its way to the dead-letter queue) stops counting.
 */
import type { SQSRecord } from 'aws-lambda';
import { finishingOnLastAttempt } from '../../functions/commons/last-attempt';
import type { BackgroundWork } from '../../functions/domain/ports';
import { queueSiteWork, UNSENT_GRACE_MS } from '../../functions/services/site-work';
import { queues } from '../../lib/resources';
import { rawV5 } from '../support/raw-v5';
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';

let server: TestSyncServer;
let clockOffsetMs = 0;
const now = () => new Date(Date.now() + clockOffsetMs);

beforeAll(async () => {
  server = await startTestSyncServer({ now });
});

afterAll(async () => {
  await server?.stop();
});

const routeWork = (workId: string): BackgroundWork => ({ kind: 'route', workId, originSiteId: 2, keys: [{ tableName: 'transact', recordId: `NEVER_STORED_${workId}` }] });

async function statusUntilIdle(site: ReturnType<typeof rawV5>) {
  const codes: string[] = [];
  for (let i = 0; i < 200; i++) {
    const { code } = (await site.get('site_status')).body as { code: string };
    codes.push(code);
    if (code === 'idle') return codes;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never idle: ${codes.slice(-5).join(', ')}`);
}

test('work whose send failed is sent again by site_status once its grace has passed, and the site becomes idle', async () => {
  const site = rawV5({ baseUrl: server.url, siteName: 'remote-site-1', password: server.passwords['remote-site-1']!, hardwareId: 'status-hw' });
  const failingQueue = { send: async () => Promise.reject(new Error('SQS is unreachable')) };
  await expect(queueSiteWork({ progress: server.adapters.progress, work: failingQueue }, 2, routeWork('unsent-1'))).rejects.toThrow('unreachable');

  // Within the grace the request might still be sending: the work is in progress, and not sent twice.
  expect((await site.get('site_status')).body).toMatchObject({ code: 'integration_in_progress' });
  expect(await server.adapters.progress.unsentWork(2, UNSENT_GRACE_MS)).toEqual([]);

  clockOffsetMs += UNSENT_GRACE_MS + 1_000;
  expect(await server.adapters.progress.unsentWork(2, UNSENT_GRACE_MS)).toEqual([routeWork('unsent-1')]);
  const codes = await statusUntilIdle(site);
  expect(codes[0]).toBe('integration_in_progress');
  expect(await server.adapters.progress.unsentWork(2, UNSENT_GRACE_MS)).toEqual([]);
});

test('work sent normally keeps no copy for a resend, and a marker is never recreated after its work finished', async () => {
  await queueSiteWork(server.adapters, 2, routeWork('sent-1'));
  clockOffsetMs += UNSENT_GRACE_MS + 1_000;
  expect(await server.adapters.progress.unsentWork(2, UNSENT_GRACE_MS)).toEqual([]);

  await server.adapters.progress.begin(2, 'finished-first', routeWork('finished-first'));
  await server.adapters.progress.finish(2, 'finished-first');
  await server.adapters.progress.sent(2, 'finished-first');
  const site = rawV5({ baseUrl: server.url, siteName: 'remote-site-1', password: server.passwords['remote-site-1']!, hardwareId: 'status-hw' });
  await statusUntilIdle(site);
  expect(await server.adapters.progress.workInProgress(2)).toBe(false);
});

test('work failing on its last receive stops counting for the site; earlier failures keep it in progress', async () => {
  const attempt = (count: number) => ({ attributes: { ApproximateReceiveCount: String(count) } }) as unknown as SQSRecord;
  const failing = () => Promise.reject(new Error('poison'));
  await server.adapters.progress.begin(3, 'poison-1', routeWork('poison-1'));
  await server.adapters.progress.sent(3, 'poison-1');

  await expect(finishingOnLastAttempt(server.adapters.progress, 3, 'poison-1', attempt(1), queues.fanOut.maxReceiveCount, failing)).rejects.toThrow('poison');
  expect(await server.adapters.progress.workInProgress(3)).toBe(true);
  await expect(
    finishingOnLastAttempt(server.adapters.progress, 3, 'poison-1', attempt(queues.fanOut.maxReceiveCount), queues.fanOut.maxReceiveCount, failing),
  ).rejects.toThrow('poison');
  expect(await server.adapters.progress.workInProgress(3)).toBe(false);
});
