/**
 * `site_status` never keeps a site waiting for work that nothing runs: work whose message never
 * left (a failed send, a request that died) is sent again from its marker, work whose message was
 * lost is sent again by the sweeper, and work whose message fails for the last time (on its way
 * to the dead-letter queue) stops counting.
 */
import type { SQSRecord } from 'aws-lambda';
import { finishingOnLastAttempt } from '../../functions/commons/last-attempt';
import type { BackgroundWork } from '../../functions/domain/ports';
import { REDELIVERY_GRACE_MS } from '../../functions/domain/sync/background-work';
import { queueSiteWork, UNSENT_GRACE_MS } from '../../functions/services/site-work';
import { sweepWork } from '../../functions/services/sweep-work';
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
  // The marker holds the work: the request that queued it succeeds, and the send is made again later.
  await expect(queueSiteWork({ progress: server.adapters.progress, work: failingQueue }, 2, routeWork('unsent-1'))).resolves.toBe(false);

  // Within the grace the request might still be sending: the work is in progress, and not sent twice.
  expect((await site.get('site_status')).body).toMatchObject({ code: 'integration_in_progress' });
  expect(await server.adapters.progress.unsentWork(2, UNSENT_GRACE_MS)).toEqual([]);

  clockOffsetMs += UNSENT_GRACE_MS + 1_000;
  expect(await server.adapters.progress.unsentWork(2, UNSENT_GRACE_MS)).toEqual([routeWork('unsent-1')]);
  const codes = await statusUntilIdle(site);
  expect(codes[0]).toBe('integration_in_progress');
  expect(await server.adapters.progress.unsentWork(2, UNSENT_GRACE_MS)).toEqual([]);
});

test('work sent normally is not sent again by site_status, and a marker is never recreated after its work finished', async () => {
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

test('work whose message was lost after it was sent is sent again by the sweeper once it is due, and only then', async () => {
  const sweepDeps = { progress: server.adapters.progress, work: server.adapters.work, now };
  // Marked and recorded as sent, but the message never reached a consumer (a queue that lost it).
  await server.adapters.progress.begin(2, 'lost-1', routeWork('lost-1'));
  await server.adapters.progress.sent(2, 'lost-1');
  expect(await server.adapters.progress.workInProgress(2)).toBe(true);

  // Within the redelivery grace the message may still be on its way: nothing is sent again.
  expect(await sweepWork(sweepDeps)).toEqual({ resent: 0, failed: 0, more: false });
  expect(await server.adapters.progress.workInProgress(2)).toBe(true);

  clockOffsetMs += REDELIVERY_GRACE_MS + 1_000;
  expect(await sweepWork(sweepDeps)).toEqual({ resent: 1, failed: 0, more: false });
  const site = rawV5({ baseUrl: server.url, siteName: 'remote-site-1', password: server.passwords['remote-site-1']!, hardwareId: 'status-hw' });
  await statusUntilIdle(site);
  // Done work leaves nothing for a later sweep.
  clockOffsetMs += REDELIVERY_GRACE_MS + 1_000;
  expect(await sweepWork(sweepDeps)).toEqual({ resent: 0, failed: 0, more: false });
});

test('a sweep of everything (the queues were emptied) sends every unfinished piece of work once, due or not, even across many rounds', async () => {
  const sweepDeps = { progress: server.adapters.progress, work: server.adapters.work, now };
  const workIds = Array.from({ length: 30 }, (_, i) => `emptied-${i}`);
  for (const workId of workIds) {
    await server.adapters.progress.begin(3, workId, routeWork(workId));
    await server.adapters.progress.sent(3, workId);
  }
  const sent: string[] = [];
  const recordingQueue = { send: async (work: BackgroundWork) => void sent.push(work.workId) };
  // Two markers per shard and round: the sweep takes several rounds and still sends each once.
  expect(await sweepWork({ ...sweepDeps, work: recordingQueue }, { everything: true, limitPerShard: 2 })).toEqual({ resent: 30, failed: 0, more: false });
  expect(sent.sort()).toEqual([...workIds].sort());
  // Sent again just now: not due for a normal sweep.
  expect(await sweepWork({ ...sweepDeps, work: recordingQueue })).toEqual({ resent: 0, failed: 0, more: false });
  for (const workId of workIds) await server.adapters.progress.finish(3, workId);
});

test('work whose resend fails never holds up the sweep: the rest is sent, and it is tried again later', async () => {
  const sweepDeps = { progress: server.adapters.progress, work: server.adapters.work, now };
  for (const workId of ['unsendable', 'sendable']) {
    await server.adapters.progress.begin(3, workId, routeWork(workId));
    await server.adapters.progress.sent(3, workId);
  }
  const sent: string[] = [];
  const pickyQueue = {
    send: async (work: BackgroundWork) => {
      if (work.workId === 'unsendable') throw new Error('the queue refused this message');
      sent.push(work.workId);
    },
  };
  clockOffsetMs += REDELIVERY_GRACE_MS + 1_000;
  const failures: string[] = [];
  const outcome = await sweepWork({ ...sweepDeps, work: pickyQueue }, { limitPerShard: 1, onFailure: (work) => failures.push(work.workId) });
  expect(outcome).toEqual({ resent: 1, failed: 1, more: false });
  expect(sent).toEqual(['sendable']);
  expect(failures).toEqual(['unsendable']);
  // Postponed, not dropped: due again after the retry delay, still counting for its site.
  expect(await server.adapters.progress.workInProgress(3)).toBe(true);
  expect(await sweepWork({ ...sweepDeps, work: pickyQueue })).toEqual({ resent: 0, failed: 0, more: false });
  clockOffsetMs += 10 * 60_000;
  expect(await sweepWork({ ...sweepDeps, work: pickyQueue })).toEqual({ resent: 0, failed: 1, more: false });
  for (const workId of ['unsendable', 'sendable']) await server.adapters.progress.finish(3, workId);
});
