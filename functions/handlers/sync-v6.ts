/**
 * POST /central/sync/{site_status,pull,patient-pull,push}: the Open mSupply central API (sync v6)
 * that a remote site calls on every sync, at the `omSupplyCentralServerUrl` site info gives it.
 * The site is authenticated from the body's v5 settings with the v5 checks, in-process. A push is
 * decided record by record (the v6 table registry and v5's authority), accepted records are in the
 * v6 central copy and change log before the answer, refusals in quarantine; a pull reads the v6
 * change log for the site. Answers are `{"data": …}` or `{"error": <variant>}`, as the client
 * parses them (docs/sync-v6.md).
 */
import { adapters, systemClock } from '../commons/adapters';
import { dynamoDb } from '../commons/clients';
import { tableName } from '../commons/environment';
import { httpHandler, json, type HttpEvent, type HttpResult } from '../commons/http';
import { lazyHandler } from '../commons/lazy-handler';
import { logger, metrics } from '../commons/observability';
import { createSiteCredentialChecker, credentialsFromSettings, type SiteAuthDeps, type SiteCaller } from '../commons/site-auth';
import type { Quarantine } from '../domain/ports';
import type { SyncConfig } from '../domain/config/model';
import type { V6Store, V6WaitingStore } from '../domain/sync-v6/ports';
import { parseJsonBody } from '../protocol/v5';
import {
  badRequest,
  checkV5SyncVersion,
  checkV6Version,
  fromSiteRefusal,
  parseV6Request,
  patientPullRequest,
  pullRequest,
  pushRequest,
  servedBatchSize,
  siteStatusRequest,
  splitV6Records,
  type PullBatch,
  type SyncV5Settings,
  type V6Refusal,
} from '../protocol/v6';
import { createV6ChangeLog } from '../services/v6-pull';
import { acceptV6Changes, type V6PushDeps } from '../services/v6-push';
import { v6QuarantineItems, v6RecordDigest, type RefusedV6Record } from '../services/v6-quarantine';
import { retryWaiting, updateWaiting, type V6WaitingDeps } from '../services/v6-waiting';
import type { V6ChangeLogPage } from '../storage/v6-change-log';
import { DynamoV6Store } from '../storage/v6-store';
import type * as z from '../protocol/zod';

export interface SyncV6Deps extends SiteAuthDeps {
  readonly quarantine: Quarantine;
  /** The v6 central copy and change log, and the changes waiting for their parent. */
  readonly v6Store: V6Store & V6WaitingStore;
  /** The legacy central copy, read to place a v6 record by a legacy record (its name, a file's record). */
  readonly centralCopy?: V6PushDeps['legacyCopy'];
}

class Refused extends Error {
  constructor(readonly refusal: V6Refusal) {
    super('refused');
  }
}

const refuse = (refusal: V6Refusal | undefined) => {
  if (refusal) throw new Refused(refusal);
};

export function createSyncV6Handler(deps: SyncV6Deps) {
  const checkSite = createSiteCredentialChecker(deps);
  const changeLog = createV6ChangeLog(deps.v6Store);
  const pushDeps: V6PushDeps = { v6Store: deps.v6Store, ...(deps.centralCopy ? { legacyCopy: deps.centralCopy } : {}) };
  const waitingDeps: V6WaitingDeps = { ...pushDeps, waiting: deps.v6Store, quarantine: deps.quarantine, now: deps.now };

  /**
   * Decides again some of the site's changes waiting for their parent (services/v6-waiting.ts).
   * Run on each of the site's v6 requests; a failure is logged and left for the next one.
   */
  async function retryWaitingOf(config: SyncConfig, siteId: number) {
    try {
      const outcome = await retryWaiting(waitingDeps, config, siteId);
      if (outcome.accepted + outcome.refused + outcome.dropped > 0) {
        metrics.addMetric('V6WaitingAccepted', 'Count', outcome.accepted);
        logger.info('v6 waiting changes decided again', { siteId, ...outcome });
      }
    } catch (error) {
      logger.warn('v6 waiting changes not decided again', { siteId, error: error as Error });
    }
  }

  /** The body, validated, version-checked and authenticated, as the Open mSupply central does it. */
  async function accept<S extends z.ZodMiniType<{ syncV5Settings: SyncV5Settings; syncV6Version: number }>>(event: HttpEvent, schema: S) {
    const body = parseJsonBody(event.body, event.isBase64Encoded);
    if (!body.ok) throw new Refused(badRequest(body.error.message, body.error.status));
    const parsed = parseV6Request(schema, body.value);
    if (!parsed.ok) throw new Refused(parsed.refusal);
    const request = parsed.value as z.output<S>;
    refuse(checkV6Version(request.syncV6Version));
    const settings = request.syncV5Settings;
    refuse(checkV5SyncVersion(settings));
    const checked = await checkSite(credentialsFromSettings(settings, event), event.routeKey);
    if (!checked.ok) throw new Refused(fromSiteRefusal(checked.error, checked.headers));
    return { request, caller: checked.caller };
  }

  const pullAnswer = (page: V6ChangeLogPage): PullBatch => ({
    end_cursor: page.endCursor,
    total_records: page.totalRecords,
    records: page.records.map(({ cursor, record }) => ({ cursor, record })),
    is_last_batch: page.isLast,
  });

  /**
   * Decides and keeps a pushed batch: accepted records in the v6 central copy and change log,
   * refused and unreadable ones in quarantine, all before the push is answered.
   */
  async function pushRecords(caller: SiteCaller, records: readonly unknown[]) {
    const siteId = caller.site.siteId;
    const { valid, invalid } = splitV6Records(records);
    const pushed = valid.map(({ raw, value }) => ({ raw, change: value.record, changeId: `${siteId}:${v6RecordDigest(raw)}` }));
    const outcome = await acceptV6Changes(pushDeps, caller.config, siteId, pushed);
    const refused: RefusedV6Record[] = [
      ...outcome.refused.map(({ index, reason, message }) => {
        const { raw, value } = valid[index]!;
        return { raw, tableName: value.record.tableName, recordId: value.record.recordId, action: value.record.action.toLowerCase(), reason, message };
      }),
      ...invalid.map(({ raw, message }) => {
        const record = (raw as { record?: Record<string, unknown> } | null)?.record;
        return { raw, tableName: text(record?.tableName), recordId: text(record?.recordId), action: text(record?.action).toLowerCase(), reason: 'invalid_record', message };
      }),
    ];
    if (refused.length > 0) await deps.quarantine.keep(v6QuarantineItems(siteId, refused, deps.now().toISOString()));
    // After the quarantine: a waiting change always has its entry to resolve.
    await updateWaiting(waitingDeps, siteId, pushed, outcome.refused);
    metrics.addMetric('V6RecordsAccepted', 'Count', outcome.accepted);
    metrics.addMetric('V6RecordsRefused', 'Count', refused.length);
    if (outcome.servedByV5 > 0) metrics.addMetric('V6RecordsServedByV5', 'Count', outcome.servedByV5);
    logger.info('v6 push', { siteId, accepted: outcome.accepted, refused: refused.length, ignored: outcome.ignored, servedByV5: outcome.servedByV5 });
  }

  async function route(event: HttpEvent): Promise<HttpResult> {
    switch (event.routeKey) {
      case 'POST /central/sync/site_status': {
        const { caller } = await accept(event, siteStatusRequest);
        await retryWaitingOf(caller.config, caller.site.siteId);
        // A push is kept before it is answered: nothing runs for a site afterwards.
        return json(200, { data: { is_integrating: false } });
      }
      case 'POST /central/sync/pull': {
        const { request, caller } = await accept(event, pullRequest);
        // Before reading: the change log then holds what the site's waiting changes became.
        await retryWaitingOf(caller.config, caller.site.siteId);
        const limit = servedBatchSize(request.batchSize);
        const page = await changeLog.read({ config: caller.config, siteId: caller.site.siteId, cursor: request.cursor, limit, isInitialised: request.isInitialised });
        return json(200, { data: pullAnswer(page) });
      }
      case 'POST /central/sync/patient-pull':
      case 'POST /central/sync/patient_pull': {
        const { request, caller } = await accept(event, patientPullRequest);
        const limit = servedBatchSize(request.batchSize);
        const page = await changeLog.readPatient({ config: caller.config, siteId: caller.site.siteId, cursor: request.cursor, limit, patientId: request.fetchPatientId });
        return json(200, { data: pullAnswer(page) });
      }
      case 'POST /central/sync/push': {
        const { request, caller } = await accept(event, pushRequest);
        await pushRecords(caller, request.batch.records);
        await retryWaitingOf(caller.config, caller.site.siteId);
        return json(200, { data: { records_pushed: request.batch.records.length } });
      }
      default:
        throw new Refused(badRequest(`No sync v6 route ${event.routeKey}.`, 404));
    }
  }

  // errorBody: a body refused before the route reads it (not gzip, a decompression bomb), in the client's own error shape.
  return httpHandler(async (event: HttpEvent) => {
    try {
      return await route(event);
    } catch (error) {
      if (error instanceof Refused) {
        logger.info('v6 request refused', { route: event.routeKey, status: error.refusal.status });
        return json(error.refusal.status, { error: error.refusal.error }, { ...error.refusal.headers });
      }
      logger.error('unexpected error', { error: error as Error });
      metrics.addMetric('UnexpectedErrors', 'Count', 1);
      return json(500, { error: { otherServerError: 'The server could not complete the request; it has been logged.' } });
    }
  }, { errorBody: ({ message }) => ({ error: badRequest(message).error }) });
}

const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 256) : '');

export const handler = lazyHandler(() =>
  createSyncV6Handler({
    configStore: adapters.configStore,
    sessions: adapters.sessions,
    quarantine: adapters.quarantine,
    centralCopy: adapters.centralCopy,
    v6Store: new DynamoV6Store(dynamoDb(), tableName('v6Sync')),
    now: systemClock,
  }),
);
