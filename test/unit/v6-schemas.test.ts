/**
 * The sync v6 schemas against the shapes the Open mSupply client sends and parses, written from
 * its serde structs (`server/service/src/sync/api_v6/mod.rs`, `sync/api/core.rs`,
 * `sync/api/common_records.rs`, `sync/translations/mod.rs`): camelCase requests, snake_case
 * batches and statuses, externally tagged camelCase error variants.
 */
import {
  MAX_V6_JSON_DEPTH,
  MAX_V6_PULL_BATCH,
  SYNC_V6_MAX_VERSION,
  SYNC_V6_MIN_VERSION,
  checkV5SyncVersion,
  downloadFileErrorBody,
  downloadFileRequest,
  uploadFileAnswer,
  uploadFileRequest,
  checkV6Version,
  errorAnswer,
  fromSiteRefusal,
  nestedDeeperThan,
  parseV6Request,
  patientPullRequest,
  pullAnswer,
  pullRequest,
  pushAnswer,
  pushRequest,
  servedBatchSize,
  siteStatusAnswer,
  siteStatusRequest,
  splitV6Records,
  syncV5Settings,
} from '../../functions/protocol/v6';
import { protocolError } from '../../functions/protocol/v5';

/** `SyncApiSettings` as the client serialises it (`#[serde(rename_all = "camelCase")]`). */
const settings = {
  serverUrl: 'https://central.example.org',
  username: 'remote-site-1',
  passwordSha256: 'A'.repeat(64),
  siteUuid: 'hardware-1',
  appVersion: '2.13.0',
  appName: 'Open mSupply Desktop',
  syncVersion: '14',
};

describe('requests as the client sends them', () => {
  test('pull: cursor, batchSize, syncV5Settings, isInitialised, syncV6Version', () => {
    const parsed = pullRequest.parse({ cursor: 0, batchSize: 500, syncV5Settings: settings, isInitialised: false, syncV6Version: 5 });
    expect(parsed).toEqual({
      cursor: 0,
      batchSize: 500,
      isInitialised: false,
      syncV6Version: 5,
      syncV5Settings: { ...settings, passwordSha256: 'a'.repeat(64) },
    });
  });

  test('syncV6Version is `#[serde(default)]`: absent means 0', () => {
    expect(siteStatusRequest.parse({ syncV5Settings: settings }).syncV6Version).toBe(0);
    expect(pullRequest.parse({ cursor: 3, batchSize: 1, syncV5Settings: settings, isInitialised: true }).syncV6Version).toBe(0);
  });

  test('snake_case request fields (the answer casing) are not the request casing', () => {
    expect(pullRequest.safeParse({ cursor: 0, batch_size: 500, sync_v5_settings: settings, is_initialised: false }).success).toBe(false);
  });

  test('every SyncApiSettings field is required, as the struct has no defaults', () => {
    for (const field of Object.keys(settings)) {
      const { [field]: _dropped, ...rest } = settings as Record<string, string>;
      expect({ field, ok: syncV5Settings.safeParse(rest).success }).toEqual({ field, ok: false });
    }
  });

  test('the password must be the hex SHA-256, not the password itself', () => {
    expect(syncV5Settings.safeParse({ ...settings, passwordSha256: 'remote-site-1-pass' }).success).toBe(false);
  });

  test('patient-pull carries fetchPatientId and no isInitialised', () => {
    const parsed = patientPullRequest.parse({ cursor: 0, batchSize: 500, syncV5Settings: settings, syncV6Version: 5, fetchPatientId: 'patient-1' });
    expect(parsed.fetchPatientId).toBe('patient-1');
    expect(patientPullRequest.safeParse({ cursor: 0, batchSize: 500, syncV5Settings: settings }).success).toBe(false);
  });

  test('push: a SyncBatchV6 with the records the client translates (Update with data, Delete with null data)', () => {
    const body = {
      batch: {
        end_cursor: 12,
        total_records: 2,
        is_last_batch: true,
        records: [
          { cursor: 11, record: { tableName: 'asset', recordId: 'asset-1', action: 'Update', recordData: { id: 'asset-1', store_id: 'STORE_B' } } },
          // PushTranslateResult::delete: record_data is serde_json::Value::default(), i.e. null.
          { cursor: 12, record: { tableName: 'vaccination', recordId: 'vacc-1', action: 'Delete', recordData: null } },
        ],
      },
      syncV5Settings: settings,
      syncV6Version: 5,
    };
    const parsed = pushRequest.parse(body);
    expect(parsed.batch.records).toHaveLength(2);
    const { valid, invalid } = splitV6Records(parsed.batch.records);
    expect(invalid).toEqual([]);
    expect(valid.map(({ value }) => value)).toEqual([
      { cursor: 11, record: { tableName: 'asset', recordId: 'asset-1', action: 'Update', recordData: { id: 'asset-1', store_id: 'STORE_B' } } },
      { cursor: 12, record: { tableName: 'vaccination', recordId: 'vacc-1', action: 'Delete', recordData: null } },
    ]);
  });

  test('record actions: the variant names, their lower-case aliases; recordData absent means {}', () => {
    const record = (action: unknown, extra: object = {}) => splitV6Records([{ cursor: 1, record: { tableName: 't', recordId: 'r', action, ...extra } }]);
    expect(record('insert').valid[0]?.value.record.action).toBe('Insert');
    expect(record('Merge').valid[0]?.value.record.action).toBe('Merge');
    expect(record('Delete').valid[0]?.value.record.recordData).toEqual({});
    expect(record('Upsert').invalid).toHaveLength(1);
    expect(record('UPDATE').invalid).toHaveLength(1);
    expect(splitV6Records([{ record: { tableName: 't', recordId: 'r', action: 'Update' } }]).invalid[0]?.message).toMatch(/cursor/);
  });

  test('a push envelope needs every batch field', () => {
    const batch = { end_cursor: 1, total_records: 0, is_last_batch: true, records: [] };
    expect(pushRequest.safeParse({ batch, syncV5Settings: settings }).success).toBe(true);
    for (const field of Object.keys(batch)) {
      const { [field]: _dropped, ...rest } = batch as Record<string, unknown>;
      expect({ field, ok: pushRequest.safeParse({ batch: rest, syncV5Settings: settings }).success }).toEqual({ field, ok: false });
    }
  });
});

describe('sync file requests (shapes only: the routes are not served yet)', () => {
  test('download_file is camelCase JSON; its error body is the bare variant', () => {
    expect(downloadFileRequest.parse({ tableName: 'asset', recordId: 'a1', id: 'file-1', syncV5Settings: settings, syncV6Version: 5 }).id).toBe('file-1');
    expect(downloadFileErrorBody.safeParse({ otherServerError: 'File not found' }).success).toBe(true);
    expect(downloadFileErrorBody.safeParse({ error: { otherServerError: 'File not found' } }).success).toBe(false);
  });

  test("upload_file's json_part is snake_case (no rename_all) around camelCase settings; success is data null", () => {
    expect(uploadFileRequest.parse({ file_id: 'file-1', sync_v5_settings: settings, sync_v6_version: 5 }).file_id).toBe('file-1');
    expect(uploadFileRequest.safeParse({ fileId: 'file-1', syncV5Settings: settings }).success).toBe(false);
    expect(uploadFileAnswer.safeParse({ data: null }).success).toBe(true);
    expect(uploadFileAnswer.safeParse({ error: { syncFileNotFound: 'file-1' } }).success).toBe(true);
  });
});

describe('answers as the client parses them', () => {
  test('"nothing more": the end cursor, no records, total 0, last batch', () => {
    expect(pullAnswer.parse({ data: { end_cursor: 0, total_records: 0, records: [], is_last_batch: true } })).toBeTruthy();
    expect(pullAnswer.safeParse({ data: { endCursor: 0, totalRecords: 0, records: [], isLastBatch: true } }).success).toBe(false);
  });

  test('a pull answer cursor fits the 32-bit integer the client keeps (it stores end_cursor + 1)', () => {
    expect(pullAnswer.safeParse({ data: { end_cursor: 2 ** 31 - 2, total_records: 0, records: [], is_last_batch: true } }).success).toBe(true);
    expect(pullAnswer.safeParse({ data: { end_cursor: 2 ** 31 - 1, total_records: 0, records: [], is_last_batch: true } }).success).toBe(false);
  });

  test('push and site status answers', () => {
    expect(pushAnswer.parse({ data: { records_pushed: 2 } })).toEqual({ data: { records_pushed: 2 } });
    expect(siteStatusAnswer.parse({ data: { is_integrating: false } })).toEqual({ data: { is_integrating: false } });
    expect(siteStatusAnswer.safeParse({ data: { isIntegrating: false } }).success).toBe(false);
  });

  test('every SyncParsedErrorV6 variant in its serde form', () => {
    const variants = [
      'notACentralServer',
      'integrationInProgress',
      { cannotConnectToLegacyServer: 'x' },
      { legacyServerError: { code: 'site_incorrect_password', message: 'wrong', data: null } },
      { otherLegacyServerError: 'x' },
      { otherServerError: 'x' },
      { parsingSyncRecordError: 'x' },
      { syncFileNotFound: 'file-1' },
      { syncVersionMismatch: [0, 5, 6] },
    ];
    for (const error of variants) expect(errorAnswer.safeParse({ error }).success).toBe(true);
    // PascalCase variant names (serde without rename_all) are not what the client reads.
    expect(errorAnswer.safeParse({ error: 'IntegrationInProgress' }).success).toBe(false);
    expect(errorAnswer.safeParse({ error: { code: 'invalid_request', message: 'x', data: null } }).success).toBe(false);
  });
});

describe('refusals', () => {
  test('the version range is the Open mSupply central one (0..=5); outside it, syncVersionMismatch(min, max, received)', () => {
    expect([SYNC_V6_MIN_VERSION, SYNC_V6_MAX_VERSION]).toEqual([0, 5]);
    for (const version of [0, 3, 5]) expect(checkV6Version(version)).toBeUndefined();
    expect(checkV6Version(6)).toEqual({ status: 400, error: { syncVersionMismatch: [0, 5, 6] } });
    expect(errorAnswer.safeParse({ error: checkV6Version(99)!.error }).success).toBe(true);
  });

  test('a v5 sync API version below 5 is api_version_incompatible, as the v5 version header', () => {
    expect(checkV5SyncVersion(syncV5Settings.parse({ ...settings, syncVersion: '14' }))).toBeUndefined();
    const refusal = checkV5SyncVersion(syncV5Settings.parse({ ...settings, syncVersion: '4' }));
    expect(refusal?.error).toMatchObject({ legacyServerError: { code: 'api_version_incompatible' } });
  });

  test('a site-auth refusal is a legacyServerError carrying the v5 code, which the client maps', () => {
    const refusal = fromSiteRefusal(protocolError('site_incorrect_hardware_id', 'bound elsewhere'));
    expect(refusal).toEqual({
      status: 401,
      error: { legacyServerError: { code: 'site_incorrect_hardware_id', message: 'bound elsewhere', data: null } },
      headers: {},
    });
    expect(errorAnswer.safeParse({ error: refusal.error }).success).toBe(true);
  });

  test('malformed bodies are otherServerError with a message naming the fields', () => {
    const parsed = parseV6Request(pullRequest, { cursor: -1, syncV5Settings: settings });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.refusal.status).toBe(400);
    const message = (parsed.refusal.error as { otherServerError: string }).otherServerError;
    expect(message).toMatch(/cursor/);
    expect(message).toMatch(/batchSize/);
    expect(message).toMatch(/isInitialised/);
  });

  test('nesting is measured without recursion; the limit is above serde_json’s 128', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(nestedDeeperThan(deep, MAX_V6_JSON_DEPTH)).toBe(true);
    let record: unknown = 'leaf';
    for (let i = 0; i < 128; i++) record = { child: record };
    const body = { batch: { end_cursor: 1, total_records: 1, is_last_batch: true, records: [{ cursor: 1, record: { tableName: 't', recordId: 'r', action: 'Update', recordData: record } }] } };
    expect(nestedDeeperThan(body, MAX_V6_JSON_DEPTH)).toBe(false);
    const refused = parseV6Request(pushRequest, { batch: { records: [deep] } });
    expect(refused.ok).toBe(false);
  });

  test('a pull page is at least one record and at most the served maximum', () => {
    expect(servedBatchSize(0)).toBe(1);
    expect(servedBatchSize(500)).toBe(500);
    expect(servedBatchSize(2 ** 32 - 1)).toBe(MAX_V6_PULL_BATCH);
  });
});
