/** Who may use the admin API: the administrator's bearer token, each guess throttled per address. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { HttpError, type HttpEvent } from '../commons/http';
import { secretsEqual } from '../domain/config/credentials';
import { sourceOf } from '../domain/auth/attempt-gate';
import type { RouteDeps } from './types';

/** Checks the bearer token and returns the actor named in the audit log. */
export async function authenticate(deps: RouteDeps, event: HttpEvent): Promise<string> {
  const header = event.headers.authorization ?? event.headers.Authorization ?? '';
  const challenge = { 'www-authenticate': 'Bearer realm="admin"' };
  if (header === '') throw new HttpError(401, 'unauthorized', 'The admin API needs "Authorization: Bearer <admin token>".', null, challenge);
  const [scheme, ...rest] = header.trim().split(/\s+/);
  if (scheme?.toLowerCase() === 'basic')
    throw new HttpError(403, 'site_credentials_refused', 'Site credentials cannot open the admin API; use the administrator\'s bearer token.');
  const expected = await deps.adminToken();
  // Each token tried is counted before it is compared, per source address (domain/auth/attempt-gate.ts).
  const source = sourceOf(event.requestContext.http.sourceIp);
  const gate = deps.attempts ? await deps.attempts.enter('admin', 'token', source, Math.floor(deps.now().getTime() / 1000)) : undefined;
  if (gate && !gate.admitted)
    throw new HttpError(429, 'too_many_attempts', `Too many wrong admin tokens from ${source}; try again in ${gate.retryAfterSeconds} s.`, { retryAfterSeconds: gate.retryAfterSeconds }, { 'retry-after': String(gate.retryAfterSeconds) });
  if (scheme?.toLowerCase() !== 'bearer' || rest.length !== 1 || !secretsEqual(rest[0]!, expected))
    throw new HttpError(401, 'unauthorized', 'The admin token is wrong.', null, challenge);
  if (gate) await deps.attempts!.clear('admin', 'token', source);
  const user = (event.headers['x-admin-user'] ?? '').replace(/[^\w.@-]/g, '').slice(0, 64);
  return `admin${user ? `:${user}` : ''}@${event.requestContext.http.sourceIp}`;
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
