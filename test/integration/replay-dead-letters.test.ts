/**
 * Replaying dead letters on the real SQS emulator: messages go back to their source queue with
 * their bodies and message groups, a dry run moves nothing, a failed send loses nothing, and a
 * poison message of the fan-out consumer is handled once replayed after "the fix".
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { createFanOutHandler } from '../../functions/handlers/fan-out';
import { HeartbeatStore } from '../../functions/storage/heartbeats';
import { waitUntil } from '../../lib/local/ports';
import { startQueuePoller } from '../../lib/local/queue-poller';
import { queueDepth, redriveMismatch, replayDeadLetters } from '../../lib/operations/replay-dead-letters';
import { queues } from '../../lib/resources';
import { adaptersFor, createTestResources, type TestResources } from '../support/stand-ins';

let resources: TestResources;

beforeAll(async () => {
  resources = await createTestResources({ visibilityTimeoutSeconds: 1 });
});

let sent = 0;
/** The dead-letter queues do not deduplicate by content, so every message gets its own id. */
const sendTo = (url: string, body: unknown, group: string) =>
  resources.sqs.send(
    new SendMessageCommand({
      QueueUrl: url,
      MessageBody: JSON.stringify(body),
      MessageGroupId: group,
      MessageDeduplicationId: `test-${++sent}`,
    }),
  );

/** Takes everything out of a queue; deletes what it received, as FIFO hides a group's next message until then. */
async function drain(url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await resources.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
    await resources.sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: url, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }),
    );
  }
}

describe('on the transfers queues', () => {
  // Each test uses its own queues, so none sees another's messages.
  let own: TestResources;
  beforeEach(async () => {
    own = await createTestResources({ visibilityTimeoutSeconds: 1 });
  });

  const bodies = [
    { kind: 'transfer', workId: 'w1', originSiteId: 2, header: { tableName: 'transact', recordId: 'a' } },
    { kind: 'transfer', workId: 'w2', originSiteId: 2, header: { tableName: 'transact', recordId: 'b' } },
    { kind: 'transfer', workId: 'w3', originSiteId: 3, header: { tableName: 'transact', recordId: 'c' } },
  ];
  const groups = ['site-2', 'site-2', 'site-3'];
  const fill = async () => {
    for (const [i, body] of bodies.entries()) await sendTo(own.queues.transfers.deadLetterUrl, body, groups[i]!);
  };

  test('the DLQ is the dead-letter queue of its source queue, and not of the other queue', async () => {
    const { fanOut, transfers } = own.queues;
    expect(await redriveMismatch(own.sqs, transfers.deadLetterUrl, transfers.url)).toBeUndefined();
    expect(await redriveMismatch(own.sqs, fanOut.deadLetterUrl, transfers.url)).toMatch(/dead-letters to/);
  });

  test('replay moves every message back with its body and group, in order, and empties the DLQ', async () => {
    await fill();
    const lines: string[] = [];
    const result = await replayDeadLetters(own.sqs, {
      from: own.queues.transfers.deadLetterUrl,
      to: own.queues.transfers.url,
      log: (line) => lines.push(line),
    });

    expect(result).toMatchObject({ moved: 3, failed: 0, notDeleted: 0 });
    expect(result.error).toBeUndefined();
    expect(await queueDepth(own.sqs, own.queues.transfers.deadLetterUrl)).toBe(0);
    const replayed = await drain(own.queues.transfers.url);
    expect(replayed.map((m) => ({ body: JSON.parse(m.Body!), group: m.Attributes?.MessageGroupId }))).toEqual(
      expect.arrayContaining(bodies.map((body, i) => ({ body, group: groups[i] }))),
    );
    expect(replayed).toHaveLength(3);
    // Within a group, the order is kept.
    expect(replayed.filter((m) => m.Attributes?.MessageGroupId === 'site-2').map((m) => JSON.parse(m.Body!).workId)).toEqual(['w1', 'w2']);
    // A fresh deduplication id, so content-based deduplication cannot swallow a replay.
    expect(replayed.every((m) => /:replay:\d+$/.test(m.Attributes?.MessageDeduplicationId ?? ''))).toBe(true);
    expect(lines.filter((line) => line.startsWith('moved '))).toHaveLength(3);
  });

  test('max stops after that many messages', async () => {
    await fill();
    const result = await replayDeadLetters(own.sqs, { from: own.queues.transfers.deadLetterUrl, to: own.queues.transfers.url, max: 2 });
    expect(result.moved).toBe(2);
    expect(await queueDepth(own.sqs, own.queues.transfers.deadLetterUrl)).toBe(1);
  });

  test('a dry run lists the first messages of each group and moves nothing; they are visible again at once', async () => {
    await fill();
    const lines: string[] = [];
    const result = await replayDeadLetters(own.sqs, {
      from: own.queues.transfers.deadLetterUrl,
      to: own.queues.transfers.url,
      dryRun: true,
      log: (line) => lines.push(line),
    });

    expect(result.moved).toBe(0);
    // A FIFO queue shows a group's next message only once the ones before it are gone: the emulator
    // gives one message per group per receive, SQS up to ten, so the head of each group is certain.
    const listed = result.listed.map(({ group, body }) => ({ group, body: JSON.parse(body) }));
    expect(listed).toEqual(expect.arrayContaining([0, 2].map((i) => ({ group: groups[i], body: bodies[i] }))));
    expect(bodies.map((body, i) => ({ group: groups[i], body }))).toEqual(expect.arrayContaining(listed));
    expect(result.listed[0]!.receiveCount).toBeGreaterThanOrEqual(1);
    expect(lines.join('\n')).toContain('group site-3');
    expect(await queueDepth(own.sqs, own.queues.transfers.url)).toBe(0);
    // Visible again without waiting for a visibility timeout.
    expect(await drain(own.queues.transfers.deadLetterUrl)).toHaveLength(3);
  });

  test('a dry run shows at most 200 characters of a body', async () => {
    await sendTo(own.queues.transfers.deadLetterUrl, { kind: 'transfer', padding: 'x'.repeat(500) }, 'g');
    const result = await replayDeadLetters(own.sqs, { from: own.queues.transfers.deadLetterUrl, to: own.queues.transfers.url, dryRun: true });
    expect(result.listed[0]!.body).toHaveLength(200);
  });

  test('when the send fails, the messages stay in the DLQ and the failure is reported', async () => {
    await fill();
    const missing = own.queues.transfers.url.replace(/[^/]+$/, 'no-such-queue.fifo');
    const result = await replayDeadLetters(own.sqs, { from: own.queues.transfers.deadLetterUrl, to: missing });

    expect(result).toMatchObject({ moved: 0, failed: 1 });
    expect(result.error).toMatch(/sending message .* failed/);
    const left = await drain(own.queues.transfers.deadLetterUrl);
    expect(left.map((m) => JSON.parse(m.Body!))).toEqual(expect.arrayContaining(bodies));
    expect(left).toHaveLength(3);
  });

  test('the same queue as source and target is refused', async () => {
    const url = own.queues.transfers.deadLetterUrl;
    await expect(replayDeadLetters(own.sqs, { from: url, to: url })).rejects.toThrow(/same queue/);
  });
});

test('a poison message lands in the DLQ; after the fix, replay moves it back and the consumer handles it', async () => {
  const heartbeats = new HeartbeatStore(resources.db, resources.tables.siteState);
  const { fanOut } = resources.queues;
  const consumer = (handler: ReturnType<typeof createFanOutHandler>) =>
    startQueuePoller({
      sqs: resources.sqs,
      queueUrl: fanOut.url,
      functionName: 'fanOutConsumer',
      handler,
      batchSize: queues.fanOut.consumer.batchSize,
      timeoutSeconds: queues.fanOut.consumer.timeoutSeconds,
      waitSeconds: 0,
    });
  // The bug: the heartbeat store rejects every write.
  const broken = {
    ...adaptersFor(resources),
    heartbeats: Object.assign(Object.create(heartbeats) as HeartbeatStore, {
      record: () => Promise.reject(new Error('bug: cannot record heartbeats')),
    }),
  };
  let poller = consumer(createFanOutHandler(broken));
  const sentAt = new Date().toISOString();
  await sendTo(fanOut.url, { kind: 'heartbeat', id: 'poisoned', sentAt }, 'heartbeats');
  try {
    await waitUntil(async () => (await queueDepth(resources.sqs, fanOut.deadLetterUrl)) === 1, 45_000, 'the message never reached the DLQ');
  } finally {
    await poller.stop();
  }
  expect(await heartbeats.latest('fanOut')).toBeUndefined();

  // The fix is deployed: the consumer works again.
  poller = consumer(createFanOutHandler({ ...adaptersFor(resources), heartbeats }));
  try {
    const result = await replayDeadLetters(resources.sqs, { from: fanOut.deadLetterUrl, to: fanOut.url });
    expect(result).toMatchObject({ moved: 1, failed: 0 });
    await waitUntil(async () => (await heartbeats.latest('fanOut'))?.id === 'poisoned', 15_000, 'the replayed message was not handled');
    expect(await heartbeats.latest('fanOut')).toMatchObject({ id: 'poisoned', sentAt });
    await waitUntil(async () => (await queueDepth(resources.sqs, fanOut.url)) === 0, 10_000, 'the replayed message was not deleted');
    expect(await queueDepth(resources.sqs, fanOut.deadLetterUrl)).toBe(0);
  } finally {
    await poller.stop();
  }
}, 90_000);
