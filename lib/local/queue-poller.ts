/**
 * Drives a queue's consumer the way Lambda's SQS event source mapping does: receive a batch,
 * invoke the handler, delete what succeeded; reported failures (or a thrown error, which fails
 * the whole batch) stay on the queue, come back after the visibility timeout, and SQS itself
 * moves a message to the dead-letter queue after maxReceiveCount receives. Several pollers run
 * side by side, as the mapping runs several invocations at once; a FIFO queue hands out no
 * message of a group while another of that group is in flight, so order within a group holds.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext } from './http-gateway';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface QueuePollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly functionName: string;
  readonly handler: SqsHandler;
  readonly batchSize: number;
  readonly timeoutSeconds: number;
  /** Long-poll wait per receive. @default 1 */
  readonly waitSeconds?: number;
  /** Batches handled at once (concurrent invocations). @default 4 */
  readonly concurrency?: number;
  readonly log?: (line: string) => void;
}

const DEFAULT_CONCURRENCY = 4;

export interface QueuePoller {
  stop(): Promise<void>;
}

export function startQueuePoller(options: QueuePollerOptions): QueuePoller {
  let running = true;
  const log = options.log ?? (() => {});
  const arn = queueArn(options.sqs, options.queueUrl);
  const poller = async () => {
    while (running) {
      try {
        await pollOnce(options, await arn);
      } catch (error) {
        if (running) {
          log(`${options.functionName}: polling failed: ${error instanceof Error ? error.message : String(error)}`);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    }
  };
  const loops = Array.from({ length: options.concurrency ?? DEFAULT_CONCURRENCY }, () => poller());
  return {
    async stop() {
      running = false;
      await Promise.all(loops.map((loop) => loop.catch(() => undefined)));
    },
  };
}

async function pollOnce(options: QueuePollerOptions, arn: string) {
  const { Messages = [] } = await options.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: options.queueUrl,
      MaxNumberOfMessages: options.batchSize,
      WaitTimeSeconds: options.waitSeconds ?? 1,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  if (Messages.length === 0) return;
  const event: SQSEvent = { Records: Messages.map((message) => toRecord(message, arn)) };
  let failed: Set<string>;
  try {
    const result = await options.handler(event, lambdaContext(options.functionName, options.timeoutSeconds * 1000));
    failed = new Set((result?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
  } catch (error) {
    options.log?.(`${options.functionName}: batch failed: ${error instanceof Error ? error.message : String(error)}`);
    failed = new Set(Messages.map((message) => message.MessageId!));
  }
  const succeeded = Messages.filter((message) => !failed.has(message.MessageId!));
  if (succeeded.length === 0) return;
  await options.sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: options.queueUrl,
      Entries: succeeded.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle! })),
    }),
  );
}

function toRecord(message: Message, arn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
      ...(attributes.MessageDeduplicationId ? { MessageDeduplicationId: attributes.MessageDeduplicationId } : {}),
      ...(attributes.SequenceNumber ? { SequenceNumber: attributes.SequenceNumber } : {}),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: arn,
    awsRegion: process.env.AWS_REGION ?? 'us-east-1',
  };
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return Attributes?.QueueArn ?? url;
}
