/**
 * A sync file end to end on the in-process server, in the order an Open mSupply site makes its
 * calls: the v5 initialise binds the site, a v6 push carries the file's `sync_file_reference`
 * (`sync/translations/sync_file_reference.rs`), the file synchroniser uploads the file
 * (`sync/file_synchroniser.rs`), and a download brings the same bytes back. Ties the upload's
 * reference lookup to what the v6 push actually keeps.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sha256Hex } from '../../functions/domain/config/credentials';
import { pushAnswer, uploadFileAnswer } from '../../functions/protocol/v6';
import { startTestSyncServer, type TestSyncServer } from '../support/sync-server';

jest.setTimeout(120_000);

/** remote-site-1 is site 2 (stores B and F); remote-site-2 is site 3 (stores C and D). */
const SITE = 'remote-site-1';
const OTHER_SITE = 'remote-site-2';
let server: TestSyncServer;

beforeAll(async () => {
  server = await startTestSyncServer({ consumer: false });
});
afterAll(() => server?.stop());

const settings = (site = SITE) => ({
  serverUrl: server.url,
  username: site,
  passwordSha256: sha256Hex(server.passwords[site]!),
  siteUuid: `hardware-${site}`,
  appVersion: '2.13.0',
  appName: 'Open mSupply Desktop',
  syncVersion: '14',
});

/** The v5 initialise the client always calls first: it binds the site's hardware id. */
async function initialise(site: string) {
  const basic = `Basic ${Buffer.from(`${site}:${sha256Hex(server.passwords[site]!)}`).toString('base64')}`;
  const response = await fetch(`${server.url}/sync/v5/initialise`, {
    method: 'POST',
    headers: { authorization: basic, 'msupply-site-uuid': `hardware-${site}`, 'app-name': 'Open mSupply Desktop', 'app-version': '2.13.0', version: '14' },
  });
  expect(response.status).toBe(200);
}

/** `PUT upload_file` as reqwest builds it: `json_part` (application/json), then `file_part` with its name. */
async function upload(site: string, fileId: string, bytes: Buffer) {
  const form = new FormData();
  form.append('json_part', new Blob([JSON.stringify({ file_id: fileId, sync_v5_settings: settings(site), sync_v6_version: 5 })], { type: 'application/json' }));
  form.append('file_part', new Blob([bytes]), 'fridge.jpg');
  const response = await fetch(`${server.url}/central/sync/upload_file`, { method: 'PUT', body: form });
  return uploadFileAnswer.parse(await response.json());
}

async function download(site: string, reference: { id: string; table_name: string; record_id: string }) {
  const response = await fetch(`${server.url}/central/sync/download_file`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tableName: reference.table_name, recordId: reference.record_id, id: reference.id, syncV5Settings: settings(site), syncV6Version: 5 }),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) };
}

let cursor = 0;
/** A v6 push of whole rows (`Update` with the row, as the client pushes them). */
async function push(site: string, records: Array<{ tableName: string; recordId: string; recordData: unknown }>) {
  const batch = records.map((record) => ({ cursor: ++cursor, record: { ...record, action: 'Update' } }));
  const response = await fetch(`${server.url}/central/sync/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ batch: { end_cursor: cursor, total_records: batch.length, is_last_batch: true, records: batch }, syncV5Settings: settings(site), syncV6Version: 5 }),
  });
  expect(pushAnswer.parse(await response.json())).toEqual({ data: { records_pushed: records.length } });
}

const referenceTo = (table: string, recordId: string) => ({
  id: randomUUID(),
  table_name: table,
  record_id: recordId,
  file_name: 'fridge.jpg',
  mime_type: 'image/jpeg',
  total_bytes: 5000,
  created_datetime: '2026-01-01T00:00:00',
  deleted_datetime: null,
});

beforeAll(async () => {
  await initialise(SITE);
  await initialise(OTHER_SITE);
});

test('a file of a record the server holds: uploaded after its reference is pushed, downloaded by the sites entitled to the record', async () => {
  // The asset of store B (site 2), then a file's reference to it, as one sync pushes them.
  const assetId = randomUUID();
  const reference = referenceTo('asset', assetId);
  const bytes = randomBytes(5000);

  // Before its reference is pushed, the client is told to try again later.
  expect(await upload(SITE, reference.id, bytes)).toEqual({ error: { syncFileNotFound: reference.id } });

  await push(SITE, [
    { tableName: 'asset', recordId: assetId, recordData: { id: assetId, store_id: 'STORE_B', notes: 'vaccine fridge' } },
    { tableName: 'sync_file_reference', recordId: reference.id, recordData: reference },
  ]);
  // Not site 3's file: its record is store B's.
  expect(await upload(OTHER_SITE, reference.id, bytes)).toEqual({ error: { syncFileNotFound: reference.id } });
  expect(await upload(SITE, reference.id, bytes)).toEqual({ data: null });

  const downloaded = await download(SITE, reference);
  expect(downloaded).toEqual({ status: 200, contentType: 'image/jpeg', bytes });
  const refused = await download(OTHER_SITE, reference);
  expect(refused.status).toBe(403);
  expect(JSON.parse(refused.bytes.toString())).toEqual({ otherServerError: expect.stringContaining('is not entitled to hold asset') });
});

test('a file of a record the server does not hold: its reference is kept aside, the uploading site alone reads it back', async () => {
  const reference = referenceTo('asset', randomUUID());
  await push(SITE, [{ tableName: 'sync_file_reference', recordId: reference.id, recordData: reference }]);
  const bytes = randomBytes(3000);
  expect(await upload(SITE, reference.id, bytes)).toEqual({ data: null });
  expect((await download(SITE, reference)).bytes.equals(bytes)).toBe(true);
  expect((await download(OTHER_SITE, reference)).status).toBe(403);
});
