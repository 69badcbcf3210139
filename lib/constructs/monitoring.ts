/**
 * Dashboard and alarms, every alarm notifying one encrypted SNS topic (an email subscription when
 * an address is given): dead letters, the API's 5xx rate, the oldest message per queue, function
 * errors and throttles, table throttles, a spike of refused records and sites silent past the
 * threshold (docs/operations.md, Alarms).
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME, syncMetricNames } from '../../functions/commons/service-names';
import type { QueueName, TableName } from '../resources';
import type { SyncQueue } from './sync-queues';

export interface MonitoringProps {
  readonly api: apigwv2.HttpApi;
  readonly queues: Readonly<Record<QueueName, SyncQueue>>;
  /** Every function, by its described name: errors and throttles are alarmed per function. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly tables: Readonly<Record<TableName, dynamodb.ITable>>;
  /** An address subscribed to the alarm topic (it must confirm the subscription). @default none */
  readonly alarmEmail?: string;
  /** Share of API requests answered 5xx that raises the alarm. @default 0.01 (1 %) */
  readonly serverErrorRateThreshold?: number;
  /** Age of a queue's oldest message that raises the alarm. @default 10 minutes */
  readonly oldestMessageAge?: Duration;
  /** Records refused (quarantined) in 5 minutes that raise the alarm. @default 100 */
  readonly refusedRecordsThreshold?: number;
  /** Days of silence counted by the silentSites function; only named in the alarm's description. @default 30 */
  readonly silentAfterDays?: number;
}

const period = Duration.minutes(5);
const syncMetric = (metricName: string, options: cloudwatch.MetricOptions = {}) =>
  new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic: 'Sum', period, ...options });

export class Monitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (alarmId: string, options: Omit<cloudwatch.AlarmProps, 'comparisonOperator' | 'treatMissingData' | 'evaluationPeriods'> & { evaluationPeriods?: number }) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        evaluationPeriods: 1,
        ...options,
      });
      alarms.push(created);
      return created;
    };

    // Queues: dead letters and the age of the oldest message waiting.
    const maxAgeSeconds = (props.oldestMessageAge ?? Duration.minutes(10)).toSeconds();
    const queueWidgets = Object.entries(props.queues).map(([name, { queue, deadLetterQueue }]) => {
      const dead = deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' });
      const oldest = queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' });
      alarm(`${name}DeadLetters`, {
        alarmDescription: `A message of the ${name} queue failed ${name} processing repeatedly and is in its dead-letter queue. Fix the cause, then replay it (docs/operations.md).`,
        metric: dead,
        threshold: 0,
      });
      alarm(`${name}OldestMessageAge`, {
        alarmDescription: `The oldest message of the ${name} queue has waited more than ${maxAgeSeconds} s: its consumer is failing, throttled or too slow, and sites wait for their work (docs/operations.md, Alarms).`,
        metric: oldest,
        threshold: maxAgeSeconds,
        evaluationPeriods: 2,
      });
      return new cloudwatch.GraphWidget({
        title: `${name} queue`,
        left: [queue.metricApproximateNumberOfMessagesVisible({ period, label: 'waiting' }), dead.with({ label: 'dead letters' })],
        right: [oldest.with({ label: 'oldest message (s)' })],
        width: 8,
      });
    });

    // The API's 5xx rate.
    const requests = props.api.metricCount({ period, statistic: 'Sum' });
    const serverErrors = props.api.metricServerError({ period, statistic: 'Sum' });
    const serverErrorRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, errors / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      label: '5xx rate',
      period,
    });
    alarm('ApiServerErrorRate', {
      alarmDescription: 'The sync API answers too many requests with 5xx: sites cannot sync. Check the function logs.',
      metric: serverErrorRate,
      threshold: props.serverErrorRateThreshold ?? 0.01,
      evaluationPeriods: 2,
    });

    // Functions: any error (a crash or a timeout: handled refusals are answers, not errors) or throttle.
    const functionEntries = Object.entries(props.functions);
    for (const [name, fn] of functionEntries) {
      alarm(`${name}Errors`, {
        alarmDescription: `The ${name} function failed (an uncaught error or a timeout). Check its log group.`,
        metric: fn.metricErrors({ period, statistic: 'Sum' }),
        threshold: 0,
      });
      alarm(`${name}Throttles`, {
        alarmDescription: `Lambda throttled the ${name} function: the account's or the function's concurrency is exhausted.`,
        metric: fn.metricThrottles({ period, statistic: 'Sum' }),
        threshold: 0,
      });
    }

    // Tables: read or write requests throttled (on-demand tables throttle past their partition limits).
    const tableThrottles = Object.entries(props.tables).map(([name, table]) => {
      const throttled = new cloudwatch.MathExpression({
        // Ids unique per table: the dashboard graphs every table's expression together.
        expression: `reads_${name} + writes_${name}`,
        usingMetrics: {
          [`reads_${name}`]: table.metric('ReadThrottleEvents', { period, statistic: 'Sum' }),
          [`writes_${name}`]: table.metric('WriteThrottleEvents', { period, statistic: 'Sum' }),
        },
        label: name,
        period,
      });
      alarm(`${name}TableThrottles`, {
        alarmDescription: `Requests to the ${name} table were throttled: a hot partition or a burst beyond on-demand capacity. The functions retry; sites may see slower syncs.`,
        metric: throttled,
        threshold: 0,
      });
      return throttled;
    });

    // Refused records: a spike usually means a store configured on the wrong site.
    const refused = syncMetric('RecordsRefused');
    alarm('RefusedRecordsSpike', {
      alarmDescription: 'Many pushed records were refused (quarantined) in 5 minutes: usually a store configured on the wrong site or an old installation. See the quarantine (docs/operations.md).',
      metric: refused,
      threshold: props.refusedRecordsThreshold ?? 100,
    });

    // Sites silent past the threshold, counted hourly by the silentSites function.
    const silentSites = syncMetric('SilentSites', { period: Duration.hours(1), statistic: 'Maximum' });
    alarm('SilentSites', {
      alarmDescription: `At least one site has not connected for more than ${props.silentAfterDays ?? 30} days. The silentSites function's log names them (docs/operations.md, Alarms).`,
      metric: silentSites,
      threshold: 0,
    });

    this.topic = this.alarmTopic(props.alarmEmail);
    const notify = new actions.SnsAction(this.topic);
    for (const created of alarms) {
      created.addAlarmAction(notify);
      created.addOkAction(notify);
    }

    const functionsGraph = (title: string, metric: (fn: lambda.IFunction) => cloudwatch.Metric) =>
      new cloudwatch.GraphWidget({ title, left: functionEntries.map(([name, fn]) => metric(fn).with({ label: name })), width: 12, stacked: true });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'API requests', left: [requests], right: [serverErrors], width: 12 }),
          new cloudwatch.GraphWidget({ title: 'API 5xx rate', left: [serverErrorRate], width: 12 }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Sync: records accepted, refused (quarantined), routed, delivered; transfers completed',
            left: syncMetricNames.map((metricName) => syncMetric(metricName, { period: undefined })),
            width: 16,
          }),
          new cloudwatch.GraphWidget({ title: 'Sites silent past the threshold', left: [silentSites], right: [syncMetric('NeverConnectedSites', { period: Duration.hours(1), statistic: 'Maximum' })], width: 8 }),
        ],
        queueWidgets,
        [
          functionsGraph('Function errors', (fn) => fn.metricErrors({ period, statistic: 'Sum' })),
          functionsGraph('Function throttles', (fn) => fn.metricThrottles({ period, statistic: 'Sum' })),
        ],
        [new cloudwatch.GraphWidget({ title: 'Table throttled requests', left: tableThrottles, width: 24 })],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 })],
      ],
    });
    this.alarms = alarms;
  }

  /**
   * The topic every alarm notifies, encrypted with a key of its own: CloudWatch cannot publish to
   * a topic under the AWS-managed SNS key, so the key's policy lets CloudWatch use it.
   */
  private alarmTopic(email: string | undefined): sns.Topic {
    const key = new kms.Key(this, 'AlarmTopicKey', { description: 'Encrypts the alarm topic', enableKeyRotation: true });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    const topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'Central sync alarms', masterKey: key, enforceSSL: true });
    if (email) topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
  }
}
