/**
 * ANY /admin/v1/{proxy+}: operators configure sites, stores, sync-with, visibility and
 * preferences, import central data and read the quarantine and the sync report. Every route
 * needs the administrator's bearer token (site credentials never open it); every privileged
 * change is logged and kept in the audit log with who and when.
 *
 * The routes live in functions/admin-api/, one module per resource (registry.ts lists them),
 * matched by @middy/http-router; GET /admin/v1/openapi.json serves the document generated from
 * the same definitions (`npm run openapi`, committed: zod's JSON Schema writer stays out of this bundle).
 */
import { dynamoDb } from '../commons/clients';
import { adapters, pushDependencies } from '../commons/adapters';
import { tableName } from '../commons/environment';
import { HttpError, httpHandler, type HttpEvent } from '../commons/http';
import { lazyHandler } from '../commons/lazy-handler';
import { silentAfterDaysFromEnvironment } from '../commons/silent-after-days';
import { DEFAULT_SILENT_AFTER_DAYS } from '../services/sync-report';
import { hashPassword as scryptPassword } from '../domain/config/credentials';
import { decodePathSegment, parseJsonText } from '../protocol/json-text';
import { DynamoAttemptGate } from '../storage/attempt-gate';
import { ConfigStore } from '../storage/config-store';
import { DynamoV6Store } from '../storage/v6-store';
import { DynamoAuditLog } from '../storage/audit-log';
import { resetInitialisation } from '../storage/initialisation-reset';
import { lastChanges } from '../storage/record-changes';
import { adminTokenFromEnvironment, authenticate } from '../admin-api/auth';
import { parseQuery } from '../admin-api/helpers';
import type { openApiDocument as documentOf } from '../admin-api/openapi';
import { servedOpenApiText } from '../admin-api/served-openapi';
import { adminRoutes } from '../admin-api/registry';
import { adminRouter } from '../admin-api/router';
import { ADMIN_BASE_PATH, type AdminDeps, type AdminRoute, type RouteDeps } from '../admin-api/types';

export { ADMIN_BASE_PATH, adminTokenFromEnvironment };
export type { AdminDataDeps, AdminDeps } from '../admin-api/types';

/** The document GET /admin/v1/openapi.json serves, parsed. */
export const openApiDocument = (): ReturnType<typeof documentOf> => JSON.parse(servedOpenApiText()) as ReturnType<typeof documentOf>;

export function createAdminHandler(deps: AdminDeps) {
  const full: RouteDeps = { hashPassword: scryptPassword, data: null, attempts: null, syncReport: null, reports: null, operatorActions: null, silentAfterDays: DEFAULT_SILENT_AFTER_DAYS, now: () => new Date(), ...deps };
  const findRoute = adminRouter(adminRoutes);
  return httpHandler(async (event: HttpEvent) => {
    const method = event.requestContext.http.method.toUpperCase();
    const path = (event.rawPath ?? event.requestContext.http.path).replace(/\/+$/, '');
    if (!path.startsWith(ADMIN_BASE_PATH)) throw new HttpError(404, 'not_found', `No admin route ${path}.`);
    const subPath = path.slice(ADMIN_BASE_PATH.length);
    if (subPath === '/openapi.json' && method === 'GET') {
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: servedOpenApiText() };
    }

    const actor = await authenticate(full, event);
    const { match, allowed } = findRoute(method, subPath);
    if (!match) {
      if (allowed.length === 0) throw new HttpError(404, 'not_found', `No admin route ${path}; see ${ADMIN_BASE_PATH}/openapi.json.`);
      throw new HttpError(405, 'method_not_allowed', `${path} accepts ${allowed.join(', ')}.`, null, { allow: allowed.join(', ') });
    }
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(match.params)) {
      const decoded = decodePathSegment(value);
      if (decoded === undefined) throw new HttpError(400, 'invalid_path', 'The path holds a malformed percent-encoding (a % not followed by two hex digits of valid UTF-8).');
      params[name] = decoded;
    }
    const rawQuery = event.queryStringParameters ?? {};
    const query = match.route.query ? parseQuery(match.route.query, rawQuery) : rawQuery;
    return match.route.run(full, { params, query, body: readBody(event, match.route), headers: event.headers, actor });
  });
}

function readBody(event: HttpEvent, route: AdminRoute): unknown {
  if (!route.body) return undefined;
  if (!event.body) throw new HttpError(400, 'invalid_body', 'This route needs a JSON body.');
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new HttpError(400, 'invalid_json', `The request body is ${parsed.message}.`);
  return parsed.value;
}

export const handler = lazyHandler(() =>
  createAdminHandler({
    store: new ConfigStore(dynamoDb(), tableName('config')),
    adminToken: adminTokenFromEnvironment(),
    attempts: new DynamoAttemptGate(dynamoDb(), tableName('siteState')),
    silentAfterDays: silentAfterDaysFromEnvironment(),
    data: {
      push: pushDependencies(),
      quarantine: adapters.quarantine,
      outgoing: adapters.outgoing,
      v6: { v6Store: new DynamoV6Store(dynamoDb(), tableName('v6Sync')), legacyCopy: adapters.centralCopy },
    },
    syncReport: { sessions: adapters.sessions, progress: adapters.progress, outgoing: adapters.outgoing, refusals: adapters.refusalCounts },
    reports: { figures: adapters.reportFigures, projection: adapters.reportProjection, centralCopy: adapters.centralCopy },
    operatorActions: {
      entries: adapters.quarantine,
      lastChanges: (keys) => lastChanges(dynamoDb(), tableName('records'), keys),
      audit: (entry, actor) => new DynamoAuditLog(dynamoDb(), tableName('config')).append(entry, actor),
      resetInitialisation: (siteId) => resetInitialisation(dynamoDb(), tableName('siteState'), siteId),
    },
  }),
);
