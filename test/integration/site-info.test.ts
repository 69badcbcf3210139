/**
 * Site info as the client parses it: `omSupplyCentralServerUrl` names this deployment's own base
 * URL (the client parses it and calls the v6 API there on every sync; an empty or unparseable one
 * fails every sync), whichever host name the site reached it by.
 */
import { createSyncSiteHandler } from '../../functions/handlers/sync-site';
import type { HttpEvent } from '../../functions/commons/http';
import { lambdaContext } from '../../lib/local/http-gateway';
import { basicAuth, rawV5 } from '../support/raw-v5';
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';

let server: TestSyncServer;

beforeAll(async () => {
  server = await startTestSyncServer({ consumer: false });
});

afterAll(async () => {
  await server?.stop();
});

const siteInfoEvent = (host: string, proto?: string): HttpEvent =>
  ({
    version: '2.0',
    routeKey: 'GET /sync/v5/site',
    rawPath: '/sync/v5/site',
    rawQueryString: '',
    headers: {
      host,
      ...(proto ? { 'x-forwarded-proto': proto } : {}),
      authorization: basicAuth('remote-site-1', server.passwords['remote-site-1']!),
      'msupply-site-uuid': 'site-info-hw',
      'app-name': 'Open mSupply Desktop',
      'app-version': '2.13.0',
      version: '14',
    },
    requestContext: { domainName: host, http: { method: 'GET', path: '/sync/v5/site', sourceIp: '10.0.0.1' } },
    isBase64Encoded: false,
  }) as unknown as HttpEvent;

test('locally it is the URL the server listens on, and the v6 API answers there', async () => {
  const site = rawV5({ baseUrl: server.url, siteName: 'remote-site-1', password: server.passwords['remote-site-1']!, hardwareId: 'site-info-hw' });
  const info = (await site.get('site')).body as { omSupplyCentralServerUrl: string; isOmSupplyCentralServer: boolean };
  expect(info.omSupplyCentralServerUrl).toBe(server.url);
  expect(info.isOmSupplyCentralServer).toBe(false);
  // The client joins "central/sync/" to it, as Url::join does.
  const v6 = new URL('central/sync/site_status', new URL(info.omSupplyCentralServerUrl));
  expect(v6.href).toBe(`${server.url}/central/sync/site_status`);
  const answer = await fetch(v6, { method: 'POST', body: '{}' });
  expect(answer.status).not.toBe(404);
});

test('behind API Gateway it is the domain the site used, custom domains included, over https', async () => {
  const handler = createSyncSiteHandler(server.adapters);
  const deployed = await handler(siteInfoEvent('abc123.execute-api.eu-west-1.amazonaws.com', 'https'), lambdaContext('syncSite'));
  expect(JSON.parse((deployed as { body: string }).body)).toMatchObject({ omSupplyCentralServerUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com' });
  const custom = await handler(siteInfoEvent('sync.health.example.org', 'https'), lambdaContext('syncSite'));
  expect(JSON.parse((custom as { body: string }).body)).toMatchObject({ omSupplyCentralServerUrl: 'https://sync.health.example.org' });
});

test('an operator can name it explicitly', async () => {
  const handler = createSyncSiteHandler({ ...server.adapters, publicBaseUrl: 'https://central.example.org' });
  const answer = await handler(siteInfoEvent('internal-host:8080'), lambdaContext('syncSite'));
  expect(JSON.parse((answer as { body: string }).body)).toMatchObject({ omSupplyCentralServerUrl: 'https://central.example.org' });
});
