/**
 * POST /api/v4/login as the Open mSupply client sends and parses it
 * (`server/service/src/apis/login_v4.rs`). The request is `{username, password, loginType,
 * siteName}`. The client reads the HTTP status first: 401 is "invalid credentials" (body not
 * read); 403 with `{"status": "user_login_timeout", "timeoutRemaining": <ms>}` is "blocked";
 * anything else must parse as the full answer below, and only `status: "success"` with
 * `userInfo` logs the user in. The answer schemas list every field its parser requires.
 */
import * as z from './zod';

/** Bodies larger than this are refused before parsing. */
export const MAX_LOGIN_BODY_BYTES = 64 * 1024;

export const loginRequestBody = z.object({
  username: z.string().check(z.trim(), z.minLength(1, 'username must not be empty'), z.maxLength(256)),
  password: z.string().check(z.maxLength(1024)),
  /** The client sends "User"; anything else is not a user login. */
  loginType: z.optional(z.string().check(z.refine((value) => value.toLowerCase() === 'user', 'only "User" logins are served'))),
  /** The site's sync name (its v5 login), sent for information: nothing is decided by it. */
  siteName: z.optional(z.nullable(z.string().check(z.maxLength(256)))),
});
export type LoginRequest = z.infer<typeof loginRequestBody>;

/** `LoginUserV4`: every field without a serde default is required. */
export const loginUserV4 = z.object({
  ID: z.string(),
  name: z.string(),
  startup_method: z.string(),
  nblogins: z.int(),
  group_id: z.string(),
  mode: z.string(),
  active: z.boolean(),
  lasttime: z.int(),
  initials: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  address_1: z.string(),
  address_2: z.string(),
  e_mail: z.string(),
  phone1: z.string(),
  phone2: z.string(),
  job_title: z.string(),
  responsible_officer: z.boolean(),
  Language: z.int(),
  use_ldap: z.boolean(),
  ldap_login_string: z.string(),
  receives_sms_errors: z.boolean(),
  is_group: z.boolean(),
  windows_user_name: z.string(),
  license_category_id: z.string(),
  isInactiveAuthoriser: z.boolean(),
  spare_1: z.string(),
});

/** `LoginUserStoresV4`: `permissions[i]` is legacy permission number i + 1. */
export const loginUserStoreV4 = z.object({
  ID: z.string(),
  user_ID: z.string(),
  store_ID: z.string(),
  can_login: z.boolean(),
  store_default: z.boolean(),
  can_action_replenishments: z.boolean(),
  permissions: z.array(z.boolean()),
});

/** `LoginResponseV4`; `status` is "success" or "error" (other values parse as unknown). */
export const loginAnswerV4 = z.object({
  status: z.string(),
  authenticated: z.boolean(),
  username: z.string(),
  userFirstName: z.string(),
  userLastName: z.string(),
  userJobTitle: z.string(),
  userType: z.string(),
  service: z.string(),
  storeName: z.string(),
  userInfo: z.nullable(z.object({ user: loginUserV4, userStores: z.array(loginUserStoreV4) })),
});
export type LoginAnswerV4 = z.infer<typeof loginAnswerV4>;

/** `LoginResponseErrorV4`, read on a 403. */
export const loginBlockedAnswerV4 = z.object({
  status: z.literal('user_login_timeout'),
  timeoutRemaining: z.int().check(z.minimum(0)),
});

/** A refusal (401, 400, 413): the full answer with status "error", and the project's error object for people. */
export function loginRefusal(code: string, message: string, data: unknown = null): LoginAnswerV4 & { error: { code: string; message: string; data: unknown } } {
  return {
    status: 'error',
    authenticated: false,
    username: '',
    userFirstName: '',
    userLastName: '',
    userJobTitle: '',
    userType: 'user',
    service: '',
    storeName: '',
    userInfo: null,
    error: { code, message, data },
  };
}

export function loginBlocked(timeoutRemainingMs: number, message: string) {
  return { status: 'user_login_timeout' as const, timeoutRemaining: Math.ceil(timeoutRemainingMs), error: { code: 'user_login_timeout', message, data: null } };
}
