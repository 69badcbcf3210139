/**
 * The client's two APIs: v5 to the mSupply central server (`sync/api/`), v6 to the Open mSupply
 * central server named by site info (`sync/api_v6/`). One error type says what went wrong the
 * way the client tells errors apart (`api/error.rs`, `api_v6/mod.rs`).
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { BodyReadError, send, TransportError, type HttpAnswer } from './http';
import type { Timing } from './timing';
import {
  centralBatch,
  errorBody,
  pushAnswer,
  remoteBatch,
  siteInfo,
  siteStatus,
  v6PullAnswer,
  v6PushAnswer,
  v6SiteStatusAnswer,
  type CommonRecord,
} from './wire';

/**
 * - `parsed`: a non-2xx answer with the protocol's error body (`code`, `message`, `data`);
 * - `asText`: a non-2xx answer without it;
 * - `connection`: no connection (refused, unreachable, connect timeout);
 * - `unknown`: another transport failure (e.g. no byte for the read idle timeout);
 * - `responseParsing`: a 2xx answer the client cannot read (or a v6 answer of any status);
 * - `v6Error`: a v6 answer `{"error": …}`.
 */
export type SyncApiErrorKind = 'parsed' | 'asText' | 'connection' | 'unknown' | 'responseParsing' | 'v6Error';

export class SyncApiError extends Error {
  override readonly name = 'SyncApiError';

  constructor(
    readonly kind: SyncApiErrorKind,
    readonly route: string,
    message: string,
    /** The HTTP status when there was an answer (the client itself never decides on it). */
    readonly status?: number,
    /** The protocol error code (`parsed`), or the v6 error variant (`v6Error`). */
    readonly code?: string,
    readonly data: unknown = null,
  ) {
    super(`${route}: ${message}`);
  }

  /** `api/error.rs` is_connection. */
  isConnection(): boolean {
    return this.kind === 'connection';
  }

  /** `api/error.rs` is_unknown. */
  isUnknown(): boolean {
    return this.kind === 'unknown';
  }
}

/** `sync/api/core.rs` SyncApiSettings: also the body field `syncV5Settings` of every v6 call. */
export interface SyncApiSettings {
  serverUrl: string;
  username: string;
  passwordSha256: string;
  siteUuid: string;
  appVersion: string;
  appName: string;
  syncVersion: string;
}

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function transportFailure(route: string, error: unknown): SyncApiError {
  if (error instanceof TransportError) return new SyncApiError(error.kind === 'connect' ? 'connection' : 'unknown', route, error.message);
  if (error instanceof BodyReadError) return new SyncApiError('responseParsing', route, error.message);
  throw error;
}

function parseJson<S extends z.ZodType>(route: string, answer: HttpAnswer, schema: S): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    throw new SyncApiError('responseParsing', route, `could not parse the answer: ${answer.text.slice(0, 300)}`, answer.status);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') ?? '';
    throw new SyncApiError('responseParsing', route, `could not parse the answer (${where || 'body'}: ${issue?.message}): ${answer.text.slice(0, 300)}`, answer.status);
  }
  return parsed.data;
}

export class SyncApiV5 {
  private readonly base: URL;

  constructor(
    readonly settings: SyncApiSettings,
    private readonly timing: Timing,
  ) {
    this.base = new URL(settings.serverUrl);
  }

  getSiteInfo() {
    return this.get('/sync/v5/site', {}, siteInfo);
  }

  /** `do_empty_post`: the body is the string `{}`. */
  postInitialise() {
    return this.post('/sync/v5/initialise', {}, remoteBatch);
  }

  getSiteStatus() {
    return this.get('/sync/v5/site_status', {}, siteStatus);
  }

  postQueuedRecords(queueLength: number, data: ReadonlyArray<{ syncOutId: string } & PushRecord>) {
    return this.post('/sync/v5/queued_records', { queueLength, data }, pushAnswer);
  }

  getQueuedRecords(limit: number) {
    return this.get('/sync/v5/queued_records', { limit: String(limit) }, remoteBatch);
  }

  getCentralRecords(cursor: bigint, limit: number) {
    return this.get('/sync/v5/central_records', { cursor: cursor.toString(), limit: String(limit) }, centralBatch);
  }

  /** The answer's body is not read. */
  async postAcknowledgedRecords(syncIds: readonly string[]): Promise<void> {
    await this.call('POST', '/sync/v5/acknowledged_records', {}, JSON.stringify({ syncIDs: syncIds }));
  }

  private async get<S extends z.ZodType>(route: string, query: Record<string, string>, schema: S): Promise<z.output<S>> {
    return parseJson(route, await this.call('GET', route, query), schema);
  }

  private async post<S extends z.ZodType>(route: string, body: unknown, schema: S): Promise<z.output<S>> {
    return parseJson(route, await this.call('POST', route, {}, JSON.stringify(body)), schema);
  }

  /** Headers of `api/core.rs` do_get / do_post; a POST body is a string with no content type. */
  private async call(method: 'GET' | 'POST', route: string, query: Record<string, string>, body?: string): Promise<HttpAnswer> {
    const { username, passwordSha256, siteUuid, appVersion, appName, syncVersion } = this.settings;
    const url = new URL(route, this.base);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const headers = {
      'msupply-site-uuid': siteUuid,
      'app-version': appVersion,
      'app-name': appName,
      version: syncVersion,
      authorization: `Basic ${Buffer.from(`${username}:${passwordSha256}`, 'utf8').toString('base64')}`,
    };
    let answer: HttpAnswer;
    try {
      answer = await send({ method, url, headers, ...(body === undefined ? {} : { body }) }, this.timing);
    } catch (error) {
      throw transportFailure(route, error);
    }
    if (answer.status >= 200 && answer.status < 300) return answer;
    let json: unknown;
    try {
      json = JSON.parse(answer.text);
    } catch {
      json = undefined;
    }
    const parsed = errorBody.safeParse(json);
    if (parsed.success) {
      const { code, message, data } = parsed.data.error;
      throw new SyncApiError('parsed', route, `${code}: ${message}`, answer.status, code, data ?? null);
    }
    throw new SyncApiError('asText', route, `status ${answer.status}: ${answer.text.slice(0, 300)}`, answer.status);
  }
}

/** A record as pushed: `Update` with the row's data, or `Delete` with null (`translations/mod.rs`). */
export interface PushRecord {
  tableName: string;
  recordId: string;
  action: 'Update' | 'Delete';
  recordData: Record<string, unknown> | null;
}

export interface V6PushBatch {
  end_cursor: number;
  total_records: number;
  records: Array<{ cursor: number; record: PushRecord }>;
  is_last_batch: boolean;
}

/** `sync/api_v6/core.rs`: JSON bodies (reqwest `.json`: with a content type), no Basic auth, status never read. */
export class SyncApiV6 {
  readonly url: URL;

  /** Throws (the client's SyncApiV6CreatingError) when `centralServerUrl` does not parse as a URL. */
  constructor(
    centralServerUrl: string,
    private readonly settings: SyncApiSettings,
    private readonly syncV6Version: number,
    private readonly timing: Timing,
  ) {
    let parsed: URL;
    try {
      parsed = new URL(centralServerUrl);
    } catch {
      throw new Error(`Cannot parse url while creating SyncApiV6 instance url: '${centralServerUrl}'`);
    }
    this.url = new URL('central/sync/', parsed);
  }

  pull(cursor: bigint, batchSize: number, isInitialised: boolean) {
    return this.call('pull', { cursor: Number(cursor), batchSize, syncV5Settings: this.settings, isInitialised, syncV6Version: this.syncV6Version }, v6PullAnswer);
  }

  push(batch: V6PushBatch) {
    return this.call('push', { batch, syncV5Settings: this.settings, syncV6Version: this.syncV6Version }, v6PushAnswer);
  }

  siteStatus() {
    return this.call('site_status', { syncV5Settings: this.settings, syncV6Version: this.syncV6Version }, v6SiteStatusAnswer);
  }

  private async call<S extends z.ZodType<{ data: unknown } | { error: unknown }>>(route: string, body: unknown, schema: S) {
    const url = new URL(route, this.url);
    let answer: HttpAnswer;
    try {
      answer = await send({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, this.timing);
    } catch (error) {
      throw transportFailure(`v6 ${route}`, error);
    }
    const parsed = parseJson(`v6 ${url.pathname}`, answer, schema) as { data: unknown } | { error: unknown };
    if ('error' in parsed) {
      const variant = typeof parsed.error === 'string' ? parsed.error : Object.keys(parsed.error as object)[0];
      throw new SyncApiError('v6Error', `v6 ${url.pathname}`, JSON.stringify(parsed.error), answer.status, variant, parsed.error);
    }
    return parsed.data as Extract<z.output<S>, { data: unknown }>['data'];
  }
}

export type { CommonRecord };
