/**
 * Sync files as the client moves them (docs/remote-site.md, "Sync files"): the two calls of
 * `sync/api_v6/upload_file.rs` and `download_file.rs`, the reference a site creates when a file is
 * attached (`server/server/src/static_files.rs`, `upload_sync_file_inner`), and one pass of the
 * file synchroniser (`sync/file_synchroniser.rs`, `sync`), with its retry rules.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SyncApiError, type SyncApiSettings } from './api';
import { sendOnce, TransportError, BodyReadError, type HttpAnswer } from './http';
import type { FileStatus } from './state';
import type { Timing } from './timing';

/** `file_synchroniser.rs`: MAX_UPLOAD_ATTEMPTS, RETRY_DELAY_MINUTES, MAX_RETRY_DELAY_MINUTES. */
export const MAX_UPLOAD_ATTEMPTS = 7 * 24;
export const RETRY_DELAY_MINUTES = 15;
export const MAX_RETRY_DELAY_MINUTES = 60;
/** `file_sync_driver.rs`: FILE_SYNC_UPLOAD_DELAY (between uploads), FILE_SYNC_NO_FILES_DELAY. */
export const FILE_SYNC_UPLOAD_DELAY_SECONDS = 0.1;
export const FILE_SYNC_NO_FILES_DELAY_SECONDS = 10;

/** The fields of a `sync_file_reference` that travel (`SyncFileReferenceRow` without `skip_serializing`). */
export interface SyncFileReference {
  id: string;
  table_name: string;
  record_id: string;
  file_name: string;
  mime_type: string | null;
  total_bytes: number;
  created_datetime: string;
  deleted_datetime: string | null;
}

const naiveDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/, 'not a date and time without zone');
/** `SyncFileReferenceRow` as a pulled record is read (serde defaults for the local columns). */
export const pulledReference = z.object({
  id: z.string(),
  table_name: z.string(),
  record_id: z.string(),
  file_name: z.string(),
  mime_type: z.string().nullish(),
  total_bytes: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1).optional(),
  created_datetime: naiveDateTime,
  deleted_datetime: naiveDateTime.nullish(),
});

/** chrono's NaiveDateTime as serde writes it (no zone). */
export const naiveNow = (now: Date) => now.toISOString().replace(/Z$/, '');

const u32 = z.number().int().min(0).max(2 ** 32 - 1);
/** `SyncParsedErrorV6`, externally tagged: unit variants as a bare string, the others `{variant: value}`. */
const parsedErrorV6 = z.union([
  z.enum(['notACentralServer', 'integrationInProgress']),
  z.object({ cannotConnectToLegacyServer: z.string() }).strict(),
  z.object({ legacyServerError: z.object({ code: z.string(), message: z.string(), data: z.unknown().optional() }) }).strict(),
  z.object({ otherLegacyServerError: z.string() }).strict(),
  z.object({ otherServerError: z.string() }).strict(),
  z.object({ parsingSyncRecordError: z.string() }).strict(),
  z.object({ syncFileNotFound: z.string() }).strict(),
  z.object({ syncVersionMismatch: z.tuple([u32, u32, u32]) }).strict(),
]);
/** `SyncUploadFileResponseV6`: `{"data": null}` (unit) or `{"error": variant}`. */
const uploadAnswer = z.union([z.object({ data: z.null() }).strict(), z.object({ error: parsedErrorV6 }).strict()]);

const variantOf = (error: unknown) => (typeof error === 'string' ? error : Object.keys(error as object)[0]);

/** reqwest's part header: `\`, `"`, CR and LF escaped with a backslash in the quoted file name. */
const quotedFileName = (name: string) => name.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r/g, '\\\r').replace(/\n/g, '\\\n');

/** reqwest's boundary: four random 64-bit numbers in hex, joined with `-`. */
const boundary = () => [0, 1, 2, 3].map(() => randomBytes(8).toString('hex')).join('-');

/**
 * The body of `upload_file`: `json_part` (text, `Content-Type: application/json`) holding
 * `SyncUploadFileRequestV6` in snake_case, then `file_part` (the bytes, the file name, no content
 * type), as reqwest writes a multipart form.
 */
export function uploadBody(fileId: string, settings: SyncApiSettings, syncV6Version: number, fileName: string, bytes: Buffer): { contentType: string; body: Buffer } {
  const mark = boundary();
  const json = JSON.stringify({ file_id: fileId, sync_v5_settings: settings, sync_v6_version: syncV6Version });
  const body = Buffer.concat([
    Buffer.from(`--${mark}\r\nContent-Disposition: form-data; name="json_part"\r\nContent-Type: application/json\r\n\r\n${json}\r\n`, 'utf8'),
    Buffer.from(`--${mark}\r\nContent-Disposition: form-data; name="file_part"; filename="${quotedFileName(fileName)}"\r\n\r\n`, 'utf8'),
    bytes,
    Buffer.from(`\r\n--${mark}--\r\n`, 'utf8'),
  ]);
  return { contentType: `multipart/form-data; boundary=${mark}`, body };
}

function transport(route: string, error: unknown): SyncApiError {
  if (error instanceof TransportError) return new SyncApiError(error.kind === 'connect' ? 'connection' : 'unknown', route, error.message);
  if (error instanceof BodyReadError) return new SyncApiError('responseParsing', route, error.message);
  throw error;
}

/** `SyncApiV6::upload_file`: a plain client (no retries, no timeouts); the answer is read whatever its status. */
export async function uploadFile(v6Url: URL, settings: SyncApiSettings, syncV6Version: number, fileId: string, fileName: string, bytes: Buffer, timing: Timing): Promise<void> {
  const url = new URL('upload_file', v6Url);
  const route = `v6 ${url.pathname}`;
  const { contentType, body } = uploadBody(fileId, settings, syncV6Version, fileName, bytes);
  let answer: HttpAnswer;
  try {
    answer = await sendOnce({ method: 'PUT', url, headers: { 'content-type': contentType }, body }, timing);
  } catch (error) {
    throw transport(route, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    throw new SyncApiError('responseParsing', route, `could not parse the answer: ${answer.text.slice(0, 300)}`, answer.status);
  }
  const parsed = uploadAnswer.safeParse(json);
  if (!parsed.success) throw new SyncApiError('responseParsing', route, `could not parse the answer: ${answer.text.slice(0, 300)}`, answer.status);
  if ('error' in parsed.data) throw new SyncApiError('v6Error', route, JSON.stringify(parsed.data.error), answer.status, variantOf(parsed.data.error), parsed.data.error);
}

/** `SyncApiV6::download_file`: any 2xx is the file; otherwise the body is the bare error variant. */
export async function downloadFile(v6Url: URL, settings: SyncApiSettings, syncV6Version: number, reference: Pick<SyncFileReference, 'id' | 'table_name' | 'record_id'>, timing: Timing): Promise<Buffer> {
  const url = new URL('download_file', v6Url);
  const route = `v6 ${url.pathname}`;
  const body = JSON.stringify({ tableName: reference.table_name, recordId: reference.record_id, id: reference.id, syncV5Settings: settings, syncV6Version });
  let answer: HttpAnswer;
  try {
    answer = await sendOnce({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body }, timing);
  } catch (error) {
    throw transport(route, error);
  }
  if (answer.status >= 200 && answer.status < 300) return answer.bytes;
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    throw new SyncApiError('responseParsing', route, `status ${answer.status}: ${answer.text.slice(0, 300)}`, answer.status);
  }
  const parsed = parsedErrorV6.safeParse(json);
  if (!parsed.success) throw new SyncApiError('responseParsing', route, `status ${answer.status}: ${answer.text.slice(0, 300)}`, answer.status);
  throw new SyncApiError('v6Error', route, JSON.stringify(parsed.data), answer.status, variantOf(parsed.data), parsed.data);
}

/** `find_all_to_upload`: not deleted, uploads, and new, in progress, or failed with its retry time passed. */
export function dueForUpload(reference: SyncFileReference, status: FileStatus, nowMs: number): boolean {
  if (reference.deleted_datetime !== null || status.direction !== 'Upload') return false;
  if (status.status === 'New' || status.status === 'InProgress') return true;
  return status.status === 'Error' && status.retryAt !== null && status.retryAt < nowMs;
}

/**
 * The row after a failed upload: `PermanentFailure` once `retries` reached the maximum; otherwise
 * `Error`, one more retry, and the next try in 1 minute after `syncFileNotFound` (the reference
 * has not reached the server yet), else 15 minutes doubling per retry, at most an hour.
 */
export function afterFailedUpload(status: FileStatus, error: SyncApiError, nowMs: number, timing: Timing): FileStatus {
  const message = error.message;
  if (status.retries >= MAX_UPLOAD_ATTEMPTS) return { ...status, status: 'PermanentFailure', error: message };
  const minutes = error.kind === 'v6Error' && error.code === 'syncFileNotFound' ? 1 : Math.min(RETRY_DELAY_MINUTES * 2 ** status.retries, MAX_RETRY_DELAY_MINUTES);
  return { ...status, status: 'Error', retries: status.retries + 1, retryAt: nowMs + timing.ms(minutes * 60), error: message };
}
