/**
 * `npm run openapi` rewrites functions/admin-api/openapi-document.generated.ts, the admin API's
 * OpenAPI document the admin function serves, from the route definitions. Run it after changing
 * an admin route or schema (a unit test fails until then); `--check` only says whether it is due.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { committedOpenApiText, generatedOpenApiText, OPENAPI_MODULE_PATH, openApiModuleSource } from '../lib/operations/openapi-module';

const USAGE = `usage: npm run openapi [-- --check]

Writes ${path.relative(path.join(__dirname, '..'), OPENAPI_MODULE_PATH)} from the admin route definitions (functions/admin-api/).

options:
  --check    write nothing; exit 1 when the committed document differs from the routes
  --help     this text`;

function main(): number {
  const { values } = parseArgs({ options: { check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const text = generatedOpenApiText();
  const upToDate = committedOpenApiText() === text;
  if (values.check) {
    console.log(upToDate ? 'The committed OpenAPI document is up to date.' : 'The committed OpenAPI document differs from the routes: run `npm run openapi`.');
    return upToDate ? 0 : 1;
  }
  if (!upToDate) writeFileSync(OPENAPI_MODULE_PATH, openApiModuleSource(text));
  console.log(`${upToDate ? 'Unchanged' : 'Rewrote'}: ${OPENAPI_MODULE_PATH} (${Buffer.byteLength(text)} bytes of JSON).`);
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 2;
}
