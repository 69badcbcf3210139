/**
 * The queue path end to end on the real SQS emulator and DynamoDB Local: a message is handled
 * by the fan-out consumer, and a message that keeps failing ends in the dead-letter queue
 * after maxReceiveCount receives, as Lambda's event source mapping and SQS would do it.
 */
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createFanOutHandler } from '../../functions/handlers/fan-out';
import { HeartbeatStore } from '../../functions/storage/heartbeats';
import { startQueuePoller, type QueuePoller } from '../../lib/local/queue-poller';
import { waitUntil } from '../../lib/local/ports';
import { queues } from '../../lib/resources';
import { adaptersFor, createTestResources, type TestResources } from '../support/stand-ins';

let resources: TestResources;
let poller: QueuePoller;
let heartbeats: HeartbeatStore;

beforeAll(async () => {
  resources = await createTestResources({ visibilityTimeoutSeconds: 1 });
  heartbeats = new HeartbeatStore(resources.db, resources.tables.siteState);
  poller = startQueuePoller({
    sqs: resources.sqs,
    queueUrl: resources.queues.fanOut.url,
    functionName: 'fanOutConsumer',
    handler: createFanOutHandler({ ...adaptersFor(resources), heartbeats }),
    batchSize: queues.fanOut.consumer.batchSize,
    timeoutSeconds: queues.fanOut.consumer.timeoutSeconds,
    waitSeconds: 0,
  });
});

afterAll(async () => {
  await poller.stop();
});

const send = (body: unknown, group = 'test') =>
  resources.sqs.send(
    new SendMessageCommand({ QueueUrl: resources.queues.fanOut.url, MessageBody: JSON.stringify(body), MessageGroupId: group }),
  );

test('a heartbeat sent to the fan-out queue is handled and the message deleted', async () => {
  const sentAt = new Date().toISOString();
  await send({ kind: 'heartbeat', id: 'beat-1', sentAt });

  await waitUntil(async () => (await heartbeats.latest('fanOut'))?.id === 'beat-1', 15_000, 'heartbeat was not handled');
  const latest = await heartbeats.latest('fanOut');
  expect(latest).toMatchObject({ id: 'beat-1', sentAt });
  await waitUntil(async () => (await depth(resources.queues.fanOut.url)) === 0, 10_000, 'message was not deleted');
});

test('a message that always fails is retried, then moved to the dead-letter queue', async () => {
  await send({ kind: 'heartbeat', id: '', sentAt: 'not a date' }, 'poison');

  const deadLetterUrl = resources.queues.fanOut.deadLetterUrl;
  await waitUntil(async () => (await depth(deadLetterUrl)) === 1, 45_000, 'poison message never reached the DLQ');
  const { Messages = [] } = await resources.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: deadLetterUrl, MessageSystemAttributeNames: ['All'] }),
  );
  expect(JSON.parse(Messages[0]!.Body!)).toMatchObject({ id: '', sentAt: 'not a date' });
  expect(Number(Messages[0]!.Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(queues.fanOut.maxReceiveCount);
  // The failing message never reached the handler's side effects.
  expect((await heartbeats.latest('fanOut'))?.id).not.toBe('');
});

test('a good message behind a poisoned one in another group is still handled', async () => {
  await send({ kind: 'heartbeat', id: 'beat-2', sentAt: new Date().toISOString() }, 'other-group');
  await waitUntil(async () => (await heartbeats.latest('fanOut'))?.id === 'beat-2', 15_000, 'heartbeat was not handled');
});

async function depth(url: string): Promise<number> {
  const { Attributes = {} } = await resources.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
}
