/**
 * Consumer of the fan-out queue: routes what sites pushed, sends newly entitled sites what they
 * may now hold, and records heartbeats. Each message is safe to process twice; a message that
 * keeps failing ends in the dead-letter queue.
 */
import { queues } from '../../lib/resources';
import { adapters, newWorkId, systemClock } from '../commons/adapters';
import { finishingOnLastAttempt } from '../commons/last-attempt';
import { dynamoDb } from '../commons/clients';
import { tableName } from '../commons/environment';
import { lazyHandler } from '../commons/lazy-handler';
import { logger, metrics } from '../commons/observability';
import { queueConsumer } from '../commons/queue-consumer';
import type { SyncConfig } from '../domain/config/model';
import type { CentralCopy, ChangeLog, OutgoingQueue, SiteProgress, WorkQueue } from '../domain/ports';
import type { ReportProjection } from '../domain/reports/ports';
import { fanOutMessage } from '../protocol/queue-messages';
import { sendRecordsTo } from '../services/initialise';
import { routeRecords } from '../services/route';
import { sendStoreRecords } from '../services/store-records';
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
  /** Report figures counted as records are routed (docs/reports.md). */
  readonly reports?: ReportProjection;
  /** Time left at which a queue build stops and continues in a new message. @default 30 s */
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
        const outcome = await finishingOnLastAttempt(deps.progress, message.originSiteId, message.workId, record, queues.fanOut.maxReceiveCount, async () =>
          routeRecords({ ...deps, transfers }, await deps.loadConfig(), message.keys, { newManufacturers: message.newManufacturers }),
        );
        await deps.progress.finish(message.originSiteId, message.workId);
        metrics.addMetric('RecordsRouted', 'Count', outcome.routed);
        metrics.addMetric('Deliveries', 'Count', outcome.deliveries);
        logger.info('records routed', { originSiteId: message.originSiteId, workId: message.workId, ...outcome });
        return;
      }
      case 'storeRecords': {
        const outcome = await finishingOnLastAttempt(deps.progress, message.siteIds, message.workId, record, queues.fanOut.maxReceiveCount, async () =>
          sendStoreRecords(deps, await deps.loadConfig(), message.stores),
        );
        for (const siteId of message.siteIds) await deps.progress.finish(siteId, message.workId);
        logger.info('store records sent', { workId: message.workId, stores: message.stores.map((store) => store.storeId), ...outcome });
        return;
      }
      case 'initialise':
        // An older version's background build: initialisations are now served at pull time.
        logger.info('obsolete initialisation message ignored', { siteId: message.siteId, workId: message.workId });
        return;
      case 'sendRecords': {
        const reserve = deps.initialisationReserveMs ?? INITIALISATION_RESERVE_MS;
        const options = { resume: message.resume, shouldStop: () => context !== undefined && context.getRemainingTimeInMillis() < reserve };
        const step = await finishingOnLastAttempt(deps.progress, message.siteId, message.workId, record, queues.fanOut.maxReceiveCount, async () =>
          sendRecordsTo(deps, await deps.loadConfig(), message.siteId, message.source, options),
        );
        if (!step.done) {
          // Time is nearly up: the rest is a message of its own, processed like the first part.
          if (!deps.work) throw new Error('A build needs to continue but this consumer has no queue to send to');
          await deps.work.send({ ...message, resume: step.resume });
          logger.info('queue build continues', { kind: message.kind, siteId: message.siteId, workId: message.workId, ...step.resume });
          return;
        }
        await deps.progress.finish(message.siteId, message.workId);
        logger.info('records sent to a newly entitled site', { siteId: message.siteId, ...message.source, queued: step.queued });
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
    reports: adapters.reportProjection,
  });
});
