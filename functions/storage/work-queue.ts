/**
 * Background work on the fan-out FIFO queue. Messages of one site form one group (its work
 * runs in order, sites run in parallel); the work id deduplicates a repeated send.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { BackgroundWork, WorkQueue } from '../domain/ports';
import type { FanOutMessage } from '../protocol/queue-messages';

export class SqsWorkQueue implements WorkQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(work: BackgroundWork): Promise<void> {
    const siteId = work.kind === 'route' ? work.originSiteId : work.siteId;
    const message: FanOutMessage = work.kind === 'route' ? { ...work, keys: [...work.keys] } : { ...work };
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        MessageGroupId: `site-${siteId}`,
        MessageDeduplicationId: work.workId,
      }),
    );
  }
}
