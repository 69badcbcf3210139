/**
 * `npm run admin -- <resource> <verb> [options]`: the admin API from the command line, one verb per
 * route (lib/operations/admin-cli.ts); `--help` at every level lists resources, verbs and options.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { adminRoutes } from '../functions/admin-api/registry';
import { runAdminCli } from '../lib/operations/admin-cli';
import { PROJECT_ROOT } from '../lib/local/dynamodb-local';

/** Where `npm start` keeps its admin token and its address (lib/local/local-server.ts). */
const LOCAL_DATA_DIR = path.join(PROJECT_ROOT, '.data', 'dynamodb');

function keptText(file: string): string | undefined {
  try {
    return readFileSync(path.join(LOCAL_DATA_DIR, file), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

runAdminCli(process.argv.slice(2), adminRoutes, {
  env: process.env,
  fetch,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  localToken: () => keptText('admin-token'),
  localUrl: () => keptText('server-url'),
}, (file) => readFileSync(file, 'utf8'))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
