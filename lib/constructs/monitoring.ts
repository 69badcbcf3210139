/** Dashboard and alarms: any message in a dead-letter queue, and the API's 5xx rate. */
import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { METRICS_NAMESPACE, SERVICE_NAME, syncMetricNames } from '../../functions/commons/service-names';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { QueueName } from '../resources';
import type { SyncQueue } from './sync-queues';

export interface MonitoringProps {
  readonly api: apigwv2.HttpApi;
  readonly queues: Readonly<Record<QueueName, SyncQueue>>;
  /** Share of API requests answered 5xx that raises the alarm. @default 0.01 (1 %) */
  readonly serverErrorRateThreshold?: number;
}

export class Monitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const alarms: cloudwatch.Alarm[] = [];
    const period = Duration.minutes(5);

    const deadLetterWidgets = Object.entries(props.queues).map(([name, { queue, deadLetterQueue }]) => {
      const dead = deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' });
      alarms.push(
        new cloudwatch.Alarm(this, `${name}DeadLetters`, {
          alarmDescription: `A message of the ${name} queue failed ${name} processing repeatedly and is in its dead-letter queue. Fix the cause, then replay it (docs/operations.md).`,
          metric: dead,
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      return new cloudwatch.GraphWidget({
        title: `${name} queue`,
        left: [queue.metricApproximateNumberOfMessagesVisible({ period, label: 'waiting' }), dead.with({ label: 'dead letters' })],
        width: 8,
      });
    });

    const requests = props.api.metricCount({ period, statistic: 'Sum' });
    const serverErrors = props.api.metricServerError({ period, statistic: 'Sum' });
    const serverErrorRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, errors / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      label: '5xx rate',
      period,
    });
    alarms.push(
      new cloudwatch.Alarm(this, 'ApiServerErrorRate', {
        alarmDescription: 'The sync API answers too many requests with 5xx: sites cannot sync. Check the function logs.',
        metric: serverErrorRate,
        threshold: props.serverErrorRateThreshold ?? 0.01,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'API requests', left: [requests], right: [serverErrors], width: 12 }),
          new cloudwatch.GraphWidget({ title: 'API 5xx rate', left: [serverErrorRate], width: 12 }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Sync: records accepted, refused (quarantined), routed, delivered; transfers completed',
            left: syncMetricNames.map(
              (metricName) =>
                new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic: 'Sum' }),
            ),
            width: 24,
          }),
        ],
        deadLetterWidgets,
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 })],
      ],
    });
    this.alarms = alarms;
  }
}
