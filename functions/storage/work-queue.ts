/**
 * Background work on the FIFO queues. On the fan-out queue, routing messages each form a group
 * of their own (they run in parallel), the records sent to a newly entitled site form one group
 * per site (its parts run in order), configuration work one group. On the transfers queue, one
 * group per initiating header, so two deliveries of one transfer never run at once. The work id
 * deduplicates a repeated send.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { BackgroundWork, WorkQueue } from '../domain/ports';
import { createHash } from 'node:crypto';
import type { FanOutMessage, TransferMessage } from '../protocol/queue-messages';

/**
 * SQS carries only #x9, #xA, #xD, #x20–#xD7FF, #xE000–#xFFFD (and, in AWS but not every emulator,
 * #x10000 and above). A record id may hold anything JSON allows, so every other code unit is
 * written as a JSON `\u` escape: the same JSON, and a message any queue accepts.
 */
export function sqsSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export class SqsWorkQueue implements WorkQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrls: { readonly fanOut: string; readonly transfers?: string },
  ) {}

  async send(work: BackgroundWork): Promise<void> {
    const { queueUrl, group, message } = this.envelope(work);
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: sqsSafeJson(message),
        MessageGroupId: group,
        // Each part of a resumed build is a message of its own.
        MessageDeduplicationId: 'resume' in work && work.resume ? `${work.workId}:${work.resume.part}` : work.workId,
      }),
    );
  }

  private envelope(work: BackgroundWork): { queueUrl: string; group: string; message: FanOutMessage | TransferMessage } {
    switch (work.kind) {
      case 'route':
        // Routing reads each record's current copy and is guarded by its routed version, so its
        // messages need no order: each is a group of its own and a large push routes in parallel.
        return { queueUrl: this.queueUrls.fanOut, group: `route-${work.workId}`, message: { ...work, keys: [...work.keys], newManufacturers: work.newManufacturers && [...work.newManufacturers] } };
      case 'sendRecords':
        return { queueUrl: this.queueUrls.fanOut, group: `site-${work.siteId}`, message: { ...work } };
      case 'storeRecords':
        // Configuration work of no one site: one group of its own, in order.
        return {
          queueUrl: this.queueUrls.fanOut,
          group: 'config',
          message: { ...work, siteIds: [...work.siteIds], stores: work.stores.map((store) => ({ ...store, formerHolders: [...store.formerHolders] })) },
        };
      case 'transfer': {
        if (!this.queueUrls.transfers) throw new Error('This function has no transfers queue to send to');
        const group = createHash('sha256').update(`${work.header.tableName}\u0000${work.header.recordId}`).digest('hex');
        return { queueUrl: this.queueUrls.transfers, group, message: { ...work, header: { ...work.header } } };
      }
    }
  }
}
