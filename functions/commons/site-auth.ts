/**
 * Who is calling a v5 route: the four headers, Basic credentials (site name + hex SHA-256 of
 * its password), attempts throttled per (site name, source address), the hardware binding, and a
 * record of the connection for the sync report. Failures are the protocol's error codes (401).
 * `checkSiteCredentials` is the same check for credentials carried in a body (sync v6).
 */
import { createHash } from 'node:crypto';
import type { Site, SyncConfig } from '../domain/config/model';
import { activeStoresOnSite } from '../domain/config/queries';
import { configLookup } from '../domain/config/lookup';
import { verifyCredential } from '../domain/config/credentials';
import { sourceOf } from '../domain/auth/attempt-gate';
import type { SyncV5Settings } from '../protocol/v6';
import { parseBasicAuth, parseV5Headers, protocolError, type Parsed, type ProtocolError, type V5Headers } from '../protocol/v5';
import { SITE_CALL_CONFIG_MAX_AGE_MS, type ConfigStore } from '../storage/config-store';
import { syncActivityOf, type DynamoSiteSessions } from '../storage/site-sessions';
import { HttpError, type HttpEvent } from './http';


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
const verifiedKey = (stored: string, passwordSha256: string) => createHash('sha256').update(`${stored}\u0000${passwordSha256}`).digest('hex');
async function credentialMatches(stored: string, passwordSha256: string): Promise<boolean> {
  const key = verifiedKey(stored, passwordSha256);
  if (verified.has(key)) return true;
  if (!(await verifyCredential(stored, passwordSha256))) return false;
  if (verified.size > 1000) verified.clear();
  verified.add(key);
  return true;
}

/** The attempt gate's name for a site's password: attempts with its bound hardware id apart. */
export const siteGateName = (siteName: string, bound: boolean) => `${bound ? 'bound' : 'other'}#${siteName}`;

/** (site name, source) pairs that failed in this process since their last success: a success clears their count. */
const failedHere = new Set<string>();
function rememberFailure(pair: string) {
  if (failedHere.size > 10_000) failedHere.clear();
  failedHere.add(pair);
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
  const checked = await checkSiteCredentials(deps, { ...credentials, headers, source: sourceOf(event.requestContext?.http?.sourceIp) });
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
  /** Where the request came from: attempts are throttled per (site name, source). */
  readonly source: string;
}

/** The credentials a v6 body carries (its v5 settings), from the request's source address. */
export function credentialsFromSettings(settings: SyncV5Settings, event: HttpEvent): SiteCredentials {
  return {
    siteName: settings.username,
    passwordSha256: settings.passwordSha256,
    headers: { siteUuid: settings.siteUuid, appName: settings.appName, appVersion: settings.appVersion, version: Number(settings.syncVersion) },
    source: sourceOf(event.requestContext?.http?.sourceIp),
  };
}

export type SiteCheck =
  | { readonly ok: true; readonly caller: SiteCaller }
  /** `headers`: to send with the refusal (`retry-after` when locked out). */
  | { readonly ok: false; readonly error: ProtocolError; readonly headers: Record<string, string> };

/**
 * The site checks every sync route makes, in order: the site's credential (attempts throttled
 * per site name and source address, counted before they are evaluated), the hardware binding,
 * at least one active store. A stranger guessing a site's password slows only their own address,
 * and only for attempts without the site's bound hardware id: the site's installation, from its
 * own address with its bound id, is never made to wait by anyone else; a password already
 * verified in this process needs no attempt at all.
 */
export async function checkSiteCredentials(deps: SiteAuthDeps, credentials: SiteCredentials): Promise<SiteCheck> {
  const { headers } = credentials;
  const nowSeconds = Math.floor(deps.now().getTime() / 1000);
  const refused = (error: ProtocolError, extraHeaders: Record<string, string> = {}): SiteCheck => ({ ok: false, error, headers: extraHeaders });

  // At most one version read per instance a second (docs/config.md, "Reading the version").
  const config = await deps.configStore.current({ maxAgeMs: SITE_CALL_CONFIG_MAX_AGE_MS });
  const configured = configLookup(config).siteByLowerName.get(credentials.siteName.toLowerCase());
  const remote = configured && configured.kind !== 'central' ? configured : undefined;
  // The cached configuration may not know a binding made since it loaded: its own item does.
  const hardwareId = remote ? remote.hardwareId || (await deps.configStore.hardwareBinding(remote.siteId)) : '';
  const site: Site | undefined = remote && (hardwareId === remote.hardwareId ? remote : { ...remote, hardwareId });
  const known = site !== undefined && site.credential !== '' && verified.has(verifiedKey(site.credential, credentials.passwordSha256));
  // Attempts presenting the site's bound hardware id are counted apart: a stranger, who does not
  // know it, can never make the site's own installation wait.
  const bound = site !== undefined && site.hardwareId !== '' && site.hardwareId === headers.siteUuid;
  const gateName = siteGateName(credentials.siteName, bound);
  const pair = `${gateName.toLowerCase()}\u0000${credentials.source}`;
  if (known && failedHere.delete(pair)) await deps.sessions.clearAttempts(gateName, credentials.source);
  if (!known) {
    const gate = await deps.sessions.enterAttempt(gateName, credentials.source, nowSeconds);
    if (!gate.admitted) {
      const retryAfter = gate.retryAfterSeconds;
      return refused(
        protocolError('site_auth_timeout', `Too many failed logins for "${credentials.siteName}" from this address; try again in ${Math.max(1, Math.ceil(retryAfter / 60))} minutes.`, {
          retryAfterSeconds: retryAfter,
        }),
        { 'retry-after': String(retryAfter) },
      );
    }
    if (!site || site.credential === '' || !(await credentialMatches(site.credential, credentials.passwordSha256))) {
      rememberFailure(pair);
      if (!site) return refused(protocolError('site_name_not_found', `No remote site is called "${credentials.siteName}" on this central server.`));
      return refused(protocolError('site_incorrect_password', `The password of site "${site.name}" is wrong.`));
    }
    failedHere.delete(pair);
    await deps.sessions.clearAttempts(gateName, credentials.source);
  }
  if (!site) return refused(protocolError('site_name_not_found', `No remote site is called "${credentials.siteName}" on this central server.`));
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

/**
 * Records a site's connection, at most about once a minute unless its software or hardware
 * changed; a push and a pull each count apart, so the sync report's last push and pull are never
 * more than a minute behind however a function's routes interleave.
 */
function connectionRecorder(deps: SiteAuthDeps) {
  const CONNECTION_WRITE_INTERVAL_MS = 60_000;
  const recent = new Map<string, { readonly atMs: number; readonly fingerprint: string }>();
  return async (siteId: number, headers: V5Headers, route: string) => {
    const now = deps.now();
    const fingerprint = [headers.siteUuid, headers.appName, headers.appVersion, headers.version].join('\u0000');
    const key = `${siteId}\u0000${syncActivityOf(route) ?? ''}`;
    const last = recent.get(key);
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
    recent.set(key, { atMs: now.getTime(), fingerprint });
  };
}
