// Starts DynamoDB Local (in memory) and the SQS/S3 emulator once per test run, and hands their
// endpoints to every test worker through the environment. Plain ESM because fauxqs is ESM-only;
// the project's TypeScript launchers are loaded through tsx.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startFauxqs } from 'fauxqs';
import { tsImport } from 'tsx/esm/api';

/**
 * The browser tests drive Debian's Chromium (test/support/browser.ts): installed here on a fresh
 * machine. A failed install is kept and reported by every browser test (they fail, never skip).
 */
function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return;
  process.stderr.write('Installing Debian chromium for the browser tests (apt-get)...\n');
  try {
    execSync('apt-get update && apt-get install -y chromium', { stdio: ['ignore', 'ignore', 'inherit'], timeout: 15 * 60_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (error) {
    process.env.CHROMIUM_INSTALL_ERROR = `apt-get install -y chromium failed (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
    process.stderr.write(`${process.env.CHROMIUM_INSTALL_ERROR}\n`);
  }
}

export default async function globalSetup() {
  ensureChromium();
  const { startDynamoDbLocal } = await tsImport('../../lib/local/dynamodb-local.ts', import.meta.url);
  const [dynamo, fauxqs] = await Promise.all([
    startDynamoDbLocal({ log: (line) => process.stderr.write(`${line}\n`) }),
    startFauxqs({ port: 0, logger: false }),
  ]);
  const sqs = { endpoint: fauxqs.address, stop: () => fauxqs.stop() };
  globalThis.__standIns = { dynamo, sqs };
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  process.env.AWS_ENDPOINT_URL_SQS = sqs.endpoint;
  // fauxqs emulates S3 on the same endpoint: the sync-files bucket of each test lives there.
  process.env.AWS_ENDPOINT_URL_S3 = fauxqs.address;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
}
