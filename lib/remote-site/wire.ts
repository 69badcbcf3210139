/**
 * What the real client parses, field by field, as its serde structs do (unknown fields ignored,
 * missing required fields and wrong types refused). Written from the client's structs, not from
 * the server's schemas, so a server answer the client cannot read fails here too.
 */
import { z } from 'zod';

const u64 = z.number().int().nonnegative();
const i32 = z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1);

/** `api/common_records.rs` SyncAction: PascalCase, with lower-case aliases. */
export const syncAction = z.enum(['Insert', 'Update', 'Delete', 'Merge', 'insert', 'update', 'delete', 'merge']);
export type SyncAction = 'insert' | 'update' | 'delete' | 'merge';
const toAction = (action: z.infer<typeof syncAction>) => action.toLowerCase() as SyncAction;

/** `api/common_records.rs` CommonSyncRecord: `recordData` defaults to {} when absent (any JSON value otherwise). */
const commonRecordShape = {
  tableName: z.string(),
  recordId: z.string(),
  action: syncAction.transform(toAction),
  recordData: z.unknown().optional().transform((value) => (value === undefined ? {} : value)),
};
export const commonRecord = z.object(commonRecordShape);
export type CommonRecord = z.output<typeof commonRecord>;

/** `api/get_site_info.rs` SiteInfoV5. */
export const siteInfo = z.object({
  id: z.string(),
  siteId: i32,
  initialisationStatus: z.enum(['new', 'started', 'completed', 'error']),
  omSupplyCentralServerUrl: z.string(),
  isOmSupplyCentralServer: z.boolean(),
  mSupplyCentralSiteId: i32,
});
export type SiteInfo = z.output<typeof siteInfo>;

/** `api/get_site_status.rs` SiteStatusV5: `data` is a string or null. */
export const siteStatus = z.object({
  code: z.enum(['sync_is_running', 'integration_in_progress', 'initialisation_in_progress', 'idle']),
  message: z.string(),
  data: z.string().nullish(),
});
export type SiteStatus = z.output<typeof siteStatus>;

/** `api/common_records.rs` RemoteSyncBatchV5 (queued_records and initialise answers). */
export const remoteBatch = z.object({
  queueLength: u64,
  data: z.array(z.object({ syncOutId: z.string(), ...commonRecordShape })).optional().default([]),
});
export type RemoteBatch = z.output<typeof remoteBatch>;

/** `api/get_central_records.rs` CentralSyncBatchV5. */
export const centralBatch = z.object({
  maxCursor: u64,
  data: z.array(z.object({ ID: u64, ...commonRecordShape })).optional().default([]),
});
export type CentralBatch = z.output<typeof centralBatch>;

/** `api/post_queued_records.rs` RemotePushResponseV5. */
export const pushAnswer = z.object({ integrationStarted: z.boolean() });

/** `api/error.rs` ErrorWrapper / ParsedError: `message` is required, `data` optional. */
export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), data: z.unknown().optional() }),
});

// ---- sync v6 (`api_v6/mod.rs`): answers are `{"data": …}` or `{"error": …}`, snake_case inside

const v6Batch = z.object({
  end_cursor: u64,
  total_records: u64,
  records: z.array(z.object({ cursor: u64, record: commonRecord })),
  is_last_batch: z.boolean(),
});
export type V6Batch = z.output<typeof v6Batch>;

/** An externally tagged serde enum: exactly one of the variants' keys. */
const v6Answer = <T extends z.ZodType>(data: T) =>
  z.union([z.object({ data }).strict(), z.object({ error: z.unknown() }).strict()]);

export const v6PullAnswer = v6Answer(v6Batch);
export const v6PushAnswer = v6Answer(z.object({ records_pushed: u64 }));
export const v6SiteStatusAnswer = v6Answer(z.object({ is_integrating: z.boolean() }));
