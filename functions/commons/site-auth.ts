/**
 * Who is calling a v5 route: the four headers, Basic credentials (site name + hex SHA-256 of
 * its password), repeated failures throttled per site name, the hardware binding, and a record
 * of the connection for the sync report. Failures are the protocol's error codes (401).
 * `checkSiteCredentials` is the same check for credentials carried in a body (sync v6).
 */
import { createHash } from 'node:crypto';
import type { Site, SyncConfig } from '../domain/config/model';
import { activeStoresOnSite } from '../domain/config/queries';
import { configLookup } from '../domain/config/lookup';
import { verifyCredential } from '../domain/config/credentials';
import { parseBasicAuth, parseV5Headers, protocolError, type Parsed, type ProtocolError, type V5Headers } from '../protocol/v5';
import type { ConfigStore } from '../storage/config-store';
import type { DynamoSiteSessions } from '../storage/site-sessions';
import { HttpError, type HttpEvent } from './http';

/** Failed logins allowed per site name within the window before the name is locked out. */
export const MAX_FAILED_LOGINS = 5;
export const FAILED_LOGIN_WINDOW_SECONDS = 15 * 60;

export interface SiteCaller {
  readonly site: Site;
  readonly headers: V5Headers;
  readonly config: SyncConfig;
}

export interface SiteAuthDeps {
  readonly configStore: ConfigStore;
  readonly sessions: DynamoSiteSessions;
  readonly now: () => Date;
}

export const toHttpError = (error: ProtocolError, headers: Record<string, string> = {}) =>
  new HttpError(error.status, error.code, error.message, error.data, headers);

/** The parsed value, or the protocol's error body as the answer. */
export const valueOrThrow = <T>(parsed: Parsed<T>): T => {
  if (!parsed.ok) throw toHttpError(parsed.error);
  return parsed.value;
};

/** Verified (stored credential, sent hash) pairs: scrypt is deliberately slow, a sync makes many calls. */
const verified = new Set<string>();
function credentialMatches(stored: string, passwordSha256: string): boolean {
  const key = createHash('sha256').update(`${stored}\u0000${passwordSha256}`).digest('hex');
  if (verified.has(key)) return true;
  if (!verifyCredential(stored, passwordSha256)) return false;
  if (verified.size > 1000) verified.clear();
  verified.add(key);
  return true;
}

/** One authenticator per handler: it remembers when it last recorded each site's connection. */
export function createSiteAuthenticator(deps: SiteAuthDeps): (event: HttpEvent) => Promise<SiteCaller> {
  const recordConnection = connectionRecorder(deps);
  return async (event) => {
    const caller = await authenticateSite(deps, event);
    await recordConnection(caller.site.siteId, caller.headers, event.routeKey);
    return caller;
  };
}

async function authenticateSite(deps: SiteAuthDeps, event: HttpEvent): Promise<SiteCaller> {
  const headers = valueOrThrow(parseV5Headers(event.headers));
  const credentials = valueOrThrow(parseBasicAuth(event.headers.authorization));
  const checked = await checkSiteCredentials(deps, { ...credentials, headers });
  if (!checked.ok) throw toHttpError(checked.error, checked.headers);
  return checked.caller;
}

/** What a site presents, however it was carried (v5: Basic + headers; v6: the body's settings). */
export interface SiteCredentials {
  readonly siteName: string;
  /** Lowercase hex SHA-256 of the site's password. */
  readonly passwordSha256: string;
  /** Hardware id (for the binding) and software, as the v5 headers carry them. */
  readonly headers: V5Headers;
}

export type SiteCheck =
  | { readonly ok: true; readonly caller: SiteCaller }
  /** `headers`: to send with the refusal (`retry-after` when locked out). */
  | { readonly ok: false; readonly error: ProtocolError; readonly headers: Record<string, string> };

/**
 * The site checks every sync route makes, in order: lockout of the name after repeated failures,
 * the site's credential, the hardware binding, at least one active store. A wrong name or
 * password counts as a failure towards the lockout; a right one clears the count.
 */
export async function checkSiteCredentials(deps: SiteAuthDeps, credentials: SiteCredentials): Promise<SiteCheck> {
  const { headers } = credentials;
  const nowSeconds = Math.floor(deps.now().getTime() / 1000);
  const refused = (error: ProtocolError, extraHeaders: Record<string, string> = {}): SiteCheck => ({ ok: false, error, headers: extraHeaders });

  const failures = await deps.sessions.failures(credentials.siteName);
  if (failures && failures.count >= MAX_FAILED_LOGINS && failures.since > nowSeconds - FAILED_LOGIN_WINDOW_SECONDS) {
    const retryAfter = failures.since + FAILED_LOGIN_WINDOW_SECONDS - nowSeconds;
    return refused(
      protocolError('site_auth_timeout', `Too many failed logins for "${credentials.siteName}"; try again in ${Math.ceil(retryAfter / 60)} minutes.`, {
        retryAfterSeconds: retryAfter,
      }),
      { 'retry-after': String(retryAfter) },
    );
  }

  const config = await deps.configStore.current();
  const configured = configLookup(config).siteByLowerName.get(credentials.siteName.toLowerCase());
  const refuseAndCount = async (error: ProtocolError): Promise<SiteCheck> => {
    await deps.sessions.recordFailure(credentials.siteName, nowSeconds, FAILED_LOGIN_WINDOW_SECONDS);
    return refused(error);
  };
  if (!configured || configured.kind === 'central') {
    return refuseAndCount(protocolError('site_name_not_found', `No remote site is called "${credentials.siteName}" on this central server.`));
  }
  // The cached configuration may not know a binding made since it loaded: its own item does.
  const hardwareId = configured.hardwareId || (await deps.configStore.hardwareBinding(configured.siteId));
  const site: Site = hardwareId === configured.hardwareId ? configured : { ...configured, hardwareId };
  if (site.credential === '' || !credentialMatches(site.credential, credentials.passwordSha256)) {
    return refuseAndCount(protocolError('site_incorrect_password', `The password of site "${site.name}" is wrong.`));
  }
  if (failures) await deps.sessions.clearFailures(credentials.siteName);
  if (site.hardwareId !== '' && site.hardwareId !== headers.siteUuid) {
    return refused(
      protocolError(
        'site_incorrect_hardware_id',
        `Site "${site.name}" is bound to another installation; an administrator must release the binding before this one can sync.`,
      ),
    );
  }
  if (activeStoresOnSite(config, site.siteId).length === 0) {
    return refused(protocolError('site_has_no_store', `Site "${site.name}" has no active store; an administrator must make a store active on it.`));
  }
  return { ok: true, caller: { site, headers, config } };
}

/**
 * The same checks for callers that carry credentials outside HTTP headers (sync v6), with the
 * connection recorded on success under `route`. One per handler, like the authenticator.
 */
export function createSiteCredentialChecker(deps: SiteAuthDeps): (credentials: SiteCredentials, route: string) => Promise<SiteCheck> {
  const recordConnection = connectionRecorder(deps);
  return async (credentials, route) => {
    const checked = await checkSiteCredentials(deps, credentials);
    if (checked.ok) await recordConnection(checked.caller.site.siteId, checked.caller.headers, route);
    return checked;
  };
}

/** Records a site's connection, at most about once a minute unless its software or hardware changed. */
function connectionRecorder(deps: SiteAuthDeps) {
  const CONNECTION_WRITE_INTERVAL_MS = 60_000;
  const recent = new Map<number, { readonly atMs: number; readonly fingerprint: string }>();
  return async (siteId: number, headers: V5Headers, route: string) => {
    const now = deps.now();
    const fingerprint = [headers.siteUuid, headers.appName, headers.appVersion, headers.version].join('\u0000');
    const last = recent.get(siteId);
    if (last && last.fingerprint === fingerprint && now.getTime() - last.atMs < CONNECTION_WRITE_INTERVAL_MS) return;
    await deps.sessions.recordConnection(siteId, {
      at: now.toISOString(),
      hardwareId: headers.siteUuid,
      appName: headers.appName,
      appVersion: headers.appVersion,
      syncApiVersion: headers.version,
      route,
    });
    if (recent.size > 10_000) recent.clear();
    recent.set(siteId, { atMs: now.getTime(), fingerprint });
  };
}
