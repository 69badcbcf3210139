/**
 * `npm run config -- import <file> [--generate-passwords]` loads a configuration file (sites with
 * passwords, stores, sync-with, visibility, preferences) into an empty system; with
 * --generate-passwords, every remote site the file gives no password gets a generated one (printed); `npm run config -- export [file]`
 * writes the current configuration in the same format, without passwords.
 *
 * Where the configuration lives:
 *   --local              the local server's database in .data/ (stop `npm start` first)
 *   --endpoint URL       a DynamoDB endpoint (or AWS_ENDPOINT_URL_DYNAMODB); default: AWS
 *   --table NAME         the config table's physical name (or TABLE_CONFIG); default: config
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { exportConfig } from '../functions/domain/config/config-file';
import { writeConfiguredRecords } from '../functions/services/configured-records';
import { DynamoOutgoingQueue } from '../functions/storage/outgoing-queue';
import { DynamoCentralCopy } from '../functions/storage/central-copy';
import { DynamoChangeLog } from '../functions/storage/change-log';
import { ConfigStore } from '../functions/storage/config-store';
import { importConfigFile } from '../functions/storage/config-import';
import { startDynamoDbLocal } from '../lib/local/dynamodb-local';
import { DEFAULT_DATA_DIR, useLocalAwsEnvironment } from '../lib/local/local-server';
import { provisionTables } from '../lib/local/provision';
import { tableEnvVar, type TableName } from '../lib/resources';

const USAGE = `usage: npm run config -- import <file> [--generate-passwords] [--local | --endpoint URL] [--table NAME]
       npm run config -- export [file] [--local | --endpoint URL] [--table NAME]

commands:
  import <file>          load a configuration file (sites, stores, sync-with, visibility, preferences,
                         users) into an empty system, and write the stores' and users' records
  export [file]          the current configuration in the same format, without passwords (stdout
                         when no file is given)

options:
  --generate-passwords   import: a remote site the file gives no password gets a generated one (printed)
  --local                the local server's database in .data/ (stop \`npm start\` first)
  --endpoint URL         a DynamoDB endpoint (or AWS_ENDPOINT_URL_DYNAMODB); default: AWS
  --table NAME           the config table's physical name (or TABLE_CONFIG); default: config
  --help                 this text

On a running server, \`npm run admin -- configuration export-config\` exports through the admin API.`;

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      local: { type: 'boolean', default: false },
      'generate-passwords': { type: 'boolean', default: false },
      endpoint: { type: 'string' },
      table: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [command, file] = positionals;
  if ((command !== 'import' && command !== 'export') || (command === 'import' && !file)) {
    throw new Error(USAGE);
  }

  let stop = async () => {};
  let provisioned: Partial<Record<TableName, string>> = {};
  if (values.local) {
    const dynamo = await startDynamoDbLocal({ dataDir: DEFAULT_DATA_DIR });
    stop = () => dynamo.stop();
    useLocalAwsEnvironment(dynamo.endpoint, 'http://127.0.0.1:1');
    provisioned = await provisionTables(new DynamoDBClient({}), '');
  } else if (values.endpoint) {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = values.endpoint;
  }
  const table = (name: TableName) => provisioned[name] ?? process.env[tableEnvVar(name)] ?? name;
  try {
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
    const store = new ConfigStore(db, values.table ?? process.env.TABLE_CONFIG ?? 'config');
    if (command === 'import') {
      const result = await importConfigFile(store, JSON.parse(readFileSync(file!, 'utf8')), `config-cli:${process.env.USER ?? 'unknown'}`, {
        generatePasswords: values['generate-passwords'],
      });
      if (!result.ok) throw new Error(`${file}: ${result.message}`);
      console.log(`Imported ${file}.`);
      for (const site of result.passwords) console.log(`  site ${site.siteId}: name "${site.name}", password "${site.password}"`);
      // The stores' records and names and the users' records, as a change creating each would write them.
      const records = {
        centralCopy: new DynamoCentralCopy(db, table('records')),
        changeLog: new DynamoChangeLog(db, table('changeLog')),
        outgoing: new DynamoOutgoingQueue(db, { syncOut: table('syncOut'), siteState: table('siteState') }),
      };
      try {
        const { stores, users } = await writeConfiguredRecords(records, await store.load());
        console.log(`Records written for ${stores} stores (with their names) and ${users} users.`);
      } catch (error) {
        console.warn(`Store, name and user records not written (${error instanceof Error ? error.message : String(error)}): a site's stores are written when it initialises, a store's or user's at its next change.`);
      }
    } else {
      const text = `${JSON.stringify(exportConfig(await store.load()), null, 2)}\n`;
      if (file) writeFileSync(file, text);
      else process.stdout.write(text);
    }
  } finally {
    await stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
