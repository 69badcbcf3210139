/**
 * GET /sync/v5/queued_records, POST /sync/v5/acknowledged_records, GET /sync/v5/central_records:
 * a site pulls what is queued for it, acknowledges what it stored, and reads the central change log.
 */
import { adapters, systemClock } from '../commons/adapters';
import { httpHandler, json, type HttpEvent } from '../commons/http';
import { lazyHandler } from '../commons/lazy-handler';
import { createSiteAuthenticator, toHttpError, valueOrThrow } from '../commons/site-auth';
import type { ChangeLog, OutgoingQueue } from '../domain/ports';
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
  readonly now: () => Date;
}

export function createSyncPullHandler(deps: SyncPullDeps) {
  const authenticate = createSiteAuthenticator(deps);
  return httpHandler(async (event: HttpEvent) => {
    const { site } = await authenticate(event);
    switch (event.routeKey) {
      case 'GET /sync/v5/queued_records': {
        const { limit } = valueOrThrow(parsePullQuery(event.queryStringParameters));
        const { queueLength, records } = await deps.outgoing.pull(site.siteId, limit);
        const body: PullResponse = { queueLength, data: records.map((record) => ({ ...record })) };
        return json(200, body);
      }
      case 'POST /sync/v5/acknowledged_records': {
        const { syncIDs } = valueOrThrow(parseJsonBodyWith(ackBody, event.body, event.isBase64Encoded));
        await deps.outgoing.acknowledge(site.siteId, syncIDs);
        return json(200, {});
      }
      case 'GET /sync/v5/central_records': {
        const { cursor, limit } = valueOrThrow(parseCentralRecordsQuery(event.queryStringParameters));
        const { maxCursor, entries } = await deps.changeLog.read(cursor, limit);
        const body: CentralRecordsResponse = {
          maxCursor,
          data: entries.map(({ cursor: id, tableName, recordId, action, recordData }) => ({
            ID: id,
            tableName,
            recordId,
            action,
            ...(recordData === undefined ? {} : { recordData: { ...recordData } }),
          })),
        };
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
    now: systemClock,
  }),
);
