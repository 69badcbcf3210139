/**
 * Consumer of the transfers queue: completes the transfer a header starts (the responding half)
 * or tells the initiating store its transfer was numbered. Safe to process twice or at once;
 * a message that keeps failing ends in the dead-letter queue (see docs/operations.md to replay it).
 */
import { adapters, systemClock } from '../commons/adapters';
import { lazyHandler } from '../commons/lazy-handler';
import { logger, metrics } from '../commons/observability';
import { queueConsumer } from '../commons/queue-consumer';
import { finishingOnLastAttempt } from '../commons/last-attempt';
import { queues } from '../../lib/resources';
import type { SyncConfig } from '../domain/config/model';
import type { SiteProgress } from '../domain/ports';
import { transferMessage } from '../protocol/queue-messages';
import { completeTransfer, type TransferDeps } from '../services/transfers';

export interface TransfersHandlerDeps extends TransferDeps {
  readonly loadConfig: () => Promise<SyncConfig>;
  readonly progress: SiteProgress;
}

export function createTransfersHandler(deps: TransfersHandlerDeps) {
  return queueConsumer(transferMessage, async (message, record) => {
    const outcome = await finishingOnLastAttempt(deps.progress, message.originSiteId, message.workId, record, queues.transfers.maxReceiveCount, async () =>
      completeTransfer(deps, await deps.loadConfig(), message.header),
    );
    await deps.progress.finish(message.originSiteId, message.workId);
    if (outcome.responded) metrics.addMetric('TransfersCompleted', 'Count', 1);
    logger.info('transfer processed', { header: message.header, workId: message.workId, ...outcome });
  });
}

export const handler = lazyHandler(() => {
  const configStore = adapters.configStore;
  return createTransfersHandler({
    loadConfig: () => configStore.current(),
    centralCopy: adapters.centralCopy,
    outgoing: adapters.outgoing,
    changeLog: adapters.changeLog,
    progress: adapters.progress,
    now: systemClock,
  });
});
