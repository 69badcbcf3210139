/**
 * Per-test-file resources on the shared stand-ins: every file gets its own tables and queues
 * under a unique prefix, so files run in parallel without seeing each other's data.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../functions/commons/clients';
import { provisionQueues, provisionTables, resourceEnvironment, type LocalQueue } from '../../lib/local/provision';
import type { QueueName, TableName } from '../../lib/resources';
import { DynamoCentralCopy } from '../../functions/storage/central-copy';
import { DynamoV6Store } from '../../functions/storage/v6-store';
import { DynamoChangeLog } from '../../functions/storage/change-log';
import { ConfigStore } from '../../functions/storage/config-store';
import { HeartbeatStore } from '../../functions/storage/heartbeats';
import { DynamoOutgoingQueue } from '../../functions/storage/outgoing-queue';
import { DynamoQuarantine } from '../../functions/storage/quarantine';
import { DynamoSiteProgress } from '../../functions/storage/site-progress';
import { DynamoSiteSessions } from '../../functions/storage/site-sessions';
import { SqsWorkQueue } from '../../functions/storage/work-queue';

export interface TestResources {
  readonly prefix: string;
  readonly db: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly tables: Record<TableName, string>;
  readonly queues: Record<QueueName, LocalQueue>;
  /** The environment the stack would give a function for these resources. */
  readonly environment: Record<string, string>;
}

export interface TestResourceOptions {
  /** Shorter visibility timeout so retries and dead-lettering happen within a test. */
  readonly visibilityTimeoutSeconds?: number;
}

export async function createTestResources(options: TestResourceOptions = {}): Promise<TestResources> {
  if (!process.env.AWS_ENDPOINT_URL_DYNAMODB) throw new Error('The jest global setup did not start the stand-ins');
  const prefix = `t${randomUUID().slice(0, 8)}-`;
  const raw = new DynamoDBClient({});
  const db = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const sqs = createSqsClient();
  const tables = await provisionTables(raw, prefix);
  const queues = await provisionQueues(sqs, prefix, { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds });
  return { prefix, db, sqs, tables, queues, environment: resourceEnvironment(tables, queues) };
}

/** The project's adapters on a test's own tables and queues. */
export function adaptersFor(resources: TestResources, now: () => Date = () => new Date()) {
  const { db, tables } = resources;
  const configStore = new ConfigStore(db, tables.config, now);
  return {
    configStore,
    loadConfig: () => configStore.current(),
    centralCopy: new DynamoCentralCopy(db, tables.records, now),
    quarantine: new DynamoQuarantine(db, tables.quarantine),
    outgoing: new DynamoOutgoingQueue(db, { syncOut: tables.syncOut, siteState: tables.siteState }),
    changeLog: new DynamoChangeLog(db, tables.changeLog),
    progress: new DynamoSiteProgress(db, tables.siteState, now),
    sessions: new DynamoSiteSessions(db, tables.siteState),
    work: new SqsWorkQueue(resources.sqs, { fanOut: resources.queues.fanOut.url, transfers: resources.queues.transfers.url }),
    heartbeats: new HeartbeatStore(db, tables.siteState),
    v6Store: new DynamoV6Store(db, tables.v6Sync),
    now,
    newId: () => randomUUID(),
  };
}
