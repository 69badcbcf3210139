/**
 * The console's browser session: after the admin token is typed into the login form, a cookie
 * carries `expiry.nonce.signature`, signed with HMAC-SHA256 under a key derived from the admin
 * token (rotating the token ends every session; nothing is stored server-side). Each session's
 * CSRF token is another HMAC of its nonce, put in every form and checked on every POST.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Eight hours: a working day, then the token is typed again. */
export const SESSION_SECONDS = 8 * 60 * 60;

export interface Session {
  readonly nonce: string;
  readonly expiresAt: number;
  readonly csrfToken: string;
}

const sessionKey = (adminToken: string) => createHmac('sha256', adminToken).update('console-session-v1').digest();
const mac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest('base64url');

function equal(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A new session from `nowSeconds`: the cookie value and what it stands for. */
export function issueSession(adminToken: string, nowSeconds: number): { value: string; session: Session } {
  const key = sessionKey(adminToken);
  const expiresAt = nowSeconds + SESSION_SECONDS;
  const nonce = randomBytes(16).toString('base64url');
  const body = `${expiresAt}.${nonce}`;
  return { value: `${body}.${mac(key, body)}`, session: { nonce, expiresAt, csrfToken: mac(key, `csrf.${nonce}`) } };
}

/** The session a cookie value stands for, or undefined when it is forged, altered or expired. */
export function verifySession(adminToken: string, value: string | undefined, nowSeconds: number): Session | undefined {
  const match = /^(\d{1,12})\.([\w-]{22})\.([\w-]{43})$/.exec(value ?? '');
  if (!match) return undefined;
  const [, expiry, nonce, signature] = match as unknown as [string, string, string, string];
  const key = sessionKey(adminToken);
  if (!equal(signature, mac(key, `${expiry}.${nonce}`))) return undefined;
  const expiresAt = Number(expiry);
  if (expiresAt <= nowSeconds) return undefined;
  return { nonce, expiresAt, csrfToken: mac(key, `csrf.${nonce}`) };
}

export const csrfMatches = (session: Session, presented: string | undefined): boolean => presented !== undefined && equal(presented, session.csrfToken);

/**
 * Secure everywhere but plain HTTP on this machine (the local server), where a Secure cookie
 * would never come back. `__Host-` pins a secure cookie to this host and path `/`.
 */
export function cookieName(secure: boolean): string {
  return secure ? '__Host-console_session' : 'console_session';
}

export function sessionCookie(secure: boolean, value: string, maxAgeSeconds: number): string {
  const path = secure ? '/' : '/console';
  return `${cookieName(secure)}=${value}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** The cookie's value from API Gateway's `cookies` list (each `name=value`). */
export function readCookie(cookies: readonly string[] | undefined, name: string): string | undefined {
  for (const cookie of cookies ?? []) {
    const eq = cookie.indexOf('=');
    if (eq > 0 && cookie.slice(0, eq).trim() === name) return cookie.slice(eq + 1).trim();
  }
  return undefined;
}
