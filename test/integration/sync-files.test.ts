/**
 * Sync files on the local stand-ins (DynamoDB Local, S3 in the SQS emulator) behind the local API
 * Gateway, which enforces AWS's payload limits. Requests are made as the Open mSupply client makes
 * them (`sync/api_v6/upload_file.rs`: PUT multipart with `json_part` then `file_part`;
 * `download_file.rs`: POST JSON), and answers are read as it reads them: an upload's body whatever
 * the status; a download's bytes on 2xx, else the bare error variant.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { createSyncFilesHandler } from '../../functions/handlers/sync-files';
import { sha256Hex } from '../../functions/domain/config/credentials';
import type { Placement } from '../../functions/domain/sync/placement';
import { MAX_SYNC_FILE_BYTES } from '../../functions/protocol/sync-files';
import { downloadFileErrorBody, uploadFileAnswer } from '../../functions/protocol/v6';
import type { SyncFileStore } from '../../functions/storage/sync-files';
import { importConfigFile } from '../../functions/storage/config-import';
import { apiFunctions } from '../../lib/functions';
import { createHttpGateway, type LambdaHttpHandler } from '../../lib/local/http-gateway';
import { adaptersFor, createTestResources } from '../support/stand-ins';
import { DEMO_CONFIG } from '../support/sync-server';
import { syncFilesDepsFor } from '../support/sync-files-stand-in';

jest.setTimeout(120_000);

/** remote-site-1 is site 2 (stores B and F); remote-site-2 is site 3 (stores C and D). */
const SITE_2 = 'remote-site-1';
const SITE_3 = 'remote-site-2';

let url: string;
let passwords: Record<string, string>;
let adapters: ReturnType<typeof adaptersFor>;
const putOutcomes: string[] = [];
let stop: () => Promise<void>;

beforeAll(async () => {
  const resources = await createTestResources();
  adapters = adaptersFor(resources);
  const imported = await importConfigFile(adapters.configStore, JSON.parse(readFileSync(DEMO_CONFIG, 'utf8')), 'test');
  if (!imported.ok) throw new Error(imported.message);
  passwords = Object.fromEntries(imported.passwords.map(({ name, password }) => [name, password]));
  const deps = await syncFilesDepsFor(resources, adapters);
  // Records what each upload did to storage, to see that the same bytes again write nothing.
  const files: SyncFileStore = {
    head: (key) => deps.files.head(key),
    get: (key) => deps.files.get(key),
    put: async (file) => {
      const outcome = await deps.files.put(file);
      putOutcomes.push(outcome);
      return outcome;
    },
  };
  const handler = createSyncFilesHandler({ ...deps, files }) as LambdaHttpHandler;
  const server = createHttpGateway(apiFunctions.syncFiles.routes.map((routeKey) => ({ routeKey, functionName: 'syncFiles', handler })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/central/sync/`;
  stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
});
afterAll(() => stop?.());

// --- the client's side ------------------------------------------------------------------------

/** `SyncApiSettings` (`sync/api/core.rs`), camelCase inside either request. */
function settingsFor(site: string, password = passwords[site] ?? '') {
  return {
    serverUrl: 'http://localhost',
    username: site,
    passwordSha256: sha256Hex(password),
    siteUuid: `hardware-${site}`,
    appVersion: '2.13.0',
    appName: 'Open mSupply Desktop',
    syncVersion: '14',
  };
}

/** reqwest's multipart form: `json_part` (application/json) then `file_part` (bytes with a file name). */
function multipart(jsonPart: string, file: Buffer, fileName = 'scan.pdf', boundary = randomBytes(16).toString('hex')) {
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="json_part"\r\nContent-Type: application/json\r\n\r\n${jsonPart}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file_part"; filename="${fileName}"\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** `SyncUploadFileRequestV6`: snake_case fields, the settings camelCase. */
const uploadJson = (site: string, fileId: string, options: { password?: string; version?: number } = {}) =>
  JSON.stringify({ file_id: fileId, sync_v5_settings: settingsFor(site, options.password), sync_v6_version: options.version ?? 5 });

async function rawUpload(body: Buffer | string, contentType?: string) {
  const response = await fetch(`${url}upload_file`, { method: 'PUT', headers: contentType ? { 'content-type': contentType } : {}, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed as any };
}

const upload = (site: string, fileId: string, file: Buffer, options: { password?: string; version?: number } = {}) => {
  const { body, contentType } = multipart(uploadJson(site, fileId, options), file);
  return rawUpload(body, contentType);
};

async function download(site: string, file: { id: string; tableName: string; recordId: string }, password?: string) {
  const response = await fetch(`${url}download_file`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tableName: file.tableName, recordId: file.recordId, id: file.id, syncV5Settings: settingsFor(site, password), syncV6Version: 5 }),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.ok) return { status: response.status, bytes, disposition: response.headers.get('content-disposition') };
  return { status: response.status, error: downloadFileErrorBody.parse(JSON.parse(bytes.toString('utf8'))) };
}

// --- what the server holds --------------------------------------------------------------------

const SITE_IDS: Record<string, number> = { [SITE_2]: 2, [SITE_3]: 3 };

/** A `sync_file_reference` the site pushed over v6, kept as the v6 push keeps it ({cursor, record} as pushed). */
async function referencePushed(site: string, reference: { id: string; tableName: string; recordId: string; fileName?: string }, action = 'Upsert') {
  const record = {
    tableName: 'sync_file_reference',
    recordId: reference.id,
    action: action === 'Upsert' ? 'Update' : action,
    recordData:
      action === 'Delete'
        ? null
        : { id: reference.id, table_name: reference.tableName, record_id: reference.recordId, file_name: reference.fileName ?? 'scan.pdf', mime_type: null, total_bytes: 10, created_datetime: '2026-01-01T00:00:00', deleted_datetime: null },
  };
  await adapters.quarantine.keep([
    {
      siteId: SITE_IDS[site]!,
      changeId: `v6-${randomUUID()}`,
      tableName: 'sync_file_reference',
      recordId: reference.id,
      action: record.action.toLowerCase(),
      reason: 'v6_table_not_supported',
      message: 'kept',
      receivedAt: new Date().toISOString(),
      raw: { cursor: 1, record },
    },
  ]);
}

/** A record of the central copy (a v5 table) placed as given. */
async function heldCentrally(tableName: string, recordId: string, placement: Placement) {
  await adapters.centralCopy.apply([{ record: { tableName, recordId, action: 'insert', recordData: { ID: recordId } }, placement, originSiteId: 2, changeId: `c-${randomUUID()}` }]);
}

const newFile = (tableName = 'asset') => ({ id: randomUUID(), tableName, recordId: randomUUID() });

// --- tests ------------------------------------------------------------------------------------

test('a file uploaded by a site downloads byte for byte, named as its reference names it', async () => {
  const file = newFile();
  await referencePushed(SITE_2, { ...file, fileName: 'fridge ✓.jpg' });
  const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(1024 * 1024), Buffer.from('\r\n--\r\n')]);

  const uploaded = await upload(SITE_2, file.id, bytes);
  expect(uploaded).toEqual({ status: 200, body: { data: null } });
  expect(uploadFileAnswer.parse(uploaded.body)).toEqual({ data: null });

  const downloaded = await download(SITE_2, file);
  expect(downloaded.status).toBe(200);
  expect(downloaded.bytes!.equals(bytes)).toBe(true);
  expect(downloaded.disposition).toContain(`filename*=UTF-8''${encodeURIComponent('fridge ✓.jpg')}`);
});

test('the same file uploaded again is accepted and writes nothing; different bytes replace it', async () => {
  const file = newFile();
  await referencePushed(SITE_2, file);
  const first = randomBytes(2000);
  putOutcomes.length = 0;
  expect((await upload(SITE_2, file.id, first)).body).toEqual({ data: null });
  expect((await upload(SITE_2, file.id, first)).body).toEqual({ data: null });
  expect(putOutcomes).toEqual(['stored', 'unchanged']);
  expect((await download(SITE_2, file)).bytes!.equals(first)).toBe(true);

  const second = randomBytes(1500);
  expect((await upload(SITE_2, file.id, second)).body).toEqual({ data: null });
  expect(putOutcomes).toEqual(['stored', 'unchanged', 'stored']);
  expect((await download(SITE_2, file)).bytes!.equals(second)).toBe(true);
});

test('an upload whose reference the site has not pushed is syncFileNotFound (the client retries in a minute)', async () => {
  const file = newFile();
  expect(await upload(SITE_2, file.id, Buffer.from('x'))).toEqual({ status: 404, body: { error: { syncFileNotFound: file.id } } });

  // Another site's reference is not this site's to upload.
  await referencePushed(SITE_3, file);
  expect((await upload(SITE_2, file.id, Buffer.from('x'))).body).toEqual({ error: { syncFileNotFound: file.id } });

  // A reference the site deleted afterwards.
  const deleted = newFile();
  await referencePushed(SITE_2, deleted);
  await new Promise((resolve) => setTimeout(resolve, 5));
  await referencePushed(SITE_2, deleted, 'Delete');
  expect((await upload(SITE_2, deleted.id, Buffer.from('x'))).body).toEqual({ error: { syncFileNotFound: deleted.id } });
});

test('a site may download only files of records it is entitled to hold (or files it uploaded)', async () => {
  // A file of a v6 record this server does not hold: only the uploading site may read it back.
  const v6File = newFile('asset');
  await referencePushed(SITE_2, v6File);
  await upload(SITE_2, v6File.id, Buffer.from('asset photo'));
  const refused = await download(SITE_3, v6File);
  expect(refused.status).toBe(403);
  expect(refused.error).toEqual({ otherServerError: expect.stringContaining('only the site that uploaded the file may download it') });

  // A file of store B's record (site 2): site 3 is not entitled.
  const storeB = newFile('purchase_order');
  await heldCentrally(storeB.tableName, storeB.recordId, { dataClass: 'store', flags: [], storeId: 'STORE_B' });
  await referencePushed(SITE_2, storeB);
  await upload(SITE_2, storeB.id, Buffer.from('order B'));
  expect((await download(SITE_3, storeB)).status).toBe(403);
  expect((await download(SITE_2, storeB)).bytes!.toString()).toBe('order B');

  // A file of store C's record (site 3), uploaded by site 2: site 3 holds the record, so it may.
  const storeC = newFile('purchase_order');
  await heldCentrally(storeC.tableName, storeC.recordId, { dataClass: 'store', flags: [], storeId: 'STORE_C' });
  await referencePushed(SITE_2, storeC);
  await upload(SITE_2, storeC.id, Buffer.from('order C'));
  expect((await download(SITE_3, storeC)).bytes!.toString()).toBe('order C');

  // A file of central data: every site holds it.
  const central = newFile('item');
  await heldCentrally(central.tableName, central.recordId, { dataClass: 'central', flags: [] });
  await referencePushed(SITE_2, central);
  await upload(SITE_2, central.id, Buffer.from('item leaflet'));
  expect((await download(SITE_3, central)).bytes!.toString()).toBe('item leaflet');
});

test('a download names the file by table, record and id: any other address is syncFileNotFound', async () => {
  const file = newFile();
  await referencePushed(SITE_2, file);
  await upload(SITE_2, file.id, Buffer.from('x'));
  expect(await download(SITE_2, { ...file, recordId: 'another-record' })).toEqual({ status: 404, error: { syncFileNotFound: file.id } });
  const missing = newFile();
  expect(await download(SITE_2, missing)).toEqual({ status: 404, error: { syncFileNotFound: missing.id } });
});

test('a file over the limit is refused with a message an operator can act on, never a 5xx', async () => {
  const file = newFile();
  await referencePushed(SITE_2, file);
  const tooLarge = await upload(SITE_2, file.id, Buffer.alloc(MAX_SYNC_FILE_BYTES + 1, 7));
  expect(tooLarge.status).toBe(413);
  expect(uploadFileAnswer.parse(tooLarge.body)).toEqual({ error: { otherServerError: expect.stringMatching(/is 4\.0 MiB \(4194305 bytes\).*up to 4\.0 MiB \(4194304 bytes\)\. Attach a smaller file/) } });
  expect(await download(SITE_2, file)).toEqual({ status: 404, error: { syncFileNotFound: file.id } });

  // Exactly at the limit fits through API Gateway and Lambda, both ways.
  const atLimit = randomBytes(MAX_SYNC_FILE_BYTES);
  expect((await upload(SITE_2, file.id, atLimit)).body).toEqual({ data: null });
  expect((await download(SITE_2, file)).bytes!.equals(atLimit)).toBe(true);

  // Past what a Lambda event can carry, API Gateway itself answers 413 (its own body).
  const gatewayRefused = await upload(SITE_2, file.id, Buffer.alloc(5 * 1024 * 1024));
  expect(gatewayRefused.status).toBe(413);
});

test('wrong credentials and versions are refused in the shape each route is parsed in', async () => {
  const file = newFile();
  await referencePushed(SITE_2, file);
  const wrongPassword = await upload(SITE_2, file.id, Buffer.from('x'), { password: 'wrong' });
  expect(wrongPassword.status).toBe(401);
  expect(wrongPassword.body).toEqual({ error: { legacyServerError: expect.objectContaining({ code: 'site_incorrect_password' }) } });
  expect(await upload(SITE_2, file.id, Buffer.from('x'), { version: 6 })).toEqual({ status: 400, body: { error: { syncVersionMismatch: [0, 5, 6] } } });

  const refused = await download(SITE_2, file, 'wrong');
  expect(refused.status).toBe(401);
  expect(refused.error).toEqual({ legacyServerError: expect.objectContaining({ code: 'site_incorrect_password' }) });
});

describe('bad input is a 4xx in the client shape, never a 5xx', () => {
  const expectRefused = (answer: { status: number; body: unknown }) => {
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(uploadFileAnswer.parse(answer.body)).toEqual({ error: expect.anything() });
  };

  test('upload bodies', async () => {
    const file = newFile();
    await referencePushed(SITE_2, file);
    const good = uploadJson(SITE_2, file.id);
    const boundary = 'b0undary';
    const cases: Array<[string, Buffer | string, string | undefined]> = [
      ['no content type', 'hello', undefined],
      ['JSON instead of multipart', good, 'application/json'],
      ['multipart without boundary', 'x', 'multipart/form-data'],
      ['garbage multipart', 'garbage', `multipart/form-data; boundary=${boundary}`],
      ['unterminated part', `--${boundary}\r\nContent-Disposition: form-data; name="json_part"\r\n\r\n${good}`, `multipart/form-data; boundary=${boundary}`],
      ['json_part only', `--${boundary}\r\nContent-Disposition: form-data; name="json_part"\r\n\r\n${good}\r\n--${boundary}--\r\n`, `multipart/form-data; boundary=${boundary}`],
      ['file_part as text', `--${boundary}\r\nContent-Disposition: form-data; name="json_part"\r\n\r\n${good}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file_part"\r\n\r\nabc\r\n--${boundary}--\r\n`, `multipart/form-data; boundary=${boundary}`],
      ...(['not json', '{}', '[]', 'null', JSON.stringify({ file_id: '', sync_v5_settings: {} }), JSON.stringify({ fileId: file.id, syncV5Settings: settingsFor(SITE_2) })].map((json) => {
        const { body, contentType } = multipart(json, Buffer.from('x'));
        return [`json_part ${json.slice(0, 20)}`, body, contentType] as [string, Buffer, string];
      })),
    ];
    for (const [name, body, contentType] of cases) {
      const answer = await rawUpload(body, contentType);
      expect({ name, status: answer.status < 500 && answer.status >= 400 }).toEqual({ name, status: true });
      expectRefused(answer);
    }
    // Two json parts are refused rather than one picked.
    const { body, contentType } = multipart(good, Buffer.from('x'));
    const doubled = Buffer.concat([Buffer.from(`--${contentType.split('=')[1]}\r\nContent-Disposition: form-data; name="json_part"\r\n\r\n${good}\r\n`), body]);
    expectRefused(await rawUpload(doubled, contentType));
  });

  test('arbitrary bodies (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.constantFrom('multipart/form-data; boundary=x', 'multipart/form-data; boundary=--', 'application/octet-stream', 'text/plain'), async (bytes, contentType) => {
        expectRefused(await rawUpload(Buffer.from(bytes), contentType));
      }),
      { numRuns: 60 },
    );
  });

  test('download bodies', async () => {
    for (const body of ['not json', '{}', JSON.stringify({ id: 'x', tableName: 'asset', recordId: 'r' }), JSON.stringify({ id: 'x', tableName: 'asset', recordId: 'r'.repeat(5000), syncV5Settings: settingsFor(SITE_2) })]) {
      const response = await fetch(`${url}download_file`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(downloadFileErrorBody.parse(await response.json())).toEqual({ otherServerError: expect.any(String) });
    }
  });
});
