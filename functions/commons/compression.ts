/**
 * gzip on the wire, in the handler (API Gateway HTTP APIs compress nothing): a request body sent
 * with `Content-Encoding: gzip` is decoded before anything reads it, never to more than the
 * protocol's body limit (a decompression bomb is a 413, not a crash); an answer is gzip-encoded
 * when the request accepts gzip and it is worth it, with `Content-Encoding` and `Vary`. The Open
 * mSupply client sends `Accept-Encoding: gzip` on every call and decodes gzip answers.
 */
import { isUtf8 } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import type middy from '@middy/core';
import { MAX_BODY_BYTES } from '../protocol/v5';
import { HttpError, type HttpEvent, type HttpResult } from './http';

/** Answers shorter than this are sent as they are: gzip would save nothing worth the CPU. */
const MIN_COMPRESSED_BYTES = 1024;
/** What Lambda returns at most (the whole payload); a compressed answer must fit it as base64. */
const MAX_RESULT_BYTES = 6_291_556 - 64 * 1024;

export function httpCompression(): middy.MiddlewareObj<HttpEvent, HttpResult> {
  return {
    before: async (request) => {
      const event = request.event;
      const encoding = (event.headers?.['content-encoding'] ?? '').trim().toLowerCase();
      if (encoding === '' || encoding === 'identity' || event.body === undefined || event.body === null) return;
      if (encoding !== 'gzip') {
        throw new HttpError(415, 'unsupported_content_encoding', `A request body may be sent as it is or gzip-encoded; "${encoding}" is not supported.`);
      }
      const compressed = Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'latin1');
      const decoded = gunzipBounded(compressed);
      // Text goes on as text; other bytes (a sync file's multipart body) base64-encoded, unchanged.
      const text = isUtf8(decoded);
      event.body = decoded.toString(text ? 'utf8' : 'base64');
      event.isBase64Encoded = !text;
      delete event.headers['content-encoding'];
    },
    after: async (request) => {
      const response = request.response;
      if (!response || typeof response.body !== 'string' || response.headers?.['content-encoding']) return;
      // Bytes (a downloaded sync file) are compressed only when they are text; images and PDFs hardly shrink.
      if (response.isBase64Encoded && !isTextual(response.headers?.['content-type'])) return;
      response.headers = { ...response.headers, vary: withAcceptEncoding(response.headers?.vary) };
      if (!acceptsGzip(request.event.headers?.['accept-encoding'])) return;
      const raw = response.isBase64Encoded ? Buffer.from(response.body, 'base64') : Buffer.from(response.body, 'utf8');
      if (raw.length < MIN_COMPRESSED_BYTES) return;
      const compressed = gzipSync(raw, { level: 6 });
      // Nothing saved, or incompressible and near the limit: sent as it is, which already fits.
      if (compressed.length >= raw.length || Math.ceil(compressed.length / 3) * 4 > MAX_RESULT_BYTES) return;
      request.response = { ...response, body: compressed.toString('base64'), isBase64Encoded: true, headers: { ...response.headers, 'content-encoding': 'gzip' } };
    },
  };
}

function gunzipBounded(compressed: Buffer): Buffer {
  try {
    return gunzipSync(compressed, { maxOutputLength: MAX_BODY_BYTES + 1 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new HttpError(413, 'payload_too_large', `The request body is more than ${MAX_BODY_BYTES} bytes once decompressed. Send fewer records per batch.`, {
        maxBytes: MAX_BODY_BYTES,
      });
    }
    throw new HttpError(400, 'invalid_request', `The request body says gzip but is not valid gzip: ${(error as Error).message}`);
  }
}

/** JSON, XML and text compress well; other media types are most often compressed already. */
const isTextual = (contentType: string | number | boolean | undefined) => /^\s*(text\/|application\/(json|xml|[\w.+-]+\+(json|xml))\b|image\/svg\+xml)/i.test(String(contentType ?? ''));

/** `Vary` naming Accept-Encoding, keeping whatever the answer already varies by. */
function withAcceptEncoding(vary: string | number | boolean | undefined): string {
  const names = String(vary ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  return names.some((name) => name.toLowerCase() === 'accept-encoding' || name === '*') ? names.join(', ') : [...names, 'accept-encoding'].join(', ');
}

/** Whether an Accept-Encoding header accepts gzip: named (or x-gzip) with a q above 0, else `*` with one. */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  const qualities = new Map<string, number>();
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    qualities.set(coding.trim(), q === undefined ? 1 : Number(q.slice(2)));
  }
  // An explicit gzip wins over `*` (RFC 9110 §12.5.3).
  const quality = qualities.get('gzip') ?? qualities.get('x-gzip') ?? qualities.get('*') ?? 0;
  return quality > 0;
}
