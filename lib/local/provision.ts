/**
 * Creates the described tables and queues on the local stand-ins (idempotently) and returns
 * the environment a handler needs to find them, exactly as the stack sets it in AWS.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  bucketEnvVar,
  bucketNames,
  deadLetterQueueEnvVar,
  physicalQueueName,
  queueEnvVar,
  queueNames,
  queues,
  tableEnvVar,
  tableNames,
  tables,
  type BucketName,
  type QueueName,
  type TableDescription,
  type TableName,
} from '../resources';

export const physicalTableName = (prefix: string, table: TableName) => `${prefix}${table}`;

/** The CreateTable input for one described table (on-demand, like the stack). */
export function createTableInput(description: TableDescription, tableName: string): CreateTableCommandInput {
  const keyAttributes = [
    description.partitionKey,
    description.sortKey,
    ...(description.localIndexes ?? []).flatMap((index) => [index.partitionKey, index.sortKey]),
    ...(description.globalIndexes ?? []).flatMap((index) => [index.partitionKey, index.sortKey]),
  ].filter((key) => key !== undefined);
  const attributeTypes = new Map(keyAttributes.map((key) => [key.name, key.type]));
  const keySchema = (index: { partitionKey: { name: string }; sortKey?: { name: string } }) => [
    { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
    ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' as const }] : []),
  ];
  const projection = { ProjectionType: 'ALL' as const };
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributeTypes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    KeySchema: keySchema(description),
    LocalSecondaryIndexes: description.localIndexes?.map((index) => ({
      IndexName: index.name,
      KeySchema: keySchema(index),
      Projection: projection,
    })),
    GlobalSecondaryIndexes: description.globalIndexes?.map((index) => ({
      IndexName: index.name,
      KeySchema: keySchema(index),
      Projection: projection,
    })),
  };
}

export async function provisionTables(db: DynamoDBClient, prefix: string): Promise<Record<TableName, string>> {
  const names = {} as Record<TableName, string>;
  for (const table of tableNames) {
    names[table] = physicalTableName(prefix, table);
    try {
      await db.send(new CreateTableCommand(createTableInput(tables[table], names[table])));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
      await addMissingGlobalIndexes(db, tables[table], names[table]);
    }
  }
  return names;
}

/**
 * A database kept from an earlier version gets the global indexes added since (as a stack update
 * would add them in AWS); local secondary indexes can only come with a new table.
 */
async function addMissingGlobalIndexes(db: DynamoDBClient, description: TableDescription, tableName: string) {
  const { Table } = await db.send(new DescribeTableCommand({ TableName: tableName }));
  const existing = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const wanted = createTableInput(description, tableName);
  for (const index of wanted.GlobalSecondaryIndexes ?? []) {
    if (existing.has(index.IndexName)) continue;
    const keyNames = new Set(index.KeySchema!.map((key) => key.AttributeName));
    await db.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: wanted.AttributeDefinitions!.filter((attribute) => keyNames.has(attribute.AttributeName)),
        GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } }],
      }),
    );
  }
}

export interface LocalQueue {
  readonly url: string;
  readonly deadLetterUrl: string;
}

export interface QueueProvisionOptions {
  /** Overrides every queue's visibility timeout (tests use seconds, not minutes). */
  readonly visibilityTimeoutSeconds?: number;
}

export async function provisionQueues(
  sqs: SQSClient,
  prefix: string,
  options: QueueProvisionOptions = {},
): Promise<Record<QueueName, LocalQueue>> {
  const result = {} as Record<QueueName, LocalQueue>;
  for (const queue of queueNames) {
    const description = queues[queue];
    const fifo = description.fifo ? { FifoQueue: 'true' } : {};
    const retention = String(description.retentionDays * 86_400);
    const dead = await sqs.send(
      new CreateQueueCommand({
        QueueName: physicalQueueName(prefix, queue, true),
        Attributes: { ...fifo, MessageRetentionPeriod: retention },
      }),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dead.QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const main = await sqs.send(
      new CreateQueueCommand({
        QueueName: physicalQueueName(prefix, queue),
        Attributes: {
          ...fifo,
          ...(description.fifo ? { ContentBasedDeduplication: 'true' } : {}),
          MessageRetentionPeriod: retention,
          VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? description.visibilityTimeoutSeconds),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: Attributes!.QueueArn,
            maxReceiveCount: description.maxReceiveCount,
          }),
        },
      }),
    );
    result[queue] = { url: main.QueueUrl!, deadLetterUrl: dead.QueueUrl! };
  }
  return result;
}

/** Physical bucket name: lower case and hyphens only, as S3 requires (`syncFiles` → `sync-files`). */
export const physicalBucketName = (prefix: string, bucket: BucketName) => `${prefix}${bucket.replace(/([a-z])([A-Z])/g, '$1-$2')}`.toLowerCase();

/** Creates the described buckets on the S3 stand-in (creating one again is harmless). */
export async function provisionBuckets(s3: S3Client, prefix: string): Promise<Record<BucketName, string>> {
  const names = {} as Record<BucketName, string>;
  for (const bucket of bucketNames) {
    names[bucket] = physicalBucketName(prefix, bucket);
    try {
      await s3.send(new CreateBucketCommand({ Bucket: names[bucket] }));
    } catch (error) {
      if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes((error as Error).name)) throw error;
    }
  }
  return names;
}

/** The environment variables the stack would give a function, for the local resources. */
export function resourceEnvironment(
  tableNamesByTable: Record<TableName, string>,
  queueUrls: Record<QueueName, LocalQueue>,
  bucketNamesByBucket: Partial<Record<BucketName, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [bucket, name] of Object.entries(bucketNamesByBucket) as Array<[BucketName, string]>) env[bucketEnvVar(bucket)] = name;
  for (const table of tableNames) env[tableEnvVar(table)] = tableNamesByTable[table];
  for (const queue of queueNames) {
    env[queueEnvVar(queue)] = queueUrls[queue].url;
    env[deadLetterQueueEnvVar(queue)] = queueUrls[queue].deadLetterUrl;
  }
  return env;
}
