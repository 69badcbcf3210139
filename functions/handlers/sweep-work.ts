/**
 * Scheduled sweeper (EventBridge in the stack, a timer locally): sends again the background work
 * whose message never left or was lost (services/sweep-work.ts). The event's `detail.everything`
 * asks for every unfinished piece of work, due or not: the local server does so at start-up,
 * because its queues live in memory and a restart empties them.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import * as z from '../protocol/zod';
import { adapters, systemClock } from '../commons/adapters';
import { lazyHandler } from '../commons/lazy-handler';
import { logger, metrics } from '../commons/observability';
import type { BackgroundWork } from '../domain/ports';
import { sweepWork, type SweepDeps, type SweepOutcome } from '../services/sweep-work';

/** A scheduled event: only `detail` is read; anything else about it is ignored. */
export const sweepEvent = z.looseObject({ detail: z.optional(z.looseObject({ everything: z.optional(z.boolean()) })) });

/** Time left at which a sweep stops starting rounds; the next sweep carries on. */
const RESERVE_MS = 10_000;

export function createSweepWorkHandler(deps: SweepDeps) {
  return middy(async (event: unknown, context: Context): Promise<SweepOutcome> => {
    const parsed = sweepEvent.safeParse(event);
    const everything = parsed.success && parsed.data.detail?.everything === true;
    const shouldStop = () => typeof context?.getRemainingTimeInMillis === 'function' && context.getRemainingTimeInMillis() < RESERVE_MS;
    const onFailure = (work: BackgroundWork, error: unknown) =>
      logger.error('background work could not be sent again; retried later', { kind: work.kind, workId: work.workId, error: error instanceof Error ? error.message : String(error) });
    const outcome = await sweepWork(deps, { everything, shouldStop, onFailure });
    metrics.addMetric('WorkResent', 'Count', outcome.resent);
    metrics.addMetric('WorkResendFailed', 'Count', outcome.failed);
    if (outcome.resent > 0) logger.warn('unfinished background work sent again', { ...outcome, everything });
    return outcome;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

export const handler = lazyHandler(() => createSweepWorkHandler({ progress: adapters.progress, work: adapters.work, now: systemClock }));
