/** The v5 wire schemas accept every sample record and refuse bad input with messages a person can act on. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {
  MAX_PUSH_RECORDS,
  ackBody,
  centralRecordsResponse,
  errorCodes,
  errorStatus,
  mergeIds,
  parseBasicAuth,
  parseCentralRecordsQuery,
  parseJsonBody,
  parsePullQuery,
  parseV5Headers,
  parseWith,
  pushBody,
  pushEnvelope,
  siteResponse,
  siteStatusResponse,
  splitPushedRecords,
  wireRecord,
} from '../../functions/protocol/v5';

const fixturesDir = path.resolve(__dirname, '../../../shared/fixtures/legacy-records');
const samples: Record<string, unknown>[] = readdirSync(fixturesDir)
  .filter((f) => f.endsWith('.json'))
  .flatMap((f) => JSON.parse(readFileSync(path.join(fixturesDir, f), 'utf8')) as Record<string, unknown>[]);
const onWire: Record<string, unknown>[] = samples.map((r, i) => ({ syncOutId: String(i + 1), ...r }));

const validHeaders = { 'msupply-site-uuid': 'hw-1', 'app-name': 'Open mSupply Desktop', 'app-version': '2.6.0', version: '14' };
const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;
const hash = 'ab'.repeat(32);

function errorOf<T>(parsed: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }) {
  if (parsed.ok) throw new Error(`expected a refusal, got ${JSON.stringify(parsed.value)}`);
  return parsed.error;
}

describe('records', () => {
  test.each(onWire.map((r) => [`${r['tableName']}/${r['recordId']}/${r['action']}`, r] as const))('sample %s parses', (_n, r) => {
    const parsed = wireRecord.safeParse(r);
    expect(parsed.error?.issues).toBeUndefined();
    expect(parsed.data).toMatchObject({ tableName: r['tableName'], recordId: r['recordId'], action: r['action'] });
  });

  test('capitalised actions are normalised to lower case', () => {
    for (const action of ['Insert', 'UPDATE', 'Delete', 'Merge']) {
      const parsed = wireRecord.parse({
        syncOutId: '1',
        tableName: 'item',
        recordId: 'a',
        action,
        recordData: { mergeIdToKeep: 'a', mergeIdToDelete: 'b', ID: 'a' },
      });
      expect(parsed.action).toBe(action.toLowerCase());
    }
  });

  test('a delete may omit recordData or send null; an upsert may not', () => {
    const base = { syncOutId: '1', tableName: 'item', recordId: 'a' };
    expect(wireRecord.parse({ ...base, action: 'delete' })).toEqual({ ...base, action: 'delete' });
    expect(wireRecord.parse({ ...base, action: 'delete', recordData: null })).toEqual({ ...base, action: 'delete' });
    const refused = errorOf(parseWith(wireRecord, { ...base, action: 'update' }, 'record'));
    expect(refused.message).toContain('recordData: required for action "update"');
  });

  test('a merge names the record kept and the record deleted', () => {
    const merge = wireRecord.parse({
      syncOutId: '1',
      tableName: 'name',
      recordId: 'm',
      action: 'merge',
      recordData: { mergeIdToKeep: 'k', mergeIdToDelete: 'd' },
    });
    expect(mergeIds(merge)).toEqual({ mergeIdToKeep: 'k', mergeIdToDelete: 'd' });
    const refused = errorOf(
      parseWith(wireRecord, { syncOutId: '1', tableName: 'name', recordId: 'm', action: 'merge', recordData: { mergeIdToKeep: 'k' } }),
    );
    expect(refused.message).toContain('recordData.mergeIdToDelete: required (expected string)');
  });

  test('wrong types and unknown actions are refused, naming the field and what was expected', () => {
    const refused = errorOf(
      parseWith(pushBody, {
        queueLength: 2,
        data: [
          { syncOutId: '1', tableName: 'item', recordId: 7, action: 'update', recordData: {} },
          { syncOutId: '2', tableName: 'item', recordId: 'x', action: 'upsert', recordData: {} },
          { syncOutId: '3', tableName: 'item', recordId: 'y', action: 'update', recordData: [] },
        ],
      }),
    );
    expect(refused.code).toBe('invalid_request');
    expect(refused.message).toMatch(/data\[0\]\.recordId: .*expected string, received number/);
    expect(refused.message).toMatch(/data\[1\]\.action: .*expected one of "insert"\|"update"\|"delete"\|"merge"/);
    expect(refused.message).toMatch(/data\[2\]\.recordData: .*expected record/);
  });
});

describe('push', () => {
  const record = (i: number) => ({ syncOutId: String(i), tableName: 'item', recordId: `r${i}`, action: 'update', recordData: { ID: `r${i}` } });

  test('a full batch of 1024 is accepted; one more is refused', () => {
    const full = Array.from({ length: MAX_PUSH_RECORDS }, (_, i) => record(i));
    expect(parseWith(pushBody, { queueLength: 1024, data: full }).ok).toBe(true);
    const refused = errorOf(parseWith(pushBody, { queueLength: 1025, data: [...full, record(1024)] }));
    expect(refused.message).toContain('data: at most 1024 records per batch');
    expect(errorOf(parseWith(pushEnvelope, { queueLength: 1025, data: [...full, record(1024)] })).code).toBe('invalid_request');
  });

  test('the last, empty batch is valid', () => {
    expect(parseWith(pushBody, { queueLength: 0, data: [] })).toEqual({ ok: true, value: { queueLength: 0, data: [] } });
  });

  test('queueLength must be a non-negative whole number', () => {
    expect(errorOf(parseWith(pushBody, { queueLength: -1, data: [] })).message).toContain('queueLength');
    expect(errorOf(parseWith(pushBody, { queueLength: 1.5, data: [] })).message).toContain('queueLength');
    expect(errorOf(parseWith(pushBody, { data: [] })).message).toContain('queueLength: required (expected number)');
  });

  test('the envelope lets valid records through and names each invalid one', () => {
    const envelope = parseWith(pushEnvelope, { queueLength: 3, data: [record(1), { tableName: 'x' }, record(3)] });
    if (!envelope.ok) throw new Error(envelope.error.message);
    const { valid, invalid } = splitPushedRecords(envelope.value.data);
    expect(valid.map((r) => r.syncOutId)).toEqual(['1', '3']);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({ index: 1, raw: { tableName: 'x' } });
    expect(invalid[0]!.message).toContain('Invalid record data[1]: syncOutId: required');
  });

  test('an oversized body is refused before it is parsed', () => {
    const refused = errorOf(parseJsonBody('x'.repeat(101), false, 100));
    expect(refused).toMatchObject({ code: 'payload_too_large', status: 413 });
    expect(errorOf(parseJsonBody('{"queueLength":', false)).code).toBe('invalid_request');
    expect(parseJsonBody(Buffer.from('{"a":1}').toString('base64'), true)).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonBody(undefined)).toEqual({ ok: true, value: {} });
  });
});

describe('queries and other bodies', () => {
  test('pull limit: default 500, capped at 1000, refused when not a positive whole number', () => {
    expect(parsePullQuery(undefined)).toEqual({ ok: true, value: { limit: 500 } });
    expect(parsePullQuery({ limit: '20' })).toEqual({ ok: true, value: { limit: 20 } });
    expect(parsePullQuery({ limit: '100000' })).toEqual({ ok: true, value: { limit: 1000 } });
    for (const limit of ['0', '-1', 'ten', '1.5', '']) {
      expect(errorOf(parsePullQuery({ limit })).message).toMatch(/^Invalid query: limit: /);
    }
  });

  test('central records: cursor defaults to 0', () => {
    expect(parseCentralRecordsQuery({})).toEqual({ ok: true, value: { cursor: 0, limit: 500 } });
    expect(parseCentralRecordsQuery({ cursor: '41', limit: '2' })).toEqual({ ok: true, value: { cursor: 41, limit: 2 } });
    expect(errorOf(parseCentralRecordsQuery({ cursor: 'abc' })).message).toContain('cursor: must be a whole number');
  });

  test('acknowledgements carry ids', () => {
    expect(ackBody.parse({ syncIDs: ['a', 'b'] })).toEqual({ syncIDs: ['a', 'b'] });
    expect(ackBody.parse({ syncIDs: [] })).toEqual({ syncIDs: [] });
    expect(errorOf(parseWith(ackBody, { syncIDs: [1] })).message).toContain('syncIDs[0]');
  });

  test('responses have the shapes the client reads', () => {
    expect(
      siteResponse.parse({
        id: 'site-uuid',
        siteId: 2,
        code: 'S2',
        name: 'site2',
        initialisationStatus: 'completed',
        omSupplyCentralServerUrl: '',
        isOmSupplyCentralServer: false,
        mSupplyCentralSiteId: 1,
      }).initialisationStatus,
    ).toBe('completed');
    expect(siteStatusResponse.safeParse({ code: 'idle', message: '', data: null }).success).toBe(true);
    expect(siteStatusResponse.safeParse({ code: 'busy', message: '', data: null }).success).toBe(false);
    const central = centralRecordsResponse.parse({
      maxCursor: 9,
      data: [{ ID: 9, tableName: 'item', recordId: 'a', action: 'Update', recordData: { ID: 'a' } }],
    });
    expect(central.data[0]).toEqual({ ID: 9, tableName: 'item', recordId: 'a', action: 'update', recordData: { ID: 'a' } });
  });
});

describe('headers', () => {
  test('the four headers are read, in any letter case', () => {
    expect(parseV5Headers({ ...validHeaders, 'App-Name': undefined })).toEqual({
      ok: true,
      value: { siteUuid: 'hw-1', appName: 'Open mSupply Desktop', appVersion: '2.6.0', version: 14 },
    });
    expect(parseV5Headers({ 'MSUPPLY-SITE-UUID': 'x', 'App-Name': 'a', 'App-Version': '1', Version: '5' }).ok).toBe(true);
  });

  test('missing headers are named', () => {
    const refused = errorOf(parseV5Headers({ version: '14', 'app-name': 'x' }));
    expect(refused).toMatchObject({ code: 'invalid_request' });
    expect(refused.message).toBe('Missing request headers: msupply-site-uuid, app-version.');
    expect(errorOf(parseV5Headers(undefined)).code).toBe('invalid_request');
  });

  test('versions below 5 or no version are incompatible; a non-number is malformed', () => {
    expect(errorOf(parseV5Headers({ ...validHeaders, version: '4' }))).toMatchObject({ code: 'api_version_incompatible' });
    expect(errorOf(parseV5Headers({ ...validHeaders, version: undefined }))).toMatchObject({ code: 'api_version_incompatible' });
    expect(errorOf(parseV5Headers({ ...validHeaders, version: 'v14' }))).toMatchObject({ code: 'invalid_request' });
    expect(parseV5Headers({ ...validHeaders, version: '5' }).ok).toBe(true);
    expect(parseV5Headers({ ...validHeaders, version: '99' }).ok).toBe(true);
  });
});

describe('Basic auth', () => {
  test('site name and password hash are read; the hash is lower-cased', () => {
    expect(parseBasicAuth(basic(`Site One:${hash.toUpperCase()}`))).toEqual({
      ok: true,
      value: { siteName: 'Site One', passwordSha256: hash },
    });
    expect(parseBasicAuth(`basic ${Buffer.from(`s:${hash}`).toString('base64')}`).ok).toBe(true);
  });

  test.each([
    ['absent', undefined, 'HTTP Basic authorisation is required'],
    ['another scheme', 'Bearer abc', 'must use the Basic scheme'],
    ['not base64', 'Basic !!!', 'not valid base64'],
    ['no colon', basic('site'), 'must be "site name:password hash"'],
    ['no site name', basic(`:${hash}`), 'no site name'],
    ['a clear password', basic('site:secret'), '64-character hex SHA-256'],
  ])('%s is refused with 401', (_name, header, message) => {
    const refused = errorOf(parseBasicAuth(header));
    expect(refused).toMatchObject({ code: 'invalid_authorization' });
    expect(errorStatus[refused.code as (typeof errorCodes)[number]]).toBe(401);
    expect(refused.message).toContain(message);
  });
});

test('every error code has a status; the client-understood codes are present', () => {
  for (const code of errorCodes) expect(errorStatus[code]).toBeGreaterThanOrEqual(400);
  expect(errorCodes).toEqual(
    expect.arrayContaining([
      'site_name_not_found',
      'site_incorrect_password',
      'site_incorrect_hardware_id',
      'site_has_no_store',
      'site_auth_timeout',
      'api_version_incompatible',
      'sync_is_running',
      'payload_too_large',
      'invalid_request',
    ]),
  );
  expect(errorStatus.sync_is_running).toBe(503);
});

describe('properties', () => {
  const schemas = { wireRecord, pushBody, pushEnvelope, ackBody, centralRecordsResponse, siteResponse };

  test.each(Object.entries(schemas))('any JSON value either parses as %s or yields a message (never throws)', (_name, schema) => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed = parseWith(schema, value);
        if (!parsed.ok) {
          expect(parsed.error.code).toBe('invalid_request');
          expect(parsed.error.message.length).toBeGreaterThan(10);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('records built from arbitrary values either parse or say which field is wrong', () => {
    const arbRecord = fc.record(
      {
        syncOutId: fc.oneof(fc.string(), fc.integer()),
        tableName: fc.oneof(fc.constantFrom('item', 'transact', ''), fc.string()),
        recordId: fc.oneof(fc.string(), fc.constant(null)),
        action: fc.oneof(fc.constantFrom('insert', 'update', 'delete', 'merge', 'Update', 'MERGE'), fc.string()),
        recordData: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.constant(null), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(arbRecord, (value) => {
        const parsed = parseWith(wireRecord, value, 'record');
        if (!parsed.ok) expect(parsed.error.message).toMatch(/^Invalid record: (syncOutId|tableName|recordId|action|recordData)/);
      }),
      { numRuns: 500 },
    );
  });

  test('arbitrary headers and authorisation never throw', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.option(fc.string(), { nil: undefined })), fc.option(fc.string()), (headers, auth) => {
        const h = parseV5Headers(headers);
        const a = parseBasicAuth(auth);
        for (const r of [h, a]) if (!r.ok) expect(r.error.message.length).toBeGreaterThan(10);
      }),
      { numRuns: 500 },
    );
  });
});

test('an id or table name holding a lone surrogate makes its record invalid (no UTF-8 store keeps one); a surrogate pair is fine', () => {
  const record = (recordId: string, tableName = 'transact') => ({ syncOutId: '1', tableName, recordId, action: 'delete' });
  const { valid, invalid } = splitPushedRecords([record('a\ud83d'), record('ok', '\udc00x'), record('emoji-😀')]);
  expect(valid.map((r) => r.recordId)).toEqual(['emoji-😀']);
  expect(invalid.map((entry) => entry.message).join(' ')).toMatch(/lone surrogate/);
  expect(invalid).toHaveLength(2);
});
