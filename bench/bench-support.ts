/** What the benchmarks share: their environment knobs, timing, and the admin API of a local server. */
import { readFileSync } from 'node:fs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sha256Hex } from '../functions/domain/config/credentials';
import { executeConditional, insertStatement, STATEMENTS_PER_BATCH } from '../functions/storage/conditional-batch';
import { forEachChunk } from '../functions/storage/parallel-chunks';

export const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
export function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds used by DynamoDB Local (`javaPid`) and by this process, from a start. */
export function cpuMeter(javaPid: number) {
  const start = { java: processCpuSeconds(javaPid), node: process.cpuUsage() };
  return () => {
    const node = process.cpuUsage(start.node);
    return { java: processCpuSeconds(javaPid) - start.java, node: (node.user + node.system) / 1e6 };
  };
}

export const describeCpu = ({ java, node }: { java: number; node: number }) => `CPU: DynamoDB Local ${java.toFixed(1)} s, this process ${node.toFixed(1)} s`;

export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number from 1; got "${process.env[name]}"`);
  return value;
}

/** Calls the admin API as the benchmark's operator; a refusal stops the benchmark with its answer. */
export function adminClient(server: { readonly url: string; readonly adminToken: string }) {
  return async (method: string, route: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${server.url}/admin/v1${route}`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json', 'x-admin-user': 'bench' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} /admin/v1${route}: ${response.status} ${text.slice(0, 300)}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
}

/**
 * Adds `ms` before every request the client sends: a stand-in for the network between a function
 * and DynamoDB, where round trips, not DynamoDB Local's CPU, set the pace. Nothing when 0.
 */
export function addRequestLatency(client: { middlewareStack: { add: (middleware: never, options: { step: 'initialize'; name: string }) => void } }, ms: number): void {
  if (ms <= 0) return;
  const middleware = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return next(args);
  };
  client.middlewareStack.add(middleware as never, { step: 'initialize', name: 'addedLatency' });
}

/** What one kind of DynamoDB request cost over a benchmark's timed part. */
export interface OperationCount {
  requests: number;
  /** Items written (puts, updates and deletes, inside transactions or not). */
  itemsWritten: number;
  /** Items read (returned by gets, batch gets and queries). */
  itemsRead: number;
  /** Sum of the requests' round-trip times. */
  milliseconds: number;
  /** The longest round trip. */
  maxMilliseconds: number;
  /** Attempts the SDK repeated (throttling, server errors), and the time it waited before them. */
  retries: number;
  retryDelayMs: number;
}

/**
 * Counts every request a DynamoDB client sends, by operation: requests, items written (plain
 * and transactional) and items read. Write units are estimated as one per item written and two
 * per transactional item (DynamoDB's price of a transactional write), ignoring item sizes above
 * 1 KB, which cost the same multiple in every style of write: a ratio, not a bill.
 */
export function meterDynamoDb(client: { middlewareStack: { add: (middleware: never, options: { step: 'initialize'; name: string }) => void } }) {
  const byOperation = new Map<string, OperationCount>();
  /** The same counts by operation and the tables it touched ("TransactWriteItems records"). */
  const byOperationAndTable = new Map<string, OperationCount>();
  let tablesOf = '';
  const add = (operation: string, change: Partial<OperationCount>) => {
    addTo(byOperation, operation, change);
    addTo(byOperationAndTable, `${operation} ${tablesOf}`, change);
  };
  const addTo = (counts: Map<string, OperationCount>, operation: string, change: Partial<OperationCount>) => {
    const count = counts.get(operation) ?? { requests: 0, itemsWritten: 0, itemsRead: 0, milliseconds: 0, maxMilliseconds: 0, retries: 0, retryDelayMs: 0 };
    counts.set(operation, count);
    count.requests += change.requests ?? 0;
    count.itemsWritten += change.itemsWritten ?? 0;
    count.itemsRead += change.itemsRead ?? 0;
    count.milliseconds += change.milliseconds ?? 0;
    count.maxMilliseconds = Math.max(count.maxMilliseconds, change.milliseconds ?? 0);
    count.retries += change.retries ?? 0;
    count.retryDelayMs += change.retryDelayMs ?? 0;
  };
  const middleware = (next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>, context: { commandName?: string }) =>
    async (args: { input: Record<string, unknown> }) => {
      const start = process.hrtime.bigint();
      const operation = (context.commandName ?? 'unknown').replace(/Command$/, '');
      const took = () => Number(process.hrtime.bigint() - start) / 1e6;
      const tables = tablesTouched(args.input);
      let result: { output: Record<string, unknown> };
      try {
        result = await next(args);
      } catch (error) {
        const metadata = (error as { $metadata?: { attempts?: number; totalRetryDelay?: number } }).$metadata ?? {};
        tablesOf = tables;
        add(`${operation} (failed)`, { requests: 1, milliseconds: took(), retries: Math.max(0, (metadata.attempts ?? 1) - 1), retryDelayMs: metadata.totalRetryDelay ?? 0 });
        throw error;
      }
      const metadata = (result.output.$metadata ?? {}) as { attempts?: number; totalRetryDelay?: number };
      tablesOf = tables;
      add(operation, {
        requests: 1,
        itemsWritten: itemsWritten(args.input, operation),
        itemsRead: itemsRead(result.output),
        milliseconds: took(),
        retries: Math.max(0, (metadata.attempts ?? 1) - 1),
        retryDelayMs: metadata.totalRetryDelay ?? 0,
      });
      return result;
    };
  client.middlewareStack.add(middleware as never, { step: 'initialize', name: `benchMeter${Math.random()}` });
  const totals = () => {
    const sum = { requests: 0, itemsWritten: 0, itemsRead: 0, transactionalItems: 0 };
    for (const [operation, count] of byOperation) {
      sum.requests += count.requests;
      sum.itemsWritten += count.itemsWritten;
      sum.itemsRead += count.itemsRead;
      if (operation.startsWith('TransactWrite')) sum.transactionalItems += count.itemsWritten;
    }
    return { ...sum, writeUnits: sum.itemsWritten + sum.transactionalItems };
  };
  return {
    byOperation,
    byOperationAndTable,
    totals,
    reset: () => {
      byOperation.clear();
      byOperationAndTable.clear();
    },
    /** A copy of the counts so far, to subtract from later ones. */
    snapshot: () => ({ byOperation: new Map([...byOperation].map(([operation, count]) => [operation, { ...count }])), totals: totals() }),
  };
}

export type DynamoDbMeter = ReturnType<typeof meterDynamoDb>;

/** The tables a request names, without the deployment's prefix ("records", "records+syncOut"). */
function tablesTouched(input: Record<string, unknown>): string {
  const names = new Set<string>();
  const add = (name: unknown) => typeof name === 'string' && names.add(name.slice(name.lastIndexOf('-') + 1));
  add(input.TableName);
  for (const name of Object.keys((input.RequestItems as object | undefined) ?? {})) add(name);
  for (const item of (input.TransactItems as Array<Record<string, { TableName?: string }>> | undefined) ?? []) for (const operation of Object.values(item)) add(operation.TableName);
  for (const statement of (input.Statements as Array<{ Statement?: string }> | undefined) ?? [input as { Statement?: string }]) add(/"([^"]+)"/.exec(statement.Statement ?? '')?.[1]);
  return [...names].sort().join('+');
}

function itemsWritten(input: Record<string, unknown>, operation: string): number {
  if (Array.isArray(input.Statements)) return (input.Statements as Array<{ Statement: string }>).filter((statement) => !/^\s*SELECT/i.test(statement.Statement)).length;
  if (operation === 'ExecuteStatement') return /^\s*SELECT/i.test(String(input.Statement)) ? 0 : 1;
  if (Array.isArray(input.TransactItems)) return (input.TransactItems as Array<Record<string, unknown>>).filter((item) => item.Put || item.Update || item.Delete).length;
  if (input.RequestItems && operation.startsWith('BatchWrite')) return Object.values(input.RequestItems as Record<string, unknown[]>).reduce((sum, requests) => sum + requests.length, 0);
  return /^(Put|Update|Delete)(Item)?$/.test(operation) ? 1 : 0;
}

function itemsRead(output: Record<string, unknown>): number {
  if (output.Item) return 1;
  if (Array.isArray(output.Items)) return output.Items.length;
  if (output.Responses && !Array.isArray(output.Responses)) return Object.values(output.Responses as Record<string, unknown[]>).reduce((sum, items) => sum + items.length, 0);
  return 0;
}

/** "requests/record, items written/record (transactional), write units/record, items read/record" of a count. */
export function perRecord(count: { requests: number; itemsWritten: number; itemsRead: number; transactionalItems: number; writeUnits: number }, records: number): string {
  const of = (value: number) => (value / records).toFixed(2);
  return `${of(count.requests)} requests, ${of(count.itemsWritten)} items written (${of(count.transactionalItems)} in transactions), ${of(count.writeUnits)} write units, ${of(count.itemsRead)} items read per record`;
}

/** The headers an Open mSupply desktop site sends on every v5 call (its password travels as SHA-256). */
export function v5SiteHeaders(name: string, password: string, hardwareId: string): Record<string, string> {
  return {
    authorization: `Basic ${Buffer.from(`${name}:${sha256Hex(password)}`).toString('base64')}`,
    'msupply-site-uuid': hardwareId,
    'app-name': 'Open mSupply Desktop',
    'app-version': '2.13.0',
    version: '14',
  };
}

/**
 * Conditional PartiQL INSERTs of new items, as the central copy stores a new record: 25 to a
 * request, `inFlight` requests at once. A key found taken is an error: benches write new keys.
 */
export async function insertNew(db: DynamoDBDocumentClient, table: string, items: ReadonlyArray<Record<string, unknown>>, inFlight: number): Promise<void> {
  await forEachChunk(items, STATEMENTS_PER_BATCH, inFlight, async (chunk) => {
    const taken = await executeConditional(db, chunk.map((item) => insertStatement(table, item)));
    if (taken.size > 0) throw new Error(`${taken.size} of the keys inserted into ${table} were taken`);
  });
}
