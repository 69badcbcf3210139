/** Alarms reach someone: one encrypted topic, an action on every alarm, the silent-sites schedule. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CentralSyncStack } from '../../lib/central-sync-stack';
import { apiFunctions, scheduledFunctions } from '../../lib/functions';
import { queueNames, tableNames } from '../../lib/resources';

const synth = (context: Record<string, unknown> = {}, props: ConstructorParameters<typeof CentralSyncStack>[2] = {}) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  return Template.fromStack(new CentralSyncStack(app, 'Alarmed', props));
};

const template = synth();
const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: Record<string, unknown> }>;
const topicRef = { Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') };

test('one SNS topic, encrypted with a rotated key CloudWatch may use, TLS only', () => {
  template.resourceCountIs('AWS::SNS::Topic', 1);
  template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitoringAlarmTopicKey'), 'Arn'] } });
  template.hasResourceProperties('AWS::KMS::Key', {
    EnableKeyRotation: true,
    KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
  });
  template.hasResourceProperties('AWS::SNS::TopicPolicy', {
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
  });
  template.hasOutput('AlarmTopicArn', { Value: topicRef });
});

test('every alarm notifies the topic when it fires and when it clears', () => {
  expect(alarms.length).toBeGreaterThan(0);
  for (const alarm of alarms) {
    expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^MonitoringAlarmTopic[0-9A-F]{8}$/) }]);
    expect(alarm.Properties.OKActions).toEqual(alarm.Properties.AlarmActions);
  }
});

test('alarms cover dead letters and the oldest message of each queue, each function, each table, refused records and silent sites', () => {
  const functionCount = Object.keys(apiFunctions).length + queueNames.length + Object.keys(scheduledFunctions).length;
  // dead letters + oldest message per queue, 5xx rate, errors + throttles per function, one per table, refused spike, silent sites.
  expect(alarms).toHaveLength(queueNames.length * 2 + 1 + functionCount * 2 + tableNames.length + 2);
  template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 600, EvaluationPeriods: 2 });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 0 });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles', Namespace: 'AWS/Lambda', Threshold: 0 });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    Metrics: Match.arrayWith([Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'WriteThrottleEvents', Namespace: 'AWS/DynamoDB' }) }) })]),
  });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'RecordsRefused', Namespace: 'CentralSync', Dimensions: [{ Name: 'service', Value: 'central-sync' }], Threshold: 100 });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'SilentSites', Namespace: 'CentralSync', Statistic: 'Maximum', Period: 3600, Threshold: 0 });
});

test('the dashboard graphs silent sites, queue ages, function errors and throttles and table throttles', () => {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Array<{ Properties: { DashboardBody: unknown } }>;
  const body = JSON.stringify(dashboard!.Properties.DashboardBody);
  for (const metric of ['SilentSites', 'ApproximateAgeOfOldestMessage', 'Errors', 'Throttles', 'ReadThrottleEvents', 'WriteThrottleEvents', 'RecordsRefused'])
    expect(body).toContain(metric);
});

test('no email subscription unless an address is given; one from the context value or the stack prop', () => {
  template.resourceCountIs('AWS::SNS::Subscription', 0);
  const fromContext = synth({ alarmEmail: 'ops@example.org' });
  fromContext.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org', TopicArn: topicRef });
  const fromProp = synth({}, { alarmEmail: 'oncall@example.org' });
  fromProp.resourceCountIs('AWS::SNS::Subscription', 1);
  fromProp.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.org' });
});

test('the silent-sites function runs hourly, reads only the configuration and site state, and takes the threshold from the stack', () => {
  template.hasResourceProperties('AWS::Events::Rule', {
    ScheduleExpression: 'rate(1 hour)',
    State: 'ENABLED',
    Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^silentSitesFunction'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
  });
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^silentSitesFunction') }] } });
  const statements = JSON.stringify(Object.values(policies).map((p) => p.Properties.PolicyDocument.Statement));
  expect(statements).toMatch(/Tablesconfig[A-F0-9]{8}/);
  expect(statements).toMatch(/TablessiteState[A-F0-9]{8}/);
  for (const table of tableNames.filter((name) => name !== 'config' && name !== 'siteState')) expect(statements).not.toMatch(new RegExp(`Tables${table}[A-F0-9]{8}`));
  expect(statements).not.toMatch(/dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)/);
  // The alarm, the admin API's sync report and the console flag the same sites.
  const strict = synth({}, { silentAfterDays: 14 });
  for (const description of [/^Counts the sites silent/, /^Admin API, configuration/, /^Admin API, operations/, /^Operator console/]) {
    const matching = Object.values(strict.findResources('AWS::Lambda::Function')).filter((fn) => description.test(String(fn.Properties.Description)));
    expect({ description: String(description), found: matching.length }).toEqual({ description: String(description), found: 1 });
    expect(matching[0]!.Properties.Environment.Variables.SILENT_AFTER_DAYS).toBe('14');
  }
  expect(Object.values(template.findResources('AWS::Lambda::Function')).filter((fn) => fn.Properties.Environment?.Variables?.SILENT_AFTER_DAYS)).toEqual([]);
});
