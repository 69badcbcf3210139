/**
 * Replaying a dead-letter queue into the queue it belongs to, once the cause of the failures is
 * fixed (docs/operations.md). A message is deleted from the dead-letter queue only after it was
 * sent to the source queue, so a failure can duplicate a message but never lose one; every
 * consumer is idempotent, so a duplicate does no harm.
 *
 * FIFO: each message keeps its body, message attributes and message group id, and gets a fresh
 * deduplication id (the source queues deduplicate by content, which would otherwise drop a replay
 * of a message sent less than five minutes earlier). Messages are sent one at a time in the order
 * received, so their order within a group is kept.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface ReplayOptions {
  /** URL of the dead-letter queue to empty. */
  readonly from: string;
  /** URL of the queue the messages are sent back to (the queue whose redrive policy names `from`). */
  readonly to: string;
  /** Stop after this many messages. @default all of them */
  readonly max?: number;
  /** List the messages instead of moving them; they are made visible again at the end. @default false */
  readonly dryRun?: boolean;
  readonly log?: (line: string) => void;
  /**
   * Seconds a received message stays hidden while it is handled. A message whose send failed is
   * made visible again at once; this only matters if the command is killed mid-batch. @default 30
   */
  readonly visibilityTimeoutSeconds?: number;
  /** Long-poll wait of each receive; the replay ends at the first receive returning nothing. @default 1 */
  readonly waitSeconds?: number;
  readonly now?: () => Date;
}

/** What a dry run shows of a message. */
export interface DeadLetterSummary {
  readonly id: string;
  readonly group?: string;
  /** Receives before it was dead-lettered (as SQS counts them), plus any dry-run receives. */
  readonly receiveCount?: number;
  /** When it was first sent to the source queue, ISO 8601. */
  readonly sentAt?: string;
  /** The first 200 characters of the body. */
  readonly body: string;
}

export interface ReplayResult {
  /** Sent to the source queue and deleted from the dead-letter queue. */
  readonly moved: number;
  /** Whose send failed; they are still in the dead-letter queue. The replay stops at the first. */
  readonly failed: number;
  /** Sent, but the delete from the dead-letter queue failed: they are in both queues (harmless, see above). */
  readonly notDeleted: number;
  /** Dry run: the messages seen. */
  readonly listed: readonly DeadLetterSummary[];
  /** Why the replay stopped early. */
  readonly error?: string;
}

const BODY_PREVIEW = 200;

export async function replayDeadLetters(sqs: SQSClient, options: ReplayOptions): Promise<ReplayResult> {
  const { from, to } = options;
  if (from === to) throw new Error('The dead-letter queue and the target queue are the same queue');
  const max = options.max ?? Number.POSITIVE_INFINITY;
  if (!(max > 0)) throw new Error(`max must be a positive number, got ${options.max}`);
  const log = options.log ?? (() => {});
  const visibilityTimeout = options.visibilityTimeoutSeconds ?? 30;
  const stamp = (options.now ?? (() => new Date()))().getTime();
  const targetIsFifo = to.endsWith('.fifo');

  let moved = 0;
  let failed = 0;
  let notDeleted = 0;
  const listed: DeadLetterSummary[] = [];
  // Dry run: receipt handles of the messages held hidden, released at the end.
  const held: Message[] = [];
  let error: string | undefined;
  let seen = 0;

  try {
    while (seen < max && error === undefined) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: from,
          MaxNumberOfMessages: Math.min(10, max - seen),
          WaitTimeSeconds: options.waitSeconds ?? 1,
          VisibilityTimeout: visibilityTimeout,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) break;
      seen += Messages.length;

      if (options.dryRun) {
        held.push(...Messages);
        for (const message of Messages) {
          const summary = summarise(message);
          listed.push(summary);
          log(describe(summary));
        }
        continue;
      }

      for (const [index, message] of Messages.entries()) {
        const group = message.Attributes?.MessageGroupId;
        try {
          if (targetIsFifo && !group) throw new Error('it has no message group id, which the FIFO target queue requires');
          await sqs.send(
            new SendMessageCommand({
              QueueUrl: to,
              MessageBody: message.Body ?? '',
              ...(message.MessageAttributes && Object.keys(message.MessageAttributes).length > 0
                ? { MessageAttributes: message.MessageAttributes }
                : {}),
              ...(targetIsFifo ? { MessageGroupId: group, MessageDeduplicationId: `${message.MessageId}:replay:${stamp}` } : {}),
            }),
          );
        } catch (sendError) {
          // Left in the dead-letter queue, and so is everything after it (keeping each group's order).
          failed++;
          error = `sending message ${message.MessageId} failed: ${errorText(sendError)}`;
          log(`FAILED ${message.MessageId}${group ? ` (group ${group})` : ''}: ${errorText(sendError)}`);
          await release(sqs, from, Messages.slice(index), log);
          break;
        }
        try {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: from, ReceiptHandle: message.ReceiptHandle }));
          moved++;
          log(`moved ${message.MessageId}${group ? ` (group ${group})` : ''}`);
        } catch (deleteError) {
          notDeleted++;
          log(
            `SENT BUT NOT DELETED ${message.MessageId}: ${errorText(deleteError)}. It is in both queues; replaying it again is safe.`,
          );
        }
      }
    }
  } finally {
    if (held.length > 0) await release(sqs, from, held, log);
  }
  return { moved, failed, notDeleted, listed, ...(error === undefined ? {} : { error }) };
}

/** Makes received messages visible again at once (best effort: otherwise they reappear after the visibility timeout). */
async function release(sqs: SQSClient, queueUrl: string, messages: readonly Message[], log: (line: string) => void) {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    try {
      const { Failed = [] } = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((message, n) => ({ Id: String(n), ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 })),
        }),
      );
      if (Failed.length > 0) log(`${Failed.length} message(s) stay hidden until their visibility timeout ends: ${Failed[0]?.Message}`);
    } catch (releaseError) {
      log(`${chunk.length} message(s) stay hidden until their visibility timeout ends: ${errorText(releaseError)}`);
    }
  }
}

function summarise(message: Message): DeadLetterSummary {
  const attributes = message.Attributes ?? {};
  const sent = Number(attributes.SentTimestamp);
  return {
    id: message.MessageId ?? '?',
    ...(attributes.MessageGroupId ? { group: attributes.MessageGroupId } : {}),
    ...(attributes.ApproximateReceiveCount ? { receiveCount: Number(attributes.ApproximateReceiveCount) } : {}),
    ...(Number.isFinite(sent) && sent > 0 ? { sentAt: new Date(sent).toISOString() } : {}),
    body: (message.Body ?? '').slice(0, BODY_PREVIEW),
  };
}

function describe(summary: DeadLetterSummary): string {
  const facts = [
    summary.group === undefined ? undefined : `group ${summary.group}`,
    summary.sentAt === undefined ? undefined : `sent ${summary.sentAt}`,
    summary.receiveCount === undefined ? undefined : `received ${summary.receiveCount}x`,
  ].filter((fact) => fact !== undefined);
  return `${summary.id}  ${facts.join(', ')}\n  ${summary.body}`;
}

/** Messages in a queue, visible or not (approximate, as SQS reports it). */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/**
 * Why `from` is not the dead-letter queue of `to`, or undefined when it is: a guard against
 * replaying one queue's failures into another queue's consumer.
 */
export async function redriveMismatch(sqs: SQSClient, from: string, to: string): Promise<string | undefined> {
  const [target, deadLetter] = await Promise.all([
    sqs.send(new GetQueueAttributesCommand({ QueueUrl: to, AttributeNames: ['RedrivePolicy'] })),
    sqs.send(new GetQueueAttributesCommand({ QueueUrl: from, AttributeNames: ['QueueArn'] })),
  ]);
  const policy = target.Attributes?.RedrivePolicy;
  if (!policy) return `${to} has no redrive policy, so it has no dead-letter queue`;
  const targetArn = (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
  const fromArn = deadLetter.Attributes?.QueueArn;
  if (targetArn !== fromArn) return `${to} dead-letters to ${targetArn}, not to ${fromArn ?? from}`;
  return undefined;
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}
