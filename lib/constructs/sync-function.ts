/**
 * A Lambda function with the project's safe defaults, granted exactly the tables and queues it
 * is described as using (lib/functions.ts, lib/resources.ts) and nothing else.
 */
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  deadLetterQueueEnvVar,
  queueEnvVar,
  tableEnvVar,
  type QueueName,
  tableActions,
  tables,
  type TableAccess,
  type TableDescription,
  type TableName,
} from '../resources';
import type { SyncQueue } from './sync-queues';

export const HANDLERS_DIR = path.join(__dirname, '..', '..', 'functions', 'handlers');

/** How every handler is bundled (esbuild), here and in the bundle bench (bench/bundles.ts). */
export const BUNDLE_SETTINGS = { minify: true, target: 'node22', format: 'cjs', platform: 'node', externalModules: ['@aws-sdk/*'] } as const;

export interface SyncFunctionProps {
  /** Handler module under functions/handlers, without extension. */
  readonly handler: string;
  readonly description: string;
  readonly tables: Readonly<Record<TableName, dynamodb.Table>>;
  readonly queues: Readonly<Record<QueueName, SyncQueue>>;
  /** Tables the function touches, and how. @default none */
  readonly tableAccess?: Partial<Record<TableName, TableAccess>>;
  /** Partitions the function may put items in, beyond its table access (IAM `dynamodb:LeadingKeys`). */
  readonly partitionWrites?: Partial<Record<TableName, readonly string[]>>;
  /** Queues the function sends to. @default none */
  readonly sendsTo?: readonly QueueName[];
  /** Queues whose depth the function reads. @default none */
  readonly inspects?: readonly QueueName[];
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /**
   * Ship a source map with the function and turn them on (`--enable-source-maps`): readable stack
   * traces, for a larger package and a slower cold start. @default false
   */
  readonly sourceMaps?: boolean;
  /** Extra environment variables. @default none */
  readonly environment?: Record<string, string>;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

export class SyncFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: SyncFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const environment: Record<string, string> = {
      ...(props.sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
      POWERTOOLS_SERVICE_NAME: 'central-sync',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...props.environment,
    };
    const tableAccess = Object.entries(props.tableAccess ?? {}) as Array<[TableName, TableAccess]>;
    for (const [table] of tableAccess) environment[tableEnvVar(table)] = props.tables[table].tableName;
    for (const queue of new Set([...(props.sendsTo ?? []), ...(props.inspects ?? [])])) {
      environment[queueEnvVar(queue)] = props.queues[queue].queue.queueUrl;
    }
    for (const queue of props.inspects ?? []) {
      environment[deadLetterQueueEnvVar(queue)] = props.queues[queue].deadLetterQueue.queueUrl;
    }

    // Own role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${props.handler} function`,
    });
    this.logGroup.grantWrite(role);

    this.function = new NodejsFunction(this, 'Function', {
      role,
      entry: path.join(HANDLERS_DIR, `${props.handler}.ts`),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment,
      bundling: {
        minify: BUNDLE_SETTINGS.minify,
        sourceMap: props.sourceMaps ?? false,
        target: BUNDLE_SETTINGS.target,
        format: OutputFormat.CJS,
        externalModules: [...BUNDLE_SETTINGS.externalModules],
      },
    });

    for (const [table, access] of tableAccess) {
      // The table and each of its described indexes by name: no wildcard, nothing not described.
      const indexNames = access === 'describe' ? [] : indexNamesOf(table);
      const tableArn = props.tables[table].tableArn;
      iam.Grant.addToPrincipal({
        grantee: this.function,
        actions: [...tableActions[access]],
        resourceArns: [tableArn, ...indexNames.map((name) => `${tableArn}/index/${name}`)],
      });
      const batchWritable = (tables[table] as TableDescription).batchWritablePrefixes ?? [];
      if (access === 'update' && batchWritable.length > 0) {
        this.function.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['dynamodb:BatchWriteItem'],
            resources: [tableArn],
            conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': batchWritable.map((prefix) => `${prefix}*`) } },
          }),
        );
      }
    }
    for (const [table, partitions] of Object.entries(props.partitionWrites ?? {}) as Array<[TableName, readonly string[]]>) {
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:PutItem'],
          resources: [props.tables[table].tableArn],
          conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...partitions] } },
        }),
      );
    }
    for (const queue of props.sendsTo ?? []) props.queues[queue].queue.grantSendMessages(this.function);
    for (const queue of props.inspects ?? []) {
      props.queues[queue].queue.grant(this.function, 'sqs:GetQueueAttributes');
      props.queues[queue].deadLetterQueue.grant(this.function, 'sqs:GetQueueAttributes');
    }

    acknowledgeLogStreams(role, this.logGroup);
  }
}

/** A described table's index names (global and local). */
function indexNamesOf(table: TableName): string[] {
  const description = tables[table] as TableDescription;
  return [...(description.globalIndexes ?? []), ...(description.localIndexes ?? [])].map((index) => index.name);
}

/** cdk-nag flags every wildcard; this one is as narrow as IAM allows: the streams of the function's own log group. */
function acknowledgeLogStreams(role: iam.Role, logGroup: logs.LogGroup) {
  const logicalId = (construct: Construct) => Stack.of(construct).getLogicalId(construct.node.defaultChild as never);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalId(logGroup)}.Arn>:*]`,
    reason: 'Log streams of the function\'s own log group only.',
  });
}
