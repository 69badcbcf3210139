/** Builds every SQS queue of lib/resources.ts, each with its own dead-letter queue. */
import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { queueNames, queues, type QueueName } from '../resources';

export interface SyncQueue {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
}

/** SQS-managed encryption, TLS enforced, redrive to a DLQ after the described receive count. */
export class SyncQueues extends Construct {
  readonly queues: Readonly<Record<QueueName, SyncQueue>>;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const built = {} as Record<QueueName, SyncQueue>;
    for (const name of queueNames) {
      const description = queues[name];
      const common = {
        fifo: description.fifo || undefined,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(description.retentionDays),
      };
      const deadLetterQueue = new sqs.Queue(this, `${name}Dlq`, common);
      const queue = new sqs.Queue(this, name, {
        ...common,
        contentBasedDeduplication: description.fifo || undefined,
        visibilityTimeout: Duration.seconds(description.visibilityTimeoutSeconds),
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: description.maxReceiveCount },
      });
      built[name] = { queue, deadLetterQueue };
    }
    this.queues = built;
  }
}
