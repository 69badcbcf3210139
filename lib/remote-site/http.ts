/**
 * HTTP as the real client's reqwest calls make it (`util/src/api_helper.rs`, `with_retries`):
 * a new connection for every attempt; attempt n has connect timeout 2 s, 5 s, then 10 s; reads
 * time out after 5 min without a byte; only a connection error, a timeout or a 408 answer is
 * retried (no pause between attempts), anything else (413, 429, 5xx) is the answer. Headers are
 * exactly what reqwest sends: `accept: *\/*`, `accept-encoding: gzip` (the `gzip` feature:
 * gzip answers are decoded, other encodings are not), the caller's, and no user agent.
 * node:http is used rather than fetch, which would add a content type to a string body.
 */
import http from 'node:http';
import https from 'node:https';
import { gunzipSync } from 'node:zlib';
import { CONNECT_TIMEOUTS_SECONDS, READ_IDLE_TIMEOUT_SECONDS, type Timing } from './timing';

/** A request that got no answer: `connect` (refused, unreachable, connect timeout), `timeout` (read idle), `other`. */
export class TransportError extends Error {
  override readonly name = 'TransportError';

  constructor(
    readonly kind: 'connect' | 'timeout' | 'other',
    message: string,
    readonly attempts: number,
  ) {
    super(message);
  }
}

/** The answer's body could not be read (after the headers came): reqwest's CannotGetTextResponse. */
export class BodyReadError extends Error {
  override readonly name = 'BodyReadError';
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The body as text, gzip decoded when the answer says gzip. */
  readonly text: string;
  /** The same body as bytes (a downloaded file). */
  readonly bytes: Buffer;
}

const connectCodes = ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ETIMEDOUT'];

interface OpenAnswer {
  readonly response: http.IncomingMessage;
  readonly done: () => void;
}

/** Sends a request with the real client's retries; resolves with the whole answer. */
export async function send(request: HttpRequest, timing: Timing): Promise<HttpAnswer> {
  for (let attempt = 0; ; attempt++) {
    const connectTimeout = CONNECT_TIMEOUTS_SECONDS[attempt] as number;
    const lastAttempt = attempt + 1 >= CONNECT_TIMEOUTS_SECONDS.length;
    let open: OpenAnswer;
    try {
      open = await openOnce(request, timing.ms(connectTimeout), timing.ms(READ_IDLE_TIMEOUT_SECONDS), attempt + 1);
    } catch (error) {
      if (error instanceof TransportError && error.kind !== 'other' && !lastAttempt) continue;
      throw error;
    }
    if (open.response.statusCode === 408 && !lastAttempt) {
      open.response.resume();
      open.done();
      continue;
    }
    return readAnswer(open);
  }
}

/**
 * One request with no retries, as a plain reqwest client sends it (the login's client, the file
 * routes' `Client::new()`): a connect timeout only when the client sets one, no read timeout.
 */
export async function sendOnce(request: HttpRequest, timing: Timing, connectTimeoutSeconds?: number): Promise<HttpAnswer> {
  const connectMs = connectTimeoutSeconds === undefined ? undefined : timing.ms(connectTimeoutSeconds);
  return readAnswer(await openOnce(request, connectMs, undefined, 1));
}

function openOnce(request: HttpRequest, connectTimeoutMs: number | undefined, readIdleMs: number | undefined, attempt: number): Promise<OpenAnswer> {
  const client = request.url.protocol === 'https:' ? https : http;
  const body = request.body === undefined ? undefined : typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : request.body;
  const headers: Record<string, string> = {
    accept: '*/*',
    'accept-encoding': 'gzip',
    ...request.headers,
    ...(body === undefined ? {} : { 'content-length': String(body.length) }),
  };
  return new Promise<OpenAnswer>((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    const req = client.request(request.url, { method: request.method, headers, agent: false });
    const connectTimer =
      connectTimeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            fail(new TransportError('connect', `connect timeout after ${connectTimeoutMs} ms to ${request.url.host}`, attempt));
            req.destroy();
          }, connectTimeoutMs);
    req.on('socket', (socket) => {
      const connected = () => {
        clearTimeout(connectTimer);
        if (readIdleMs === undefined) return;
        socket.setTimeout(readIdleMs, () => {
          const error = new TransportError('timeout', `no byte for ${readIdleMs} ms from ${request.url.host}`, attempt);
          fail(error);
          req.destroy(error);
        });
      };
      if (request.url.protocol === 'https:') socket.once('secureConnect', connected);
      else socket.once('connect', connected);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      if (error instanceof TransportError) return fail(error);
      // Failing to open the connection is a connect error; anything after it (a reset) is not.
      const kind = connectCodes.includes(error.code ?? '') ? 'connect' : 'other';
      fail(new TransportError(kind, `${error.code ?? 'error'}: ${error.message}`, attempt));
    });
    req.on('response', (response) => {
      if (settled) return;
      settled = true;
      resolve({ response, done: () => req.destroy() });
    });
    req.end(body);
  });
}

function readAnswer({ response, done }: OpenAnswer): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('error', (error) => reject(new BodyReadError(`reading the answer failed: ${error.message}`)));
    response.on('aborted', () => reject(new BodyReadError('the answer was cut off')));
    response.on('end', () => {
      done();
      let raw = Buffer.concat(chunks);
      if (/^\s*gzip\s*$/i.test(response.headers['content-encoding'] ?? '')) {
        try {
          raw = gunzipSync(raw);
        } catch (error) {
          reject(new BodyReadError(`the gzip answer could not be decoded: ${(error as Error).message}`));
          return;
        }
      }
      resolve({ status: response.statusCode ?? 0, headers: response.headers, text: raw.toString('utf8'), bytes: raw });
    });
  });
}
