/**
 * The quarantine: pushed records refused with a reason, listed per site or across all sites;
 * replayed under today's configuration or resolved with a note (services/quarantine-actions.ts).
 */
import * as z from 'zod/mini';
import { HttpError, json } from '../commons/http';
import { logger } from '../commons/observability';
import * as schemas from '../protocol/admin';
import { isWellFormed } from '../protocol/json-text';
import { MAX_REPLAY_ENTRIES, openEntries, replayEntries, resolveEntries, type QuarantineActionDeps } from '../services/quarantine-actions';
import { InvalidPageTokenError } from '../storage/page-token';
import { parseQuarantineEntryId } from '../storage/quarantine';
import { dataDeps, parseBody, queryText, siteIdParam } from './helpers';
import { route, type AdminRequest, type AdminRoute, type RouteDeps } from './types';

export const listQuarantineQuery = z.object({
  siteId: queryText('Only this site\'s refused records'),
  limit: queryText('Records per page, 1 to 1000 (default 100)'),
  after: queryText('The page token `next` of the previous page'),
  reason: queryText('Only records refused with this reason (as they now stand)'),
  state: queryText('`open` (not yet replayed and accepted, nor resolved) or `closed`; both by default'),
});

const tag = 'quarantine';
const replayResult = z.object({
  id: z.string(),
  siteId: z.number(),
  changeId: z.string(),
  tableName: z.string(),
  recordId: z.string(),
  outcome: z.enum(['accepted', 'refused', 'superseded', 'skipped']),
  reason: z.string(),
  message: z.string(),
});
const replayResponse = z.object({
  accepted: z.number(),
  refused: z.number(),
  superseded: z.number(),
  skipped: z.number(),
  results: z.array(replayResult),
  next: z.optional(z.string()),
});
/** Text an operator gives, kept as it is: well-formed (no lone surrogate), bounded. */
const operatorText = (max: number) => z.string().check(z.trim(), z.minLength(1), z.maxLength(max), z.refine(isWellFormed, 'must be well-formed text (no lone surrogate)'));
const resolveBody = z.strictObject({ resolution: operatorText(1000) });
const resolveResponse = z.object({ resolved: z.array(z.string()), notFound: z.array(z.string()) });
/** Which open entries a bulk action takes: a site's, a reason's, or both; a page at a time. */
const selection = {
  siteId: z.optional(schemas.siteIdSchema),
  reason: z.optional(operatorText(100)),
  limit: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_REPLAY_ENTRIES))),
  after: z.optional(z.string()),
};
const bulkReplayBody = z.strictObject(selection);
const bulkResolveBody = z.strictObject({ ...selection, resolution: resolveBody.shape.resolution });

function actionDeps(deps: RouteDeps): QuarantineActionDeps {
  const data = dataDeps(deps);
  const actions = deps.operatorActions;
  if (!actions) throw new HttpError(503, 'quarantine_actions_unavailable', 'This server was started without quarantine replay and resolve.');
  return { push: data.push, entries: actions.entries, lastChanges: actions.lastChanges, audit: actions.audit, ...(data.v6 ? { v6: data.v6 } : {}) };
}

async function entryOf(actions: QuarantineActionDeps, request: AdminRequest<unknown>) {
  const key = parseQuarantineEntryId(request.params.id ?? '');
  if (!key) throw new HttpError(400, 'invalid_quarantine_id', `A quarantine entry id is <siteId>:<changeId>; got "${request.params.id}".`);
  const entry = await actions.entries.get(key.siteId, key.changeId);
  if (!entry) throw new HttpError(404, 'quarantine_entry_not_found', `Quarantine entry ${request.params.id} does not exist.`);
  return entry;
}

/** The open entries a bulk action selects (one page); a selection naming nothing is refused. */
async function selected(actions: QuarantineActionDeps, body: z.infer<typeof bulkReplayBody>) {
  if (body.siteId === undefined && body.reason === undefined) throw new HttpError(400, 'invalid_body', 'Name a siteId, a reason, or both.');
  try {
    return await openEntries(actions, { ...body, limit: body.limit ?? 100 });
  } catch (error) {
    if (error instanceof InvalidPageTokenError) throw new HttpError(400, 'invalid_body', error.message);
    throw error;
  }
}

const bulkTarget = (body: { siteId?: number; reason?: string }) =>
  `quarantine${body.siteId === undefined ? '' : `/site/${body.siteId}`}${body.reason === undefined ? '' : `/reason/${body.reason}`}`;

export const quarantineRoutes: AdminRoute[] = [
  route({
    method: 'GET',
    path: '/quarantine',
    summary: 'Refused pushed records with the reason (?siteId=, ?reason=, ?state=open|closed, ?limit= up to 1000, ?after= from the previous page)',
    operationId: 'listQuarantine',
    tag: 'quarantine',
    query: listQuarantineQuery,
    response: schemas.quarantineListResponse,
    run: async (deps, request) => {
      const data = dataDeps(deps);
      const siteId = request.query.siteId === undefined ? undefined : siteIdParam({ params: { siteId: request.query.siteId } });
      const limit = Math.min(Math.max(Number(request.query.limit ?? 100) || 100, 1), 1000);
      const { reason, state } = request.query;
      if (state !== undefined && state !== 'open' && state !== 'closed') throw new HttpError(400, 'invalid_query', 'state is open or closed.');
      try {
        if ((reason !== undefined || state !== undefined) && !deps.operatorActions) throw new HttpError(503, 'quarantine_actions_unavailable', 'This server lists the quarantine unfiltered only.');
        const filters = { ...(reason === undefined ? {} : { reason }), ...(state === undefined ? {} : { state: state as 'open' | 'closed' }) };
        return json(200, await (deps.operatorActions?.entries ?? data.quarantine).list({ siteId, limit, after: request.query.after, ...filters }));
      } catch (error) {
        if (error instanceof InvalidPageTokenError) throw new HttpError(400, 'invalid_query', error.message);
        throw error;
      }
    },
  }),
  route({
    method: 'POST',
    path: '/quarantine/{id}/replay',
    summary: 'Decide a refused record again under today\'s configuration: accepted, it is stored and routed and the entry closes; refused, it stays open with its new reason (privileged)',
    operationId: 'replayQuarantineEntry',
    tag,
    response: replayResponse,
    privileged: true,
    run: async (deps, request) => {
      const actions = actionDeps(deps);
      const entry = await entryOf(actions, request);
      const summary = await replayEntries(actions, await deps.store.current(), [entry], request.actor, `quarantine/${request.params.id}`);
      logger.info('quarantine replayed', { actor: request.actor, accepted: summary.accepted, refused: summary.refused, superseded: summary.superseded, skipped: summary.skipped });
      return json(200, summary);
    },
  }),
  route({
    method: 'POST',
    path: '/quarantine/replay',
    summary: 'Replay the open entries of a site, of a reason, or both, a page at a time (`next` continues) (privileged)',
    operationId: 'replayQuarantine',
    tag,
    body: bulkReplayBody,
    response: replayResponse,
    privileged: true,
    run: async (deps, request) => {
      const actions = actionDeps(deps);
      const body = parseBody(bulkReplayBody, request.body);
      const page = await selected(actions, body);
      const summary = await replayEntries(actions, await deps.store.current(), page.records, request.actor, bulkTarget(body));
      logger.info('quarantine replayed', { actor: request.actor, accepted: summary.accepted, refused: summary.refused, superseded: summary.superseded, skipped: summary.skipped });
      return json(200, { ...summary, ...(page.next ? { next: page.next } : {}) });
    },
  }),
  route({
    method: 'POST',
    path: '/quarantine/{id}/resolve',
    summary: 'Close a refused record with a note, without applying it (privileged)',
    operationId: 'resolveQuarantineEntry',
    tag,
    body: resolveBody,
    response: resolveResponse,
    privileged: true,
    run: async (deps, request) => {
      const actions = actionDeps(deps);
      const { resolution } = parseBody(resolveBody, request.body);
      const entry = await entryOf(actions, request);
      const result = await resolveEntries(actions, [entry], resolution, request.actor, `quarantine/${request.params.id}`);
      logger.info('quarantine resolved', { actor: request.actor, resolved: result.resolved.length });
      return json(200, result);
    },
  }),
  route({
    method: 'POST',
    path: '/quarantine/resolve',
    summary: 'Close the open entries of a site, of a reason, or both, with a note, a page at a time (`next` continues) (privileged)',
    operationId: 'resolveQuarantine',
    tag,
    body: bulkResolveBody,
    response: z.extend(resolveResponse, { next: z.optional(z.string()) }),
    privileged: true,
    run: async (deps, request) => {
      const actions = actionDeps(deps);
      const { resolution, ...body } = parseBody(bulkResolveBody, request.body);
      const page = await selected(actions, body);
      const result = await resolveEntries(actions, page.records, resolution, request.actor, bulkTarget(body));
      logger.info('quarantine resolved', { actor: request.actor, resolved: result.resolved.length });
      return json(200, { ...result, ...(page.next ? { next: page.next } : {}) });
    },
  }),
];
