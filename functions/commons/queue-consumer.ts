/**
 * One shape for every SQS consumer: each record is parsed with its zod schema and handled on
 * its own; failures are reported as partial batch failures, so SQS retries only those and moves
 * them to the dead-letter queue after maxReceiveCount. A batch's message groups run side by
 * side, each in order through Powertools' FIFO processor (a failure fails the rest of its own
 * group only): FIFO order is per group, so nothing orders one group after another, and work of
 * many sites (or many pushes) in one batch does not wait in line.
 */
import middy from '@middy/core';
import { SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type * as z from '../protocol/zod';
import { logger, metrics } from './observability';

export function queueConsumer<Schema extends z.ZodMiniType>(
  schema: Schema,
  handle: (message: z.infer<Schema>, record: SQSRecord, context: Context | undefined) => Promise<void>,
) {
  const recordHandler = async (record: SQSRecord, context?: Context) => {
    const parsed = schema.safeParse(JSON.parse(record.body));
    if (!parsed.success) {
      logger.error('message does not match its schema', { messageId: record.messageId, issues: parsed.error.issues });
      throw new Error(`Message ${record.messageId} does not match its schema`);
    }
    await handle(parsed.data, record, context);
  };
  return middy<SQSEvent, SQSBatchResponse>(async (event: SQSEvent, context: Context) => {
    const answers = await Promise.all(
      byMessageGroup(event.Records).map((Records) => processPartialResponse({ Records }, recordHandler, new SqsFifoPartialProcessorAsync(), { context })),
    );
    return { batchItemFailures: answers.flatMap((answer) => answer.batchItemFailures) };
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

/** The batch's records grouped by message group, each group in the order SQS delivered it. */
function byMessageGroup(records: readonly SQSRecord[]): SQSRecord[][] {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? record.messageId;
    groups.set(group, [...(groups.get(group) ?? []), record]);
  }
  return [...groups.values()];
}
