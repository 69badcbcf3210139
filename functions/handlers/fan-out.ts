/**
 * Consumer of the fan-out queue: routes what sites pushed, builds initial queues, and records
 * heartbeats. Each message is safe to process twice; a message that keeps failing ends in the
 * dead-letter queue (an initialisation failing for the last time marks the site's status `error`).
 */
import { queues } from '../../lib/resources';
import { adapters, newWorkId, systemClock } from '../commons/adapters';
import { dynamoDb } from '../commons/clients';
import { tableName } from '../commons/environment';
import { lazyHandler } from '../commons/lazy-handler';
import { logger, metrics } from '../commons/observability';
import { queueConsumer } from '../commons/queue-consumer';
import type { SyncConfig } from '../domain/config/model';
import type { CentralCopy, ChangeLog, OutgoingQueue, SiteProgress, WorkQueue } from '../domain/ports';
import { fanOutMessage } from '../protocol/queue-messages';
import { buildInitialQueue, sendRecordsTo } from '../services/initialise';
import { routeRecords } from '../services/route';
import { HeartbeatStore } from '../storage/heartbeats';

export interface FanOutDeps {
  readonly heartbeats: HeartbeatStore;
  readonly loadConfig: () => Promise<SyncConfig>;
  readonly centralCopy: CentralCopy;
  readonly outgoing: OutgoingQueue;
  readonly changeLog: ChangeLog;
  readonly progress: SiteProgress;
  /** Sends transfers to complete; without it routing starts none. */
  readonly work?: WorkQueue;
  readonly newId?: () => string;
  readonly now?: () => Date;
  /** Time left at which an initialisation stops and continues in a new message. @default 30 s */
  readonly initialisationReserveMs?: number;
}

const INITIALISATION_RESERVE_MS = 30_000;

export function createFanOutHandler(deps: FanOutDeps) {
  const now = deps.now ?? systemClock;
  return queueConsumer(fanOutMessage, async (message, record, context) => {
    switch (message.kind) {
      case 'heartbeat':
        await deps.heartbeats.record('fanOut', { id: message.id, sentAt: message.sentAt, handledAt: now().toISOString() });
        return;
      case 'route': {
        const transfers = deps.work ? { work: deps.work, progress: deps.progress, newId: deps.newId ?? newWorkId } : undefined;
        const outcome = await routeRecords({ ...deps, transfers }, await deps.loadConfig(), message.keys);
        await deps.progress.finish(message.originSiteId, message.workId);
        metrics.addMetric('RecordsRouted', 'Count', outcome.routed);
        metrics.addMetric('Deliveries', 'Count', outcome.deliveries);
        logger.info('records routed', { originSiteId: message.originSiteId, workId: message.workId, ...outcome });
        return;
      }
      case 'initialise':
      case 'sendRecords': {
        const reserve = deps.initialisationReserveMs ?? INITIALISATION_RESERVE_MS;
        const options = { resume: message.resume, shouldStop: () => context !== undefined && context.getRemainingTimeInMillis() < reserve };
        try {
          const config = await deps.loadConfig();
          const step =
            message.kind === 'initialise'
              ? await buildInitialQueue(deps, config, message.siteId, options)
              : await sendRecordsTo(deps, config, message.siteId, message.source, options);
          if (!step.done) {
            // Time is nearly up: the rest is a message of its own, processed like the first part.
            if (!deps.work) throw new Error('A build needs to continue but this consumer has no queue to send to');
            await deps.work.send({ ...message, resume: step.resume });
            logger.info('queue build continues', { kind: message.kind, siteId: message.siteId, workId: message.workId, ...step.resume });
            return;
          }
          if (message.kind === 'sendRecords') {
            await deps.progress.finish(message.siteId, message.workId);
            logger.info('records sent to a newly entitled site', { siteId: message.siteId, ...message.source, queued: step.queued });
            return;
          }
          await deps.progress.setInitialisation(message.siteId, { status: 'completed', workId: message.workId, at: now().toISOString() }, message.workId);
          logger.info('site initialised', { siteId: message.siteId, workId: message.workId, queued: step.queued });
        } catch (error) {
          const lastAttempt = Number(record.attributes.ApproximateReceiveCount) >= queues.fanOut.maxReceiveCount;
          if (lastAttempt && message.kind === 'initialise') {
            await deps.progress.setInitialisation(message.siteId, { status: 'error', workId: message.workId, at: now().toISOString() }, message.workId);
          }
          throw error;
        }
        return;
      }
    }
  });
}

export const handler = lazyHandler(() => {
  const configStore = adapters.configStore;
  return createFanOutHandler({
    heartbeats: new HeartbeatStore(dynamoDb(), tableName('siteState')),
    loadConfig: () => configStore.current(),
    centralCopy: adapters.centralCopy,
    outgoing: adapters.outgoing,
    changeLog: adapters.changeLog,
    progress: adapters.progress,
    work: adapters.work,
  });
});
