/** The admin handler on real tables, through the same factory the stack uses: every resource's CRUD. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { adminTokenFromEnvironment, createAdminHandler, openApiDocument } from '../../functions/handlers/admin';
import { sha256Hex, verifyCredential } from '../../functions/domain/config/credentials';
import { applyCommand } from '../../functions/domain/config';
import { ConfigStore } from '../../functions/storage/config-store';
import { lambdaContext } from '../../lib/local/http-gateway';
import { createTestResources, type TestResources } from '../support/stand-ins';

const TOKEN = 'integration-token';
let resources: TestResources;
let store: ConfigStore;
let handler: ReturnType<typeof createAdminHandler>;
beforeAll(async () => {
  resources = await createTestResources();
  store = new ConfigStore(resources.db, resources.tables.config);
  handler = createAdminHandler({ store, adminToken: async () => TOKEN });
});

async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const event = {
    rawPath: `/admin/v1${path}`,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { http: { method, path: `/admin/v1${path}`, sourceIp: '10.0.0.1' } },
  } as unknown as APIGatewayProxyEventV2;
  const result = (await handler(event, lambdaContext('admin') as Context)) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode, headers: result.headers ?? {}, body: result.body ? JSON.parse(result.body) : undefined };
}

test('sites: create, read, update, password, hardware release, delete', async () => {
  expect((await call('POST', '/sites', { siteId: 1, name: 'central', code: 'C', kind: 'central' })).status).toBe(201);
  expect(await call('POST', '/sites', { siteId: 1, name: 'central', code: 'C', kind: 'central' })).toMatchObject({ status: 409 });
  expect(await call('POST', '/sites', { siteId: 5, name: 'x', code: 'X', kind: 'central' })).toMatchObject({ status: 409, body: { error: { code: 'central_exists' } } });
  expect(await call('POST', '/sites', { siteId: 2, name: 'north', code: 'N', kind: 'desktop', password: 'north-password' })).toMatchObject({
    status: 201,
    body: { siteId: 2, hasPassword: true, isPrimary: false },
  });
  expect(await call('POST', '/sites', { siteId: 3, name: 'NORTH', code: 'N2', kind: 'desktop' })).toMatchObject({ status: 409, body: { error: { code: 'site_name_taken' } } });
  expect(await call('PATCH', '/sites/2', { code: 'NTH' })).toMatchObject({ status: 200, body: { code: 'NTH' } });
  expect(await call('PATCH', '/sites/2', {})).toMatchObject({ status: 400 });
  expect(await call('GET', '/sites/abc')).toMatchObject({ status: 400, body: { error: { code: 'invalid_site_id' } } });
  expect(await call('GET', '/sites/9')).toMatchObject({ status: 404 });

  expect((await call('PUT', '/sites/2/password', { password: 'new-north-password' })).status).toBe(200);
  const stored = (await store.load()).sites['2']!;
  expect(await verifyCredential(stored.credential, sha256Hex('new-north-password'))).toBe(true);
  expect(await call('PUT', '/sites/1/password', { password: 'central-password' })).toMatchObject({ status: 422, body: { error: { code: 'central_has_no_login' } } });

  await store.apply((config) => applyCommand(config, { type: 'bindHardware', siteId: 2, hardwareId: 'HW-1' }), 'test');
  expect(await call('POST', '/sites/2/release-hardware')).toMatchObject({ status: 200, body: { hardwareId: '' } });
  const audit = (await call('GET', '/audit')).body.entries.map((e: { action: string }) => e.action);
  expect(audit).toEqual(expect.arrayContaining(['site.password', 'site.releaseHardware']));

  expect((await call('POST', '/sites', { siteId: 9, name: 'spare', code: 'S', kind: 'mobile' })).status).toBe(201);
  expect((await call('DELETE', '/sites/9')).status).toBe(204);
  expect((await call('GET', '/sites')).body.sites.map((s: { siteId: number }) => s.siteId)).toEqual([1, 2]);
});

test('stores, visibility, sync-with, active site and preferences', async () => {
  expect((await call('POST', '/stores', { id: 'S1', code: 'S1', name: 'Store 1', nameId: 'N1', activeSiteId: 1 })).status).toBe(201);
  expect(await call('POST', '/stores', { id: 'S2', code: 'S2', name: 'Store 2', nameId: 'N2', activeSiteId: 2, mode: 'dispensary' })).toMatchObject({
    status: 201,
    body: { mode: 'dispensary', includeTransactionsInSync: true },
  });
  expect(await call('POST', '/stores', { id: 'S3', code: 'S3', name: 'Store 3', nameId: 'N2', activeSiteId: 2 })).toMatchObject({ status: 409, body: { error: { code: 'name_record_in_use' } } });
  expect(await call('POST', '/stores', { id: 'S3', code: 'S3', name: 'Store 3', nameId: 'N3', activeSiteId: 7 })).toMatchObject({ status: 422, body: { error: { code: 'unknown_site' } } });
  expect(await call('PATCH', '/stores/S2', { name: 'Dispensary 2' })).toMatchObject({ status: 200, body: { name: 'Dispensary 2' } });

  expect(await call('POST', '/stores/S2/visibility', { nameId: 'N1' })).toMatchObject({ status: 201, body: { nameIds: ['N1'] } });
  expect(await call('GET', '/stores/S1/visibility')).toMatchObject({ status: 200, body: { nameIds: ['N2'] } });
  expect(await call('POST', '/stores/S2/visibility', { nameId: 'N1' })).toMatchObject({ status: 409 });
  expect(await call('PUT', '/stores/S1/sync-with/2', { syncWith: 'activeCollector' })).toMatchObject({ status: 200 });
  expect(await call('PUT', '/stores/S1/sync-with/1', { syncWith: 'transfer' })).toMatchObject({ status: 422, body: { error: { code: 'store_active_here' } } });
  expect(await call('PUT', '/stores/S2/sync-with/1', { syncWith: 'none' })).toMatchObject({ status: 422, body: { error: { code: 'site_holds_every_store' } } });
  expect(await call('PUT', '/stores/S2/sync-with/1', { syncWith: 'maybe' })).toMatchObject({ status: 400 });
  expect(await call('PUT', '/stores/S2/include-transactions', { includeTransactionsInSync: false })).toMatchObject({
    status: 200,
    body: { includeTransactionsInSync: false },
  });

  const moved = await call('PUT', '/stores/S1/active-site', { siteId: 2 });
  expect(moved.body.sites).toEqual([
    { siteId: 1, syncWith: 'activeCollector', type: 'collector' },
    { siteId: 2, syncWith: 'activeCollector', type: 'active' },
  ]);
  expect(await call('DELETE', '/stores/S1')).toMatchObject({ status: 409, body: { error: { code: 'store_in_use' } } });
  expect((await call('DELETE', '/stores/S2/visibility/N1')).status).toBe(204);
  expect(await call('DELETE', '/stores/S2/visibility/N1')).toMatchObject({ status: 404 });
  expect((await call('DELETE', '/stores/S1')).status).toBe(204);

  expect(await call('PATCH', '/preferences', { primarySiteId: 2, centralisedPayments: true })).toMatchObject({
    status: 200,
    body: { primarySiteId: 2, centralisedPayments: true, centralisedProcurement: false },
  });
  expect(await call('GET', '/sites/2')).toMatchObject({ body: { isPrimary: true } });
  expect(await call('DELETE', '/sites/2')).toMatchObject({ status: 409 });
  expect(await call('PATCH', '/preferences', { primarySiteId: 1 })).toMatchObject({ status: 422, body: { error: { code: 'primary_must_be_desktop' } } });

  const exported = (await call('GET', '/config')).body;
  expect(exported.stores.map((s: { id: string }) => s.id)).toEqual(['S2']);
  expect(JSON.stringify(exported)).not.toMatch(/password|credential|scrypt/);
});

test('authentication, unknown routes and methods', async () => {
  expect(await call('GET', '/sites', undefined, null)).toMatchObject({ status: 401, headers: { 'www-authenticate': 'Bearer realm="admin"' } });
  expect(await call('GET', '/sites', undefined, 'nearly-integration-token')).toMatchObject({ status: 401 });
  expect(await call('GET', '/nothing')).toMatchObject({ status: 404 });
  expect(await call('PUT', '/sites')).toMatchObject({ status: 405, headers: { allow: 'GET, POST' } });
});

test('the admin token comes from ADMIN_TOKEN; without one the API says it is not configured', async () => {
  const saved = { token: process.env.ADMIN_TOKEN, arn: process.env.ADMIN_TOKEN_SECRET_ARN };
  try {
    delete process.env.ADMIN_TOKEN_SECRET_ARN;
    process.env.ADMIN_TOKEN = 'from-env';
    expect(await adminTokenFromEnvironment()()).toBe('from-env');
    delete process.env.ADMIN_TOKEN;
    await expect(adminTokenFromEnvironment()()).rejects.toMatchObject({ statusCode: 503 });
  } finally {
    if (saved.token !== undefined) process.env.ADMIN_TOKEN = saved.token;
    if (saved.arn !== undefined) process.env.ADMIN_TOKEN_SECRET_ARN = saved.arn;
  }
});

test('the OpenAPI document covers every route with schemas from the same definitions', () => {
  const doc = openApiDocument();
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/admin/v1/sites', '/admin/v1/stores/{storeId}/sync-with/{siteId}', '/admin/v1/config']));
  const create = doc.paths['/admin/v1/sites']!.post as { requestBody: { content: { 'application/json': { schema: { required: string[]; properties: Record<string, unknown> } } } } };
  expect(create.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['siteId', 'name', 'code', 'kind']));
  expect(create.requestBody.content['application/json'].schema.properties.kind).toMatchObject({ enum: ['central', 'desktop', 'mobile'] });
});
