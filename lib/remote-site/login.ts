/**
 * A user logging in on the site, as the client does it (`service/src/login.rs`,
 * `apis/login_v4.rs`): the site asks `POST <sync url>/api/v4/login`, stores what the answer says
 * (user, store joins, permissions), then checks the password against its own copy. What each
 * answer means is decided exactly where the client decides it; see docs/remote-site.md, "Login".
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { sendOnce, type HttpAnswer } from './http';
import { storePermissions } from './permissions';
import type { SiteState, UserAccount, UserStore } from './state';
import type { Timing } from './timing';

/** `login.rs` CONNECTION_TIMEOUT_SEC: the login client's connect timeout (no read timeout, no retries). */
export const LOGIN_CONNECT_TIMEOUT_SECONDS = 10;

const i32 = z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1);
const u64 = z.number().int().nonnegative();
/** `empty_str_as_option_string`: the key is required, null or "" read as none. */
const optionalText = z
  .string()
  .nullable()
  .transform((value) => (value === null || value === '' ? null : value));
/** A serde enum with `#[serde(other)]`: any string parses. */
const anyVariant = z.string();

/** `LoginUserV4`. */
const loginUser = z.object({
  ID: z.string(),
  name: z.string(),
  startup_method: z.string(),
  nblogins: i32,
  group_id: z.string(),
  mode: z.string(),
  active: z.boolean(),
  lasttime: i32,
  initials: z.string(),
  first_name: optionalText,
  last_name: optionalText,
  address_1: z.string(),
  address_2: z.string(),
  e_mail: optionalText,
  phone1: optionalText,
  phone2: z.string(),
  job_title: optionalText,
  responsible_officer: z.boolean(),
  Language: i32,
  use_ldap: z.boolean(),
  ldap_login_string: z.string(),
  receives_sms_errors: z.boolean(),
  is_group: z.boolean(),
  windows_user_name: z.string(),
  license_category_id: z.string(),
  isInactiveAuthoriser: z.boolean(),
  spare_1: z.string(),
});

/** `LoginUserStoresV4`. */
const loginUserStore = z.object({
  ID: z.string(),
  user_ID: z.string(),
  store_ID: z.string(),
  can_login: z.boolean(),
  store_default: z.boolean(),
  can_action_replenishments: z.boolean(),
  permissions: z.array(z.boolean()),
});

const loginUserInfo = z.object({ user: loginUser, userStores: z.array(loginUserStore) });
export type LoginUserInfo = z.output<typeof loginUserInfo>;

/** `LoginResponseV4`; `userInfo` may be absent or null. */
export const loginAnswer = z.object({
  status: anyVariant,
  authenticated: z.boolean(),
  username: z.string(),
  userFirstName: z.string(),
  userLastName: z.string(),
  userJobTitle: z.string(),
  userType: anyVariant,
  service: z.string(),
  storeName: z.string(),
  userInfo: loginUserInfo.nullish(),
});

/** `LoginResponseErrorV4`, read on a 403 only. */
const blockedAnswer = z.object({ status: z.string(), timeoutRemaining: u64.nullish() });

/** `LanguageType` by the legacy `Language` number (`login.rs` update_user); others are English. */
const languages = ['English', 'French', 'Spanish', 'Laos', 'Khmer', 'Portuguese', 'Russian', 'Tetum'];
export const languageOf = (code: number) => languages[code] ?? 'English';

/**
 * What asking the central server meant (`fetch_user_from_central`, `FetchUserError`):
 * - `updated`: a success answer with user info; the site stored the user;
 * - `unauthenticated`: a 401; `blocked`: a 403 `user_login_timeout` with `timeoutRemaining`;
 * - `connectionError`: no answer, a body that is not JSON, or status "error";
 * - `internalError`: an answer that does not parse, another status, or no user info.
 * The last two fall back to the site's own copy of the password.
 */
export type CentralLogin =
  | { readonly kind: 'updated' }
  | { readonly kind: 'unauthenticated' }
  | { readonly kind: 'blocked'; readonly timeoutRemaining: number }
  | { readonly kind: 'connectionError'; readonly message: string }
  | { readonly kind: 'internalError'; readonly message: string };

export type LoginResult =
  | { readonly status: 'loggedIn'; readonly central: CentralLogin; readonly user: UserAccount; readonly stores: readonly UserStore[] }
  | { readonly status: 'invalidCredentials' | 'noSiteAccess'; readonly central: CentralLogin }
  | { readonly status: 'accountBlocked'; readonly timeoutRemaining: number; readonly central: CentralLogin };

/** `LoginApiV4::login` and `fetch_user_from_central`: what the answer means. */
export async function fetchUserFromCentral(syncUrl: string, siteName: string | null, username: string, password: string, timing: Timing): Promise<{ central: CentralLogin; userInfo?: LoginUserInfo }> {
  let url: URL;
  try {
    // `Url::join("/api/v4/login")`: an absolute path, any path of the sync URL is dropped.
    url = new URL('/api/v4/login', new URL(syncUrl));
  } catch (error) {
    return { central: { kind: 'internalError', message: `Failed to parse central server url: ${(error as Error).message}` } };
  }
  const body = JSON.stringify({ username, password, loginType: 'User', siteName });
  let answer: HttpAnswer;
  try {
    answer = await sendOnce({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body }, timing, LOGIN_CONNECT_TIMEOUT_SECONDS);
  } catch (error) {
    return { central: { kind: 'connectionError', message: `Failed to reach the central server to fetch data for ${username}: ${(error as Error).message}` } };
  }
  if (answer.status === 401) return { central: { kind: 'unauthenticated' } };
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    return { central: { kind: 'connectionError', message: `the answer (status ${answer.status}) is not JSON: ${answer.text.slice(0, 200)}` } };
  }
  if (answer.status === 403) {
    const blocked = blockedAnswer.safeParse(json);
    if (blocked.success && blocked.data.status === 'user_login_timeout' && typeof blocked.data.timeoutRemaining === 'number') {
      return { central: { kind: 'blocked', timeoutRemaining: blocked.data.timeoutRemaining } };
    }
  }
  const parsed = loginAnswer.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { central: { kind: 'internalError', message: `Failed to parse central server response for ${username} (${issue?.path.join('.')}: ${issue?.message})` } };
  }
  const status = parsed.data.status;
  if (status === 'Error' || status === 'error') return { central: { kind: 'connectionError', message: 'Failed to fetch user from central server' } };
  if (status !== 'Success' && status !== 'success') return { central: { kind: 'internalError', message: `Unexpected central server status: ${status}` } };
  if (!parsed.data.userInfo) return { central: { kind: 'internalError', message: 'Missing user info in returned central server login data' } };
  return { central: { kind: 'updated' }, userInfo: parsed.data.userInfo };
}

/** A local salted hash (the client uses bcrypt; only the site ever reads it). */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('hex')}$${scryptSync(password, salt, 32).toString('hex')}`;
}

function verifyPassword(password: string, hashed: string): boolean {
  const [scheme, salt, hash] = hashed.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  return timingSafeEqual(scryptSync(password, Buffer.from(salt, 'hex'), 32), Buffer.from(hash, 'hex'));
}

/**
 * `LoginService::update_user` and `upsert_user`: the user row (a new local hash), then the user's
 * store joins and permissions replaced by those of the answer's stores with `can_login`; a store
 * the site does not hold is skipped (its join would break the foreign key).
 */
export function storeUser(state: SiteState, password: string, info: LoginUserInfo, now: Date): void {
  const { user } = info;
  state.putUser({
    id: user.ID,
    username: user.name,
    hashedPassword: hashPassword(password),
    email: user.e_mail,
    language: languageOf(user.Language),
    firstName: user.first_name,
    lastName: user.last_name,
    phoneNumber: user.phone1,
    jobTitle: user.job_title,
    lastSuccessfulSync: now.toISOString(),
    isActive: user.active,
  });
  const joins = info.userStores
    .filter((store) => store.can_login && state.held('store', store.store_ID) !== undefined)
    .map((store) => ({ id: store.ID, userId: store.user_ID, storeId: store.store_ID, isDefault: store.store_default, permissions: storePermissions(store.permissions) }));
  state.replaceUserStores(user.ID, joins);
}

/** `LoginService::do_login`, from the central answer to the site's own checks. */
export function loginLocally(state: SiteState, username: string, password: string, central: CentralLogin): LoginResult {
  if (central.kind === 'unauthenticated') return { status: 'invalidCredentials', central };
  if (central.kind === 'blocked') return { status: 'accountBlocked', timeoutRemaining: central.timeoutRemaining, central };
  // `find_one_by_user_name`: case-insensitive, active, with a password hash.
  const user = state.users().find((account) => account.username.toLowerCase() === username.toLowerCase() && account.isActive && account.hashedPassword !== '');
  if (!user || !verifyPassword(password, user.hashedPassword)) return { status: 'invalidCredentials', central };
  // `find_user_active_on_this_site`: a store join to a store whose site is this site.
  const stores = state.userStores(user.id);
  const activeHere = stores.some((join) => state.siteId !== null && state.held('store', join.storeId)?.sync_id_remote_site === state.siteId);
  if (!activeHere) return { status: 'noSiteAccess', central };
  return { status: 'loggedIn', central, user, stores };
}

/** `translations/user.rs` LegacyUserTable: a pulled `user` record updates the account, keeping its password hash. */
const legacyUser = z.object({
  ID: z.string(),
  name: z.string(),
  e_mail: optionalText,
  Language: i32,
  first_name: optionalText,
  last_name: optionalText,
  phone1: optionalText,
  job_title: optionalText,
  active: z.boolean().optional().default(true),
});

/** Why a pulled user record is not integrated, or undefined once the account is updated. */
export function integrateUserRecord(state: SiteState, data: unknown): string | undefined {
  const parsed = legacyUser.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `${issue?.path.join('.') || 'record'}: ${issue?.message}`;
  }
  const record = parsed.data;
  const existing = state.user(record.ID);
  state.putUser({
    id: record.ID,
    username: record.name,
    hashedPassword: existing?.hashedPassword ?? '',
    email: record.e_mail,
    language: languageOf(record.Language),
    firstName: record.first_name,
    lastName: record.last_name,
    phoneNumber: record.phone1,
    jobTitle: record.job_title,
    lastSuccessfulSync: existing?.lastSuccessfulSync ?? null,
    isActive: record.active,
  });
  return undefined;
}
