/**
 * Wrong admin tokens are throttled per source address: every token tried is counted before it
 * is compared, so concurrent guesses get no more than the free attempts evaluated; other
 * addresses are untouched; the right token works again once the back-off has passed.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DEFAULT_GATE_POLICY } from '../../functions/domain/auth/attempt-gate';
import { createAdminHandler } from '../../functions/handlers/admin';
import { DynamoAttemptGate } from '../../functions/storage/attempt-gate';
import { ConfigStore } from '../../functions/storage/config-store';
import { lambdaContext } from '../../lib/local/http-gateway';
import { createTestResources, type TestResources } from '../support/stand-ins';

const TOKEN = 'throttle-test-token';
let resources: TestResources;
let handler: ReturnType<typeof createAdminHandler>;
let clockMs = Date.UTC(2026, 10, 28, 12);

beforeAll(async () => {
  resources = await createTestResources();
  handler = createAdminHandler({
    store: new ConfigStore(resources.db, resources.tables.config),
    adminToken: async () => TOKEN,
    attempts: new DynamoAttemptGate(resources.db, resources.tables.siteState),
    now: () => new Date(clockMs),
  });
});

async function call(token: string, sourceIp: string) {
  const event = {
    rawPath: '/admin/v1/sites',
    headers: { authorization: `Bearer ${token}` },
    isBase64Encoded: false,
    requestContext: { http: { method: 'GET', path: '/admin/v1/sites', sourceIp } },
  } as unknown as APIGatewayProxyEventV2;
  const result = (await handler(event, lambdaContext('admin') as Context)) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode, retryAfter: result.headers?.['retry-after'], body: result.body ? JSON.parse(result.body) : undefined };
}

test('twenty wrong tokens at once from one address: only the free attempts are evaluated, the rest wait; another address is not affected', async () => {
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => call(`guess-${i}`, '203.0.113.7')));
  const statuses = answers.map((answer) => answer.status);
  expect(statuses.filter((status) => status === 401)).toHaveLength(DEFAULT_GATE_POLICY.freeAttempts);
  expect(statuses.filter((status) => status === 429)).toHaveLength(20 - DEFAULT_GATE_POLICY.freeAttempts);
  const refused = answers.find((answer) => answer.status === 429)!;
  expect(refused.body).toMatchObject({ error: { code: 'too_many_attempts' } });
  expect(Number(refused.retryAfter)).toBeGreaterThan(0);

  // Even the right token waits at the throttled address; elsewhere it works at once.
  expect((await call(TOKEN, '203.0.113.7')).status).toBe(429);
  expect((await call(TOKEN, '198.51.100.2')).status).toBe(200);

  // Once the back-off has passed, the right token gets in and the count starts afresh.
  clockMs += DEFAULT_GATE_POLICY.baseBackoffSeconds * 1000;
  expect((await call(TOKEN, '203.0.113.7')).status).toBe(200);
  const again = await Promise.all(Array.from({ length: DEFAULT_GATE_POLICY.freeAttempts }, (_, i) => call(`again-${i}`, '203.0.113.7')));
  expect(again.map((answer) => answer.status)).toEqual(Array(DEFAULT_GATE_POLICY.freeAttempts).fill(401));
});
