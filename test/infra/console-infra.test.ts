/**
 * The console's function in the stack: served at /console and everything under it, with its own
 * lower route limit; it reads the admin token secret (and is told where it is), and touches only
 * the tables it shows or acts on: a replay stores a record as a push does (central copies, work
 * sent to the fan-out queue) and an audit entry. It cannot change the configuration (only add
 * to its audit partition), the report figures or the outgoing queues, nor delete a record.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CentralSyncStack } from '../../lib/central-sync-stack';
import { actionsOf, dynamoActionsByTable, functionStatements, WRITE_ACTIONS } from '../support/function-grants';

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const template = Template.fromStack(new CentralSyncStack(app, 'ConsoleInfra'));

const statements = functionStatements(template, 'consoleFunction');

test('/console and every path under it reach the console function, with a route limit below the stage', () => {
  const consoleIntegration = Object.keys(template.findResources('AWS::ApiGatewayV2::Integration')).find((id) => /consoleIntegration/.test(id));
  expect(consoleIntegration).toBeDefined();
  for (const routeKey of ['ANY /console', 'ANY /console/{proxy+}', 'GET /'])
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, Target: { 'Fn::Join': ['', ['integrations/', { Ref: consoleIntegration }]] } });
  const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
  expect(stage!.Properties.RouteSettings['ANY /console']).toEqual({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
  expect(stage!.Properties.RouteSettings['ANY /console/{proxy+}']).toEqual({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
  expect(stage!.Properties.RouteSettings['GET /']).toEqual({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
});

test('it reads the admin token secret, and is given its ARN', () => {
  const secretStatements = statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('secretsmanager:')));
  expect(secretStatements.flatMap(actionsOf).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
  expect(JSON.stringify(secretStatements.map((statement) => statement.Resource))).toMatch(/AdminToken/);
  template.hasResourceProperties('AWS::Lambda::Function', {
    Description: Match.stringLikeRegexp('^Operator console'),
    Environment: { Variables: Match.objectLike({ ADMIN_TOKEN_SECRET_ARN: { Ref: Match.stringLikeRegexp('^AdminToken') } }) },
  });
});

test('tables: configuration, queue lengths and report figures read; audit entries only in their partition; site state, quarantine and central copies written; nothing else', () => {
  const byTable = dynamoActionsByTable(statements);
  expect(Object.keys(byTable).sort()).toEqual(['config', 'quarantine', 'records', 'reports', 'siteState', 'syncOut', 'v6Sync']);
  for (const table of ['syncOut', 'reports']) expect([...byTable[table]!].filter((action) => WRITE_ACTIONS.test(action))).toEqual([]);
  // The configuration's one write: PutItem in the `audit` partition.
  const configWrites = statements.filter((statement) => actionsOf(statement).some((action) => WRITE_ACTIONS.test(action)) && /Tablesconfig[0-9A-F]{8}/.test(JSON.stringify(statement.Resource)));
  expect(configWrites).toEqual([expect.objectContaining({ Action: 'dynamodb:PutItem', Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['audit'] } } })]);
  // A replayed record is stored (never deleted) in the central copy.
  expect([...byTable.records!]).toContain('dynamodb:UpdateItem');
  expect([...byTable.records!]).not.toContain('dynamodb:DeleteItem');
  expect([...byTable.quarantine!]).toContain('dynamodb:Scan');
  expect([...byTable.siteState!].some((action) => WRITE_ACTIONS.test(action))).toBe(true);
  const services = new Set(statements.flatMap(actionsOf).map((action) => action.split(':')[0]));
  expect([...services].sort()).toEqual(['dynamodb', 'logs', 'secretsmanager', 'sqs']);
});

test('it sends to the fan-out queue only', () => {
  const sends = statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('sqs:')));
  expect(JSON.stringify(sends.map((statement) => statement.Resource))).toMatch(/QueuesfanOut/);
  expect(JSON.stringify(sends.map((statement) => statement.Resource))).not.toMatch(/Queuestransfers/);
  expect(sends.flatMap(actionsOf).every((action) => /^sqs:(SendMessage|GetQueueAttributes|GetQueueUrl)$/.test(action))).toBe(true);
});
