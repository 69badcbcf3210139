/**
 * One admin function's HTTP handler over its share of the admin routes: GET /admin/v1/openapi.json
 * (the whole API's committed document, given as `openApiText` to the function that path reaches)
 * needs no token, everything else the administrator's bearer token; a path none of `routes` has is a 404, a method the path does not take a 405 with Allow.
 * The admin API is served by two functions (handlers/admin.ts, handlers/admin-operations.ts),
 * routed by path (lib/functions.ts); each path belongs to one of them, so these answers are the
 * same whichever function a path reaches.
 */
import { HttpError, httpHandler, type HttpEvent } from '../commons/http';
import { DEFAULT_SILENT_AFTER_DAYS } from '../services/sync-report';
import { hashPassword as scryptPassword } from '../domain/config/credentials';
import { decodePathSegment, parseJsonText } from '../protocol/json-text';
import { authenticate } from './auth';
import { parseQuery } from './helpers';
import { adminRouter } from './router';
import { ADMIN_BASE_PATH, type AdminDeps, type AdminRoute, type RouteDeps } from './types';

export function createAdminApiHandler(routes: readonly AdminRoute[], deps: AdminDeps, openApiText?: () => string) {
  const full: RouteDeps = { hashPassword: scryptPassword, data: null, attempts: null, syncReport: null, reports: null, operatorActions: null, silentAfterDays: DEFAULT_SILENT_AFTER_DAYS, now: () => new Date(), ...deps };
  const findRoute = adminRouter(routes);
  return httpHandler(async (event: HttpEvent) => {
    const method = event.requestContext.http.method.toUpperCase();
    const path = (event.rawPath ?? event.requestContext.http.path).replace(/\/+$/, '');
    if (!path.startsWith(ADMIN_BASE_PATH)) throw new HttpError(404, 'not_found', `No admin route ${path}.`);
    const subPath = path.slice(ADMIN_BASE_PATH.length);
    if (openApiText && subPath === '/openapi.json' && method === 'GET') {
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: openApiText() };
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
