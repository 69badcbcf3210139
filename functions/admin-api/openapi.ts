/** The OpenAPI 3.1 document of the admin API, generated from the route definitions. */
import * as z from 'zod/mini';
import * as schemas from '../protocol/admin';
import { ADMIN_BASE_PATH, type AdminRoute } from './types';

const jsonSchema = (schema: z.core.$ZodType, io: 'input' | 'output') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

/** Each query field as an OpenAPI query parameter, with its description. */
function queryParameters(route: AdminRoute) {
  if (!route.query) return [];
  const { properties = {}, required = [] } = jsonSchema(route.query, 'input') as { properties?: Record<string, { description?: string }>; required?: string[] };
  return Object.entries(properties).map(([name, { description, ...schema }]) => ({
    name,
    in: 'query',
    required: required.includes(name),
    ...(description ? { description } : {}),
    schema,
  }));
}

const pathParameters = (route: AdminRoute) =>
  [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: m[1] === 'siteId' ? { type: 'integer', minimum: 1 } : { type: 'string' },
  }));

export function openApiDocument(routes: readonly AdminRoute[]) {
  const errorResponse = { $ref: '#/components/responses/Refused' };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters = [...pathParameters(route), ...queryParameters(route)];
    const status = String(route.status ?? 200);
    const success = route.response && status !== '204'
      ? {
          description: 'OK',
          content: {
            'application/json': { schema: jsonSchema(route.response, 'output') },
            ...Object.fromEntries((route.alsoProduces ?? []).map((type) => [type, { schema: { type: 'string' } }])),
          },
        }
      : { description: 'Done' };
    (paths[`${ADMIN_BASE_PATH}${route.path}`] ??= {})[route.method.toLowerCase()] = {
      operationId: route.operationId,
      tags: [route.tag],
      summary: route.summary,
      ...(route.privileged ? { 'x-privileged': true } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
      responses: { [status]: success, 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse, 405: errorResponse, 409: errorResponse, 422: errorResponse },
    };
  }
  const tags = [...new Set(routes.map((route) => route.tag))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Central sync server admin API',
      version: '1',
      description:
        'Configure sites, stores, sync-with settings, visibility, preferences and the users who log in on sites; import central data; read, replay and resolve the quarantine; re-initialise a site; read the sync report and the central reports (JSON or CSV; paged lists end with `next`, passed back as `after`). Every route except this document needs `Authorization: Bearer <admin token>`; site credentials are refused. Errors are `{"error":{"code","message","data"}}`.',
    },
    tags,
    components: {
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } },
      responses: { Refused: { description: 'Refused; the message says why', content: { 'application/json': { schema: jsonSchema(schemas.errorView, 'output') } } } },
    },
    security: [{ adminToken: [] }],
    paths,
  };
}
