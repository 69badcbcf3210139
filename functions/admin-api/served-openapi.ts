/**
 * GET /admin/v1/openapi.json's body: the committed document (openapi-document.generated.ts),
 * unpacked once per container on first request. Generating it here would bundle zod's JSON Schema
 * writer into the admin function; a unit test keeps the committed one equal to the routes.
 */
import { brotliDecompressSync } from 'node:zlib';
import { OPENAPI_DOCUMENT_BROTLI_BASE64 } from './openapi-document.generated';

let text: string | undefined;

export function servedOpenApiText(): string {
  text ??= brotliDecompressSync(Buffer.from(OPENAPI_DOCUMENT_BROTLI_BASE64, 'base64')).toString('utf8');
  return text;
}
