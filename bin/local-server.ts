/**
 * `npm start`: the central server on this machine, on its embedded stand-ins.
 *   --port N (or PORT)   port to listen on (default 3000)
 *   --in-memory          throw-away database instead of the one kept in .data/
 *   --data-dir DIR       keep the database in DIR instead of .data/dynamodb
 */
import { parseArgs } from 'node:util';
import { startLocalServer } from '../lib/local/local-server';

const USAGE = `usage: npm start [-- options]

The central server on this machine, on its embedded stand-ins (DynamoDB Local, an SQS emulator):
the sync APIs, the admin API (/admin/v1) and the operator's console (/console) on one address.
On an empty database it loads the demo configuration and data, and prints how to sync each site.

options:
  --port N          port to listen on (or PORT); default 3000, 0 picks a free one
  --in-memory       a throw-away database instead of the one kept in .data/
  --data-dir DIR    keep the database (and the admin token) in DIR instead of .data/dynamodb
  --no-demo-data    an empty database gets the demo configuration only, not config/demo-data.json
  --help            this text

environment:
  ADMIN_TOKEN       the admin API's token; default: made at the first start and kept with the database
  SILENT_AFTER_DAYS days without a connection before a site counts as silent (the alarm's count,
                    the sync report's default, the console's red); default 30`;

async function main() {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, 'in-memory': { type: 'boolean', default: false }, 'data-dir': { type: 'string' }, 'no-demo-data': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a TCP port number, got ${values.port}`);

  const server = await startLocalServer({
    port,
    inMemory: values['in-memory'],
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(values['no-demo-data'] ? { demoDataFile: null } : {}),
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal} received: stopping the central server and its stand-ins...`);
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  console.log(`Central sync server listening on ${server.url}`);
  if (server.demoRecords > 0) console.log(`  demo data:     ${server.demoRecords} records (config/demo-data.json): items, names, stock, invoices and a transfer`);
  console.log(`  health:        curl ${server.url}/health`);
  console.log(`  console:       ${server.consoleUrl}   (sign in with the admin token)`);
  console.log(`  admin token:   ${server.adminToken}`);
  console.log(`  admin API:     curl -H "Authorization: Bearer ${server.adminToken}" ${server.url}/admin/v1/sites`);
  console.log(`  a report:      curl -H "Authorization: Bearer ${server.adminToken}" ${server.url}/admin/v1/reports/stock-value`);
  for (const site of server.sitePasswords) console.log(`  site ${site.siteId}:        name "${site.name}", password "${site.password}"`);
  if (server.sitePasswords.length > 0) {
    console.log(`Sync a remote site against it (a site simulated as Open mSupply syncs; npm run site -- --help):`);
    for (const site of server.sitePasswords) console.log(`  npm run site -- sync --url ${server.url} --site ${site.name} --password ${site.password}`);
  } else {
    console.log(`  sync a site:   npm run site -- sync --url ${server.url} --site <name> --password <its password>   (printed at the first start)`);
  }
  console.log(`  SQS endpoint:  ${server.sqsEndpoint}`);
  console.log(`  dead letters:  npm run replay-dead-letters -- --local --endpoint ${server.sqsEndpoint} --queue fanOut --dry-run`);
  console.log(`Press Ctrl-C to stop.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
