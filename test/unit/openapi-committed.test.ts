/**
 * The admin function serves a committed OpenAPI document (functions/admin-api/openapi-document.generated.ts)
 * so that zod's JSON Schema writer stays out of its bundle; these keep it equal to the routes.
 */
import { brotliDecompressSync } from 'node:zlib';
import { servedOpenApiText } from '../../functions/admin-api/served-openapi';
import { adminRoutes } from '../../functions/admin-api/registry';
import { committedOpenApiText, generatedOpenApiText, openApiModuleSource } from '../../lib/operations/openapi-module';

test('the committed OpenAPI document is the one the route definitions generate today (if not: run `npm run openapi`)', () => {
  const served = servedOpenApiText();
  const generated = generatedOpenApiText();
  if (served !== generated) {
    throw new Error('functions/admin-api/openapi-document.generated.ts differs from the admin route definitions: run `npm run openapi` and commit the module.');
  }
  const operations = Object.values((JSON.parse(served) as { paths: Record<string, Record<string, unknown>> }).paths).flatMap((methods) => Object.keys(methods));
  expect(operations).toHaveLength(adminRoutes.length);
});

test('the module the generator writes holds the text exactly (non-ASCII too), and its check reads what the function serves', () => {
  const text = JSON.stringify({ openapi: '3.1.0', note: 'é ✓ '.repeat(50) });
  const packed = /'([A-Za-z0-9+/=]+)'/.exec(openApiModuleSource(text))?.[1];
  expect(brotliDecompressSync(Buffer.from(packed ?? '', 'base64')).toString('utf8')).toBe(text);
  expect(committedOpenApiText()).toBe(servedOpenApiText());
});
