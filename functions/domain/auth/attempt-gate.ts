/**
 * Throttling guesses of a secret (a site's password, the admin token), per (name, source
 * address): a stranger can slow down only their own address, never the site or operator
 * elsewhere. Every attempt that is evaluated is counted before it is evaluated, and an attempt
 * beyond the free ones must wait until the previous one's back-off has passed, so concurrent
 * guesses cannot slip through together; the back-off doubles with each evaluated attempt, up to
 * a ceiling. A success forgets the count. Pure.
 */

export interface GatePolicy {
  /** Attempts evaluated without waiting. */
  readonly freeAttempts: number;
  /** Wait after the first attempt beyond the free ones, doubled for each one after it. */
  readonly baseBackoffSeconds: number;
  readonly maxBackoffSeconds: number;
  /** A count untouched this long is forgotten. */
  readonly forgetAfterSeconds: number;
}

export const DEFAULT_GATE_POLICY: GatePolicy = { freeAttempts: 5, baseBackoffSeconds: 30, maxBackoffSeconds: 60 * 60, forgetAfterSeconds: 24 * 60 * 60 };

export interface GateState {
  /** Attempts evaluated and not yet forgotten. */
  readonly count: number;
  /** Epoch seconds before which no attempt is evaluated. */
  readonly blockedUntil: number;
  /** Epoch seconds of the last evaluated attempt. */
  readonly lastAt: number;
}

export type GateDecision = { readonly admitted: true; readonly next: GateState } | { readonly admitted: false; readonly retryAfterSeconds: number };

/** Whether an attempt at `now` is evaluated, and the state it leaves (counted before evaluation). */
export function decideAttempt(state: GateState | undefined, now: number, policy: GatePolicy = DEFAULT_GATE_POLICY): GateDecision {
  const current = state && now - state.lastAt < policy.forgetAfterSeconds ? state : undefined;
  if (current && current.blockedUntil > now) return { admitted: false, retryAfterSeconds: current.blockedUntil - now };
  const count = (current?.count ?? 0) + 1;
  // The last free attempt already makes the next one wait.
  const beyond = count - policy.freeAttempts + 1;
  const backoff = beyond <= 0 ? 0 : Math.min(policy.baseBackoffSeconds * 2 ** Math.min(beyond - 1, 30), policy.maxBackoffSeconds);
  return { admitted: true, next: { count, blockedUntil: now + backoff, lastAt: now } };
}

/** Source addresses are kept short and plain, since they become part of a storage key. */
export const sourceOf = (sourceIp: string | undefined): string => (sourceIp ?? '').replace(/[^0-9A-Za-z.:_-]/g, '').slice(0, 64) || 'unknown';
