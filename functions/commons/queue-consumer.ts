/**
 * One shape for every SQS consumer: each record is parsed with its zod schema and handled on
 * its own; failures are reported as partial batch failures (FIFO order kept per message group),
 * so SQS retries only those and moves them to the dead-letter queue after maxReceiveCount.
 */
import middy from '@middy/core';
import { SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import { logger, metrics } from './observability';

export function queueConsumer<Schema extends z.ZodType>(
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
  return middy<SQSEvent, SQSBatchResponse>(async (event: SQSEvent, context: Context) =>
    processPartialResponse(event, recordHandler, new SqsFifoPartialProcessorAsync(), { context }),
  )
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
