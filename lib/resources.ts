/**
 * The one description of every table, queue and bucket. The CDK stack (lib/constructs) and the
 * local server (lib/local) both build from it, so the two can never drift apart.
 * Plain data only: no CDK or SDK imports, so Lambda bundles and the local server stay light.
 */

export type KeyType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyType;
}

export interface IndexDescription {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export interface TableDescription {
  /** Why the table exists, shown in docs and the dashboard. */
  readonly purpose: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Local secondary indexes: same partition key, strongly consistent queries. */
  readonly localIndexes?: readonly IndexDescription[];
  readonly globalIndexes?: readonly IndexDescription[];
  /** Attribute holding an epoch-seconds expiry, when items expire by themselves. */
  readonly timeToLiveAttribute?: string;
  /**
   * Partition-key prefixes under which `update` access may also batch-write (IAM
   * `dynamodb:LeadingKeys`): small bookkeeping items, never the table's own records.
   */
  readonly batchWritablePrefixes?: readonly string[];
}

/** Partition-key prefix of a central record's routed marker (the version last routed). */
export const ROUTED_MARKER_PREFIX = '~routed#';

export interface QueueDescription {
  readonly purpose: string;
  readonly fifo: boolean;
  /** Seconds a received message stays invisible; must exceed the consumer's timeout. */
  readonly visibilityTimeoutSeconds: number;
  /** Receives after which SQS moves a message to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Days a message is kept, in the queue and in its dead-letter queue. */
  readonly retentionDays: number;
  readonly consumer: {
    /** Consumer module under functions/handlers, without extension. */
    readonly handler: string;
    readonly batchSize: number;
    /** Seconds the consumer may run for one batch. */
    readonly timeoutSeconds: number;
    /**
     * Most invocations at once (the event source mapping's maximum concurrency): background work
     * can never take the account's concurrency from the functions answering sites.
     */
    readonly maxConcurrency: number;
    /** Tables the consumer touches and how (least-privilege grants). */
    readonly tables: Readonly<Record<string, TableAccess>>;
    /** Queues the consumer sends to (by their name in `queues`). */
    readonly sendsTo?: readonly string[];
  };
}

/**
 * What a function may do with a table, from least to most. Reads never include `Scan` or stream
 * actions (no table has a stream); `update` writes items (PartiQL INSERT and UPDATE too) but can
 * never delete one (no `DeleteItem`, no `BatchWriteItem`, whose requests may be deletes, no
 * PartiQL DELETE).
 */
export type TableAccess = 'describe' | 'read' | 'update' | 'readWrite' | 'readWriteScan';

const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
// PartiQL INSERT and UPDATE (functions/storage/conditional-batch.ts) write as PutItem and UpdateItem do; never DELETE.
const UPDATE_ACTIONS = [...READ_ACTIONS, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate'];
const READ_WRITE_ACTIONS = [...UPDATE_ACTIONS, 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/** The IAM actions each access grants (on the table and its indexes). */
export const tableActions: Readonly<Record<TableAccess, readonly string[]>> = {
  describe: ['dynamodb:DescribeTable'],
  read: READ_ACTIONS,
  update: UPDATE_ACTIONS,
  readWrite: READ_WRITE_ACTIONS,
  readWriteScan: [...READ_WRITE_ACTIONS, 'dynamodb:Scan'],
};

export interface BucketDescription {
  readonly purpose: string;
  /** Every object lives under this prefix; grants are scoped to it. */
  readonly prefix: string;
  /** Days an overwritten object's previous version is kept before it expires. */
  readonly noncurrentVersionDays: number;
}

/** `read`: get objects; `readWrite`: get and put (never delete: the bucket keeps every file). */
export type BucketAccess = 'read' | 'readWrite';

// Pure: bundles that use none of the descriptions leave them out.
const S = /* @__NO_SIDE_EFFECTS__ */ (name: string): KeyAttribute => ({ name, type: 'S' });
const N = /* @__NO_SIDE_EFFECTS__ */ (name: string): KeyAttribute => ({ name, type: 'N' });

export const tables = {
  records: {
    purpose: 'Central copy of every synced record (the reporting hub and every site\'s backup)',
    partitionKey: S('pk'),
    globalIndexes: [
      { name: 'byStore', partitionKey: S('storeId'), sortKey: S('pk') },
      { name: 'byPatient', partitionKey: S('patientId'), sortKey: S('pk') },
      { name: 'byParent', partitionKey: S('parentKey'), sortKey: S('pk') },
    ],
    // Marking records routed is a plain batch put of markers; the records themselves stay undeletable.
    batchWritablePrefixes: [ROUTED_MARKER_PREFIX],
  },
  syncOut: {
    purpose: 'Records waiting for each site: one entry per (site, record), pulled oldest first',
    partitionKey: S('site'),
    sortKey: S('entry'),
    localIndexes: [{ name: 'bySequence', partitionKey: S('site'), sortKey: S('sequence') }],
  },
  changeLog: {
    purpose: 'Central data change log served by central_records, ordered by cursor',
    partitionKey: S('pk'),
    sortKey: N('sk'),
  },
  config: {
    purpose: 'Sync configuration: sites, stores, sync-with settings, visibility, preferences',
    partitionKey: S('pk'),
    sortKey: S('sk'),
  },
  siteState: {
    purpose: 'Per-site state: queue length, last connection, hardware binding, initialisation, heartbeats, background work markers',
    partitionKey: S('pk'),
    sortKey: S('sk'),
    // Sparse: only work markers carry these, so the sweeper reads just what is due.
    globalIndexes: [{ name: 'pendingWork', partitionKey: S('pendingShard'), sortKey: N('dueAt') }],
    timeToLiveAttribute: 'expiresAt',
  },
  quarantine: {
    purpose: 'Pushed records that were refused, with the reason, for operators to review',
    partitionKey: S('site'),
    sortKey: S('entry'),
  },
  reports: {
    purpose: 'Central reports kept up to date as records are routed: stock on hand, stock value, monthly usage, and what each record last added to them',
    partitionKey: S('pk'),
    sortKey: S('sk'),
  },
  v6Sync: {
    purpose: 'Sync v6 (Open mSupply central API): central copy of v6 records and their change log, one partition per audience (all sites, a store, a patient), ordered by cursor',
    partitionKey: S('pk'),
    sortKey: N('sk'),
  },
} as const satisfies Record<string, TableDescription>;

export const queues = {
  fanOut: {
    purpose: 'Work taken off the request path: change log appends and per-site routing fan-out',
    fifo: true,
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 5,
    retentionDays: 14,
    consumer: {
      handler: 'fan-out',
      maxConcurrency: 50,
      batchSize: 10,
      // An initialisation queues a whole site's data in one message.
      timeoutSeconds: 150,
      // reports: figures projected from the records it routes (never deleted: update).
      tables: { siteState: 'readWrite', config: 'read', records: 'update', syncOut: 'readWrite', changeLog: 'readWrite', reports: 'update' },
      // Transfers it starts, and the next part of a long initialisation.
      sendsTo: ['fanOut', 'transfers'],
    },
  },
  transfers: {
    purpose: 'Completing inter-store transfers: the responding half of a transfer between stores on different sites',
    fifo: true,
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 5,
    retentionDays: 14,
    consumer: {
      handler: 'transfers',
      maxConcurrency: 20,
      batchSize: 10,
      timeoutSeconds: 60,
      tables: { siteState: 'readWrite', config: 'read', records: 'update', syncOut: 'readWrite', changeLog: 'readWrite' },
    },
  },
} as const satisfies Record<string, QueueDescription>;

/** Private, encrypted, versioned buckets (lib/constructs/sync-bucket.ts; locally the S3 stand-in). */
export const buckets = {
  syncFiles: {
    purpose: 'Sync files: documents attached to records, uploaded and downloaded by Open mSupply sites (sync v6)',
    prefix: 'sync_files/',
    noncurrentVersionDays: 90,
  },
} as const satisfies Record<string, BucketDescription>;

export type TableName = keyof typeof tables;
export type BucketName = keyof typeof buckets;
export const bucketNames = /* @__PURE__ */ Object.keys(buckets) as BucketName[];
/** Environment variable through which a function learns a bucket's physical name. */
export const bucketEnvVar = (bucket: BucketName): string => `BUCKET_${toEnvName(bucket)}`;
export type QueueName = keyof typeof queues;

export const tableNames = /* @__PURE__ */ Object.keys(tables) as TableName[];
export const queueNames = /* @__PURE__ */ Object.keys(queues) as QueueName[];

/** Environment variable through which a function learns a table's physical name. */
export const tableEnvVar = (table: TableName): string => `TABLE_${toEnvName(table)}`;
/** Environment variable through which a function learns a queue's URL. */
export const queueEnvVar = (queue: QueueName): string => `QUEUE_URL_${toEnvName(queue)}`;

function toEnvName(logicalName: string): string {
  return logicalName.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Environment variable through which a function learns a queue's dead-letter queue URL. */
export const deadLetterQueueEnvVar = (queue: QueueName): string => `${queueEnvVar(queue)}_DLQ`;

/** Physical queue name: FIFO queues must end in `.fifo`. */
export const physicalQueueName = (prefix: string, queue: QueueName, deadLetter = false): string =>
  `${prefix}${queue}${deadLetter ? '-dlq' : ''}${queues[queue].fifo ? '.fifo' : ''}`;
