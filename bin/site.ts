/**
 * `npm run site -- <command> [options]`: a remote site that syncs as an Open mSupply remote site
 * does (lib/remote-site/client.ts, docs/remote-site.md), from the command line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { RemoteSite, SyncApiError, SyncFlowError } from '../lib/remote-site/client';
import type { LocalChange, SyncSummary } from '../lib/remote-site/client';

const usage = `usage: npm run site -- <command> --site NAME [--password TEXT] [options]
       npm run site -- login --site NAME --user NAME --user-password TEXT

commands:
  sync                 run one whole sync, as the real client does, and print its summary
  status               site info and site_status as the server answers them, and the local state
  push <file.json>     add the record(s) in the file as local changes, then sync
  show [table]         held records per table, or one table's records (no server needed)
  login                log a user in on the site, as the client does (--user, --user-password)
  attach <file>        attach a file to a record (--table, --record [, --mime]); pushed by the next sync
  file-sync            one sync, then the file synchroniser as its driver runs after a sync
  download <id>        open a sync file: download it unless the site has it (--out FILE to save it)

options:
  --url URL            the server's base URL (or SYNC_URL); default http://127.0.0.1:3000
  --site NAME          the site's name (required)
  --password TEXT      the site's password (required except for show, login, attach)
  --hardware-id ID     sent as msupply-site-uuid; default hardware-<site>
  --state FILE         where the site's local state is kept; default .site-<site>.json
  --time-scale N       multiply every wait and timeout by N (e.g. 0.1); default 1 (real time)
  --user NAME          login: the user's name
  --user-password TEXT login: the user's password
  --table NAME         attach: the record's table (e.g. asset)
  --record ID          attach: the record's id
  --mime TYPE          attach: the file's content type
  --out FILE           download: where to write the file
  --help               this text`;

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
      'time-scale': { type: 'string' },
      user: { type: 'string' },
      'user-password': { type: 'string' },
      table: { type: 'string' },
      record: { type: 'string' },
      mime: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const [command, argument] = positionals;
  const siteName = values.site;
  if (siteName === undefined || siteName === '') throw new UsageError('--site is required');
  const needsPassword = !['show', 'login', 'attach'].includes(command ?? '');
  if (needsPassword && values.password === undefined) throw new UsageError('--password is required');
  const timeScale = values['time-scale'] === undefined ? 1 : Number(values['time-scale']);
  if (!(timeScale > 0)) throw new UsageError('--time-scale must be a positive number');

  const site = new RemoteSite({
    baseUrl: values.url ?? process.env.SYNC_URL ?? 'http://127.0.0.1:3000',
    siteName,
    password: values.password ?? '',
    hardwareId: values['hardware-id'] ?? `hardware-${siteName}`,
    statePath: values.state ?? `.site-${siteName}.json`,
    timeScale,
  });

  switch (command) {
    case 'sync':
      printSummary(await site.sync());
      return;
    case 'status': {
      const info = await site.site();
      const status = await site.siteStatus();
      console.log(`site ${siteName} (id ${info.siteId}): initialisation ${info.initialisationStatus}; v6 URL "${info.omSupplyCentralServerUrl}"`);
      console.log(`server status: ${status.code}${status.message === '' ? '' : ` (${status.message})`}`);
      printLocal(site);
      return;
    }
    case 'push': {
      if (argument === undefined) throw new UsageError('push needs a JSON file');
      const content: unknown = JSON.parse(readFileSync(argument, 'utf8'));
      const items = (Array.isArray(content) ? content : [content]) as LocalChange[];
      site.changes(items);
      console.log(`${items.length} local change(s) recorded.`);
      printSummary(await site.sync());
      return;
    }
    case 'show':
      show(site, argument);
      return;
    case 'login': {
      if (values.user === undefined || values['user-password'] === undefined) throw new UsageError('login needs --user and --user-password');
      const result = await site.login(values.user, values['user-password']);
      console.log(`central server: ${result.central.kind}${'message' in result.central ? ` (${result.central.message})` : ''}`);
      if (result.status === 'accountBlocked') console.log(`account blocked for ${result.timeoutRemaining} ms more`);
      else if (result.status !== 'loggedIn') console.log(result.status === 'noSiteAccess' ? 'refused: the user has no store on this site' : 'refused: invalid credentials');
      else {
        console.log(`logged in: ${result.user.username} (${result.user.id})`);
        for (const store of result.stores) console.log(`  store ${store.storeId}${store.isDefault ? ' (default)' : ''}: ${store.permissions.join(', ')}`);
      }
      if (result.status !== 'loggedIn') process.exitCode = 1;
      return;
    }
    case 'attach': {
      if (argument === undefined || values.table === undefined || values.record === undefined) throw new UsageError('attach needs a file, --table and --record');
      const reference = site.attachFile({ tableName: values.table, recordId: values.record, fileName: basename(argument), bytes: readFileSync(argument), mimeType: values.mime ?? null });
      console.log(`attached ${reference.file_name} (${reference.total_bytes} bytes) to ${reference.table_name} ${reference.record_id} as ${reference.id}; run file-sync to push and upload it`);
      return;
    }
    case 'file-sync': {
      printSummary(await site.sync());
      const files = await site.fileSync();
      if (files.skipped) console.log(`file sync skipped: ${files.skipped}`);
      console.log(`files uploaded ${files.uploaded.length}${files.uploaded.length ? `: ${files.uploaded.join(', ')}` : ''}`);
      for (const failed of files.failed) console.log(`  ${failed.id}: ${failed.status}: ${failed.error}`);
      return;
    }
    case 'download': {
      if (argument === undefined) throw new UsageError('download needs a file id');
      const file = await site.downloadFile(argument);
      if (values.out !== undefined) writeFileSync(values.out, file.bytes);
      console.log(`${file.name}: ${file.bytes.length} bytes${values.out === undefined ? '' : ` written to ${values.out}`}`);
      return;
    }
    default:
      throw new UsageError(command === undefined ? 'a command is required' : `unknown command "${command}"`);
  }
}

function printSummary(summary: SyncSummary) {
  const parts = [
    summary.requestedInitialisation ? 'initialise requested' : undefined,
    summary.initialised ? 'first whole sync: initialised' : undefined,
    `pushed ${summary.pushed} (v6 ${summary.pushedV6})`,
    `central records ${summary.centralRecordsReceived}`,
    `queue records ${summary.queueRecordsReceived}`,
    `v6 records ${summary.v6RecordsReceived}`,
    `integrated ${summary.integrated}`,
    summary.ignored.length > 0 ? `ignored ${summary.ignored.length}` : undefined,
    summary.processorChanges > 0 ? `made by processors ${summary.processorChanges}` : undefined,
  ];
  console.log(parts.filter((part) => part !== undefined).join(', '));
  for (const { tableName, recordId, reason } of summary.ignored) console.log(`  ignored ${tableName} ${recordId}: ${reason}`);
}

function printLocal(site: RemoteSite) {
  console.log(
    `local: ${site.heldRecords().length} records held, ${site.outgoing.length} changes to push, ` +
      `active stores [${site.activeStoreIds.join(', ')}], queue initialised ${site.isSyncQueueInitialised}, initialised ${site.isInitialised}`,
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
  printLocal(site);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n${usage}`);
    process.exit(2);
  }
  if (error instanceof SyncApiError) console.error(`error (${error.kind}${error.status ? ` ${error.status}` : ''}${error.code ? ` ${error.code}` : ''}): ${error.message}`);
  else if (error instanceof SyncFlowError) console.error(`error ${error.code}: ${error.message}`);
  else console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
