/**
 * The Open mSupply central API (sync v6) as a remote site's client calls and parses it: request
 * bodies of `POST /central/sync/{pull,patient-pull,push,site_status}`, the answers, and the error
 * variants the client understands. Field names and casing follow the client's serde structs
 * (open-msupply `server/service/src/sync/api_v6/mod.rs`): requests are camelCase, batches and
 * statuses snake_case, records camelCase, error variants camelCase (externally tagged).
 *
 * Pure (no I/O). Where each rule comes from: docs/sync-v6.md.
 */
import * as z from './zod';
import { boundedKey, MAX_ID_LENGTH, MAX_SITE_NAME_LENGTH, MAX_TABLE_NAME_LENGTH, MIN_SYNC_API_VERSION, describeZodError, type ProtocolError } from './v5';
import { MAX_JSON_DEPTH, nestedDeeperThan } from './json-text';

export { nestedDeeperThan };

// ---------------------------------------------------------------------------------------------
// Versions and limits

/** The v6 API versions served: the Open mSupply central's own range (`sync_on_central/mod.rs`). */
export const SYNC_V6_MIN_VERSION = 0;
export const SYNC_V6_MAX_VERSION = 5;

/** Records per push batch: the client's push batch size (`sync/settings.rs`, remote_push 1024). */
export const MAX_V6_PUSH_RECORDS = 1024;
/** A larger pull `batchSize` is served as this many; the client loops until `is_last_batch`. */
export const MAX_V6_PULL_BATCH = 1000;
/**
 * Largest cursor on the wire: the client keeps its v6 cursors as 32-bit signed integers
 * (`cursor_controller.rs`, `get_i32`) and stores `end_cursor + 1`.
 */
export const MAX_V6_CURSOR = 2 ** 31 - 2;

const u32 = z.int().check(z.minimum(0), z.maximum(2 ** 32 - 1));
/** A u64 on the wire; JSON numbers past 2^53 cannot be read exactly, so they are refused. */
const u64 = z.int().check(z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER));

// ---------------------------------------------------------------------------------------------
// Requests

/**
 * `SyncApiSettings` (`sync/api/core.rs`): the site's v5 settings, sent in every v6 body instead
 * of Basic auth and headers. Every field is required by the client's struct.
 */
export const syncV5Settings = z.object({
  serverUrl: z.string(),
  username: z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(MAX_SITE_NAME_LENGTH, `must be at most ${MAX_SITE_NAME_LENGTH} characters`)),
  passwordSha256: z.string().check(z.regex(/^[0-9a-fA-F]{64}$/, 'must be the 64-character hex SHA-256 of the site password'), z.toLowerCase()),
  siteUuid: z.string().check(z.trim(), z.minLength(1, 'must not be empty (the hardware id)')),
  appVersion: z.string().check(z.trim(), z.minLength(1, 'must not be empty')),
  appName: z.string().check(z.trim(), z.minLength(1, 'must not be empty')),
  /** The v5 sync API version, as text (e.g. "14"). */
  syncVersion: z.string().check(z.trim(), z.regex(/^\d{1,9}$/, 'must be a whole number (the v5 sync API version)')),
});
export type SyncV5Settings = z.output<typeof syncV5Settings>;

/** `#[serde(default)] sync_v6_version: u32`: absent means 0. */
const syncV6Version = z.pipe(z.optional(u32), z.transform((version: number | undefined) => version ?? 0));

/** `SiteStatusRequestV6`. */
export const siteStatusRequest = z.object({ syncV5Settings, syncV6Version });
export type SiteStatusRequest = z.output<typeof siteStatusRequest>;

/** `SyncPullRequestV6`. */
export const pullRequest = z.object({
  cursor: u64,
  batchSize: u32,
  syncV5Settings,
  isInitialised: z.boolean(),
  syncV6Version,
});
export type PullRequest = z.output<typeof pullRequest>;

/** `SyncPatientPullRequestV6` (route `patient-pull`). */
export const patientPullRequest = z.object({
  cursor: u64,
  batchSize: u32,
  syncV5Settings,
  syncV6Version,
  fetchPatientId: z.string(),
});
export type PatientPullRequest = z.output<typeof patientPullRequest>;

/** `SyncAction`: serialised `Insert` etc.; the lower-case aliases are accepted too. */
export const v6Actions = ['Insert', 'Update', 'Delete', 'Merge'] as const;
export type V6Action = (typeof v6Actions)[number];
const v6ActionNames = [...v6Actions, 'insert', 'update', 'delete', 'merge'] as const;
const v6Action = z.pipe(
  z.enum(v6ActionNames),
  z.transform((action: (typeof v6ActionNames)[number]) => (action.charAt(0).toUpperCase() + action.slice(1)) as V6Action),
);

/** `CommonSyncRecord` (`sync/api/common_records.rs`): `recordData` defaults to `{}` (a delete). */
export const v6Record = z.object({
  tableName: boundedKey(MAX_TABLE_NAME_LENGTH),
  recordId: boundedKey(MAX_ID_LENGTH),
  action: v6Action,
  recordData: z.pipe(z.optional(z.unknown()), z.transform((data: unknown) => (data === undefined ? {} : data))),
});
export type V6Record = z.output<typeof v6Record>;

/** `SyncRecordV6`: a record with the sender's change-log cursor. */
export const v6SyncRecord = z.object({ cursor: u64, record: v6Record });
export type V6SyncRecord = z.output<typeof v6SyncRecord>;

const batchFields = {
  end_cursor: u64,
  total_records: u64,
  is_last_batch: z.boolean(),
};

/** `SyncBatchV6` as pushed: the batch's shape is checked here, each record on its own. */
export const pushBatchEnvelope = z.object({
  ...batchFields,
  records: z.array(z.unknown()).check(z.maxLength(MAX_V6_PUSH_RECORDS, `at most ${MAX_V6_PUSH_RECORDS} records per batch`)),
});

/** `SyncPushRequestV6`, envelope only (see `splitV6Records`). */
export const pushRequest = z.object({ batch: pushBatchEnvelope, syncV5Settings, syncV6Version });
export type PushRequest = z.output<typeof pushRequest>;

export interface InvalidV6Record {
  readonly index: number;
  readonly raw: unknown;
  readonly message: string;
}

/** Splits pushed records into readable ones and the rest, each with its reason. */
export function splitV6Records(records: readonly unknown[]): { valid: Array<{ index: number; raw: unknown; value: V6SyncRecord }>; invalid: InvalidV6Record[] } {
  const valid: Array<{ index: number; raw: unknown; value: V6SyncRecord }> = [];
  const invalid: InvalidV6Record[] = [];
  records.forEach((raw, index) => {
    const parsed = v6SyncRecord.safeParse(raw);
    if (parsed.success) valid.push({ index, raw, value: parsed.data });
    else invalid.push({ index, raw, message: describeZodError(parsed.error, `record batch.records[${index}]`).message });
  });
  return { valid, invalid };
}

const nonEmpty = () => z.string().check(z.minLength(1));

/** `SyncDownloadFileRequestV6` (`POST download_file`, JSON, camelCase); `handlers/sync-files.ts`. */
export const downloadFileRequest = z.object({
  tableName: nonEmpty(),
  recordId: nonEmpty(),
  id: nonEmpty(),
  syncV5Settings,
  syncV6Version,
});
export type DownloadFileRequest = z.output<typeof downloadFileRequest>;

/**
 * `SyncUploadFileRequestV6`, the `json_part` of `PUT upload_file` (multipart, with the file in
 * `file_part`). This struct has no `rename_all`: its own fields are snake_case, while the
 * settings inside keep their camelCase. Read by `protocol/sync-files.ts`.
 */
export const uploadFileRequest = z.object({
  file_id: nonEmpty(),
  sync_v5_settings: syncV5Settings,
  sync_v6_version: syncV6Version,
});
export type UploadFileRequest = z.output<typeof uploadFileRequest>;

// ---------------------------------------------------------------------------------------------
// Answers: `{"data": …}` or `{"error": <variant>}` (`SyncPullResponseV6` and friends)

/** `SyncBatchV6` as answered to a pull. */
const v6Cursor = z.int().check(z.minimum(0), z.maximum(MAX_V6_CURSOR));

export const pullBatch = z.object({
  end_cursor: v6Cursor,
  total_records: u64,
  records: z.array(z.object({ cursor: v6Cursor, record: v6Record })),
  is_last_batch: z.boolean(),
});
export type PullBatch = z.output<typeof pullBatch>;

export const pullAnswer = z.strictObject({ data: pullBatch });
/** `SyncPushSuccessV6`. */
export const pushAnswer = z.strictObject({ data: z.strictObject({ records_pushed: u64 }) });
/** `SiteStatusV6`. */
export const siteStatusAnswer = z.strictObject({ data: z.strictObject({ is_integrating: z.boolean() }) });

/** `ParsedError` (`sync/api/error.rs`): the v5 error body, carried by `legacyServerError`. */
export const legacyError = z.object({ code: z.string(), message: z.string(), data: z.optional(z.unknown()) });

/**
 * `SyncParsedErrorV6`: unit variants as a bare string, the others as `{variant: value}`. The
 * client maps `legacyServerError` codes (site_incorrect_password, …) and `syncVersionMismatch`
 * to its own error codes; the rest it shows as text.
 */
export const v6Error = z.union([
  z.enum(['notACentralServer', 'integrationInProgress']),
  z.strictObject({ cannotConnectToLegacyServer: z.string() }),
  z.strictObject({ legacyServerError: legacyError }),
  z.strictObject({ otherLegacyServerError: z.string() }),
  z.strictObject({ otherServerError: z.string() }),
  z.strictObject({ parsingSyncRecordError: z.string() }),
  z.strictObject({ syncFileNotFound: z.string() }),
  z.strictObject({ syncVersionMismatch: z.tuple([u32, u32, u32]) }),
]);
export type V6Error = z.output<typeof v6Error>;

export const errorAnswer = z.strictObject({ error: v6Error });

/** `SyncUploadFileResponseV6::Data(())`: unit serialises as null. */
export const uploadFileAnswer = z.union([z.strictObject({ data: z.null() }), errorAnswer]);

/**
 * `download_file` answers the file's bytes on success; otherwise a non-2xx status whose body is
 * the bare variant, not wrapped in `error` (`api_v6/download_file.rs`, `download_response_or_err`).
 */
export const downloadFileErrorBody = v6Error;

// ---------------------------------------------------------------------------------------------
// Refusals

/** A refused v6 call: the variant the client parses, and the HTTP status we send with it. */
export interface V6Refusal {
  readonly status: number;
  readonly error: V6Error;
  readonly headers?: Readonly<Record<string, string>>;
}

export type ParsedV6<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: V6Refusal };

/** Malformed input: the central's own error, with a message naming every problem found. */
export const badRequest = (message: string, status = 400): V6Refusal => ({ status, error: { otherServerError: message } });

/** A v5 site-authentication refusal, as the client reads it (`LegacyServerError(ParsedError)`). */
export const fromSiteRefusal = (error: ProtocolError, headers: Record<string, string> = {}): V6Refusal => ({
  status: error.status,
  error: { legacyServerError: { code: error.code, message: error.message, data: error.data ?? null } },
  headers,
});

/** `SyncVersionMismatch(min, max, received)` unless the version is served. */
export function checkV6Version(version: number): V6Refusal | undefined {
  if (version >= SYNC_V6_MIN_VERSION && version <= SYNC_V6_MAX_VERSION) return undefined;
  return { status: 400, error: { syncVersionMismatch: [SYNC_V6_MIN_VERSION, SYNC_V6_MAX_VERSION, version] } };
}

/** The v5 sync API version in the settings, held to the same minimum as the v5 `version` header. */
export function checkV5SyncVersion(settings: SyncV5Settings): V6Refusal | undefined {
  const version = Number(settings.syncVersion);
  if (version >= MIN_SYNC_API_VERSION) return undefined;
  return {
    status: 400,
    error: {
      legacyServerError: {
        code: 'api_version_incompatible',
        message: `Sync API version ${version} is not supported; this server needs version ${MIN_SYNC_API_VERSION} or later. Upgrade the remote site.`,
        data: { minVersion: MIN_SYNC_API_VERSION, received: version },
      },
    },
  };
}

/** Deepest nesting of a request body accepted (json-text.ts). */
export const MAX_V6_JSON_DEPTH = MAX_JSON_DEPTH;

/** Validates a request body already read as JSON. */
export function parseV6Request<S extends z.core.$ZodType>(schema: S, value: unknown): ParsedV6<z.output<S>> {
  if (nestedDeeperThan(value, MAX_V6_JSON_DEPTH)) {
    return { ok: false, refusal: badRequest(`Invalid request: the body is nested deeper than ${MAX_V6_JSON_DEPTH} levels.`) };
  }
  const result = z.safeParse(schema, value);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, refusal: badRequest(describeZodError(result.error).message) };
}

/** The pull page size served for a requested `batchSize`: at least 1, at most `MAX_V6_PULL_BATCH`. */
export const servedBatchSize = (batchSize: number) => Math.max(1, Math.min(batchSize, MAX_V6_PULL_BATCH));
