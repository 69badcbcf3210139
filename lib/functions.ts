/**
 * Every Lambda function: its handler module, the HTTP routes it serves, and exactly which
 * tables and queues it touches. The stack grants from this (least privilege) and the local
 * server routes from it, so a route or permission is written down once.
 */
import type { BucketAccess, BucketName, QueueName, TableAccess, TableName } from './resources';

/** An API Gateway HTTP API route key, e.g. `GET /sync/v5/site` or `ANY /admin/v1/{proxy+}`. */
export type RouteKey = `${'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'ANY'} /${string}`;

export interface FunctionDescription {
  /** Handler module under functions/handlers, without extension; it exports `handler`. */
  readonly handler: string;
  readonly purpose: string;
  readonly routes: readonly RouteKey[];
  readonly tables: Partial<Record<TableName, TableAccess>>;
  /** Partitions the function may put items in beyond `tables` (only those partition keys). */
  readonly partitionWrites?: Partial<Record<TableName, readonly string[]>>;
  /** Buckets the function touches, and how (objects under the bucket's prefix only). */
  readonly buckets?: Partial<Record<BucketName, BucketAccess>>;
  /** Queues the function sends to. */
  readonly sendsTo?: readonly QueueName[];
  /** Queues whose depth (and dead-letter depth) the function may read. */
  readonly inspects?: readonly QueueName[];
  /** Defaults to 10 s. */
  readonly timeoutSeconds?: number;
  /** Defaults to 512 MB. */
  readonly memoryMb?: number;
  /**
   * Requests per second (and burst) each of the function's routes takes, below the stage's own
   * limit: routes only people use get less, so a flood there cannot use the sites' share.
   * @default the stage's limit
   */
  readonly routeThrottle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** The function reads the administrator's token (the admin API, the console). */
  readonly readsAdminToken?: boolean;
}

export const apiFunctions = {
  health: {
    handler: 'health',
    purpose: 'Reports whether every table and queue is reachable, with queue depths',
    routes: ['GET /health'],
    // Describe only: the probe proves each table answers without reading a single item.
    tables: {
      records: 'describe',
      syncOut: 'describe',
      changeLog: 'describe',
      config: 'describe',
      siteState: 'describe',
      quarantine: 'describe',
      v6Sync: 'describe',
      reports: 'describe',
    },
    inspects: ['fanOut', 'transfers'],
  },
  syncSite: {
    handler: 'sync-site',
    purpose: 'Remote sites (v5): who am I, initialise, site status',
    routes: ['GET /sync/v5/site', 'POST /sync/v5/initialise', 'GET /sync/v5/site_status'],
    // config: read, and the first initialisation puts the site's hardware binding (its own item in
    // the `binding` partition, nothing else); records: the site's store records (and their names)
    // are made to agree with the configuration before it initialises; changeLog: a name written
    // then goes there at once; syncOut: queue length.
    tables: { config: 'read', siteState: 'readWrite', syncOut: 'read', records: 'update', changeLog: 'readWrite' },
    partitionWrites: { config: ['binding'] },
    // site_status sends again work whose message never left.
    sendsTo: ['fanOut', 'transfers'],
  },
  syncPush: {
    handler: 'sync-push',
    purpose: 'Remote sites (v5): push, with authority per record, central copy and quarantine',
    routes: ['POST /sync/v5/queued_records'],
    // records: written, never deleted (the central copy keeps a deleted record's last data).
    // syncOut, changeLog, reports: what a push has just stored is routed in it (services/push.ts);
    // transfers: the transfers that routing starts.
    tables: { config: 'read', siteState: 'readWrite', records: 'update', quarantine: 'readWrite', syncOut: 'readWrite', changeLog: 'readWrite', reports: 'update' },
    sendsTo: ['fanOut', 'transfers'],
    timeoutSeconds: 29,
    memoryMb: 1024,
  },
  syncPull: {
    handler: 'sync-pull',
    purpose: 'Remote sites (v5): pull (an initialisation from the central copy, then the outgoing queue), acknowledge, read the central change log',
    routes: ['GET /sync/v5/queued_records', 'POST /sync/v5/acknowledged_records', 'GET /sync/v5/central_records'],
    // records: an initialisation is read from the central copy; siteState: where it stands.
    tables: { config: 'read', siteState: 'readWrite', syncOut: 'readWrite', changeLog: 'read', records: 'read' },
    timeoutSeconds: 29,
  },
  syncV6: {
    handler: 'sync-v6',
    purpose: 'Open mSupply central API (sync v6): site status, pull, patient pull, push (authority per record, v6 central copy and change log, quarantine)',
    // The client calls `patient-pull`; `patient_pull` is served as its alias.
    routes: [
      'POST /central/sync/site_status',
      'POST /central/sync/pull',
      'POST /central/sync/patient-pull',
      'POST /central/sync/patient_pull',
      'POST /central/sync/push',
    ],
    // config: credentials and stores; siteState: login failures and connections; quarantine: refused v6 records;
    // v6Sync: the v6 central copy and change log; records: the legacy copy, read to place a v6 record by its legacy parent.
    tables: { config: 'read', siteState: 'readWrite', quarantine: 'readWrite', v6Sync: 'readWrite', records: 'read' },
    timeoutSeconds: 29,
    memoryMb: 1024,
  },
  syncFiles: {
    handler: 'sync-files',
    purpose: 'Open mSupply central API (sync v6): sync files, uploaded by the site holding the record and downloaded by the sites entitled to it',
    routes: ['PUT /central/sync/upload_file', 'POST /central/sync/download_file'],
    // config and siteState: authentication; v6Sync and quarantine: the file references sites pushed
    // over v6 (accepted, or kept aside when their record is not held); v6Sync and records: where a
    // file's record is placed, deciding which sites may download it.
    tables: { config: 'read', siteState: 'readWrite', quarantine: 'read', records: 'read', v6Sync: 'read' },
    buckets: { syncFiles: 'readWrite' },
    timeoutSeconds: 29,
    // A 4 MiB file is held a few times over (base64 event, decoded body, parsed part).
    memoryMb: 1024,
  },
  login: {
    handler: 'login',
    purpose: 'User login for sites (POST /api/v4/login): the user, the stores they may log in to and their permissions there',
    routes: ['POST /api/v4/login'],
    routeThrottle: { rateLimit: 20, burstLimit: 40 },
    // config: users; siteState: failed logins per (user name, source).
    tables: { config: 'read', siteState: 'readWrite' },
  },
  admin: {
    handler: 'admin',
    purpose: 'Admin API, configuration: sites (and their re-initialisation), stores, sync-with, visibility, preferences, moves, users, audit log, configuration file; every /admin/v1 path adminOperations does not take (bearer token)',
    routes: ['ANY /admin/v1/{proxy+}', 'GET /admin/v1/openapi.json'],
    routeThrottle: { rateLimit: 10, burstLimit: 20 },
    // records and fanOut: store and user records follow configuration changes (the central copy,
    // then work for the sites holding them). syncOut: a store moves only when nothing waits for
    // either site. siteState: the token's attempt gate, work markers, a re-initialisation.
    tables: { config: 'readWrite', records: 'update', siteState: 'readWrite', syncOut: 'read' },
    sendsTo: ['fanOut'],
    timeoutSeconds: 29,
    readsAdminToken: true,
  },
  adminOperations: {
    handler: 'admin-operations',
    purpose: 'Admin API, operations: central data import, quarantine (list, replay, resolve), sync report, central reports and their back-fill (bearer token)',
    // Every path of functions/admin-api/registry-operations.ts (a test keeps the two in step); the
    // admin function takes the rest, so each path is one function's and 404/405 answers stay the same.
    routes: [
      'ANY /admin/v1/records',
      'ANY /admin/v1/v6-records',
      'ANY /admin/v1/quarantine',
      'ANY /admin/v1/quarantine/replay',
      'ANY /admin/v1/quarantine/resolve',
      'ANY /admin/v1/quarantine/{id}/replay',
      'ANY /admin/v1/quarantine/{id}/resolve',
      'ANY /admin/v1/sync-report',
      'ANY /admin/v1/reports/{report}',
    ],
    routeThrottle: { rateLimit: 10, burstLimit: 20 },
    // v6Sync and records: imported and replayed records are stored as a push stores them (v6
    // copy, legacy central copy) and sent on through fanOut; syncOut: queue lengths (sync report,
    // a replay). quarantine: listing every site's refused records is a scan (readWriteScan).
    // reports: the report figures (the fan-out consumer keeps them; the back-fill route counts records held before).
    tables: { config: 'readWrite', records: 'update', quarantine: 'readWriteScan', siteState: 'readWrite', syncOut: 'read', v6Sync: 'readWrite', reports: 'update' },
    sendsTo: ['fanOut'],
    timeoutSeconds: 29,
    readsAdminToken: true,
  },
  console: {
    handler: 'console',
    purpose: 'Operator console in the browser (HTML): fleet health, a site, the quarantine with replay and resolve, reports (admin token sign-in, session cookie)',
    // GET / leads a browser opened on the server's bare address to the console.
    routes: ['ANY /console', 'ANY /console/{proxy+}', 'GET /'],
    routeThrottle: { rateLimit: 10, burstLimit: 20 },
    // config: sites and stores, and audit entries (the `audit` partition only); siteState:
    // connections, initialisation, sign-in attempts (the admin API's gate), work markers of a
    // replay; syncOut: queue lengths; reports: the figures kept as records are routed;
    // quarantine: listing every site's is a scan, replay and resolve close entries; records and
    // v6Sync: a replayed record is stored as a push stores it (v5 central copy, v6 copy), and
    // sent on through fanOut.
    tables: { config: 'read', siteState: 'readWrite', syncOut: 'read', quarantine: 'readWriteScan', reports: 'read', records: 'update', v6Sync: 'readWrite' },
    partitionWrites: { config: ['audit'] },
    sendsTo: ['fanOut'],
    readsAdminToken: true,
  },
} as const satisfies Record<string, FunctionDescription>;


/** A function run on a schedule (EventBridge in the stack, a timer on the local server). */
export interface ScheduledFunctionDescription extends Omit<FunctionDescription, 'routes'> {
  /** Minutes between runs in the stack. */
  readonly everyMinutes: number;
  /** Seconds between runs on the local server. */
  readonly localEverySeconds: number;
}

export const scheduledFunctions = {
  sweepWork: {
    handler: 'sweep-work',
    purpose: 'Sends again background work whose message never left or was lost, read from the work markers that hold it',
    // siteState: the work markers and their pendingWork index.
    tables: { siteState: 'readWrite' },
    sendsTo: ['fanOut', 'transfers'],
    everyMinutes: 1,
    localEverySeconds: 30,
    timeoutSeconds: 60,
  },
  silentSites: {
    handler: 'silent-sites',
    purpose: 'Counts the sites silent past the threshold (SilentSites metric, one log line per silent site)',
    // config: the sites; siteState: each site's last connection (one read per site).
    tables: { config: 'read', siteState: 'read' },
    everyMinutes: 60,
    localEverySeconds: 600,
    timeoutSeconds: 120,
  },
  snapshotConfig: {
    handler: 'snapshot-config',
    purpose: 'Writes the configuration snapshot cold functions load, when one is due (50 versions past the published one, or a change too large to list): never inside an admin change',
    // config: reads the configuration, writes snapshot chunks and the pointer, deletes replaced chunks.
    tables: { config: 'readWrite' },
    everyMinutes: 1,
    localEverySeconds: 15,
    // A run that is slow (a full load at 40,000 sites) is not cut short; the next runs find its claim.
    timeoutSeconds: 300,
    // The whole configuration, its JSON and its compression in memory; more memory, more CPU.
    memoryMb: 1024,
  },
} as const satisfies Record<string, ScheduledFunctionDescription>;
