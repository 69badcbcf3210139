/**
 * The administrator's token: where it comes from, and the one check every admin entrance makes
 * (the admin API's bearer header, the console's login form). Every token tried is counted per
 * source address before it is compared (domain/auth/attempt-gate.ts), in the same gate whichever
 * entrance it came through, so guesses cannot be spread across the two.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { sourceOf } from '../domain/auth/attempt-gate';
import { secretsEqual } from '../domain/config/credentials';
import type { AttemptGate } from '../domain/ports';
import { HttpError } from './http';

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

/** The admin token: ADMIN_TOKEN locally, a Secrets Manager secret in AWS (read once per cold start). */
export function adminTokenFromEnvironment(): () => Promise<string> {
  let token: Promise<string> | undefined;
  return () => {
    token ??= (async () => {
      const arn = process.env.ADMIN_TOKEN_SECRET_ARN;
      if (arn) {
        const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: arn }));
        if (!secret.SecretString) throw new Error('The admin token secret is empty');
        return secret.SecretString;
      }
      const local = process.env.ADMIN_TOKEN;
      if (!local) throw new HttpError(503, 'admin_not_configured', 'No admin token is configured (ADMIN_TOKEN or ADMIN_TOKEN_SECRET_ARN).');
      return local;
    })().catch((error: unknown) => {
      token = undefined;
      throw error;
    });
    return token;
  };
}
