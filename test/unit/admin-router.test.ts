/** The admin router and the OpenAPI document generated from the route modules. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { adminRoutes } from '../../functions/admin-api/registry';
import { adminRouter } from '../../functions/admin-api/router';
import { createAdminApiHandler } from '../../functions/admin-api/handler';
import { servedOpenApiText } from '../../functions/admin-api/served-openapi';
import { openApiDocument } from '../../functions/handlers/admin';
import type { ConfigStore } from '../../functions/storage/config-store';
import { lambdaContext } from '../../lib/local/http-gateway';

// Over every route, as the two admin functions answer together (lib/functions.ts routes each path to one).
const handler = createAdminApiHandler(adminRoutes, { store: {} as ConfigStore, adminToken: async () => 'token' }, servedOpenApiText);
async function call(method: string, path: string) {
  const event = {
    rawPath: path,
    headers: { authorization: 'Bearer token' },
    isBase64Encoded: false,
    requestContext: { http: { method, path, sourceIp: '10.0.0.1' } },
  } as unknown as APIGatewayProxyEventV2;
  const result = (await handler(event, lambdaContext('admin') as Context)) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(result.body ?? 'null') };
}

test('a path no route has is a 404; a method the path does not take a 405 naming those it does', async () => {
  expect(await call('GET', '/admin/v1/nothing')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  expect(await call('GET', '/admin/v1/sites/2/nothing')).toMatchObject({ status: 404 });
  expect(await call('GET', '/elsewhere')).toMatchObject({ status: 404 });
  expect(await call('PUT', '/admin/v1/sites')).toMatchObject({ status: 405, headers: { allow: 'GET, POST' }, body: { error: { code: 'method_not_allowed' } } });
  expect(await call('POST', '/admin/v1/sites/7')).toMatchObject({ status: 405, headers: { allow: 'GET, PATCH, DELETE' } });
  expect(await call('DELETE', '/admin/v1/sync-report')).toMatchObject({ status: 405, headers: { allow: 'GET' } });
  expect(await call('TRACE', '/admin/v1/sites')).toMatchObject({ status: 405 });
  expect(await call('GET', '/admin/v1/stores/%E0%A4%A')).toMatchObject({ status: 400, body: { error: { code: 'invalid_path' } } });
});

test('the router matches path parameters and refuses two routes with one operation id', () => {
  const find = adminRouter(adminRoutes);
  expect(find('PUT', '/stores/S1/sync-with/3').match).toMatchObject({ route: { operationId: 'setStoreSyncWith' }, params: { storeId: 'S1', siteId: '3' } });
  expect(find('GET', '/sync-report').match?.route.operationId).toBe('getSyncReport');
  expect(() => adminRouter([...adminRoutes, { ...adminRoutes[0]!, path: '/other' }])).toThrow(/operation id listSites/);
});

test('OpenAPI: every operation has its own operation id and a tag, and lists every query parameter', () => {
  const doc = openApiDocument();
  const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods) as Array<{ operationId: string; tags: string[]; parameters?: Array<{ name: string; in: string }> }>);
  expect(operations).toHaveLength(adminRoutes.length);
  const ids = operations.map((operation) => operation.operationId);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids).toEqual(expect.arrayContaining(['listSites', 'createSite', 'moveStore', 'listQuarantine', 'getSyncReport', 'exportConfig']));
  for (const operation of operations) expect(operation.tags).toHaveLength(1);
  expect(doc.tags.map((tag) => tag.name)).toEqual(expect.arrayContaining(['sites', 'stores', 'moves', 'users', 'quarantine', 'sync-report']));
  const queryOf = (path: string, method: string) =>
    ((doc.paths[`/admin/v1${path}`]![method] as { parameters: Array<{ name: string; in: string }> }).parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
  expect(queryOf('/quarantine', 'get')).toEqual(['siteId', 'limit', 'after', 'reason', 'state']);
  expect(queryOf('/sync-report', 'get')).toEqual(['limit', 'after', 'silentAfterDays', 'format']);
  expect(queryOf('/sites', 'get')).toEqual(['limit', 'after', 'silentAfterDays']);
  const report = doc.paths['/admin/v1/sync-report']!.get as { responses: Record<string, { content: Record<string, unknown> }> };
  expect(Object.keys(report.responses['200']!.content)).toEqual(['application/json', 'text/csv']);
});
