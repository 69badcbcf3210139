/**
 * The login function's grants: it reads the configuration (users) and writes failed-login counts
 * in the site state table; nothing else. It cannot change the configuration, read any synced
 * record, or touch a queue, bucket or secret.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CentralSyncStack } from '../../lib/central-sync-stack';
import { apiFunctions } from '../../lib/functions';

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const template = Template.fromStack(new CentralSyncStack(app, 'LoginGrants'));

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
}

const statements: Statement[] = Object.values(
  template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^loginFunction') }] } }),
).flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);

function dynamoActionsByTable(): Record<string, Set<string>> {
  const out: Record<string, Set<string>> = {};
  for (const statement of statements) {
    const actions = ([] as string[]).concat(statement.Action).filter((action) => action.startsWith('dynamodb:'));
    for (const resource of actions.length === 0 ? [] : (JSON.stringify(statement.Resource).match(/Tables[a-zA-Z0-9]+?[0-9A-F]{8}/g) ?? [])) {
      const table = resource.replace(/^Tables/, '').replace(/[0-9A-F]{8}$/, '');
      out[table] ??= new Set();
      for (const action of actions) out[table]!.add(action);
    }
  }
  return out;
}

const writes = /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/;

test('POST /api/v4/login is served by the login function, reading the configuration and writing site state only', () => {
  expect(apiFunctions.login.routes).toEqual(['POST /api/v4/login']);
  template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /api/v4/login' });
  const byTable = dynamoActionsByTable();
  expect(Object.keys(byTable).sort()).toEqual(['config', 'siteState']);
  expect([...byTable.config!].some((action) => writes.test(action))).toBe(false);
  expect([...byTable.config!]).toContain('dynamodb:Query');
  expect([...byTable.siteState!].some((action) => writes.test(action))).toBe(true);
});

test('no queue, bucket, secret or other service', () => {
  const actions = statements.flatMap((statement) => ([] as string[]).concat(statement.Action));
  expect(actions.length).toBeGreaterThan(0);
  expect(actions.filter((action) => !/^(dynamodb|logs):/.test(action))).toEqual([]);
});
