/**
 * The remote-site wire protocol (mSupply sync API v5), in one place: headers, Basic auth, the
 * record on the wire, request and response bodies of every route, error codes, and turning a
 * validation failure into a message a person can act on.
 *
 * Pure (no I/O): every parser returns `Parsed<T>`, never throws on bad input. Handlers turn a
 * `ProtocolError` into the protocol's error body (`HttpError` in commons/http).
 * Limits and the reasons for them: docs/data-classes.md ("Wire protocol").
 */
import * as z from './zod';
import { isWellFormed, parseJsonText, WELL_FORMED_MESSAGE } from './json-text';

// ---------------------------------------------------------------------------------------------
// Limits

/** Oldest client sync API version served (the current client sends 14). No upper bound. */
export const MIN_SYNC_API_VERSION = 5;
/** Records per push batch: what the client sends at most. */
export const MAX_PUSH_RECORDS = 1024;
/**
 * Bytes per request body (decoded): Lambda's own 6 MB invocation limit, so every body API Gateway
 * can deliver is read (a site's batch is never refused for a size it could not change: the
 * client never shrinks a batch). Larger bodies never reach a handler in AWS.
 */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;
/** `limit` of a pull or central-records call when absent (the client's own default). */
export const DEFAULT_PULL_LIMIT = 500;
/** A larger `limit` is served as this many: the client loops until it has everything. */
export const MAX_PULL_LIMIT = 1000;
/** Ids in one acknowledgement. */
export const MAX_ACK_IDS = 10_000;
/** Longest table name, record id and queue-entry id accepted (they become storage keys). */
export const MAX_TABLE_NAME_LENGTH = 128;
export const MAX_ID_LENGTH = 256;
/** Longest site name accepted in Basic credentials (site names are at most 100 characters). */
export const MAX_SITE_NAME_LENGTH = 256;

// ---------------------------------------------------------------------------------------------
// Errors

/** Codes the remote-site client understands and acts on. */
export const clientErrorCodes = [
  'site_name_not_found',
  'site_incorrect_password',
  'site_incorrect_hardware_id',
  'site_has_no_store',
  'site_auth_timeout',
  'api_version_incompatible',
] as const;

/** The project's own codes: the client shows them to the user as they are. */
export const serverErrorCodes = [
  'invalid_request',
  'invalid_authorization',
  'payload_too_large',
  'sync_is_running',
  'not_found',
  'internal_error',
] as const;

export const errorCodes = [...clientErrorCodes, ...serverErrorCodes] as const;
export type ErrorCode = (typeof errorCodes)[number];

/** HTTP status per code: authentication failures 401, "busy, try later" 503. */
export const errorStatus: Readonly<Record<ErrorCode, number>> = {
  site_name_not_found: 401,
  site_incorrect_password: 401,
  site_incorrect_hardware_id: 401,
  site_has_no_store: 401,
  site_auth_timeout: 401,
  api_version_incompatible: 400,
  invalid_request: 400,
  invalid_authorization: 401,
  payload_too_large: 413,
  sync_is_running: 503,
  not_found: 404,
  internal_error: 500,
};

export interface ProtocolError {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
  readonly data: unknown;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ProtocolError };

export function protocolError(code: ErrorCode, message: string, data: unknown = null): ProtocolError {
  return { status: errorStatus[code], code, message, data };
}

/** The protocol's error body for a `ProtocolError`. */
export function errorResponseBody(error: ProtocolError) {
  return { error: { code: error.code, message: error.message, data: error.data } };
}

const fail = <T>(code: ErrorCode, message: string, data: unknown = null): Parsed<T> => ({
  ok: false,
  error: protocolError(code, message, data),
});

/** `data[3].recordData.mergeIdToKeep` */
export function issuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

const maxIssuesInMessage = 5;
const maxIssuesInData = 50;

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
    return `required (expected ${issue.expected})`;
  }
  return issue.message;
}

/**
 * A zod error as one sentence a person can act on: which fields, what was expected. The first
 * few issues are named; `issues` lists up to 50 (path + message).
 */
export function describeZodError(error: { readonly issues: readonly z.core.$ZodIssue[] }, subject = 'request'): { message: string; issues: { path: string; message: string }[] } {
  const issues = error.issues.slice(0, maxIssuesInData).map((issue) => ({ path: issuePath(issue.path), message: issueText(issue) }));
  const shown = issues.slice(0, maxIssuesInMessage).map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
  const more = error.issues.length - shown.length;
  const message = `Invalid ${subject}: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}.`;
  return { message, issues };
}

/** Validates `value` with `schema`; a failure is `invalid_request` with a readable message. */
export function parseWith<S extends z.core.$ZodType>(schema: S, value: unknown, subject = 'request'): Parsed<z.output<S>> {
  const result = z.safeParse(schema, value);
  if (result.success) return { ok: true, value: result.data };
  const { message, issues } = describeZodError(result.error, subject);
  return fail('invalid_request', message, { issues });
}

// ---------------------------------------------------------------------------------------------
// Body

/** Decodes and size-checks a request body, then parses it as JSON. An absent body is `{}`. */
export function parseJsonBody(body: string | undefined | null, isBase64Encoded = false, maxBytes = MAX_BODY_BYTES): Parsed<unknown> {
  if (body === undefined || body === null || body === '') return { ok: true, value: {} };
  const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    return fail(
      'payload_too_large',
      `The request body is ${bytes} bytes; at most ${maxBytes} are accepted. Send fewer records per batch.`,
      { bytes, maxBytes },
    );
  }
  const parsed = parseJsonText(text);
  return parsed.ok ? { ok: true, value: parsed.value } : fail('invalid_request', `The request body is ${parsed.message}.`);
}

/** Decodes, size-checks and parses a JSON body, then validates it with `schema`. */
export function parseJsonBodyWith<S extends z.core.$ZodType>(
  schema: S,
  body: string | undefined | null,
  isBase64Encoded = false,
): Parsed<z.output<S>> {
  const json = parseJsonBody(body, isBase64Encoded);
  return json.ok ? parseWith(schema, json.value) : { ok: false, error: json.error };
}

// ---------------------------------------------------------------------------------------------
// Headers and authentication

export type HeaderMap = Readonly<Record<string, string | undefined>>;

export interface V5Headers {
  /** `msupply-site-uuid`: the remote installation's hardware id. */
  readonly siteUuid: string;
  readonly appName: string;
  readonly appVersion: string;
  /** `version`: the client's sync API version. */
  readonly version: number;
}

const requiredHeaders = ['msupply-site-uuid', 'app-name', 'app-version'] as const;

function lowerCaseKeys(headers: HeaderMap | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (typeof value === 'string') out[key.toLowerCase()] = value;
  }
  return out;
}

/**
 * The four headers every v5 request carries. A missing `version` (a client older than the
 * protocol) or one below `MIN_SYNC_API_VERSION` is `api_version_incompatible`; anything else
 * missing or malformed is `invalid_request`.
 */
export function parseV5Headers(headers: HeaderMap | undefined): Parsed<V5Headers> {
  const h = lowerCaseKeys(headers);
  const missing = requiredHeaders.filter((name) => (h[name] ?? '').trim() === '');
  if (missing.length > 0) {
    return fail('invalid_request', `Missing request header${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}.`, {
      missing,
    });
  }
  const raw = (h['version'] ?? '').trim();
  if (raw === '') {
    return fail(
      'api_version_incompatible',
      `The "version" header (sync API version) is missing; this server needs version ${MIN_SYNC_API_VERSION} or later.`,
      { minVersion: MIN_SYNC_API_VERSION, received: null },
    );
  }
  if (!/^\d{1,9}$/.test(raw)) {
    return fail('invalid_request', `The "version" header must be a whole number (the sync API version); got "${raw.slice(0, 32)}".`);
  }
  const version = Number(raw);
  if (version < MIN_SYNC_API_VERSION) {
    return fail(
      'api_version_incompatible',
      `Sync API version ${version} is not supported; this server needs version ${MIN_SYNC_API_VERSION} or later. Upgrade the remote site.`,
      { minVersion: MIN_SYNC_API_VERSION, received: version },
    );
  }
  return {
    ok: true,
    value: {
      siteUuid: (h['msupply-site-uuid'] as string).trim(),
      appName: (h['app-name'] as string).trim(),
      appVersion: (h['app-version'] as string).trim(),
      version,
    },
  };
}

export interface BasicCredentials {
  readonly siteName: string;
  /** Lowercase hex SHA-256 of the site's password. */
  readonly passwordSha256: string;
}

const authHelp = 'user = the site name, password = the hex SHA-256 of the site password';

/** Parses `Authorization: Basic base64(siteName:sha256hex)`. Failures are 401 `invalid_authorization`. */
export function parseBasicAuth(header: string | undefined | null): Parsed<BasicCredentials> {
  if (header === undefined || header === null || header.trim() === '') {
    return fail('invalid_authorization', `HTTP Basic authorisation is required (${authHelp}).`);
  }
  const match = /^\s*basic\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) {
    return fail('invalid_authorization', `The Authorization header must use the Basic scheme (${authHelp}).`);
  }
  const encoded = match[1];
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    return fail('invalid_authorization', 'The Basic credentials are not valid base64.');
  }
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  if (decoded.includes('\uFFFD')) {
    return fail('invalid_authorization', 'The Basic credentials are not valid UTF-8 text.');
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    return fail('invalid_authorization', `The Basic credentials must be "site name:password hash" (${authHelp}).`);
  }
  const siteName = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (siteName.trim() === '') {
    return fail('invalid_authorization', `The Basic credentials carry no site name (${authHelp}).`);
  }
  if (siteName.length > MAX_SITE_NAME_LENGTH) {
    return fail('invalid_authorization', `The Basic site name is longer than ${MAX_SITE_NAME_LENGTH} characters; no site has such a name.`);
  }
  if (!/^[0-9a-fA-F]{64}$/.test(password)) {
    return fail(
      'invalid_authorization',
      'The Basic password must be the 64-character hex SHA-256 of the site password, not the password itself.',
    );
  }
  return { ok: true, value: { siteName, passwordSha256: password.toLowerCase() } };
}

// ---------------------------------------------------------------------------------------------
// Records

export const wireActions = ['insert', 'update', 'delete', 'merge'] as const;
export type WireAction = (typeof wireActions)[number];

/** `insert` | `update` | `delete` | `merge`, any letter case on input, lower case on output. */
export const wireAction = z.pipe(z.string().check(z.toLowerCase()), z.enum(wireActions));

/** A non-empty, well-formed string of at most `max` characters (an id or a table name). */
export const boundedKey = (max: number) =>
  z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(max, `must be at most ${max} characters`), z.refine(isWellFormed, WELL_FORMED_MESSAGE));

const id = boundedKey(MAX_ID_LENGTH);
const tableName = boundedKey(MAX_TABLE_NAME_LENGTH);

/** The whole record in the legacy field format. */
export const recordData = z.record(z.string(), z.unknown());

/** `recordData` of a merge. */
export const mergeBody = z.object({ mergeIdToKeep: id, mergeIdToDelete: id });
export type MergeBody = z.infer<typeof mergeBody>;

interface RecordCore {
  tableName: string;
  recordId: string;
  action: WireAction;
  recordData?: Record<string, unknown> | null | undefined;
}

/** Deepest nesting of a record's fields the central copy can hold (DynamoDB allows 32 levels). */
export const MAX_RECORD_DEPTH = 24;
/** Largest record (as JSON) the central copy holds: a DynamoDB item is at most 400 KB. */
export const MAX_RECORD_BYTES = 300 * 1024;

/**
 * Why a record's data cannot be kept as it is, or undefined. JSON allows numbers, nesting and
 * names that DynamoDB cannot store; such a record is refused on its own, never a failed push.
 */
export function unstorableReason(data: unknown): string | undefined {
  const bytes = Buffer.byteLength(JSON.stringify(data) ?? '', 'utf8');
  if (bytes > MAX_RECORD_BYTES) return `is ${bytes} bytes as JSON; at most ${MAX_RECORD_BYTES} are kept`;
  const visit = (value: unknown, path: string, depth: number): string | undefined => {
    if (typeof value === 'number') {
      if (Number.isInteger(value) ? !Number.isSafeInteger(value) : Math.abs(value) >= 1e125 || (value !== 0 && Math.abs(value) < 1e-125))
        return `${path} holds ${value}, a number that cannot be kept exactly`;
      return undefined;
    }
    if (typeof value !== 'object' || value === null) return undefined;
    if (depth >= MAX_RECORD_DEPTH) return `${path} is nested deeper than ${MAX_RECORD_DEPTH} levels`;
    for (const [key, child] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
      if (key === '') return `${path} has a field with an empty name`;
      const problem = visit(child, Array.isArray(value) ? `${path}[${key}]` : `${path}.${String(key)}`, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  };
  return visit(data, 'recordData', 0);
}

/** Only a delete may omit `recordData`; a merge's must name both records; it must be storable. */
function checkRecordData(record: RecordCore, ctx: z.core.$RefinementCtx<RecordCore>) {
  if (record.recordData !== undefined && record.recordData !== null) {
    const problem = unstorableReason(record.recordData);
    if (problem) ctx.addIssue({ code: 'custom', path: ['recordData'], message: problem });
  }
  if (record.action === 'delete') return;
  if (record.recordData === undefined || record.recordData === null) {
    ctx.addIssue({
      code: 'custom',
      path: ['recordData'],
      message: `required for action "${record.action}" (only a delete may omit it)`,
    });
    return;
  }
  if (record.action === 'merge') {
    const merge = mergeBody.safeParse(record.recordData);
    if (!merge.success) {
      for (const issue of merge.error.issues) {
        ctx.addIssue({ code: 'custom', path: ['recordData', ...issue.path], message: issueText(issue) });
      }
    }
  }
}

const recordCore = {
  tableName,
  recordId: id,
  action: wireAction,
  recordData: z.nullish(recordData),
};

const dropNullData = <T extends { recordData?: Record<string, unknown> | null | undefined }>(r: T) => {
  const { recordData: data, ...rest } = r;
  return data === null || data === undefined ? rest : { ...rest, recordData: data };
};

/** A record pushed by a site or queued for one. */
export const wireRecord = z.pipe(z.object({ syncOutId: id, ...recordCore }).check(z.superRefine(checkRecordData)), z.transform(dropNullData));
export type WireRecord = z.output<typeof wireRecord>;

/** The merge ids of a merge record (validated by `wireRecord`). */
export function mergeIds(record: { action: WireAction; recordData?: Record<string, unknown> }): MergeBody | undefined {
  if (record.action !== 'merge') return undefined;
  const parsed = mergeBody.safeParse(record.recordData);
  return parsed.success ? parsed.data : undefined;
}

/** One entry of the central-data change log on the wire; `ID` is its cursor. */
export const centralRecord = z.pipe(z.object({ ID: z.int().check(z.minimum(0)), ...recordCore }).check(z.superRefine(checkRecordData)), z.transform(dropNullData));
export type CentralRecord = z.output<typeof centralRecord>;

// ---------------------------------------------------------------------------------------------
// Routes

/** `POST /sync/v5/queued_records`, strict: every record must be valid. */
const queueLength = z.int().check(z.minimum(0));
const atMostPushRecords = z.maxLength(MAX_PUSH_RECORDS, `at most ${MAX_PUSH_RECORDS} records per batch`);

export const pushBody = z.object({ queueLength, data: z.array(wireRecord).check(atMostPushRecords) });
export type PushBody = z.output<typeof pushBody>;

/**
 * `POST /sync/v5/queued_records`, envelope only: the batch's shape is checked, each record is
 * checked on its own by `splitPushedRecords`, so one malformed record can be kept as refused
 * instead of blocking the site's whole queue.
 */
export const pushEnvelope = z.object({ queueLength, data: z.array(z.unknown()).check(atMostPushRecords) });
export type PushEnvelope = z.output<typeof pushEnvelope>;

export interface InvalidPushedRecord {
  readonly index: number;
  readonly raw: unknown;
  readonly message: string;
}

/** Splits a batch's records into valid wire records and invalid ones, each with its reason. */
export function splitPushedRecords(data: readonly unknown[]): { valid: WireRecord[]; invalid: InvalidPushedRecord[] } {
  const valid: WireRecord[] = [];
  const invalid: InvalidPushedRecord[] = [];
  data.forEach((raw, index) => {
    const parsed = wireRecord.safeParse(raw);
    if (parsed.success) valid.push(parsed.data);
    else invalid.push({ index, raw, message: describeZodError(parsed.error, `record data[${index}]`).message });
  });
  return { valid, invalid };
}

export const pushResponse = z.object({ integrationStarted: z.boolean() });
export type PushResponse = z.output<typeof pushResponse>;

type Query = Readonly<Record<string, string | undefined>> | undefined | null;

/** A query parameter holding a whole number, checked by `bound`; absent is `fallback`. */
const wholeNumberParam = (bound: z.core.$ZodCheck<number>, fallback: number, served: (n: number) => number = (n) => n) =>
  z.pipe(
    z.optional(z.pipe(z.pipe(z.string().check(z.regex(/^\d{1,15}$/, 'must be a whole number')), z.transform(Number)), z.pipe(z.number().check(bound), z.transform(served)))),
    z.transform((n: number | undefined) => n ?? fallback),
  );

const limitParam = wholeNumberParam(z.minimum(1, 'must be at least 1'), DEFAULT_PULL_LIMIT, (n) => Math.min(n, MAX_PULL_LIMIT));
const cursorParam = wholeNumberParam(z.maximum(Number.MAX_SAFE_INTEGER), 0);

/** `GET /sync/v5/queued_records?limit=N`: default 500; above 1000 is served as 1000. */
export const pullQuery = z.object({ limit: limitParam });
export type PullQuery = z.output<typeof pullQuery>;

export function parsePullQuery(query: Query): Parsed<PullQuery> {
  return parseWith(pullQuery, query ?? {}, 'query');
}

export const pullResponse = z.object({ queueLength, data: z.array(wireRecord) });
export type PullResponse = z.output<typeof pullResponse>;

/** `POST /sync/v5/acknowledged_records`. Unknown or repeated ids are not errors. */
export const ackBody = z.object({
  syncIDs: z.array(id).check(z.maxLength(MAX_ACK_IDS, `at most ${MAX_ACK_IDS} ids per acknowledgement`)),
});
export type AckBody = z.output<typeof ackBody>;

/** `GET /sync/v5/central_records?cursor=C&limit=N`: cursor default 0, limit as a pull. */
export const centralRecordsQuery = z.object({ cursor: cursorParam, limit: limitParam });
export type CentralRecordsQuery = z.output<typeof centralRecordsQuery>;

export function parseCentralRecordsQuery(query: Query): Parsed<CentralRecordsQuery> {
  return parseWith(centralRecordsQuery, query ?? {}, 'query');
}

export const centralRecordsResponse = z.object({ maxCursor: z.int().check(z.minimum(0)), data: z.array(centralRecord) });
export type CentralRecordsResponse = z.output<typeof centralRecordsResponse>;

export const initialisationStatuses = ['new', 'started', 'completed', 'error'] as const;
export type InitialisationStatus = (typeof initialisationStatuses)[number];

/** `GET /sync/v5/site`. */
export const siteResponse = z.object({
  id: z.string(),
  siteId: z.int(),
  code: z.string(),
  name: z.string(),
  initialisationStatus: z.enum(initialisationStatuses),
  omSupplyCentralServerUrl: z.string(),
  isOmSupplyCentralServer: z.boolean(),
  mSupplyCentralSiteId: z.int(),
});
export type SiteResponse = z.output<typeof siteResponse>;

/** `POST /sync/v5/initialise`: the body is `{}` (anything else is ignored). */
export const initialiseBody = z.looseObject({});
export const initialiseResponse = z.object({ queueLength });
export type InitialiseResponse = z.output<typeof initialiseResponse>;

export const siteStatusCodes = ['idle', 'sync_is_running', 'integration_in_progress', 'initialisation_in_progress'] as const;
export type SiteStatusCode = (typeof siteStatusCodes)[number];

/** `GET /sync/v5/site_status`. */
export const siteStatusResponse = z.object({
  code: z.enum(siteStatusCodes),
  message: z.string(),
  data: z.null(),
});
export type SiteStatusResponse = z.output<typeof siteStatusResponse>;
