/**
 * A rural health post initialises (bench for docs/central-data.md): one store, two small master
 * lists, one supplier (the regional warehouse), against a central log shaped like a large real
 * system's (Open mSupply's figures: list_master_line 43,443, name 32,753, item 7,358,
 * list_master_name_join 5,252, abbreviation 2,328, ...; about 94,000 records), with varied field
 * values on the legacy record shapes of the shared fixtures (seeded random: the same every run).
 *
 * The site calls the local server as the Open mSupply client does on its first sync (site info,
 * initialise, site status after the client's 15 s wait, `central_records` from cursor 0 in pages
 * of 500, its queue until empty with acknowledgements, then the sync v6 pull), asking for gzip.
 * Prints, for that initialisation and for the whole log unfiltered: requests, bytes on the wire
 * raw and gzip-compressed, the largest answers' compression, and the time at 64 and 256 kbit/s
 * (bytes, a round trip per request, the client's own waits). The health post's figures are
 * checked against the issue's targets: a target missed is a MISSED line and a failing exit.
 * Run through `npm run bench`, or alone with `tsx bench/health-post.ts`.
 */
import './quiet-functions';
import { storedRecordData } from '../functions/storage/record-data';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { adapters } from '../functions/commons/adapters';
import { dynamoDb } from '../functions/commons/clients';
import { tableName } from '../functions/commons/environment';
import type { SyncRecord } from '../functions/domain/ports';
import { holderOf, parentKeyOf, placeRecord } from '../functions/domain/sync/placement';
import { sha256Hex } from '../functions/domain/config/credentials';
import { SYNC_V6_MAX_VERSION } from '../functions/protocol/v6';
import { changeLogKeys, recordsKeys } from '../functions/storage/keys';
import { forEachChunk } from '../functions/storage/parallel-chunks';
import { startLocalServer } from '../lib/local/local-server';
import { seconds, v5SiteHeaders } from './bench-support';

const FIXTURES = path.join(__dirname, '..', '..', 'shared', 'fixtures', 'legacy-records');
const CLIENT_BATCH = 500;
/** A rural link's round trip per request (request out, first byte back), added to the bytes' time. */
const ROUND_TRIP_S = 0.5;
/** Answers at least this large count as "large" for the compression target. */
const LARGE_ANSWER_BYTES = 64 * 1024;
/** The client sleeps this long before each site status poll while it waits for its initialisation. */
const CLIENT_POLL_WAIT_S = 15;
/** The issue's targets: every large answer compressed to at most this share of its raw JSON, ... */
const TARGET_COMPRESSED_SHARE = 0.35;
/** ... and the health post initialised within this many minutes at 64 kbit/s. */
const TARGET_MINUTES_AT_64 = 15;
const COUNTS = {
  list_master_line: 43_443,
  name: 32_753,
  item: 7_358,
  list_master_name_join: 5_252,
  abbreviation: 2_328,
  barcode: 1_438,
  list_master: 700,
  contact: 300,
  name_tag_join: 249,
  item_category: 60,
  unit: 40,
  name_tag: 20,
} as const;
const HEALTH_POST_LINES = [120, 25];
const HEALTH_POST_PASSWORD = 'health-post-pass';

const template = (table: string): Record<string, unknown> =>
  (JSON.parse(readFileSync(path.join(FIXTURES, `${table}.json`), 'utf8')) as Array<{ recordData: Record<string, unknown> }>).find(
    (record) => Object.keys(record.recordData).length > 1,
  )!.recordData;

/** mulberry32: a small seeded generator, so every run builds the same data. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const hexId = () => Array.from({ length: 32 }, () => '0123456789ABCDEF'[Math.floor(next() * 16)]).join('');
  return { next, int, pick, hexId };
}

const DRUGS = ['Amoxicillin', 'Paracetamol', 'Metronidazole', 'Ciprofloxacin', 'Cotrimoxazole', 'Ibuprofen', 'Artemether/Lumefantrine', 'Oral rehydration salts', 'Zinc sulfate', 'Ferrous sulfate', 'Folic acid', 'Oxytocin', 'Magnesium sulfate', 'Ceftriaxone', 'Gentamicin', 'Doxycycline', 'Fluconazole', 'Albendazole', 'Salbutamol', 'Amlodipine', 'Metformin', 'Hydrochlorothiazide', 'Lidocaine', 'Chlorhexidine', 'Povidone iodine', 'Tenofovir/Lamivudine/Dolutegravir', 'Rifampicin/Isoniazid', 'Measles-rubella vaccine', 'BCG vaccine', 'Syringe autodisable'];
const FORMS = ['Tablet', 'Capsule', 'Oral suspension', 'Injection', 'Syrup', 'Cream', 'Solution', 'Vial', 'Sachet', 'Pessary'];
const STRENGTHS = ['5mg', '10mg', '20mg', '50mg', '100mg', '125mg/5ml', '250mg', '400mg', '500mg', '1g', '2%', '10 IU', '0.5ml'];
const PLACES = ['Ka', 'Lo', 'Mbe', 'Tu', 'Ra', 'Ndo', 'Si', 'Va', 'Mo', 'Ke', 'Bu', 'Ny', 'Za', 'Pa', 'Ti', 'Go', 'Le', 'Wa'];
const KINDS = ['Health Post', 'Health Centre', 'Dispensary', 'District Hospital', 'Pharmacy', 'Clinic', 'Mission Hospital', 'Suppliers Ltd', 'Medical Stores'];
const UNITS = ['Tab', 'Cap', 'Vial', 'Bottle', 'Ampoule', 'Tube', 'Sachet', 'Each', 'Box', 'Pack'];

/** The central records, in the order the log took them (shuffled: a system's history, not a bulk load). */
function centralData(rand: ReturnType<typeof random>) {
  const records: SyncRecord[] = [];
  const add = (tableName: string, fields: Record<string, unknown>, id = rand.hexId()) => {
    records.push({ tableName, recordId: id, action: 'update', recordData: { ...template(tableName), ...fields, ID: id } });
    return id;
  };
  const place = () => `${rand.pick(PLACES)}${rand.pick(PLACES).toLowerCase()}${rand.pick(['', 'ni', 'ro', 'ma', 'te'])}`;
  const units = Array.from({ length: COUNTS.unit }, (_, i) => add('unit', { units: `${rand.pick(UNITS)}${i >= UNITS.length ? ` ${i}` : ''}`, comment: '', order_number: i }));
  const categories = Array.from({ length: COUNTS.item_category }, (_, i) => add('item_category', { Description: `${rand.pick(DRUGS).toUpperCase()} GROUP ${i}`, sort_order: i, parent_ID: '' }));
  const tags = Array.from({ length: COUNTS.name_tag }, (_, i) => add('name_tag', { description: `${rand.pick(['District', 'Zone', 'Programme', 'Tier'])} ${i}` }));
  const items = Array.from({ length: COUNTS.item }, (_, i) => {
    const drug = rand.pick(DRUGS);
    return add('item', {
      item_name: `${drug} ${rand.pick(STRENGTHS)} ${rand.pick(FORMS)}`,
      code: `${drug.slice(0, 3).toUpperCase()}${String(i).padStart(5, '0')}`,
      default_pack_size: rand.pick([1, 10, 20, 28, 30, 100, 500, 1000]),
      unit_ID: rand.pick(units),
      category_ID: rand.pick(categories),
      strength: rand.pick(STRENGTHS),
      buy_price: Math.round(rand.next() * 50_000) / 100,
      essential_drug_list: rand.next() < 0.4,
      catalogue_code: String(rand.int(100_000, 999_999)),
      is_vaccine: drug.includes('vaccine'),
    });
  });
  const names = Array.from({ length: COUNTS.name - 2 }, (_, i) => {
    const town = place();
    const manufacturer = i < 150;
    // mSupply's system names: inventory adjustments, repacks, builds.
    const system = ['invad', 'repack', 'build'][i - 150];
    return add('name', {
      name: manufacturer ? `${town} Pharmaceuticals` : (system ?? `${town} ${rand.pick(KINDS)}`),
      code: system ?? `${town.slice(0, 4).toUpperCase()}${i}`,
      type: system ?? 'facility',
      customer: !manufacturer && rand.next() < 0.8,
      supplier: manufacturer || rand.next() < 0.1,
      manufacturer,
      phone: `+${rand.int(200, 299)} ${rand.int(100, 999)} ${rand.int(1000, 9999)}`,
      email: rand.next() < 0.3 ? `${town.toLowerCase()}@health.example` : '',
      bill_address1: `${rand.int(1, 400)} ${place()} Road`,
      bill_address2: town,
      country: 'Example',
      comment: rand.next() < 0.1 ? `Delivery on ${rand.pick(['Mondays', 'Tuesdays', 'the first week'])}` : '',
      date_of_birth: '0000-00-00',
    });
  });
  const manufacturers = names.slice(0, 150);
  // The health post's two lists, five national lists, and the rest in small district and programme lists.
  const lists = Array.from({ length: COUNTS.list_master }, (_, i) =>
    add('list_master', { description: i < 2 ? ['Health post essentials', 'EPI vaccines'][i] : i < 7 ? `National list ${i - 1}` : `${place()} ${rand.pick(['district list', 'programme list', 'ward list'])}`, code: `L${i}` }),
  );
  const lineCounts = [...HEALTH_POST_LINES, 3000, 3000, 3000, 3000, 3000];
  let remaining = COUNTS.list_master_line - lineCounts.reduce((a, b) => a + b, 0);
  for (let i = lineCounts.length; i < lists.length; i++) {
    const count = i === lists.length - 1 ? remaining : Math.min(remaining, rand.int(5, 2 * Math.floor(remaining / (lists.length - i)) - 5));
    lineCounts.push(count);
    remaining -= count;
  }
  lists.forEach((listId, i) => {
    for (let n = 0; n < lineCounts[i]!; n++) add('list_master_line', { item_master_ID: listId, item_ID: rand.pick(items), order_number: n + 1, imprest_quan: rand.int(0, 200), price: Math.round(rand.next() * 10_000) / 100 });
  });
  const join = (listId: string, nameId: string) => add('list_master_name_join', { list_master_ID: listId, name_ID: nameId, description: '' });
  join(lists[0]!, 'NAME_HP');
  join(lists[1]!, 'NAME_HP');
  for (let i = 2; i < 7; i++) join(lists[i]!, 'NAME_REGIONAL');
  for (let joined = 7; joined < COUNTS.list_master_name_join; joined++) join(rand.pick(lists.slice(2)), rand.pick(names));
  for (let i = 0; i < COUNTS.barcode; i++) add('barcode', { barcode: String(rand.int(1e11, 9e11)), itemID: rand.pick(items), manufacturerID: rand.next() < 0.7 ? rand.pick(manufacturers) : '', packSize: rand.pick([1, 10, 100]) });
  for (let i = 0; i < COUNTS.contact; i++) add('contact', { name_ID: rand.pick(names), first: rand.pick(['Ana', 'Joseph', 'Mary', 'Peter', 'Grace']), last: place(), phone: `+${rand.int(200, 299)} ${rand.int(1000000, 9999999)}`, email: '' });
  for (let i = 0; i < COUNTS.name_tag_join; i++) add('name_tag_join', { name_ID: rand.pick(names), name_tag_ID: rand.pick(tags) });
  for (let i = 0; i < COUNTS.abbreviation; i++) add('abbreviation', { abbreviation: `${rand.pick(['1', '2', 'b', 't', 'q'])}${i}`, expansion: `${rand.pick(['Take one', 'Take two', 'Apply'])} ${rand.pick(['daily', 'twice daily', 'at night', 'before meals'])}` });
  for (let i = records.length - 1; i > 0; i--) {
    const j = Math.floor(rand.next() * (i + 1));
    [records[i], records[j]] = [records[j]!, records[i]!];
  }
  return records;
}

/** Puts items 25 a request, 8 requests at once, sending again what DynamoDB left unprocessed. */
async function putAll(table: string, items: readonly Record<string, unknown>[]) {
  const db = dynamoDb();
  await forEachChunk(items, 25, 8, async (chunk) => {
    let requests: Array<Record<string, unknown>> = chunk.map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const { UnprocessedItems = {} } = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      requests = (UnprocessedItems[table] ?? []) as Array<Record<string, unknown>>;
    }
  });
}

/**
 * Writes the central copy and the change log as if the primary had imported the records over the
 * years, item by item as the central copy and the log store them (`storage/central-copy.ts`,
 * `storage/change-log.ts`): plain puts, far faster than importing through routing.
 */
async function seed(records: readonly SyncRecord[]) {
  const placed = records.map((record) => {
    const result = placeRecord(record, { centralisedProcurement: false }, () => undefined, true);
    if (result.kind !== 'placed') throw new Error(`bench record not placed: ${record.tableName}`);
    return { record, placement: result.placement };
  });
  await putAll(
    tableName('records'),
    placed.map(({ record, placement }, i) => {
      const indexed = { storeId: holderOf(placement), parentKey: parentKeyOf(placement) };
      return {
        ...recordsKeys.record(record.tableName, record.recordId),
        ...record,
        recordData: storedRecordData(record.recordData!),
        placement,
        originSiteId: 1,
        changeId: `bench-${i}`,
        updatedAt: new Date().toISOString(),
        version: 1,
        routedVersion: 1,
        ...Object.fromEntries(Object.entries(indexed).filter(([, value]) => value !== undefined)),
      };
    }),
  );
  // Dispensary-only data is sent through queues, not the log.
  const logged = placed.filter(({ placement }) => !placement.flags.includes('dispensaryOnly')).map(({ record }) => record);
  const { maxCursor } = await adapters.changeLog.read(0, 1);
  const items = logged.flatMap((record, i) => [
    { ...changeLogKeys.entry(maxCursor + i + 1), tableName: record.tableName, recordId: record.recordId, action: record.action, recordData: storedRecordData(record.recordData!) },
    { ...changeLogKeys.pointer(record.tableName, record.recordId), cursor: maxCursor + i + 1 },
  ]);
  await putAll(tableName('changeLog'), [...items, { ...changeLogKeys.meta(), maxCursor: maxCursor + logged.length }]);
  return logged.length;
}

interface Answer {
  readonly route: string;
  /** Response body as sent (gzip when the server compressed it) plus status line and headers. */
  readonly wireBytes: number;
  /** The same answer uncompressed. */
  readonly rawBytes: number;
  readonly requestBytes: number;
  readonly body: any;
}

/** One call with the client's headers (a v5 route, or an absolute path), measuring what crosses the wire. */
function call(baseUrl: string, auth: Record<string, string>, method: string, route: string, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers = { ...auth, 'accept-encoding': 'gzip', ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}) };
  const urlPath = route.startsWith('/') ? route : `/sync/v5/${route}`;
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${urlPath}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const wire = Buffer.concat(chunks);
        const raw = res.headers['content-encoding'] === 'gzip' ? gunzipSync(wire) : wire;
        if ((res.statusCode ?? 500) >= 300) return reject(new Error(`${method} ${route}: ${res.statusCode} ${raw.toString('utf8').slice(0, 300)}`));
        // Status line and headers: each name and value with its separator.
        const head = 17 + res.rawHeaders.reduce((n, h) => n + h.length + 2, 0);
        const requestBytes = `${method} ${urlPath} HTTP/1.1\r\n`.length + Object.entries(headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0) + (payload?.length ?? 0);
        resolve({ route: route.split('?')[0]!, wireBytes: wire.length + head, rawBytes: raw.length + head, requestBytes, body: JSON.parse(raw.toString('utf8') || '{}') });
      });
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/**
 * The client's first sync (`synchroniser.rs`): site info, initialise, site status until idle (each
 * poll after its wait), central records from 0, its queue with acknowledgements, the v6 pull.
 */
async function initialise(baseUrl: string, name: string, password: string) {
  const auth = v5SiteHeaders(name, password, `bench-${name}`);
  const answers: Answer[] = [];
  const v5 = async (method: string, route: string, body?: unknown) => {
    const answer = await call(baseUrl, auth, method, route, body);
    answers.push(answer);
    return answer.body;
  };
  const byTable = new Map<string, number>();
  await v5('GET', 'site');
  await v5('POST', 'initialise', {});
  let polls = 0;
  for (;;) {
    polls++;
    if ((await v5('GET', 'site_status')).code === 'idle') break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  let cursor = 0;
  for (;;) {
    const { maxCursor, data } = await v5('GET', `central_records?cursor=${cursor}&limit=${CLIENT_BATCH}`);
    for (const record of data) byTable.set(record.tableName, (byTable.get(record.tableName) ?? 0) + 1);
    const last = data.length > 0 ? data.at(-1).ID : cursor;
    cursor = data.length === 0 && last < maxCursor ? last + 1 : last;
    if (data.length === 0 && last >= maxCursor) break;
  }
  for (;;) {
    const { data } = await v5('GET', `queued_records?limit=${CLIENT_BATCH}`);
    if (data.length === 0) break;
    for (const record of data) byTable.set(`${record.tableName} (queue)`, (byTable.get(`${record.tableName} (queue)`) ?? 0) + 1);
    await v5('POST', 'acknowledged_records', { syncIDs: data.map((record: { syncOutId: string }) => record.syncOutId) });
  }
  // Sync v6 (Open mSupply's own central tables) at the same URL, with the v5 settings in the body.
  const syncV5Settings = { serverUrl: baseUrl, username: name, passwordSha256: sha256Hex(password), siteUuid: `bench-${name}`, appVersion: '2.13.0', appName: 'Open mSupply Desktop', syncVersion: '14' };
  for (let v6Cursor = 0; ; ) {
    const { data } = await v5('POST', '/central/sync/pull', { cursor: v6Cursor, batchSize: CLIENT_BATCH, syncV5Settings, isInitialised: false, syncV6Version: SYNC_V6_MAX_VERSION });
    for (const { record } of data.records) byTable.set(`${record.tableName} (v6)`, (byTable.get(`${record.tableName} (v6)`) ?? 0) + 1);
    if (data.is_last_batch || data.records.length === 0) break;
    v6Cursor = data.end_cursor;
  }
  return { answers, byTable, waitSeconds: polls * CLIENT_POLL_WAIT_S };
}

/** The whole log as the server answered it before filtering: pages of 500 `central_records` bodies. */
async function wholeLog(): Promise<Answer[]> {
  const answers: Answer[] = [];
  let cursor = 0;
  for (;;) {
    const { maxCursor, entries } = await adapters.changeLog.read(cursor, CLIENT_BATCH);
    const data = entries.map(({ cursor: ID, tableName, recordId, action, recordData }) => ({ ID, tableName, recordId, action, recordData }));
    const raw = Buffer.from(JSON.stringify({ maxCursor, data }));
    answers.push({ route: 'central_records', rawBytes: raw.length + 250, wireBytes: gzipSync(raw).length + 250, requestBytes: 400, body: undefined });
    if (entries.length === 0) return answers;
    cursor = entries.at(-1)!.cursor;
  }
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
/** Minutes on a link of `kbits`: the bytes both ways, a round trip per request, and the client's own waits. */
const minutesAt = (answers: readonly Answer[], kbits: number, waitSeconds: number) => {
  const bytes = answers.reduce((n, a) => n + a.wireBytes + a.requestBytes, 0);
  return (bytes * 8) / (kbits * 1000) / 60 + (answers.length * ROUND_TRIP_S + waitSeconds) / 60;
};

/** Prints the figures of a run; returns the worst large answer's compressed share and the minutes at 64 kbit/s. */
function report(title: string, answers: readonly Answer[], waitSeconds = 0): { worst: number; minutesAt64: number } {
  const raw = answers.reduce((n, a) => n + a.rawBytes, 0);
  const wire = answers.reduce((n, a) => n + a.wireBytes, 0);
  const sent = answers.reduce((n, a) => n + a.requestBytes, 0);
  const large = answers.filter((a) => a.rawBytes >= LARGE_ANSWER_BYTES);
  const worst = large.reduce((max, a) => Math.max(max, a.wireBytes / a.rawBytes), 0);
  const routes = new Map<string, number>();
  for (const answer of answers) routes.set(answer.route, (routes.get(answer.route) ?? 0) + 1);
  console.log(`  ${title}`);
  console.log(`    requests: ${answers.length} (${[...routes].map(([route, n]) => `${route} ${n}`).join(', ')})`);
  console.log(`    answers on the wire: raw ${mb(raw)}, gzip ${mb(wire)} (${((100 * wire) / raw).toFixed(1)}% of raw); requests sent ${mb(sent)}`);
  console.log(`    largest answers (${large.length} of ${LARGE_ANSWER_BYTES / 1024} KB or more raw): worst compressed ${(100 * worst).toFixed(1)}% of raw (target ≤ ${100 * TARGET_COMPRESSED_SHARE}%)`);
  const minutesAt64 = minutesAt(answers, 64, waitSeconds);
  const waits = waitSeconds > 0 ? ` + the client's ${waitSeconds} s of waits before its site status polls` : '';
  console.log(`    time at 64 kbit/s: ${minutesAt64.toFixed(1)} min, at 256 kbit/s: ${minutesAt(answers, 256, waitSeconds).toFixed(1)} min (bytes both ways + ${ROUND_TRIP_S} s round trip per request${waits})`);
  return { worst, minutesAt64 };
}

/** The health post's figures against the issue's targets: a target missed is a MISSED line and a failing exit. */
function checkTargets({ worst, minutesAt64 }: { worst: number; minutesAt64: number }) {
  const missed = [
    ...(worst > TARGET_COMPRESSED_SHARE ? [`a large answer compressed to ${(100 * worst).toFixed(1)}% of raw (target ≤ ${100 * TARGET_COMPRESSED_SHARE}%)`] : []),
    ...(minutesAt64 > TARGET_MINUTES_AT_64 ? [`initialisation ${minutesAt64.toFixed(1)} min at 64 kbit/s (target ≤ ${TARGET_MINUTES_AT_64} min)`] : []),
  ];
  if (missed.length === 0) console.log(`  health post targets met: every large answer ≤ ${100 * TARGET_COMPRESSED_SHARE}% of raw, ≤ ${TARGET_MINUTES_AT_64} min at 64 kbit/s`);
  for (const line of missed) console.log(`  MISSED: ${line}`);
  if (missed.length > 0) process.exitCode = 1;
}

export async function runHealthPost(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-health-post-'));
  const configFile = path.join(dir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      sites: [
        { siteId: 1, name: 'sync-server', code: 'SYNC', kind: 'central' },
        { siteId: 2, name: 'regional-warehouse', code: 'RW', kind: 'desktop', password: 'regional-warehouse-pass' },
        { siteId: 3, name: 'health-post', code: 'HP', kind: 'mobile', password: HEALTH_POST_PASSWORD },
      ],
      stores: [
        { id: 'STORE_REGIONAL', code: 'RW', name: 'Regional Warehouse', nameId: 'NAME_REGIONAL', mode: 'store', activeSiteId: 2 },
        { id: 'STORE_HP', code: 'HP', name: 'Kalo Health Post', nameId: 'NAME_HP', mode: 'store', activeSiteId: 3 },
      ],
      visibility: [
        { storeId: 'STORE_HP', nameId: 'NAME_REGIONAL' },
        { storeId: 'STORE_REGIONAL', nameId: 'NAME_HP' },
      ],
      preferences: { primarySiteId: null, centralisedProcurement: false, centralisedPayments: false },
    }),
  );
  const server = await startLocalServer({ inMemory: true, port: 0, configFile, demoDataFile: null, log: (line) => (/fail|error/i.test(line) ? console.log(`  [server] ${line}`) : undefined) });
  try {
    const records = centralData(random(20240830));
    const counts = new Map<string, number>();
    for (const record of records) counts.set(record.tableName, (counts.get(record.tableName) ?? 0) + 1);
    console.log(`\nRural health post initialisation: one store, two small lists (${HEALTH_POST_LINES.join(' + ')} lines), one supplier`);
    console.log(`  central data: ${records.length} records (${[...counts].sort((a, b) => b[1] - a[1]).map(([table, n]) => `${table} ${n}`).join(', ')})`);
    let start = process.hrtime.bigint();
    const logged = await seed(records);
    console.log(`  seeded in ${seconds(start).toFixed(0)} s; ${logged} in the change log (abbreviations go to dispensaries through their queue)`);

    start = process.hrtime.bigint();
    const { answers, byTable, waitSeconds } = await initialise(server.url, 'health-post', HEALTH_POST_PASSWORD);
    const serverSeconds = seconds(start);
    console.log(`  received: ${[...byTable].sort((a, b) => b[1] - a[1]).map(([table, n]) => `${table} ${n}`).join(', ')}`);
    checkTargets(report(`health post, filtered (local server time ${serverSeconds.toFixed(1)} s)`, answers, waitSeconds));
    report('the whole log, as every site read it before filtering (pages of 500)', await wholeLog());
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runHealthPost().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
