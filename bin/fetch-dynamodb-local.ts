/**
 * `npm run dynamodb-local`: fetches DynamoDB Local into `.local/dynamodb-local` ahead of time
 * (npm start and the tests fetch it by themselves on first use), so a machine can be prepared
 * while it is online. Checked against a pinned integrity hash; nothing is fetched when the
 * checked copy is there already.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DYNAMODB_LOCAL_DIR, PROJECT_ROOT, ensureDynamoDbLocal } from '../lib/local/dynamodb-local';

const USAGE = `usage: npm run dynamodb-local [-- --help]

Fetches DynamoDB Local (the jar inside the npm package amplify-dynamodb-simulator, checked
against a pinned sha512) into ${path.relative(PROJECT_ROOT, DYNAMODB_LOCAL_DIR)}/, once. npm start,
npm run config and the tests fetch it themselves when it is missing; run this to prepare a
machine while it has network (starting it needs Java 17+).

options:
  --help   this text`;

function main(): number {
  const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const dir = ensureDynamoDbLocal((line) => console.log(line));
  console.log(`DynamoDB Local is ready in ${path.relative(PROJECT_ROOT, dir)}/`);
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  const usage = error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
  console.error(error instanceof Error ? error.message : String(error));
  if (usage) console.error(USAGE);
  process.exitCode = usage ? 2 : 1;
}
