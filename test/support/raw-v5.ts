/**
 * Raw calls to the v5 sync API, as a remote site's HTTP client makes them: Basic auth (site name +
 * hex SHA-256 of the password) and the four headers, each of which a test may drop or change.
 */
import { sha256Hex } from '../../functions/domain/config/credentials';

export interface RawV5Options {
  readonly baseUrl: string;
  readonly siteName: string;
  /** The clear password: only its SHA-256 hex is sent. */
  readonly password: string;
  readonly hardwareId: string;
  readonly appName?: string;
  readonly appVersion?: string;
  /** The `version` header (sync API version). @default '14' */
  readonly version?: string;
}

export interface RawV5Call {
  readonly query?: Record<string, string | number>;
  readonly body?: unknown;
  /** Header overrides; `undefined` drops the header. */
  readonly headers?: Record<string, string | undefined>;
}

export interface RawV5Response {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

export interface RawV5Client {
  readonly siteName: string;
  call(method: string, route: string, call?: RawV5Call): Promise<RawV5Response>;
  get(route: string, query?: Record<string, string | number>): Promise<RawV5Response>;
  post(route: string, body: unknown): Promise<RawV5Response>;
}

export function basicAuth(siteName: string, password: string): string {
  return `Basic ${Buffer.from(`${siteName}:${sha256Hex(password)}`, 'utf8').toString('base64')}`;
}

/** The v5 settings an Open mSupply site sends inside every sync v6 body (`SyncApiSettings`). */
export function v6SyncSettings(options: { readonly baseUrl: string; readonly siteName: string; readonly password: string; readonly hardwareId: string }) {
  return {
    serverUrl: options.baseUrl,
    username: options.siteName,
    passwordSha256: sha256Hex(options.password),
    siteUuid: options.hardwareId,
    appVersion: '2.20.00',
    appName: 'Open mSupply Desktop',
    syncVersion: '14',
  };
}

export function rawV5(options: RawV5Options): RawV5Client {
  const base: Record<string, string> = {
    authorization: basicAuth(options.siteName, options.password),
    'msupply-site-uuid': options.hardwareId,
    'app-name': options.appName ?? 'raw-v5-test',
    'app-version': options.appVersion ?? '1.0.0',
    version: options.version ?? '14',
    accept: 'application/json',
  };
  const call = async (method: string, route: string, { query = {}, body, headers = {} }: RawV5Call = {}): Promise<RawV5Response> => {
    const url = new URL(`/sync/v5/${route}`, options.baseUrl);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value));
    const merged: Record<string, string> = { ...base, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) delete merged[name];
      else merged[name] = value;
    }
    const response = await fetch(url, { method, headers: merged, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, headers: response.headers, body: parsed };
  };
  return {
    siteName: options.siteName,
    call,
    get: (route, query) => call('GET', route, query === undefined ? {} : { query }),
    post: (route, body) => call('POST', route, { body }),
  };
}
