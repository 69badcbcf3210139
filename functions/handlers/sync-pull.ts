/**
 * GET /sync/v5/queued_records, POST /sync/v5/acknowledged_records, GET /sync/v5/central_records:
 * a site pulls its initialisation and then what is queued for it, acknowledges what it stored,
 * and reads the central change log. Every answer fits Lambda's response limit.
 */
import { adapters, systemClock } from '../commons/adapters';
import { httpHandler, json, type HttpEvent } from '../commons/http';
import { lazyHandler } from '../commons/lazy-handler';
import { createSiteAuthenticator, toHttpError, valueOrThrow } from '../commons/site-auth';
import type { CentralCopy, ChangeLog, OutgoingQueue, SiteProgress } from '../domain/ports';
import { RESPONSE_BUDGET_BYTES, takeWithinBudget } from '../protocol/response-budget';
import { acknowledgeInitialStream, pullInitialStream } from '../services/initial-stream';
import { centralRecordsFor } from '../services/central-records';
import {
  ackBody,
  parseCentralRecordsQuery,
  parseJsonBodyWith,
  parsePullQuery,
  protocolError,
  type CentralRecordsResponse,
  type PullResponse,
} from '../protocol/v5';
import type { ConfigStore } from '../storage/config-store';
import type { DynamoSiteSessions } from '../storage/site-sessions';

export interface SyncPullDeps {
  readonly configStore: ConfigStore;
  readonly sessions: DynamoSiteSessions;
  readonly outgoing: OutgoingQueue;
  readonly changeLog: ChangeLog;
  readonly centralCopy: CentralCopy;
  readonly progress: SiteProgress;
  readonly now: () => Date;
}

/** An initialisation page stops reading after 8 s with something found, 20 s without: well inside API Gateway's 30 s. */
const SCAN_TIME = { scanMs: 8_000, maxScanMs: 20_000 };

export function createSyncPullHandler(deps: SyncPullDeps) {
  const authenticate = createSiteAuthenticator(deps);
  return httpHandler(async (event: HttpEvent) => {
    const { site, config } = await authenticate(event);
    switch (event.routeKey) {
      case 'GET /sync/v5/queued_records': {
        const { limit } = valueOrThrow(parsePullQuery(event.queryStringParameters));
        const { stream } = await deps.progress.initialisation(site.siteId);
        if (stream && !stream.done) {
          // An initialisation is served first, straight from the central copy.
          const records = await pullInitialStream(deps, config, site.siteId, stream, { limit, budgetBytes: RESPONSE_BUDGET_BYTES, ...SCAN_TIME });
          if (records.length > 0) {
            const queueLength = records.length + (await deps.outgoing.queueLength(site.siteId));
            return json(200, { queueLength, data: records } satisfies PullResponse);
          }
        }
        const { queueLength, records } = await deps.outgoing.pull(site.siteId, limit);
        // Entries left out by the byte budget stay queued for the next call.
        const body: PullResponse = { queueLength, data: takeWithinBudget(records).map((record) => ({ ...record })) };
        return json(200, body);
      }
      case 'POST /sync/v5/acknowledged_records': {
        const { syncIDs } = valueOrThrow(parseJsonBodyWith(ackBody, event.body, event.isBase64Encoded));
        await acknowledgeInitialStream(deps, site.siteId, syncIDs);
        await deps.outgoing.acknowledge(site.siteId, syncIDs);
        return json(200, {});
      }
      case 'GET /sync/v5/central_records': {
        const { cursor, limit } = valueOrThrow(parseCentralRecordsQuery(event.queryStringParameters));
        // Only what the site holds (docs/central-data.md); the cursor still moves over the whole log.
        const { maxCursor, data } = await centralRecordsFor(deps, config, site.siteId, cursor, limit);
        const body: CentralRecordsResponse = { maxCursor, data };
        return json(200, body);
      }
      default:
        throw toHttpError(protocolError('not_found', `No v5 route ${event.routeKey}.`));
    }
  });
}

export const handler = lazyHandler(() =>
  createSyncPullHandler({
    configStore: adapters.configStore,
    sessions: adapters.sessions,
    outgoing: adapters.outgoing,
    changeLog: adapters.changeLog,
    centralCopy: adapters.centralCopy,
    progress: adapters.progress,
    now: systemClock,
  }),
);
