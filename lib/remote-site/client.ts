/**
 * The reference remote site: a client of the v5 sync API (docs/remote-site.md) that runs a sync
 * the way a remote site in the field does: site, initialise or push, wait for idle, pull central
 * data, pull its queue. Every step is safe to repeat, so a sync that fails can simply be rerun.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import packageJson from '../../package.json';
import { sha256Hex } from '../../functions/domain/config/credentials';
import {
  centralRecordsResponse,
  describeZodError,
  initialiseResponse,
  pullResponse,
  pushResponse,
  siteResponse,
  siteStatusResponse,
  wireRecord,
} from '../../functions/protocol/v5';
import type {
  CentralRecord,
  CentralRecordsResponse,
  InitialiseResponse,
  PullResponse,
  PushBody,
  SiteResponse,
  SiteStatusResponse,
  WireAction,
  WireRecord,
} from '../../functions/protocol/v5';
import { SiteState } from './state';
import type { HeldRecord } from './state';

export type { HeldRecord } from './state';

export interface RemoteSiteOptions {
  baseUrl: string;
  siteName: string;
  /** The clear password: only its SHA-256 hex is sent. */
  password: string;
  /** Sent as `msupply-site-uuid`. */
  hardwareId: string;
  appName?: string;
  appVersion?: string;
  /** Sent as `version`. */
  syncApiVersion?: number;
  pollIntervalMs?: number;
  pollTimeoutMs?: number;
  pushBatchSize?: number;
  pullLimit?: number;
  /** JSON file holding the site's state between runs; in memory when absent. */
  statePath?: string;
  fetch?: typeof fetch;
}

/** A local change, as given to `change()`; `action` may also be capitalised. */
export interface LocalChange {
  tableName: string;
  recordId: string;
  action: WireAction | Capitalize<WireAction>;
  recordData?: Record<string, unknown>;
}

export type ReceivedRecord = (CentralRecord & { source: 'central' }) | (WireRecord & { source: 'queue' });

export interface SyncSummary {
  /** Whether this sync initialised the site (instead of pushing). */
  initialised: boolean;
  pushed: number;
  centralRecordsReceived: number;
  queueRecordsReceived: number;
}

/** A non-2xx answer, with the protocol error body's code, message and data. */
export class SyncApiError extends Error {
  override readonly name = 'SyncApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly data: unknown = null,
  ) {
    super(message);
  }
}

/** A 2xx answer the flow cannot go on with: malformed, integration not started, never idle. */
export class SyncFlowError extends Error {
  override readonly name = 'SyncFlowError';

  constructor(
    readonly code: 'invalid_response' | 'integration_not_started' | 'site_status_timeout',
    message: string,
    readonly data: unknown = null,
  ) {
    super(message);
  }
}

const errorBody = z.object({
  error: z.object({ code: z.string().min(1), message: z.string().optional(), data: z.unknown().optional() }),
});

/** Validates a local change and gives it a new queue-entry id; throws a readable error if invalid. */
export function toOutgoingRecord(change: unknown, subject = 'change'): WireRecord {
  if (typeof change !== 'object' || change === null || Array.isArray(change)) {
    throw new Error(`The ${subject} must be an object {tableName, recordId, action, recordData}.`);
  }
  const parsed = wireRecord.safeParse({ ...change, syncOutId: randomUUID() });
  if (!parsed.success) throw new Error(describeZodError(parsed.error, subject).message);
  return parsed.data;
}

export class RemoteSite {
  readonly siteName: string;
  private readonly baseUrl: string;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly pollIntervalMs: number;
  private readonly pollTimeoutMs: number;
  private readonly pushBatchSize: number;
  private readonly pullLimit: number;
  private readonly fetch: typeof fetch;
  private readonly state: SiteState;
  private readonly received: ReceivedRecord[] = [];

  constructor(options: RemoteSiteOptions) {
    this.siteName = options.siteName;
    // A trailing slash keeps a path prefix of the base URL (e.g. a stage) when routes are resolved.
    this.baseUrl = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
    const credentials = Buffer.from(`${options.siteName}:${sha256Hex(options.password)}`, 'utf8').toString('base64');
    this.headers = {
      authorization: `Basic ${credentials}`,
      'msupply-site-uuid': options.hardwareId,
      'app-name': options.appName ?? 'reference-remote-site',
      'app-version': options.appVersion ?? packageJson.version ?? '0.0.0',
      version: String(options.syncApiVersion ?? 14),
      accept: 'application/json',
    };
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.pollTimeoutMs = options.pollTimeoutMs ?? 30 * 60 * 1000;
    this.pushBatchSize = options.pushBatchSize ?? 1024;
    this.pullLimit = options.pullLimit ?? 500;
    this.fetch = options.fetch ?? fetch;
    this.state = SiteState.load(options.statePath);
  }

  // -------------------------------------------------------------------------------------------
  // What the site holds

  held(tableName: string, recordId: string): Record<string, unknown> | undefined {
    return this.state.held(tableName, recordId);
  }

  heldRecords(tableName?: string): HeldRecord[] {
    return this.state.heldRecords(tableName);
  }

  /** Every record received since this object was made, in order. */
  get receivedLog(): readonly ReceivedRecord[] {
    return this.received;
  }

  get centralCursor(): number {
    return this.state.centralCursor;
  }

  /** Local changes waiting to be pushed, oldest first. */
  get outgoing(): readonly WireRecord[] {
    return this.state.outgoing;
  }

  /** Applies a local change and queues it for the next push. */
  change(record: LocalChange): WireRecord {
    return this.changes([record])[0] as WireRecord;
  }

  /** Several local changes: all are validated before any is applied, and the state is saved once. */
  changes(records: readonly LocalChange[]): WireRecord[] {
    const outgoing = records.map((record, index) => toOutgoingRecord(record, records.length > 1 ? `change [${index}]` : 'change'));
    for (const record of outgoing) {
      this.state.apply(record);
      this.state.enqueue(record);
    }
    this.state.save();
    return outgoing;
  }

  // -------------------------------------------------------------------------------------------
  // Routes

  site(): Promise<SiteResponse> {
    return this.request('GET', 'site', siteResponse);
  }

  initialise(): Promise<InitialiseResponse> {
    return this.request('POST', 'initialise', initialiseResponse, {});
  }

  siteStatus(): Promise<SiteStatusResponse> {
    return this.request('GET', 'site_status', siteStatusResponse);
  }

  /** Polls site_status until `idle`; the first poll comes after one interval, as the real client does. */
  async waitUntilIdle(): Promise<SiteStatusResponse> {
    const deadline = Date.now() + this.pollTimeoutMs;
    for (;;) {
      await sleep(this.pollIntervalMs);
      const status = await this.siteStatus();
      if (status.code === 'idle') return status;
      if (Date.now() >= deadline) {
        throw new SyncFlowError(
          'site_status_timeout',
          `The site is still "${status.code}" after ${this.pollTimeoutMs} ms: ${status.message}`,
          status,
        );
      }
    }
  }

  /**
   * Pushes the outgoing queue in batches, then the closing call with queueLength 0, whose answer
   * must be integrationStarted: true. Records leave the queue only once the server accepted them.
   */
  async pushQueued(): Promise<number> {
    let pushed = 0;
    for (;;) {
      const batch = this.state.outgoing.slice(0, this.pushBatchSize);
      if (batch.length === 0) break;
      await this.push({ queueLength: this.state.outgoing.length, data: batch });
      this.state.removeOutgoing(new Set(batch.map((record) => record.syncOutId)));
      this.state.save();
      pushed += batch.length;
    }
    const last = await this.push({ queueLength: 0, data: [] });
    if (!last.integrationStarted) {
      throw new SyncFlowError('integration_not_started', 'The server did not start integrating the pushed records (integrationStarted: false).', last);
    }
    return pushed;
  }

  /**
   * Reads the central change log from the stored cursor until caught up: a call with no data while
   * the cursor is below maxCursor steps the cursor by one and asks again.
   */
  async pullCentralRecords(): Promise<number> {
    let count = 0;
    for (;;) {
      const cursor = this.state.centralCursor;
      const page = await this.getCentralRecords(cursor);
      const last = page.data.at(-1);
      if (last === undefined) {
        if (cursor >= page.maxCursor) return count;
        this.state.centralCursor = cursor + 1;
        this.state.save();
        continue;
      }
      for (const record of page.data) {
        this.state.apply(record);
        this.received.push({ ...record, source: 'central' });
      }
      this.state.centralCursor = last.ID;
      this.state.save();
      count += page.data.length;
    }
  }

  /** Pulls the site's queue until empty, storing each batch before acknowledging it. */
  async pullQueue(): Promise<number> {
    let count = 0;
    for (;;) {
      const batch = await this.getQueuedRecords();
      if (batch.data.length === 0) return count;
      for (const record of batch.data) {
        this.state.apply(record);
        this.received.push({ ...record, source: 'queue' });
      }
      this.state.save();
      await this.request('POST', 'acknowledged_records', null, { syncIDs: batch.data.map((record) => record.syncOutId) });
      count += batch.data.length;
    }
  }

  /** One whole sync, as the protocol's client runs it. */
  async sync(): Promise<SyncSummary> {
    const site = await this.site();
    const initialised = site.initialisationStatus !== 'completed';
    let pushed = 0;
    if (initialised) {
      await this.initialise();
    } else {
      pushed = await this.pushQueued();
    }
    await this.waitUntilIdle();
    const centralRecordsReceived = await this.pullCentralRecords();
    const queueRecordsReceived = await this.pullQueue();
    return { initialised, pushed, centralRecordsReceived, queueRecordsReceived };
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  private push(body: PushBody) {
    return this.request('POST', 'queued_records', pushResponse, body);
  }

  private getQueuedRecords(): Promise<PullResponse> {
    return this.request('GET', 'queued_records', pullResponse, undefined, { limit: this.pullLimit });
  }

  private getCentralRecords(cursor: number): Promise<CentralRecordsResponse> {
    return this.request('GET', 'central_records', centralRecordsResponse, undefined, { cursor, limit: this.pullLimit });
  }

  private request<S extends z.ZodType>(method: string, route: string, schema: S, body?: unknown, query?: Record<string, number>): Promise<z.output<S>>;
  private request(method: string, route: string, schema: null, body?: unknown, query?: Record<string, number>): Promise<void>;
  private async request(
    method: string,
    route: string,
    schema: z.ZodType | null,
    body?: unknown,
    query: Record<string, number> = {},
  ): Promise<unknown> {
    const url = new URL(`sync/v5/${route}`, this.baseUrl);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value));
    const response = await this.fetch(url, {
      method,
      headers: body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw apiError(response.status, response.statusText, text);
    // Acknowledgement answers may be empty: nothing in them is used.
    if (schema === null) return undefined;
    const subject = `response to ${method} /sync/v5/${route}`;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new SyncFlowError('invalid_response', `The ${subject} is not JSON: ${text.slice(0, 200)}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const { message, issues } = describeZodError(parsed.error, subject);
      throw new SyncFlowError('invalid_response', message, { issues });
    }
    return parsed.data;
  }
}

function apiError(status: number, statusText: string, text: string): SyncApiError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = errorBody.safeParse(json);
  if (parsed.success) {
    const { code, message, data } = parsed.data.error;
    return new SyncApiError(status, code, message ?? code, data ?? null);
  }
  const detail = text.trim().slice(0, 200);
  return new SyncApiError(status, `http_${status}`, `HTTP ${status} ${statusText}${detail === '' ? '' : `: ${detail}`}`, text === '' ? null : text);
}
