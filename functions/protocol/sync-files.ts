/**
 * Sync files over the Open mSupply central API (v6): `PUT /central/sync/upload_file` (multipart:
 * `json_part` with the upload settings, `file_part` with the file) and `POST
 * /central/sync/download_file` (JSON), as the client sends them (`sync/api_v6/upload_file.rs`,
 * `download_file.rs`) and the Open mSupply central reads them (`server/server/src/central/sync.rs`).
 * The request and answer schemas themselves are in `v6.ts`. Pure (no I/O); docs/sync-files.md.
 */
import * as z from './zod';
import { MAX_ID_LENGTH, MAX_TABLE_NAME_LENGTH, describeZodError } from './v5';
import { badRequest, downloadFileRequest, uploadFileRequest, type DownloadFileRequest, type UploadFileRequest, type V6Refusal } from './v6';
import { parseJsonText } from './json-text';

// ---------------------------------------------------------------------------------------------
// Sizes

/**
 * Largest file accepted, in bytes (4 MiB). The route is API Gateway (HTTP API, bodies up to 10 MB)
 * in front of Lambda, whose invocation event is at most 6 MB; a multipart body is binary, so it
 * reaches Lambda base64-encoded, a third larger: a body of about 4.5 MiB is the most that fits,
 * and 4 MiB leaves room for the multipart framing, the JSON part and the event's headers. A
 * download answers the file base64-encoded too, within Lambda's 6 MB response. The client cannot
 * follow a presigned URL (it uploads to `upload_file` and reads the answer as JSON), so this
 * is the limit for a file through this API.
 */
export const MAX_SYNC_FILE_BYTES = 4 * 1024 * 1024;
/** Largest JSON part: the client's is a few hundred bytes (an id and the site's settings). */
export const MAX_JSON_PART_BYTES = 64 * 1024;
/** Storage keys are at most 1024 bytes (S3). */
export const MAX_STORAGE_KEY_BYTES = 1024;

export const humanBytes = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${bytes} bytes`);

// ---------------------------------------------------------------------------------------------
// The record a file belongs to

/**
 * What the central needs of a `sync_file_reference` row (`SyncFileReferenceRow`, as the client
 * serialises it: snake_case, with the file's table, record, name and size). Other fields are kept
 * by whoever keeps the row; these decide where the file lives and who may read it.
 */
export const syncFileReferenceData = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH)),
  table_name: z.string().check(z.minLength(1), z.maxLength(MAX_TABLE_NAME_LENGTH)),
  record_id: z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH)),
  file_name: z.string(),
  mime_type: z.nullish(z.string()),
  total_bytes: z.optional(z.int().check(z.minimum(0))),
});
export type SyncFileReferenceData = z.output<typeof syncFileReferenceData>;

/** A file's place: the record it is attached to and its own id (`StaticFileCategory::SyncFile`). */
export interface SyncFileAddress {
  readonly tableName: string;
  readonly recordId: string;
  readonly fileId: string;
}

/** `sync_files/<table>/<record>/<file id>`, each part URI-encoded so no part can contain a `/`. */
export function storageKey(address: SyncFileAddress): string {
  return ['sync_files', address.tableName, address.recordId, address.fileId].map((part, i) => (i === 0 ? part : encodeKeyPart(part))).join('/');
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `encodeURIComponent`, which throws on a lone surrogate (JSON allows them in any id). One is
 * written as the percent-encoded bytes of its WTF-8 form (`%ED%A0%BD`): a sequence valid UTF-8,
 * and so `encodeURIComponent`, never produces, so no two ids share a key.
 */
export function encodeKeyPart(text: string): string {
  let out = '';
  let from = 0;
  for (const match of text.matchAll(LONE_SURROGATE)) {
    out += encodeURIComponent(text.slice(from, match.index));
    const unit = match[0].charCodeAt(0);
    out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    from = match.index + 1;
  }
  return out + encodeURIComponent(text.slice(from));
}

/** The address's storage key, or a refusal when the identifiers are too long to be one. */
export function checkedStorageKey(address: SyncFileAddress): { ok: true; key: string } | { ok: false; refusal: V6Refusal } {
  const key = storageKey(address);
  if (Buffer.byteLength(key) <= MAX_STORAGE_KEY_BYTES) return { ok: true, key };
  return { ok: false, refusal: badRequest(`Invalid request: table name, record id and file id together are too long to name a file (${Buffer.byteLength(key)} bytes encoded; at most ${MAX_STORAGE_KEY_BYTES}).`) };
}

// ---------------------------------------------------------------------------------------------
// Upload: the multipart body

export interface UploadedFile {
  /** The file name the client sent with `file_part` (`Part::file_name`), if any. */
  readonly name: string;
  readonly bytes: Buffer;
}

export interface UploadParts {
  readonly request: UploadFileRequest;
  readonly file: UploadedFile;
}

/**
 * Reads the client's multipart body: a `json_part` (the upload request, as JSON text) and a
 * `file_part` (the file). The parts are parsed by the runtime's own `multipart/form-data` reader
 * (the WHATWG `Response.formData()` of Node's fetch), so no parser is bundled; what it yields is
 * checked here. Every refusal is a 4xx in the client's error shape.
 */
export async function parseUploadBody(contentType: string | undefined, body: Buffer): Promise<{ ok: true; value: UploadParts } | { ok: false; refusal: V6Refusal }> {
  const refused = (message: string, status = 400) => ({ ok: false as const, refusal: badRequest(`Invalid request: ${message}`, status) });
  if (!contentType || !/^multipart\/form-data\s*;.*\bboundary=/i.test(contentType)) {
    return refused('upload_file takes a multipart/form-data body (with a boundary) carrying json_part and file_part.', 415);
  }
  let form: FormData;
  try {
    form = await new Response(withPlainFileNames(body, contentType), { headers: { 'content-type': contentType } }).formData();
  } catch {
    return refused('the multipart body could not be read (malformed parts or boundary).');
  }
  const jsonPart = form.getAll('json_part');
  const filePart = form.getAll('file_part');
  if (jsonPart.length !== 1 || filePart.length !== 1) {
    return refused(`expected exactly one json_part and one file_part; got ${jsonPart.length} json_part and ${filePart.length} file_part.`);
  }
  const json = jsonPart[0]!;
  const jsonText = typeof json === 'string' ? json : Buffer.from(await json.arrayBuffer()).toString('utf8');
  if (Buffer.byteLength(jsonText) > MAX_JSON_PART_BYTES) return refused(`json_part is larger than ${MAX_JSON_PART_BYTES} bytes.`, 413);
  const value = parseJsonText(jsonText);
  if (!value.ok) return refused(`json_part is ${value.message}.`);
  const request = uploadFileRequest.safeParse(value.value);
  if (!request.success) return { ok: false, refusal: badRequest(describeZodError(request.error, 'json_part').message) };
  const file = filePart[0]!;
  if (typeof file === 'string') return refused('file_part must be a file (a part with a filename), not a text field.');
  return { ok: true, value: { request: request.data, file: { name: file.name.replaceAll(ESCAPED_QUOTE, '"'), bytes: Buffer.from(await file.arrayBuffer()) } } };
}

/** Stands for a `"` in a file name while the runtime's reader parses the parts (the WHATWG form). */
const ESCAPED_QUOTE = '%22';

/**
 * The client (reqwest) writes a `"` in a file name as `\"` and a `\` as `\\` inside the quoted
 * `filename`, which the runtime's reader does not undo: rewrite those escapes in the part headers
 * only (never in a part's content) before parsing.
 */
function withPlainFileNames(body: Buffer, contentType: string): Buffer {
  const boundary = /\bboundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const marker = Buffer.from(`--${boundary?.[1] ?? boundary?.[2] ?? ''}`);
  if (marker.length <= 2 || !body.includes('filename="')) return body;
  const pieces: Buffer[] = [];
  let from = 0;
  for (let at = body.indexOf(marker, from); at !== -1; at = body.indexOf(marker, from)) {
    const headersEnd = body.indexOf('\r\n\r\n', at);
    const next = body.indexOf(marker, at + marker.length);
    if (headersEnd === -1 || (next !== -1 && headersEnd > next)) break;
    const headers = body.subarray(at, headersEnd).toString('latin1');
    const plain = headers.replace(/filename="((?:[^"\\\r\n]|\\.)*)"/g, (_all, name: string) => `filename="${name.replace(/\\(.)/g, (_e, c: string) => (c === '"' ? ESCAPED_QUOTE : c))}"`);
    pieces.push(body.subarray(from, at), Buffer.from(plain, 'latin1'));
    from = headersEnd;
  }
  pieces.push(body.subarray(from));
  return Buffer.concat(pieces);
}

/** The refusal for a file over the limit: an operator can act on it (make the file smaller). */
export function fileTooLarge(fileId: string, name: string, bytes: number): V6Refusal {
  return badRequest(
    `Sync file ${fileId} ("${name}") is ${humanBytes(bytes)} (${bytes} bytes); this central server accepts sync files up to ${humanBytes(MAX_SYNC_FILE_BYTES)} (${MAX_SYNC_FILE_BYTES} bytes). Attach a smaller file (e.g. a compressed scan or a lower resolution photo) and delete this one.`,
    413,
  );
}

// ---------------------------------------------------------------------------------------------
// Download

export { downloadFileRequest, type DownloadFileRequest };

/** `Content-Disposition` naming the file, ASCII-safe (RFC 6266 `filename*` for the rest). */
export function inlineDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
