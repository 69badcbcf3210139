/**
 * The whole central server on one machine: DynamoDB Local and the SQS emulator (which also
 * emulates S3) as stand-ins, tables, queues and buckets from lib/resources.ts, HTTP routes and
 * queue consumers from the same handler modules the stack deploys.
 */
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createSqsClient, dynamoDb } from '../../functions/commons/clients';
import { ConfigStore } from '../../functions/storage/config-store';
import { importConfigFile } from '../../functions/storage/config-import';
import { apiFunctions, scheduledFunctions, type FunctionDescription, type ScheduledFunctionDescription } from '../functions';
import { queueNames, queues } from '../resources';
import { HANDLERS_DIR } from '../constructs/sync-function';
import { startDynamoDbLocal, PROJECT_ROOT } from './dynamodb-local';
import { createHttpGateway, type LambdaHttpHandler, type LocalRoute } from './http-gateway';
import { provisionBuckets, provisionQueues, provisionTables, resourceEnvironment } from './provision';
import { s3 } from '../../functions/storage/sync-files';
import { startQueuePoller, type SqsHandler } from './queue-poller';
import { startSchedule, type ScheduledHandler } from './schedule';
import { startSqsEmulator } from './sqs-emulator';
import { loadDemoData, readDemoData } from './demo-data';

export const DEFAULT_DATA_DIR = path.join(PROJECT_ROOT, '.data', 'dynamodb');
/** Batches a local queue consumer handles at once. */
const LOCAL_MAX_POLLERS = 10;

export interface LocalServerOptions {
  /** @default 3000; 0 picks a free port */
  readonly port?: number;
  /** Throw-away database instead of the persistent one in .data/. @default false */
  readonly inMemory?: boolean;
  /** @default .data/dynamodb */
  readonly dataDir?: string;
  readonly log?: (line: string) => void;
  /** Configuration loaded into an empty database. @default config/demo.json */
  readonly configFile?: string;
  /** Records pushed (as the sites they name) into an empty database; null: none. @default config/demo-data.json */
  readonly demoDataFile?: string | null;
}

export interface RunningLocalServer {
  readonly url: string;
  readonly dynamoDbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly javaPid: number;
  /**
   * The admin API's bearer token: ADMIN_TOKEN; else the one generated at the first start and kept
   * in the data directory (a restart keeps it); a throw-away database gets a new one.
   */
  readonly adminToken: string;
  /** The operator console (same token). */
  readonly consoleUrl: string;
  /** Records of the demo data pushed at this start (0 if the database was not empty). */
  readonly demoRecords: number;
  /** Sites given a password by the configuration file loaded at this start (none if the database was not empty). */
  readonly sitePasswords: ReadonlyArray<{ siteId: number; name: string; password: string }>;
  /** Users given a password by the configuration file loaded at this start (printed with the sites'). */
  readonly userPasswords: ReadonlyArray<{ name: string; password: string }>;
  stop(): Promise<void>;
}

/**
 * Credentials and region the stand-ins accept; real AWS is never contacted. The SQS emulator
 * (fauxqs) serves S3 on the same endpoint unless another one is named.
 */
export function useLocalAwsEnvironment(dynamoDbEndpoint: string, sqsEndpoint: string, s3Endpoint = sqsEndpoint): void {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Locally, metrics would only be printed (EMF) and every request logged: keep the console readable.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoDbEndpoint;
  process.env.AWS_ENDPOINT_URL_SQS = sqsEndpoint;
  process.env.AWS_ENDPOINT_URL_S3 = s3Endpoint;
}

export async function startLocalServer(options: LocalServerOptions = {}): Promise<RunningLocalServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    const dynamo = await startDynamoDbLocal({ dataDir: options.inMemory ? undefined : (options.dataDir ?? DEFAULT_DATA_DIR), log });
    stops.push(() => dynamo.stop());
    const sqsEmulator = await startSqsEmulator();
    stops.push(() => sqsEmulator.stop());
    useLocalAwsEnvironment(dynamo.endpoint, sqsEmulator.endpoint);

    const db = new DynamoDBClient({});
    const sqs = createSqsClient();
    const tableNamesByTable = await provisionTables(db, '');
    const queueUrls = await provisionQueues(sqs, '');
    // Sync files live in the emulator's memory: like queued messages, gone when the server stops.
    const bucketNamesByBucket = await provisionBuckets(s3(), '');
    Object.assign(process.env, resourceEnvironment(tableNamesByTable, queueUrls, bucketNamesByBucket));
    process.env.ADMIN_TOKEN ||= options.inMemory ? newAdminToken() : keptAdminToken(options.dataDir ?? DEFAULT_DATA_DIR);
    const adminToken = process.env.ADMIN_TOKEN;
    const demoDataFile = options.demoDataFile === undefined ? path.join(PROJECT_ROOT, 'config', 'demo-data.json') : options.demoDataFile;
    const { sitePasswords, userPasswords, demoRecords } = await loadConfigIfEmpty(
      tableNamesByTable.config,
      options.configFile ?? path.join(PROJECT_ROOT, 'config', 'demo.json'),
      demoDataFile,
    );

    // Handler modules read their environment when loaded, so they are imported only now.
    const routes: LocalRoute[] = [];
    for (const [name, description] of Object.entries(apiFunctions) as Array<[string, FunctionDescription]>) {
      const module = (await import(path.join(HANDLERS_DIR, `${description.handler}.ts`))) as { handler: LambdaHttpHandler };
      for (const routeKey of description.routes) routes.push({ routeKey, functionName: name, handler: module.handler });
    }
    for (const queue of queueNames) {
      const { consumer } = queues[queue];
      const module = (await import(path.join(HANDLERS_DIR, `${consumer.handler}.ts`))) as { handler: SqsHandler };
      const poller = startQueuePoller({
        sqs,
        queueUrl: queueUrls[queue].url,
        functionName: `${queue}Consumer`,
        handler: module.handler,
        batchSize: consumer.batchSize,
        timeoutSeconds: consumer.timeoutSeconds,
        // As Lambda runs up to maxConcurrency batches at once; bounded for a laptop's cores.
        concurrency: Math.min(consumer.maxConcurrency, LOCAL_MAX_POLLERS),
        log,
      });
      stops.push(() => poller.stop());
    }

    for (const [name, description] of Object.entries(scheduledFunctions) as Array<[string, ScheduledFunctionDescription]>) {
      const module = (await import(path.join(HANDLERS_DIR, `${description.handler}.ts`))) as { handler: ScheduledHandler };
      const schedule = startSchedule({ name, description, handler: module.handler, log });
      stops.push(() => schedule.stop());
    }

    const server = createHttpGateway(routes, log);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 3000, '127.0.0.1', () => resolve());
    });
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    stops.push(async () => {
      server.closeAllConnections();
    });
    const { port } = server.address() as AddressInfo;
    // Kept beside the admin token, so `npm run admin` finds this server on whatever port it took.
    if (!options.inMemory) writeFileSync(path.join(options.dataDir ?? DEFAULT_DATA_DIR, SERVER_URL_FILE), `http://127.0.0.1:${port}\n`);
    // The demo user logs in on the sites' stores (POST /api/v4/login, docs/users.md).
    for (const user of userPasswords) log(`  user:          name "${user.name}", password "${user.password}" (logs in on a synced site)`);
    return {
      url: `http://127.0.0.1:${port}`,
      consoleUrl: `http://127.0.0.1:${port}/console`,
      demoRecords,
      dynamoDbEndpoint: dynamo.endpoint,
      sqsEndpoint: sqsEmulator.endpoint,
      javaPid: dynamo.pid,
      adminToken,
      sitePasswords,
      userPasswords,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * An empty configuration table gets the configuration file, then the demo data; a kept database
 * is left as it is.
 */
async function loadConfigIfEmpty(table: string, file: string, demoDataFile: string | null): Promise<Pick<RunningLocalServer, 'sitePasswords' | 'userPasswords' | 'demoRecords'>> {
  const store = new ConfigStore(dynamoDb(), table);
  const current = await store.load();
  if (current.version !== 0 || Object.keys(current.sites).length > 0) return { sitePasswords: [], userPasswords: [], demoRecords: 0 };
  const result = await importConfigFile(store, JSON.parse(readFileSync(file, 'utf8')), 'local-server');
  if (!result.ok) throw new Error(`${file}: ${result.message}`);
  // Every store's record and name and every user's record, so a site's first sync finds its stores active.
  const { adapters } = await import('../../functions/commons/adapters');
  const { writeConfiguredRecords } = await import('../../functions/services/configured-records');
  const config = await store.load();
  await writeConfiguredRecords(adapters, config);
  // Pushed now, routed (and counted in the reports) by the queue consumers once they start.
  const { pushDependencies } = await import('../../functions/commons/adapters');
  const demo = demoDataFile ? await loadDemoData(pushDependencies(), config, readDemoData(demoDataFile)) : { records: 0 };
  return { sitePasswords: result.passwords, userPasswords: result.userPasswords, demoRecords: demo.records };
}

const ADMIN_TOKEN_FILE = 'admin-token';
/** The address the last `npm start` on this data directory listened on (lib/operations/admin-cli.ts reads it). */
export const SERVER_URL_FILE = 'server-url';

const newAdminToken = () => randomBytes(24).toString('base64url');

/** The token kept with the database (readable by its owner only), made at the first start. */
function keptAdminToken(dataDir: string): string {
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept) return kept;
  }
  const token = newAdminToken();
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}
