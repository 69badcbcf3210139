/** GET /health against real tables and queues, through the same handler factory the stack uses. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createHealthHandler } from '../../functions/handlers/health';
import { AwsHealthProbe } from '../../functions/storage/health-probe';
import { lambdaContext } from '../../lib/local/http-gateway';
import { tableNames } from '../../lib/resources';
import { createTestResources, type TestResources } from '../support/stand-ins';

let resources: TestResources;
beforeAll(async () => {
  resources = await createTestResources();
});

const invoke = (handler: ReturnType<typeof createHealthHandler>) =>
  handler({ headers: {} } as APIGatewayProxyEventV2, lambdaContext('health') as Context) as Promise<APIGatewayProxyStructuredResultV2>;

test('reports every table and queue reachable, with queue depths', async () => {
  const probe = new AwsHealthProbe(resources.db, resources.sqs, {
    tables: tableNames.map((table) => ({ table, name: resources.tables[table] })),
    queues: [{ queue: 'fanOut', url: resources.queues.fanOut.url, deadLetterUrl: resources.queues.fanOut.deadLetterUrl }],
  });
  const result = await invoke(createHealthHandler({ probe }));
  expect(result.statusCode).toBe(200);
  const body = JSON.parse(result.body!);
  expect(body.status).toBe('ok');
  expect(Object.keys(body.tables).sort()).toEqual([...tableNames].sort());
  expect(body.queues.fanOut).toEqual({ ok: true, waiting: 0, inFlight: 0, deadLetters: 0 });
});

test('answers 503 and names the part that is unreachable', async () => {
  const probe = new AwsHealthProbe(resources.db, resources.sqs, {
    tables: [{ table: 'records', name: `${resources.prefix}missing` }],
    queues: [],
  });
  const result = await invoke(createHealthHandler({ probe }));
  expect(result.statusCode).toBe(503);
  const body = JSON.parse(result.body!);
  expect(body.status).toBe('degraded');
  expect(body.tables.records.ok).toBe(false);
  expect(body.tables.records.error).toMatch(/ResourceNotFound/);
});
