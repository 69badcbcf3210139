/**
 * The console's function in the stack: served at /console and everything under it, with its own
 * lower route limit; it reads the admin token secret (and is told where it is), and touches only
 * the tables it shows or acts on. It cannot change the configuration or the report figures,
 * read or write the central copy, or send to a queue.
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
  for (const routeKey of ['ANY /console', 'ANY /console/{proxy+}'])
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, Target: { 'Fn::Join': ['', ['integrations/', { Ref: consoleIntegration }]] } });
  const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
  expect(stage!.Properties.RouteSettings['ANY /console']).toEqual({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
  expect(stage!.Properties.RouteSettings['ANY /console/{proxy+}']).toEqual({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
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

test('tables: configuration, queue lengths and report figures read only; site state (sign-in attempts) and the quarantine written; nothing else', () => {
  const byTable = dynamoActionsByTable(statements);
  expect(Object.keys(byTable).sort()).toEqual(['config', 'quarantine', 'reports', 'siteState', 'syncOut']);
  for (const table of ['config', 'syncOut', 'reports']) expect([...byTable[table]!].filter((action) => WRITE_ACTIONS.test(action))).toEqual([]);
  expect([...byTable.quarantine!]).toContain('dynamodb:Scan');
  expect([...byTable.siteState!].some((action) => WRITE_ACTIONS.test(action))).toBe(true);
  const services = new Set(statements.flatMap(actionsOf).map((action) => action.split(':')[0]));
  expect([...services].sort()).toEqual(['dynamodb', 'logs', 'secretsmanager']);
});
