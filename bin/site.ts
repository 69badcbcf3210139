/**
 * `npm run site -- <command> [options]`: the reference remote site from the command line.
 *
 *   sync                 run one full sync and print its summary
 *   status               the site as the server sees it, its status, and what is queued locally
 *   push <file.json>     add the record(s) in the file as local changes, then sync
 *   show [table]         held records per table, or the records of one table (no server needed)
 *
 *   --url URL            the server's base URL (or SYNC_URL); default http://127.0.0.1:3000
 *   --site NAME          the site's name (required)
 *   --password TEXT      the site's password (required except for show)
 *   --hardware-id ID     sent as msupply-site-uuid; default reference-<site>
 *   --state FILE         where the site's state is kept; default .site-<site>.json
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RemoteSite, SyncApiError, SyncFlowError, toOutgoingRecord } from '../lib/remote-site/client';
import type { LocalChange } from '../lib/remote-site/client';

const usage = `usage: npm run site -- <sync | status | push <file.json> | show [table]> --site NAME [--password TEXT]
       [--url URL] [--hardware-id ID] [--state FILE]`;

class UsageError extends Error {}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      site: { type: 'string' },
      password: { type: 'string' },
      'hardware-id': { type: 'string' },
      state: { type: 'string' },
    },
  });
  const [command, argument] = positionals;
  const siteName = values.site;
  if (siteName === undefined || siteName === '') throw new UsageError('--site is required');
  const needsServer = command !== 'show';
  if (needsServer && values.password === undefined) throw new UsageError('--password is required');

  const site = new RemoteSite({
    baseUrl: values.url ?? process.env.SYNC_URL ?? 'http://127.0.0.1:3000',
    siteName,
    password: values.password ?? '',
    hardwareId: values['hardware-id'] ?? `reference-${siteName}`,
    statePath: values.state ?? `.site-${siteName}.json`,
  });

  switch (command) {
    case 'sync':
      printSummary(await site.sync());
      return;
    case 'status': {
      const info = await site.site();
      const status = await site.siteStatus();
      console.log(`site ${info.name} (id ${info.siteId}, code ${info.code}): initialisation ${info.initialisationStatus}`);
      console.log(`server status: ${status.code}${status.message === '' ? '' : ` (${status.message})`}`);
      console.log(`local: ${site.heldRecords().length} records held, ${site.outgoing.length} changes to push, central cursor ${site.centralCursor}`);
      return;
    }
    case 'push': {
      if (argument === undefined) throw new UsageError('push needs a JSON file');
      const content: unknown = JSON.parse(readFileSync(argument, 'utf8'));
      const items = Array.isArray(content) ? content : [content];
      // Validated here so the error names the file; change() validates again.
      items.forEach((item, index) => toOutgoingRecord(item, `${argument} record [${index}]`));
      site.changes(items as LocalChange[]);
      console.log(`${items.length} local change(s) queued.`);
      printSummary(await site.sync());
      return;
    }
    case 'show':
      show(site, argument);
      return;
    default:
      throw new UsageError(command === undefined ? 'a command is required' : `unknown command "${command}"`);
  }
}

function printSummary(summary: Awaited<ReturnType<RemoteSite['sync']>>) {
  console.log(
    [
      summary.initialised ? 'initialised' : `pushed ${summary.pushed}`,
      `central records ${summary.centralRecordsReceived}`,
      `queue records ${summary.queueRecordsReceived}`,
    ].join(', '),
  );
}

function show(site: RemoteSite, tableName: string | undefined) {
  if (tableName !== undefined) {
    for (const record of site.heldRecords(tableName)) console.log(JSON.stringify(record));
    return;
  }
  const counts = new Map<string, number>();
  for (const record of site.heldRecords()) counts.set(record.tableName, (counts.get(record.tableName) ?? 0) + 1);
  for (const [table, count] of [...counts].sort(([a], [b]) => a.localeCompare(b))) console.log(`${table}\t${count}`);
  console.log(`(${site.outgoing.length} changes to push, central cursor ${site.centralCursor})`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n${usage}`);
    process.exit(2);
  }
  if (error instanceof SyncApiError) console.error(`error ${error.status} ${error.code}: ${error.message}`);
  else if (error instanceof SyncFlowError) console.error(`error ${error.code}: ${error.message}`);
  else if (error instanceof Error) {
    // fetch reports an unreachable server as "fetch failed"; the reason is in its cause.
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    console.error(`error: ${error.message}${cause}`);
  } else console.error(`error: ${String(error)}`);
  process.exit(1);
});
