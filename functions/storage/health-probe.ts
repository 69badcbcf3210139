/** Checks that every table and queue answers, with each queue's depth. */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { TableName, QueueName } from '../../lib/resources';

export interface ComponentCheck {
  readonly ok: boolean;
  readonly error?: string;
}

export interface QueueCheck extends ComponentCheck {
  readonly waiting?: number;
  readonly inFlight?: number;
  readonly deadLetters?: number;
}

export interface HealthReport {
  readonly ok: boolean;
  readonly tables: Record<string, ComponentCheck>;
  readonly queues: Record<string, QueueCheck>;
}

export interface HealthProbe {
  check(): Promise<HealthReport>;
}

export interface ProbedResources {
  readonly tables: ReadonlyArray<{ readonly table: TableName; readonly name: string }>;
  readonly queues: ReadonlyArray<{ readonly queue: QueueName; readonly url: string; readonly deadLetterUrl: string }>;
}

export class AwsHealthProbe implements HealthProbe {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly sqs: SQSClient,
    private readonly resources: ProbedResources,
  ) {}

  async check(): Promise<HealthReport> {
    const [tableChecks, queueChecks] = await Promise.all([
      Promise.all(this.resources.tables.map(async ({ table, name }) => [table, await this.checkTable(name)] as const)),
      Promise.all(this.resources.queues.map(async (q) => [q.queue, await this.checkQueue(q.url, q.deadLetterUrl)] as const)),
    ]);
    const ok = [...tableChecks, ...queueChecks].every(([, check]) => check.ok);
    return { ok, tables: Object.fromEntries(tableChecks), queues: Object.fromEntries(queueChecks) };
  }

  /** The table's description: proves it answers and is usable, reads no item (the probe may read none). */
  private async checkTable(name: string): Promise<ComponentCheck> {
    try {
      const { Table } = await this.db.send(new DescribeTableCommand({ TableName: name }));
      const status = Table?.TableStatus;
      return status === 'ACTIVE' || status === 'UPDATING' ? { ok: true } : { ok: false, error: `table status ${status ?? 'unknown'}` };
    } catch (error) {
      return { ok: false, error: describe(error) };
    }
  }

  private async checkQueue(url: string, deadLetterUrl: string): Promise<QueueCheck> {
    try {
      const [main, dead] = await Promise.all([this.depth(url), this.depth(deadLetterUrl)]);
      return { ok: true, waiting: main.waiting, inFlight: main.inFlight, deadLetters: dead.waiting + dead.inFlight };
    } catch (error) {
      return { ok: false, error: describe(error) };
    }
  }

  private async depth(url: string) {
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      waiting: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }
}

const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
