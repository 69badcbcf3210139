/** Who may use the admin API: the administrator's bearer token, each guess throttled per address. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { HttpError, type HttpEvent } from '../commons/http';
import { checkAdminToken } from '../commons/admin-credential';
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
  // Each token tried is counted before it is compared, per source address, in the gate the console's sign-in shares.
  const presented = scheme?.toLowerCase() === 'bearer' && rest.length === 1 ? rest[0]! : '';
  const sourceIp = event.requestContext.http.sourceIp;
  const check = await checkAdminToken(deps, presented, sourceIp);
  if (!check.ok && check.retryAfterSeconds !== undefined) {
    const { retryAfterSeconds } = check;
    throw new HttpError(429, 'too_many_attempts', `Too many wrong admin tokens from ${sourceOf(sourceIp)}; try again in ${retryAfterSeconds} s.`, { retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) });
  }
  if (!check.ok) throw new HttpError(401, 'unauthorized', 'The admin token is wrong.', null, challenge);
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
