/**
 * Every deployed function can build its dependencies from exactly the environment the stack
 * gives it: a handler needing a table or queue it was not granted fails here, not in AWS.
 * Each handler module is loaded afresh with only its function's variables and invoked once;
 * the build happens on that first invocation.
 */
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CentralSyncStack } from '../../lib/central-sync-stack';
import { HANDLERS_DIR } from '../../lib/constructs/sync-function';
import { apiFunctions } from '../../lib/functions';
import { lambdaContext } from '../../lib/local/http-gateway';
import { queueNames, queues } from '../../lib/resources';

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const template = Template.fromStack(new CentralSyncStack(app, 'EnvironmentTest'));
const functions = Object.entries(template.findResources('AWS::Lambda::Function'));

/** The function's environment variable names, from the synthesised template. */
function environmentOf(logicalIdPrefix: string): string[] {
  const found = functions.filter(([id]) => id.startsWith(logicalIdPrefix));
  expect(found).toHaveLength(1);
  return Object.keys(found[0]![1].Properties.Environment?.Variables ?? {});
}

const cases: Array<[string, string, 'http' | 'sqs']> = [
  ...Object.entries(apiFunctions).map(([name, description]): [string, string, 'http' | 'sqs'] => [`${name}Function`, description.handler, 'http']),
  ...queueNames.map((queue): [string, string, 'http' | 'sqs'] => [`${queue}Consumer`, queues[queue].consumer.handler, 'sqs']),
];

const httpEvent = {
  version: '2.0',
  routeKey: 'GET /health',
  rawPath: '/health',
  rawQueryString: '',
  headers: {},
  requestContext: { http: { method: 'GET', path: '/health', sourceIp: '127.0.0.1' }, requestId: 'r', routeKey: 'GET /health' },
  isBase64Encoded: false,
};
const sqsEvent = { Records: [] };

test.each(cases)('%s builds from its own environment', async (logicalIdPrefix, handlerModule, kind) => {
  const variables = environmentOf(logicalIdPrefix);
  const saved = { ...process.env };
  try {
    for (const key of Object.keys(process.env)) if (/^(TABLE_|QUEUE_URL_|ADMIN_TOKEN)/.test(key)) delete process.env[key];
    // Physical names do not matter: only whether the variable exists.
    for (const variable of variables) process.env[variable] = variable.startsWith('QUEUE_URL_') ? `http://127.0.0.1:1/${variable}` : `missing-${variable}`;
    let module: { handler: (event: unknown, context: unknown) => Promise<unknown> } | undefined;
    jest.isolateModules(() => {
      module = require(path.join(HANDLERS_DIR, `${handlerModule}.ts`));
    });
    const invoke = module!.handler(kind === 'http' ? httpEvent : sqsEvent, lambdaContext(logicalIdPrefix));
    await invoke.catch((error: Error) => {
      expect(error.message).not.toMatch(/Environment variable \S+ is not set/);
    });
  } finally {
    process.env = saved;
  }
});
