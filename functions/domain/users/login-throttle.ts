/**
 * When repeated failed logins block a user (POST /api/v4/login). Failures are counted per
 * (login name, source address): the site's server that asks on the user's behalf. A stranger
 * elsewhere can block only their own address, never the user's logins from their own site; and
 * every block ends when its window does (it starts at the window's first failure and is never
 * extended by further failures), so nobody is locked out for good. Pure.
 */

/** Failed logins allowed per (name, source) within a window before that pair is blocked. */
export const MAX_FAILED_USER_LOGINS = 5;
export const USER_LOGIN_WINDOW_SECONDS = 15 * 60;

export interface UserLoginFailures {
  readonly count: number;
  /** Epoch seconds of the window's first failure. */
  readonly since: number;
}

/** Milliseconds the pair stays blocked (the client counts down `timeoutRemaining` in ms); 0 = not blocked. */
export function blockedForMs(failures: UserLoginFailures | undefined, nowMs: number): number {
  if (!failures || failures.count < MAX_FAILED_USER_LOGINS) return 0;
  const endsMs = (failures.since + USER_LOGIN_WINDOW_SECONDS) * 1000;
  return Math.max(0, endsMs - nowMs);
}

/** The failures after one more, at `nowSeconds`: a window that has ended starts again from 1. */
export function withFailure(failures: UserLoginFailures | undefined, nowSeconds: number): UserLoginFailures {
  if (!failures || failures.since + USER_LOGIN_WINDOW_SECONDS <= nowSeconds) return { count: 1, since: nowSeconds };
  return { count: failures.count + 1, since: failures.since };
}

/** Source addresses are kept short and plain, since they become part of a storage key. */
export const sourceKey = (sourceIp: string | undefined): string => (sourceIp ?? '').replace(/[^0-9A-Za-z.:_-]/g, '').slice(0, 64) || 'unknown';
