/** Targeted assertions on the synthesised stack, plus cdk-nag's AwsSolutions checks. */
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CentralSyncStack } from '../../lib/central-sync-stack';
import { apiFunctions, scheduledFunctions } from '../../lib/functions';
import { queueNames, queues, tableNames } from '../../lib/resources';

// Bundling is not the subject here: skip it so each synth takes a fraction of a second.
const synth = () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new CentralSyncStack(app, 'Test');
  return { template: Template.fromStack(stack) };
};

const { template } = synth();

test('every described table is on-demand, encrypted, point-in-time recoverable and retained', () => {
  template.resourceCountIs('AWS::DynamoDB::Table', tableNames.length);
  template.allResourcesProperties('AWS::DynamoDB::Table', {
    BillingMode: 'PAY_PER_REQUEST',
    SSESpecification: { SSEEnabled: true },
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    DeletionProtectionEnabled: true,
  });
  template.allResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  template.hasResourceProperties('AWS::DynamoDB::Table', {
    LocalSecondaryIndexes: [Match.objectLike({ IndexName: 'bySequence' })],
  });
});

test('every queue is FIFO as described, encrypted, and redrives to its own DLQ', () => {
  template.resourceCountIs('AWS::SQS::Queue', queueNames.length * 2);
  for (const name of queueNames) {
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      SqsManagedSseEnabled: true,
      VisibilityTimeout: queues[name].visibilityTimeoutSeconds,
      RedrivePolicy: { maxReceiveCount: queues[name].maxReceiveCount, deadLetterTargetArn: Match.anyValue() },
    });
  }
});

test('queue consumers report partial batch failures with the described batch size', () => {
  template.resourceCountIs('AWS::Lambda::EventSourceMapping', queueNames.length);
  template.allResourcesProperties('AWS::Lambda::EventSourceMapping', {
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    BatchSize: queues.fanOut.consumer.batchSize,
  });
});

test('functions run on arm64 with a current Node runtime and their own log group; source maps only when asked for', () => {
  template.allResourcesProperties('AWS::Lambda::Function', {
    Architectures: ['arm64'],
    Runtime: 'nodejs24.x',
    LoggingConfig: Match.objectLike({ LogGroup: Match.anyValue() }),
  });
  template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
  expect(JSON.stringify(template.findResources('AWS::Lambda::Function'))).not.toContain('--enable-source-maps');
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const withMaps = Template.fromStack(new CentralSyncStack(app, 'WithMaps', { sourceMaps: true }));
  withMaps.allResourcesProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) } });
});

test('every described route is served by the HTTP API', () => {
  for (const description of Object.values(apiFunctions)) {
    for (const routeKey of description.routes) template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey });
  }
  template.hasOutput('ApiUrl', {});
});

test('each queue URL and its dead-letter queue URL are stack outputs, for replaying dead letters', () => {
  for (const [key, resource] of [
    ['QueueUrlFanOut', 'QueuesfanOut'],
    ['DeadLetterQueueUrlFanOut', 'QueuesfanOutDlq'],
    ['QueueUrlTransfers', 'Queuestransfers'],
    ['DeadLetterQueueUrlTransfers', 'QueuestransfersDlq'],
  ] as const) {
    template.hasOutput(key, { Value: { Ref: Match.stringLikeRegexp(`^${resource}[0-9A-F]{8}$`) } });
  }
});

/** Every DynamoDB action granted to a function's role, per table logical id prefix. */
/** DynamoDB actions per table; `unconditional`: only those granted on every item (no key condition). */
function dynamoActionsOf(functionName: string, { unconditional = false } = {}): Map<string, Set<string>> {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${functionName}`) }] } });
  const byTable = new Map<string, Set<string>>();
  for (const policy of Object.values(policies)) {
    for (const statement of policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }>) {
      if (unconditional && statement.Condition !== undefined) continue;
      const actions = [statement.Action].flat().filter((action) => action.startsWith('dynamodb:'));
      const tables = [...JSON.stringify(statement.Resource).matchAll(/"Tables([A-Za-z0-9]+?)[A-F0-9]{8}"/g)].map((match) => match[1]!);
      for (const table of tables) for (const action of actions) byTable.set(table, (byTable.get(table) ?? new Set()).add(action));
    }
  }
  return byTable;
}

test('the health function only describes tables and reads queue depths: it can read no item and write nothing', () => {
  const byTable = dynamoActionsOf('healthFunction');
  expect([...byTable.keys()].sort()).toEqual([...tableNames].sort());
  for (const actions of byTable.values()) expect([...actions]).toEqual(['dynamodb:DescribeTable']);
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^healthFunction') }] } });
  const statements = JSON.stringify(Object.values(policies).map((p) => p.Properties.PolicyDocument.Statement));
  expect(statements).toContain('sqs:GetQueueAttributes');
  expect(statements).not.toContain('sqs:SendMessage');
});

test('least privilege on tables: no stream actions anywhere, a scan only where the admin API or the console lists every site\'s quarantine, and the central copy is never deletable', () => {
  const roles = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => /Function|Consumer/.test(id));
  expect(roles.length).toBeGreaterThan(5);
  const everything = JSON.stringify(template.findResources('AWS::IAM::Policy'));
  expect(everything).not.toMatch(/dynamodb:(GetRecords|GetShardIterator|DescribeStream|ListStreams)/);
  // The policies are read per table: a push writes the central copy and keeps refusals.
  // (its conditional writes go 25 to a request as PartiQL INSERT and UPDATE: functions/storage/conditional-batch.ts).
  expect([...(dynamoActionsOf('syncPushFunction').get('records') ?? [])]).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate']));
  expect([...(dynamoActionsOf('adminOperationsFunction').get('quarantine') ?? [])]).toContain('dynamodb:Scan');
  // The admin API's configuration function never touches the quarantine, the v6 copy or the reports.
  expect([...dynamoActionsOf('adminFunction').keys()].sort()).toEqual(['config', 'records', 'siteState', 'syncOut']);
  for (const role of roles) {
    const name = role.replace(/ServiceRole.*$/, '');
    for (const [table, actions] of dynamoActionsOf(name)) {
      if (actions.has('dynamodb:Scan')) expect({ name, table }).toEqual({ name: expect.stringMatching(/^(adminOperations|console)Function/), table: 'quarantine' });
    }
    for (const [table, actions] of dynamoActionsOf(name, { unconditional: true })) {
      if (table === 'records') expect({ name, deletes: [...actions].filter((action) => /Delete|BatchWrite/.test(action)) }).toEqual({ name, deletes: [] });
    }
  }
});

test('routing marks records routed with batch puts of markers only: BatchWriteItem on the central copy is limited to the marker partitions', () => {
  const policies = JSON.stringify(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^fanOutConsumer') }] } }));
  const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }>,
  );
  const recordBatchWrites = statements.filter((statement) => [statement.Action].flat().includes('dynamodb:BatchWriteItem') && /"TablesRecords|"Tablesrecords/.test(JSON.stringify(statement.Resource)));
  expect(recordBatchWrites.length).toBeGreaterThan(0);
  for (const statement of recordBatchWrites) expect(statement.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['~routed#*'] } });
  expect(policies).toContain('~routed#*');
});

test('an alarm watches each dead-letter queue and the API 5xx rate', () => {
  // Every other alarm (and the topic they notify) is checked in alarms.test.ts.
  expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThan(queueNames.length + 1);
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Threshold: 0,
    ComparisonOperator: 'GreaterThanThreshold',
  });
  template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
});

test('cdk-nag AwsSolutions: no unsuppressed errors or warnings', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const nagged = new CentralSyncStack(app, 'Nagged');
  // With the plugin added, synth throws on any unacknowledged finding.
  expect(() => app.synth()).not.toThrow();
  const errors = Annotations.fromStack(nagged).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
  const warnings = Annotations.fromStack(nagged).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
  expect(errors.map((e) => e.entry.data)).toEqual([]);
  expect(warnings.map((w) => w.entry.data)).toEqual([]);
});

test('the admin token is a Secrets Manager secret that only the two admin API functions and the console may read', () => {
  template.resourceCountIs('AWS::SecretsManager::Secret', 1);
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ ADMIN_TOKEN_SECRET_ARN: { Ref: Match.stringLikeRegexp('AdminToken') } }) },
  });
  const readers = template.findResources('AWS::IAM::Policy', {
    Properties: {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['secretsmanager:GetSecretValue']) })]) },
    },
  });
  expect(Object.values(readers).map((p) => JSON.stringify(p.Properties.Roles)).sort()).toEqual([expect.stringMatching(/adminFunction/), expect.stringMatching(/adminOperationsFunction/), expect.stringMatching(/consoleFunction/)]);
  for (const role of ['adminFunction', 'adminOperationsFunction']) {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp(role) }] },
    });
    const actions = JSON.stringify(Object.values(policies).map((p) => p.Properties.PolicyDocument.Statement));
    expect(actions).toContain('dynamodb:ConditionCheckItem');
    expect(actions).toContain('dynamodb:PutItem');
    // Configuration changes send store and user records on, importing central data stores and
    // routes it like a push; the queues sites pull stay out of reach.
    expect(actions).toContain('sqs:SendMessage');
    expect(actions).not.toContain('sqs:ReceiveMessage');
    expect(actions).not.toMatch(/TableschangeLog/);
  }
});

test('a public base URL given to the stack reaches only the function that answers site info', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const named = Template.fromStack(new CentralSyncStack(app, 'Named', { publicBaseUrl: 'https://sync.example.org' }));
  const withUrl = named.findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: Match.objectLike({ PUBLIC_BASE_URL: 'https://sync.example.org' }) } },
  });
  expect(Object.keys(withUrl)).toHaveLength(1);
  expect(Object.keys(withUrl)[0]).toMatch(/^syncSiteFunction/);
  expect(Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: Match.objectLike({ PUBLIC_BASE_URL: Match.anyValue() }) } } }))).toHaveLength(0);
});

test('a public base URL with a path is refused at synth: the v6 client would lose its last segment', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  expect(() => new CentralSyncStack(app, 'WithPath', { publicBaseUrl: 'https://example.org/sync' })).toThrow(/must be an origin/);
});

test('the sweeper runs on an EventBridge schedule, may send to the work queues and touch only the site-state table', () => {
  template.hasResourceProperties('AWS::Events::Rule', {
    ScheduleExpression: `rate(${scheduledFunctions.sweepWork.everyMinutes} minute)`,
    State: 'ENABLED',
    Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('sweepWorkFunction'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
  });
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp('sweepWorkFunction') }] },
  });
  const statements = JSON.stringify(Object.values(policies).map((p) => p.Properties.PolicyDocument.Statement));
  expect(statements).toContain('sqs:SendMessage');
  expect(statements).toMatch(/siteState/i);
  for (const table of tableNames.filter((name) => name !== 'siteState')) expect(statements).not.toMatch(new RegExp(`Tables${table}[A-F0-9]{8}`));
});

test('the configuration snapshot is written by a function of its own on an EventBridge schedule, touching only the config table and sending nothing', () => {
  template.hasResourceProperties('AWS::Events::Rule', {
    ScheduleExpression: `rate(${scheduledFunctions.snapshotConfig.everyMinutes} minute)`,
    State: 'ENABLED',
    Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^snapshotConfigFunction'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
  });
  const fns = template.findResources('AWS::Lambda::Function', { Properties: { Handler: Match.anyValue(), Description: Match.stringLikeRegexp('configuration snapshot') } });
  expect(Object.keys(fns)).toHaveLength(1);
  const [fn] = Object.values(fns) as Array<{ Properties: { Timeout: number; MemorySize: number } }>;
  expect(fn!.Properties.Timeout).toBe(scheduledFunctions.snapshotConfig.timeoutSeconds);
  expect(fn!.Properties.MemorySize).toBe(scheduledFunctions.snapshotConfig.memoryMb);
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^snapshotConfigFunction') }] } });
  const statements = JSON.stringify(Object.values(policies).map((p) => p.Properties.PolicyDocument.Statement));
  expect(statements).toMatch(/Tablesconfig[A-F0-9]{8}/);
  expect(statements).toContain('dynamodb:BatchWriteItem');
  for (const table of tableNames.filter((name) => name !== 'config')) expect(statements).not.toMatch(new RegExp(`Tables${table}[A-F0-9]{8}`));
  expect(statements).not.toContain('sqs:SendMessage');
});

test('queue consumers are capped in concurrency, so background work cannot starve the functions answering sites', () => {
  for (const name of queueNames) {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: queues[name].consumer.maxConcurrency } });
  }
});

test('the site-state table has the sparse pendingWork index the sweeper reads', () => {
  template.hasResourceProperties('AWS::DynamoDB::Table', {
    GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'pendingWork', KeySchema: [{ AttributeName: 'pendingShard', KeyType: 'HASH' }, { AttributeName: 'dueAt', KeyType: 'RANGE' }] })],
  });
});

test('routes people use (login, admin) have their own lower throttles than the stage', () => {
  const stages = template.findResources('AWS::ApiGatewayV2::Stage');
  const [stage] = Object.values(stages) as Array<{ Properties: { DefaultRouteSettings: { ThrottlingRateLimit: number }; RouteSettings: Record<string, { ThrottlingRateLimit: number }> } }>;
  const stageLimit = stage!.Properties.DefaultRouteSettings.ThrottlingRateLimit;
  for (const routeKey of ['POST /api/v4/login', 'ANY /admin/v1/{proxy+}', 'ANY /admin/v1/quarantine']) {
    expect(stage!.Properties.RouteSettings[routeKey]!.ThrottlingRateLimit).toBeLessThan(stageLimit);
  }
  expect(Object.keys(stage!.Properties.RouteSettings)).not.toContain('POST /sync/v5/queued_records');
});

test('an optional edge limits each client address: CloudFront with a WAF rate-based rule, forwarding everything and caching nothing, only in us-east-1', () => {
  expect(template.findResources('AWS::WAFv2::WebACL')).toEqual({});
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const edged = new CentralSyncStack(app, 'Edged', { edgeRateLimit: 3000, env: { region: 'us-east-1' } });
  expect(() => app.synth()).not.toThrow();
  const errors = Annotations.fromStack(edged).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
  expect(errors.map((e) => e.entry.data)).toEqual([]);
  const edgedTemplate = Template.fromStack(edged);
  edgedTemplate.hasResourceProperties('AWS::WAFv2::WebACL', {
    Scope: 'CLOUDFRONT',
    DefaultAction: { Allow: {} },
    Rules: [Match.objectLike({ Action: { Block: {} }, Statement: { RateBasedStatement: { Limit: 3000, AggregateKeyType: 'IP' } } })],
  });
  edgedTemplate.hasResourceProperties('AWS::CloudFront::Distribution', {
    DistributionConfig: Match.objectLike({
      WebACLId: Match.anyValue(),
      DefaultCacheBehavior: Match.objectLike({ AllowedMethods: Match.arrayWith(['PUT', 'POST']), ViewerProtocolPolicy: 'https-only' }),
    }),
  });
  edgedTemplate.hasOutput('EdgeUrl', {});
  expect(() => new CentralSyncStack(new App(), 'Elsewhere', { edgeRateLimit: 3000, env: { region: 'eu-west-1' } })).toThrow(/us-east-1/);
  expect(() => new CentralSyncStack(new App(), 'Unplaced', { edgeRateLimit: 3000 })).toThrow(/us-east-1/);
});

test('the site function may read the configuration and put hardware bindings, nothing else of it', () => {
  const actions = dynamoActionsOf('syncSiteFunction').get('config')!;
  expect([...actions].filter((action) => /Put|Update|Delete|BatchWrite/.test(action))).toEqual(['dynamodb:PutItem']);
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^syncSiteFunction') }] } });
  const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Condition?: unknown; Resource: unknown }>);
  const put = statements.find((statement) => statement.Action === 'dynamodb:PutItem' && JSON.stringify(statement.Resource).includes('Tablesconfig'));
  expect(put?.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['binding'] } });
});
