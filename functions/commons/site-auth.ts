/**
 * Who is calling a v5 route: the four headers, Basic credentials (site name + hex SHA-256 of
 * its password), repeated failures throttled per site name, the hardware binding, and a record
 * of the connection for the sync report. Failures are the protocol's error codes (401).
 */
import { createHash } from 'node:crypto';
import type { Site, SyncConfig } from '../domain/config/model';
import { activeStoresOnSite, allSites } from '../domain/config/queries';
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
  const nowSeconds = Math.floor(deps.now().getTime() / 1000);

  const failures = await deps.sessions.failures(credentials.siteName);
  if (failures && failures.count >= MAX_FAILED_LOGINS && failures.since > nowSeconds - FAILED_LOGIN_WINDOW_SECONDS) {
    const retryAfter = failures.since + FAILED_LOGIN_WINDOW_SECONDS - nowSeconds;
    throw toHttpError(
      protocolError('site_auth_timeout', `Too many failed logins for "${credentials.siteName}"; try again in ${Math.ceil(retryAfter / 60)} minutes.`, {
        retryAfterSeconds: retryAfter,
      }),
      { 'retry-after': String(retryAfter) },
    );
  }

  const config = await deps.configStore.current();
  const site = allSites(config).find((candidate) => candidate.name.toLowerCase() === credentials.siteName.toLowerCase());
  const refuse = async (error: ProtocolError): Promise<never> => {
    await deps.sessions.recordFailure(credentials.siteName, nowSeconds, FAILED_LOGIN_WINDOW_SECONDS);
    throw toHttpError(error);
  };
  if (!site || site.kind === 'central') {
    return refuse(protocolError('site_name_not_found', `No remote site is called "${credentials.siteName}" on this central server.`));
  }
  if (site.credential === '' || !credentialMatches(site.credential, credentials.passwordSha256)) {
    return refuse(protocolError('site_incorrect_password', `The password of site "${site.name}" is wrong.`));
  }
  if (failures) await deps.sessions.clearFailures(credentials.siteName);
  if (site.hardwareId !== '' && site.hardwareId !== headers.siteUuid) {
    throw toHttpError(
      protocolError(
        'site_incorrect_hardware_id',
        `Site "${site.name}" is bound to another installation; an administrator must release the binding before this one can sync.`,
      ),
    );
  }
  if (activeStoresOnSite(config, site.siteId).length === 0) {
    throw toHttpError(protocolError('site_has_no_store', `Site "${site.name}" has no active store; an administrator must make a store active on it.`));
  }
  return { site, headers, config };
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
