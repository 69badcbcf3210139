/**
 * POST /sync/v5/queued_records: a site pushes a batch. Every record is decided on its own:
 * accepted ones are stored in the central copy and routed (in the push when it can, else in the
 * background), refused and unreadable ones kept in quarantine. Answered only once all of that is durable.
 */
import { adapters, pushDependencies } from '../commons/adapters';
import { httpHandler, json, type HttpEvent } from '../commons/http';
import { lazyHandler } from '../commons/lazy-handler';
import { logger, metrics } from '../commons/observability';
import { createSiteAuthenticator, valueOrThrow } from '../commons/site-auth';
import { parseJsonBodyWith, pushEnvelope, splitPushedRecords, type PushResponse } from '../protocol/v5';
import { acceptPush, type PushDeps } from '../services/push';
import type { ConfigStore } from '../storage/config-store';
import type { DynamoSiteSessions } from '../storage/site-sessions';

export interface SyncPushDeps extends PushDeps {
  readonly configStore: ConfigStore;
  readonly sessions: DynamoSiteSessions;
}

export function createSyncPushHandler(deps: SyncPushDeps) {
  const authenticate = createSiteAuthenticator(deps);
  return httpHandler(async (event: HttpEvent) => {
    const { site, config } = await authenticate(event);
    const envelope = valueOrThrow(parseJsonBodyWith(pushEnvelope, event.body, event.isBase64Encoded));
    const { valid, invalid } = splitPushedRecords(envelope.data);

    const outcome = await acceptPush(deps, config, site.siteId, valid, invalid);
    metrics.addMetric('RecordsAccepted', 'Count', outcome.accepted);
    metrics.addMetric('RecordsRefused', 'Count', outcome.refused.length);
    if (outcome.refused.length > 0) {
      logger.warn('pushed records refused', {
        siteId: site.siteId,
        refused: outcome.refused.length,
        reasons: [...new Set(outcome.refused.map((record) => record.reason))],
      });
    }
    logger.info('push stored', { siteId: site.siteId, accepted: outcome.accepted, ignored: outcome.ignored, remaining: envelope.queueLength });
    // Each batch's routing starts as soon as it is stored (what goes nowhere is routed as it is
    // stored), so integration has started whenever this batch brought a change or the site says
    // it has pushed everything.
    const response: PushResponse = { integrationStarted: envelope.queueLength === 0 || outcome.accepted > 0 };
    return json(200, response);
  });
}

export const handler = lazyHandler(() =>
  createSyncPushHandler({
    ...pushDependencies(),
    // What the push has just stored is routed in it (services/push.ts, routeInPush).
    routing: { outgoing: adapters.outgoing, changeLog: adapters.changeLog, reports: adapters.reportProjection },
    configStore: adapters.configStore,
    sessions: adapters.sessions,
  }),
);
