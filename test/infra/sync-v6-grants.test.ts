/**
 * The sync v6 function's grants: it reads the configuration, writes login failures and
 * connections (site state), keeps refused records in quarantine, writes the v6 central copy and
 * change log, and reads the legacy central copy (a v6 record placed by a legacy one); nothing
 * else. In particular it cannot write the legacy central copy or touch the queues sites pull
 * from, and sends no background work.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CentralSyncStack } from '../../lib/central-sync-stack';
import { apiFunctions } from '../../lib/functions';
import { dynamoActionsByTable, functionStatements, WRITE_ACTIONS } from '../support/function-grants';

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const template = Template.fromStack(new CentralSyncStack(app, 'V6Grants'));

const statements = functionStatements(template, 'syncV6Function');
const dynamoActions = () => dynamoActionsByTable(statements);
const writes = WRITE_ACTIONS;

test('the v6 routes are served by one function with exactly the described tables', () => {
  expect(apiFunctions.syncV6.routes).toEqual(expect.arrayContaining(['POST /central/sync/site_status', 'POST /central/sync/pull', 'POST /central/sync/patient-pull', 'POST /central/sync/push']));
  for (const routeKey of apiFunctions.syncV6.routes) template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey });
  expect(Object.keys(dynamoActions()).sort()).toEqual(['config', 'quarantine', 'records', 'siteState', 'v6Sync']);
});

test('configuration and the legacy central copy read-only; site state, quarantine and the v6 tables writable', () => {
  const byTable = dynamoActions();
  for (const table of ['config', 'records']) {
    expect({ table, write: [...byTable[table]!].some((action) => writes.test(action)) }).toEqual({ table, write: false });
  }
  expect([...byTable.config!]).toContain('dynamodb:GetItem');
  for (const table of ['siteState', 'quarantine', 'v6Sync']) {
    expect({ table, write: [...byTable[table]!].some((action) => writes.test(action)) }).toEqual({ table, write: true });
  }
});

test('no queue, secret or other service', () => {
  const actions = statements.flatMap((statement) => ([] as string[]).concat(statement.Action));
  expect(actions.filter((action) => !/^(dynamodb|logs):/.test(action))).toEqual([]);
});
