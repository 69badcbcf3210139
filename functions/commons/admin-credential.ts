/**
 * The check of the administrator's token behind the console's sign-in form, the same one the
 * admin API makes of its bearer header (admin-api/auth.ts): every token tried is counted per
 * source address before it is compared (domain/auth/attempt-gate.ts), in the same gate whichever
 * entrance it came through, so guesses cannot be spread across the two.
 */
import { sourceOf } from '../domain/auth/attempt-gate';
import { secretsEqual } from '../domain/config/credentials';
import type { AttemptGate } from '../domain/ports';

export interface AdminCredentialDeps {
  readonly adminToken: () => Promise<string>;
  /** Without it nothing is throttled. */
  readonly attempts?: AttemptGate | null;
  readonly now: () => Date;
}

/** The gate's scope and name for admin token attempts (shared by the admin API and the console). */
export const ADMIN_GATE = { scope: 'admin', name: 'token' } as const;

export type AdminTokenCheck = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds?: number };

/** Counts the attempt, then compares; a right token forgets the source's count. */
export async function checkAdminToken(deps: AdminCredentialDeps, presented: string, sourceIp: string | undefined): Promise<AdminTokenCheck> {
  const expected = await deps.adminToken();
  const source = sourceOf(sourceIp);
  const gate = deps.attempts ? await deps.attempts.enter(ADMIN_GATE.scope, ADMIN_GATE.name, source, Math.floor(deps.now().getTime() / 1000)) : undefined;
  if (gate && !gate.admitted) return { ok: false, retryAfterSeconds: gate.retryAfterSeconds };
  if (!secretsEqual(presented, expected)) return { ok: false };
  if (gate) await deps.attempts!.clear(ADMIN_GATE.scope, ADMIN_GATE.name, source);
  return { ok: true };
}
