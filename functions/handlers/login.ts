/**
 * POST /api/v4/login: a site asks, on behalf of a person logging in there, whether the name and
 * password are right, and gets the user with the stores they may log in to and the permissions
 * there (protocol/login-v4.ts, docs/users.md). Repeated failures block the (name, source)
 * pair for the rest of a bounded window (domain/users/login-throttle.ts). Bad input is a 4xx
 * in the answer's own shape; nothing is written but failure counts.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../commons/clients';
import { tableName } from '../commons/environment';
import { httpHandler, json, type HttpEvent, type HttpResult } from '../commons/http';
import { lazyHandler } from '../commons/lazy-handler';
import { logger } from '../commons/observability';
import { decideLogin, loginAnswer } from '../domain/users/login';
import { blockedForMs, sourceKey, USER_LOGIN_WINDOW_SECONDS } from '../domain/users/login-throttle';
import { loginBlocked, loginRefusal, loginRequestBody, MAX_LOGIN_BODY_BYTES, type LoginRequest } from '../protocol/login-v4';
import { ConfigStore } from '../storage/config-store';
import { DynamoUserLoginFailures, type UserLoginFailureStore } from '../storage/user-login-failures';
import { parseJsonText } from '../protocol/json-text';

export interface LoginDeps {
  readonly configStore: Pick<ConfigStore, 'current'>;
  readonly failures: UserLoginFailureStore;
  readonly now: () => Date;
}

const refusal = (status: number, code: string, message: string, data: unknown = null): HttpResult => json(status, loginRefusal(code, message, data));

export function createLoginHandler(deps: LoginDeps) {
  // errorBody: a body refused before it is read (not gzip, a decompression bomb) is answered in the login's own shape.
  return httpHandler(async (event: HttpEvent) => {
    if (event.requestContext.http.method.toUpperCase() !== 'POST') return refusal(405, 'method_not_allowed', 'Log in with POST.');
    const parsed = readRequest(event);
    if ('refused' in parsed) return parsed.refused;
    const { username, password, siteName } = parsed.request;
    const source = sourceKey(event.requestContext.http.sourceIp);
    const nowMs = deps.now().getTime();

    const blocked = blockedForMs(await deps.failures.failures(username, source), nowMs);
    if (blocked > 0) {
      logger.info('user login blocked', { source, siteName });
      return json(403, loginBlocked(blocked, `Too many failed logins for "${username}"; try again in ${Math.ceil(blocked / 60_000)} minutes.`));
    }

    const config = await deps.configStore.current();
    const decision = await decideLogin(config, username, password);
    if (!decision.ok) {
      await deps.failures.recordFailure(username, source, Math.floor(nowMs / 1000), USER_LOGIN_WINDOW_SECONDS);
      logger.info('user login refused', { reason: decision.reason, source, siteName });
      return refusal(401, 'invalid_credentials', 'The user name or password is wrong, or the user is not active.');
    }
    await deps.failures.clear(username, source);
    logger.info('user logged in', { userId: decision.user.id, source, siteName });
    return json(200, loginAnswer(config, decision.user));
  }, { errorBody: ({ code, message, data }) => loginRefusal(code, message, data) });
}

function readRequest(event: HttpEvent): { request: LoginRequest } | { refused: HttpResult } {
  if (!event.body) return { refused: refusal(400, 'invalid_request', 'The login needs a JSON body {username, password, loginType, siteName}.') };
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text, 'utf8') > MAX_LOGIN_BODY_BYTES)
    return { refused: refusal(413, 'payload_too_large', `A login body is at most ${MAX_LOGIN_BODY_BYTES} bytes.`) };
  const raw = parseJsonText(text);
  if (!raw.ok) return { refused: refusal(400, 'invalid_json', `The login body is ${raw.message}.`) };
  const result = loginRequestBody.safeParse(raw.value);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 10).map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    return { refused: refusal(400, 'invalid_request', `The login body is invalid: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`, { issues }) };
  }
  return { request: result.data };
}

/** The handler's dependencies on the given tables. */
export const loginDependencies = (db: DynamoDBDocumentClient, tables: { readonly config: string; readonly siteState: string }, now: () => Date = () => new Date()): LoginDeps => ({
  configStore: new ConfigStore(db, tables.config),
  failures: new DynamoUserLoginFailures(db, tables.siteState),
  now,
});

export const handler = lazyHandler(() => createLoginHandler(loginDependencies(dynamoDb(), { config: tableName('config'), siteState: tableName('siteState') })));
