/**
 * POST /central/sync/{site_status,pull,patient-pull,push}: the Open mSupply central API (sync v6)
 * that a remote site calls on every sync, at the `omSupplyCentralServerUrl` site info gives it.
 * The site is authenticated from the body's v5 settings with the v5 checks, in-process. No v6
 * table is served yet: pulls answer the (empty) v6 change log, and every pushed record is kept
 * in quarantine before the push is answered, so nothing a site sends is lost. Answers are
 * `{"data": …}` or `{"error": <variant>}`, as the client parses them (docs/sync-v6.md).
 */
import { createHash } from 'node:crypto';
import { adapters, systemClock } from '../commons/adapters';
import { httpHandler, json, type HttpEvent, type HttpResult } from '../commons/http';
import { lazyHandler } from '../commons/lazy-handler';
import { logger, metrics } from '../commons/observability';
import { createSiteCredentialChecker, type SiteAuthDeps, type SiteCaller } from '../commons/site-auth';
import type { Quarantine, QuarantinedRecord } from '../domain/ports';
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
import { emptyV6ChangeLog, type V6ChangeLog, type V6ChangeLogPage } from '../storage/v6-change-log';
import type { z } from 'zod';

export interface SyncV6Deps extends SiteAuthDeps {
  readonly quarantine: Quarantine;
  /** @default the empty log (no v6 table is served yet) */
  readonly v6ChangeLog?: V6ChangeLog;
}

/** Why every pushed v6 record is kept aside for now. */
export const V6_UNSUPPORTED_REASON = 'v6_table_not_supported';

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
  const changeLog = deps.v6ChangeLog ?? emptyV6ChangeLog;

  /** The body, validated, version-checked and authenticated, as the Open mSupply central does it. */
  async function accept<S extends z.ZodType<{ syncV5Settings: SyncV5Settings; syncV6Version: number }>>(event: HttpEvent, schema: S) {
    const body = parseJsonBody(event.body, event.isBase64Encoded);
    if (!body.ok) throw new Refused(badRequest(body.error.message, body.error.status));
    const parsed = parseV6Request(schema, body.value);
    if (!parsed.ok) throw new Refused(parsed.refusal);
    const request = parsed.value as z.output<S>;
    refuse(checkV6Version(request.syncV6Version));
    const settings = request.syncV5Settings;
    refuse(checkV5SyncVersion(settings));
    const checked = await checkSite(
      {
        siteName: settings.username,
        passwordSha256: settings.passwordSha256,
        headers: { siteUuid: settings.siteUuid, appName: settings.appName, appVersion: settings.appVersion, version: Number(settings.syncVersion) },
      },
      event.routeKey,
    );
    if (!checked.ok) throw new Refused(fromSiteRefusal(checked.error, checked.headers));
    return { request, caller: checked.caller };
  }

  const pullAnswer = (page: V6ChangeLogPage, limit: number): PullBatch => ({
    end_cursor: page.records.at(-1)?.cursor ?? page.latestCursor,
    total_records: page.totalRecords,
    records: page.records.map(({ cursor, record }) => ({ cursor, record })),
    is_last_batch: page.totalRecords <= limit,
  });

  async function route(event: HttpEvent): Promise<HttpResult> {
    switch (event.routeKey) {
      case 'POST /central/sync/site_status': {
        await accept(event, siteStatusRequest);
        // A push is kept before it is answered: nothing runs for a site afterwards.
        return json(200, { data: { is_integrating: false } });
      }
      case 'POST /central/sync/pull': {
        const { request, caller } = await accept(event, pullRequest);
        const limit = servedBatchSize(request.batchSize);
        const page = await changeLog.read({ siteId: caller.site.siteId, cursor: request.cursor, limit, isInitialised: request.isInitialised });
        return json(200, { data: pullAnswer(page, limit) });
      }
      case 'POST /central/sync/patient-pull':
      case 'POST /central/sync/patient_pull': {
        const { request, caller } = await accept(event, patientPullRequest);
        const limit = servedBatchSize(request.batchSize);
        const page = await changeLog.readPatient({ siteId: caller.site.siteId, cursor: request.cursor, limit, patientId: request.fetchPatientId });
        return json(200, { data: pullAnswer(page, limit) });
      }
      case 'POST /central/sync/push': {
        const { request, caller } = await accept(event, pushRequest);
        const kept = quarantineItems(caller, request.batch.records, deps.now().toISOString());
        await deps.quarantine.keep(kept);
        metrics.addMetric('V6RecordsKept', 'Count', request.batch.records.length);
        return json(200, { data: { records_pushed: request.batch.records.length } });
      }
      default:
        throw new Refused(badRequest(`No sync v6 route ${event.routeKey}.`, 404));
    }
  }

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
  });
}

// ---------------------------------------------------------------------------------------------
// Quarantine items

/** Largest JSON text kept in one item; longer records are kept in parts (the store cuts at 100,000). */
const MAX_TEXT_PER_ITEM = 90_000;
/** Characters per part: JSON-escaping a part at most doubles it, so a part fits one item. */
const PART_CHARACTERS = 45_000;

/** JSON with object keys sorted, so the same record always has the same digest. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, child]) => child !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Tables the client pushes over both APIs (`sync/translations/name.rs`, `name_store_join.rs`:
 * "for cross site patient details sharing"): their v6 copy duplicates what v5 delivers.
 */
const ALSO_PUSHED_OVER_V5: ReadonlySet<string> = new Set(['name', 'name_store_join']);

const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 256) : '');

/**
 * One quarantine item per pushed record (more for a record too large for one item), keyed by a
 * digest of the record with its cursor: a batch sent again writes the same items.
 */
function quarantineItems(caller: SiteCaller, records: readonly unknown[], receivedAt: string): QuarantinedRecord[] {
  const siteId = caller.site.siteId;
  const { valid, invalid } = splitV6Records(records);
  const described = [
    ...valid.map(({ raw, value }) => ({
      raw,
      tableName: value.record.tableName,
      recordId: value.record.recordId,
      action: value.record.action.toLowerCase(),
      reason: V6_UNSUPPORTED_REASON,
      message: `Sync v6 table "${value.record.tableName}" is not served by this central server yet; the record is kept here as the site pushed it (cursor ${value.cursor}).${
        ALSO_PUSHED_OVER_V5.has(value.record.tableName) ? ' The site pushes this table over v5 too, where it is served.' : ''
      }`,
    })),
    ...invalid.map(({ raw, message }) => {
      const record = (raw as { record?: Record<string, unknown> } | null)?.record;
      return { raw, tableName: text(record?.tableName), recordId: text(record?.recordId), action: text(record?.action).toLowerCase(), reason: 'invalid_record', message };
    }),
  ];
  return described.flatMap(({ raw, ...item }) => {
    const json = canonicalJson(raw);
    const changeId = `v6-${createHash('sha256').update(json).digest('hex').slice(0, 40)}`;
    if (json.length <= MAX_TEXT_PER_ITEM) return [{ siteId, changeId, ...item, receivedAt, raw }];
    const parts = Math.ceil(json.length / PART_CHARACTERS);
    return Array.from({ length: parts }, (_, i) => ({
      siteId,
      changeId: `${changeId}-part-${i + 1}-of-${parts}`,
      ...item,
      message: `${item.message} Part ${i + 1} of ${parts}: the record is ${json.length} characters of JSON; join the parts' text in order to read it.`,
      receivedAt,
      raw: { part: i + 1, parts, text: json.slice(i * PART_CHARACTERS, (i + 1) * PART_CHARACTERS) },
    }));
  });
}

export const handler = lazyHandler(() =>
  createSyncV6Handler({
    configStore: adapters.configStore,
    sessions: adapters.sessions,
    quarantine: adapters.quarantine,
    now: systemClock,
  }),
);
