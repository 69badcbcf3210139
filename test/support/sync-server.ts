/**
 * The central sync server in-process on a test's own tables and queues: every HTTP route of
 * `lib/functions.ts` served by its handler factory over the local API Gateway stand-in, and the
 * fan-out consumer driven by the local event-source poller. Loads a configuration file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { createAdminHandler, type AdminDeps } from '../../functions/handlers/admin';
import { createAdminOperationsHandler } from '../../functions/handlers/admin-operations';
import { writeConfiguredRecords } from '../../functions/services/configured-records';
import { createFanOutHandler } from '../../functions/handlers/fan-out';
import { createHealthHandler } from '../../functions/handlers/health';
import { createTransfersHandler } from '../../functions/handlers/transfers';
import { createSyncPullHandler } from '../../functions/handlers/sync-pull';
import { createSyncPushHandler } from '../../functions/handlers/sync-push';
import { createSyncSiteHandler } from '../../functions/handlers/sync-site';
import { importConfigFile } from '../../functions/storage/config-import';
import { AwsHealthProbe } from '../../functions/storage/health-probe';
import { apiFunctions } from '../../lib/functions';
import { createHttpGateway, type LambdaHttpHandler, type LocalRoute } from '../../lib/local/http-gateway';
import { startQueuePoller } from '../../lib/local/queue-poller';
import { queueNames, queues } from '../../lib/resources';
import { RemoteSite, type Processor } from '../../lib/remote-site/client';
import { transferProcessor } from '../../lib/remote-site/transfer-processor';
import { FaultPlan, faultyPorts } from './faults';
import { adaptersFor, createTestResources, type TestResources } from './stand-ins';
import { syncFilesDepsFor } from './sync-files-stand-in';
import { DynamoAttemptGate } from '../../functions/storage/attempt-gate';
import { DynamoAuditLog } from '../../functions/storage/audit-log';
import { resetInitialisation } from '../../functions/storage/initialisation-reset';
import { lastChanges } from '../../functions/storage/record-changes';
import { DynamoRefusalCounts } from '../../functions/storage/refusal-counts';
import { DynamoReportFigures } from '../../functions/storage/report-figures';
import { DynamoReportProjection } from '../../functions/storage/report-projection';

import { DEMO_CONFIG } from './config-of';
export { DEMO_CONFIG };
export const ADMIN_TOKEN = 'test-admin-token';

export interface TestSyncServer {
  readonly url: string;
  readonly resources: TestResources;
  readonly adapters: ReturnType<typeof adaptersFor>;
  /** Clear-text passwords by site name, from the configuration file. */
  readonly passwords: Record<string, string>;
  /** A remote site behaving as the real Open mSupply client, for a configured site. */
  site(name: string, options?: SiteOptions): RemoteSite;
  /** Calls the admin API with the test's admin token. */
  admin(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export interface SiteOptions {
  hardwareId?: string;
  statePath?: string;
  /** Every wait and timeout of the client multiplied by this (0.25: 250 ms polls, a sync fails after 7.5 s of integration). @default 0.25 */
  timeScale?: number;
  /** @default the site's transfer processors, as on a real site */
  processors?: Processor;
}

export interface TestSyncServerOptions {
  readonly configFile?: string;
  readonly config?: unknown;
  /** Run the fan-out consumer. @default true */
  readonly consumer?: boolean;
  readonly now?: () => Date;
  /** Passed to the fan-out consumer: a huge value makes every initialisation part one page. */
  readonly initialisationReserveMs?: number;
  /**
   * Slows both queue consumers: a pause before every call they make to the central copy, the
   * outgoing queue and the change log (a slow or throttled backend). @default 0
   */
  readonly consumerStepDelayMs?: number;
  /** The push routes what it has just stored (as deployed); false leaves all routing to the background. @default true */
  readonly routeInPush?: boolean;
  /** Sites the configuration leaves without a password get a generated one (fast to hash). @default false */
  readonly generatePasswords?: boolean;
}

/**
 * One test server for the whole test file: started before its tests, stopped after them. The
 * object returned stands for the server once it has started (reading it before throws).
 */
export function testSyncServerForFile(options: TestSyncServerOptions = {}): TestSyncServer {
  let started: TestSyncServer | undefined;
  beforeAll(async () => {
    started = await startTestSyncServer(options);
  });
  afterAll(async () => {
    await started?.stop();
  });
  return new Proxy({} as TestSyncServer, {
    get(_target, property) {
      if (!started) throw new Error('The test server is not started: use it inside a test');
      const value = Reflect.get(started, property) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(started) : value;
    },
  });
}

export async function startTestSyncServer(options: TestSyncServerOptions = {}): Promise<TestSyncServer> {
  const resources = await createTestResources();
  const adapters = adaptersFor(resources, options.now);
  const rawConfig = options.config ?? JSON.parse(readFileSync(options.configFile ?? DEMO_CONFIG, 'utf8'));
  const imported = await importConfigFile(adapters.configStore, rawConfig, 'test', { generatePasswords: options.generatePasswords ?? false });
  if (!imported.ok) throw new Error(imported.message);
  // As every configuration load does: the stores' records and names, and the users' records.
  await writeConfiguredRecords(adapters, await adapters.configStore.load());
  const passwords = Object.fromEntries(imported.passwords.map(({ name, password }) => [name, password]));

  // The admin API's two functions (configuration, operations) share their dependencies.
  const adminDeps: AdminDeps = {
    store: adapters.configStore,
    adminToken: async () => ADMIN_TOKEN,
    attempts: new DynamoAttemptGate(resources.db, resources.tables.siteState),
    data: { push: adapters, quarantine: adapters.quarantine, outgoing: adapters.outgoing, v6: { v6Store: adapters.v6Store, legacyCopy: adapters.centralCopy } },
    operatorActions: {
      entries: adapters.quarantine,
      lastChanges: (keys) => lastChanges(resources.db, resources.tables.records, keys),
      audit: (entry, actor) => new DynamoAuditLog(resources.db, resources.tables.config, adapters.now).append(entry, actor),
      resetInitialisation: (siteId) => resetInitialisation(resources.db, resources.tables.siteState, siteId),
    },
    syncReport: { sessions: adapters.sessions, progress: adapters.progress, outgoing: adapters.outgoing, refusals: new DynamoRefusalCounts(resources.db, resources.tables.siteState) },
    reports: { figures: new DynamoReportFigures(resources.db, resources.tables.reports) },
  };
  const projection = new DynamoReportProjection(resources.db, resources.tables.reports);
  const handlers: Record<keyof typeof apiFunctions, LambdaHttpHandler> = {
    health: createHealthHandler({ probe: new AwsHealthProbe(resources.db, resources.sqs, { tables: [], queues: [] }) }) as LambdaHttpHandler,
    syncSite: createSyncSiteHandler(adapters) as LambdaHttpHandler,
    syncPush: createSyncPushHandler({
      ...adapters,
      ...(options.routeInPush === false ? {} : { routing: { outgoing: adapters.outgoing, changeLog: adapters.changeLog, reports: projection } }),
    }) as LambdaHttpHandler,
    syncPull: createSyncPullHandler(adapters) as LambdaHttpHandler,
    syncV6: (await import('../../functions/handlers/sync-v6')).createSyncV6Handler(adapters) as LambdaHttpHandler,
    syncFiles: (await import('../../functions/handlers/sync-files')).createSyncFilesHandler(await syncFilesDepsFor(resources, adapters)) as LambdaHttpHandler,
    login: await import('../../functions/handlers/login').then((m) => m.createLoginHandler(m.loginDependencies(resources.db, resources.tables, adapters.now)) as LambdaHttpHandler),
    admin: createAdminHandler(adminDeps) as LambdaHttpHandler,
    adminOperations: createAdminOperationsHandler(adminDeps) as LambdaHttpHandler,
    console: (await import('./console-stand-in')).consoleHandlerFor(resources, adapters, ADMIN_TOKEN) as LambdaHttpHandler,
  };
  const routes: LocalRoute[] = Object.entries(apiFunctions).flatMap(([name, description]) =>
    description.routes.map((routeKey) => ({ routeKey, functionName: name, handler: handlers[name as keyof typeof apiFunctions] })),
  );
  const server = createHttpGateway(routes);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const reserve = options.initialisationReserveMs === undefined ? {} : { initialisationReserveMs: options.initialisationReserveMs };
  const delay = options.consumerStepDelayMs ?? 0;
  const consumerPorts = delay > 0 ? faultyPorts(adapters, new FaultPlan(async ({ phase }) => void (phase === 'before' && (await sleep(delay))))) : adapters;
  const consumers = { fanOut: createFanOutHandler({ ...consumerPorts, ...reserve, reports: projection }), transfers: createTransfersHandler(consumerPorts) };
  const pollers =
    options.consumer === false
      ? []
      : queueNames.map((queue) =>
          startQueuePoller({
            sqs: resources.sqs,
            queueUrl: resources.queues[queue].url,
            functionName: `${queue}Consumer`,
            handler: consumers[queue],
            batchSize: queues[queue].consumer.batchSize,
            timeoutSeconds: queues[queue].consumer.timeoutSeconds,
            // A long poll returns as soon as a message arrives: no latency, and no busy loop of receives.
            waitSeconds: 1,
          }),
        );

  return {
    url,
    resources,
    adapters,
    passwords,
    site: (name, siteOptions = {}) =>
      new RemoteSite({
        baseUrl: url,
        siteName: name,
        password: passwords[name] ?? '',
        hardwareId: siteOptions.hardwareId ?? `hardware-${name}`,
        timeScale: siteOptions.timeScale ?? 0.25,
        ...(siteOptions.statePath ? { statePath: siteOptions.statePath } : {}),
        processors: siteOptions.processors ?? transferProcessor(),
      }),
    admin: async (method, route, body) => {
      const response = await fetch(`${url}/admin/v1${route}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    stop: async () => {
      await Promise.all(pollers.map((poller) => poller.stop()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Syncs the site until `ready` holds: routing runs in the background (a quarter second apart, 40 syncs at most). */
export async function syncUntil(site: RemoteSite, ready: () => boolean): Promise<void> {
  await site.sync();
  for (let attempt = 1; !ready() && attempt < 40; attempt++) {
    await sleep(250);
    await site.sync();
  }
  expect(ready()).toBe(true);
}
