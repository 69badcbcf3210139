/**
 * The login function's grants: it reads the configuration (users) and writes failed-login counts
 * in the site state table; nothing else. It cannot change the configuration, read any synced
 * record, or touch a queue, bucket or secret.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CentralSyncStack } from '../../lib/central-sync-stack';
import { apiFunctions } from '../../lib/functions';
import { dynamoActionsByTable, functionStatements, WRITE_ACTIONS } from '../support/function-grants';

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const template = Template.fromStack(new CentralSyncStack(app, 'LoginGrants'));

const statements = functionStatements(template, 'loginFunction');
const dynamoActions = () => dynamoActionsByTable(statements);
const writes = WRITE_ACTIONS;

test('POST /api/v4/login is served by the login function, reading the configuration and writing site state only', () => {
  expect(apiFunctions.login.routes).toEqual(['POST /api/v4/login']);
  template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /api/v4/login' });
  const byTable = dynamoActions();
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
