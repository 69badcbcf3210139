/** The central sync server: HTTP API, tables, queues and their consumers, monitoring. */
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { apiFunctions, scheduledFunctions, type FunctionDescription, type ScheduledFunctionDescription } from './functions';
import { bucketEnvVar, queueNames, queues, type BucketAccess, type BucketName, type QueueName } from './resources';
import { EdgeRateLimit } from './constructs/edge-rate-limit';
import { Monitoring } from './constructs/monitoring';
import { SyncBuckets } from './constructs/sync-bucket';
import { SyncFunction } from './constructs/sync-function';
import { SyncQueues } from './constructs/sync-queues';
import { SyncTables } from './constructs/sync-tables';

export interface CentralSyncStackProps extends StackProps {
  /** What happens to the synced data when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly dataRemovalPolicy?: RemovalPolicy;
  /**
   * The base URL sites are told to reach this deployment's Open mSupply central API (sync v6) at:
   * an origin (`https://host[:port]`), since the routes are served at the root and the client drops
   * a v5 URL's path. @default the scheme and host each site's own request came in on
   */
  readonly publicBaseUrl?: string;
  /**
   * Put CloudFront with an AWS WAF rate-based rule in front of the API, blocking any client
   * address that makes more than this many requests in 5 minutes (lib/constructs/edge-rate-limit.ts,
   * its cost stated there). Needs the stack in us-east-1; sites then sync with the `EdgeUrl`
   * output. A site syncing every 5 minutes makes about 10–50 requests per sync.
   * @default no edge: the API's own stage and route limits only
   */
  readonly edgeRateLimit?: number;
  /** Ship source maps with every function (readable stack traces, slower cold starts). @default false */
  readonly sourceMaps?: boolean;
  /**
   * An address subscribed to the alarm topic (context value `alarmEmail` when not given here).
   * @default no subscription: subscribe to the `AlarmTopicArn` output yourself
   */
  readonly alarmEmail?: string;
  /** Days without a connection after which a site counts as silent (the SilentSites alarm). @default 30 */
  readonly silentAfterDays?: number;
}

/**
 * Requests per second the whole API takes (HTTP APIs have no per-client limit: per-client
 * fairness is the attempt throttle's and each site's own sync cadence; see docs/security.md).
 * 40,000 sites syncing every 5 minutes make about 133 connections a second at ~10 calls each.
 */
const STAGE_RATE_LIMIT = 2000;
const STAGE_BURST_LIMIT = 4000;

export class CentralSyncStack extends Stack {
  readonly api: apigwv2.HttpApi;

  constructor(scope: Construct, id: string, props: CentralSyncStackProps = {}) {
    super(scope, id, props);
    /** Every function by its described name, for the monitoring. */
    const functions: Record<string, lambda.IFunction> = {};
    const { tables } = new SyncTables(this, 'Tables', { removalPolicy: props.dataRemovalPolicy });
    const { queues: builtQueues } = new SyncQueues(this, 'Queues');
    const syncBuckets = new SyncBuckets(this, 'Buckets', { removalPolicy: props.dataRemovalPolicy });

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'mSupply sync API v5 for remote sites, admin API and health',
      createDefaultStage: false,
    });
    const stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(accessLogs) },
      throttle: { rateLimit: STAGE_RATE_LIMIT, burstLimit: STAGE_BURST_LIMIT },
    });
    // Routes people use (login, admin) get their own, lower limits (a JSON map: CloudFormation's own key names).
    const routeSettings = Object.fromEntries(
      (Object.values(apiFunctions) as FunctionDescription[]).flatMap((description) =>
        description.routeThrottle
          ? description.routes.map((routeKey) => [routeKey, { ThrottlingRateLimit: description.routeThrottle!.rateLimit, ThrottlingBurstLimit: description.routeThrottle!.burstLimit }])
          : [],
      ),
    );
    (stage.node.defaultChild as apigwv2.CfnStage).routeSettings = routeSettings;

    // The administrator's bearer token for the admin API and the console; read by those functions only.
    const adminToken = new secretsmanager.Secret(this, 'AdminToken', {
      description: 'Bearer token of the central sync server admin API',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    Validations.of(adminToken).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The admin token is handed to operators out of band; it is rotated by an operator (new value, then redeploy or cold start), not by a rotation Lambda.',
    });

    /** A described function (lib/functions.ts) with its grants. */
    const addFunction = (name: string, description: Omit<FunctionDescription, 'routes'>, environment: Record<string, string> = {}) =>
      new SyncFunction(this, `${name}Function`, {
        handler: description.handler,
        description: description.purpose,
        tables,
        queues: builtQueues,
        tableAccess: description.tables,
        partitionWrites: description.partitionWrites,
        sourceMaps: props.sourceMaps,
        inspects: description.inspects,
        sendsTo: description.sendsTo,
        timeout: description.timeoutSeconds ? Duration.seconds(description.timeoutSeconds) : undefined,
        memorySize: description.memoryMb,
        environment,
      }).function;
    const silentAfterDays = props.silentAfterDays;

    for (const [name, description] of Object.entries(apiFunctions) as Array<[string, FunctionDescription]>) {
      const readsAdminToken = description.readsAdminToken === true;
      const bucketAccess = Object.entries(description.buckets ?? {}) as Array<[BucketName, BucketAccess]>;
      const fn = addFunction(name, description, {
        ...(readsAdminToken ? { ADMIN_TOKEN_SECRET_ARN: adminToken.secretArn } : {}),
        ...(name === 'syncSite' && props.publicBaseUrl ? { PUBLIC_BASE_URL: publicOrigin(props.publicBaseUrl) } : {}),
        // The sync report (admin API) and the console flag silent sites as the alarm counts them.
        ...((name === 'admin' || name === 'adminOperations' || name === 'console') && silentAfterDays ? { SILENT_AFTER_DAYS: String(silentAfterDays) } : {}),
        ...Object.fromEntries(bucketAccess.map(([bucket]) => [bucketEnvVar(bucket), syncBuckets.buckets[bucket].bucketName])),
      });
      for (const [bucket, access] of bucketAccess) syncBuckets.grantObjects(bucket, fn.role!, access);
      functions[name] = fn;
      if (readsAdminToken) adminToken.grantRead(fn);
      const integration = new HttpLambdaIntegration(`${name}Integration`, fn);
      for (const routeKey of description.routes) {
        const [method, routePath] = routeKey.split(' ') as [string, string];
        this.api.addRoutes({ path: routePath, methods: [method as apigwv2.HttpMethod], integration });
      }
    }

    for (const name of queueNames) {
      const { consumer } = queues[name];
      const { function: fn } = new SyncFunction(this, `${name}Consumer`, {
        handler: consumer.handler,
        description: `Consumer of the ${name} queue`,
        tables,
        queues: builtQueues,
        tableAccess: consumer.tables,
        sourceMaps: props.sourceMaps,
        sendsTo: 'sendsTo' in consumer ? (consumer.sendsTo as readonly QueueName[]) : undefined,
        timeout: Duration.seconds(consumer.timeoutSeconds),
      });
      functions[`${name}Consumer`] = fn;
      fn.addEventSource(
        new SqsEventSource(builtQueues[name].queue, { batchSize: consumer.batchSize, reportBatchItemFailures: true, maxConcurrency: consumer.maxConcurrency }),
      );
    }

    for (const [name, description] of Object.entries(scheduledFunctions) as Array<[string, ScheduledFunctionDescription]>) {
      const fn = addFunction(name, description, name === 'silentSites' && silentAfterDays ? { SILENT_AFTER_DAYS: String(silentAfterDays) } : {});
      functions[name] = fn;
      new events.Rule(this, `${name}Schedule`, {
        description: description.purpose,
        schedule: events.Schedule.rate(Duration.minutes(description.everyMinutes)),
        // A missed run is covered by the next one: no retries piling up behind a slow sweep.
        targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
      });
    }

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Sync API v5 sites authenticate with HTTP Basic (site name + SHA-256 of the password) and a bound hardware id, which the handlers verify; the admin API checks its own bearer credential and the console its own signed session cookie (from a sign-in with the same credential); /health exposes no data.',
    });

    if (props.edgeRateLimit !== undefined) new EdgeRateLimit(this, 'Edge', { api: this.api, requestsPerFiveMinutes: props.edgeRateLimit });
    const alarmEmail = props.alarmEmail ?? (this.node.tryGetContext('alarmEmail') as string | undefined);
    const { topic } = new Monitoring(this, 'Monitoring', { api: this.api, queues: builtQueues, functions, tables, alarmEmail, silentAfterDays });
    new CfnOutput(this, 'AlarmTopicArn', { value: topic.topicArn, description: 'SNS topic every alarm notifies (subscribe more addresses or endpoints to it)' });
    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'Base URL that remote sites sync with' });
    // For `npm run replay-dead-letters` (docs/operations.md): e.g. QueueUrlFanOut, DeadLetterQueueUrlFanOut.
    for (const name of queueNames) {
      const suffix = name.charAt(0).toUpperCase() + name.slice(1);
      new CfnOutput(this, `QueueUrl${suffix}`, { value: builtQueues[name].queue.queueUrl, description: `URL of the ${name} queue` });
      new CfnOutput(this, `DeadLetterQueueUrl${suffix}`, {
        value: builtQueues[name].deadLetterQueue.queueUrl,
        description: `URL of the ${name} queue's dead-letter queue`,
      });
    }
  }
}

/** An https or http origin with no path, query or fragment; anything else is refused at synth. */
function publicOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`publicBaseUrl "${value}" is not a URL`);
  }
  if (!['https:', 'http:'].includes(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username) {
    throw new Error(`publicBaseUrl "${value}" must be an origin such as https://sync.example.org (no path, query or credentials)`);
  }
  return url.origin;
}
