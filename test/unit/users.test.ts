/**
 * Users: the admin and configuration-file schemas, password hashing and login decisions, the
 * login answer as the Open mSupply client parses it, the rules that block repeated failures,
 * and the user record sites receive.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configFromFile, exportConfig } from '../../functions/domain/config/config-file';
import { hashPassword } from '../../functions/domain/config/credentials';
import { applyCommand, emptyConfig, type SyncConfig } from '../../functions/domain/config';
import { decideLogin, loginAnswer, userStoreJoinId } from '../../functions/domain/users/login';
import { blockedForMs, MAX_FAILED_USER_LOGINS, sourceKey, USER_LOGIN_WINDOW_SECONDS, withFailure, type UserLoginFailures } from '../../functions/domain/users/login-throttle';
import { grantedNumbers, MAX_PERMISSION_NUMBER, permissionFlags } from '../../functions/domain/users/permissions';
import { authoredUserRecord, retiredUserRecord, userRecordAgrees } from '../../functions/domain/users/user-record';
import { defaultUserId, getUser, userByName } from '../../functions/domain/users/users';
import { configFileSchema, createUserBody, updateUserBody } from '../../functions/protocol/admin';
import { loginAnswerV4, loginBlocked, loginBlockedAnswerV4, loginRefusal, loginRequestBody, loginUserStoreV4 } from '../../functions/protocol/login-v4';
import * as z from 'zod/mini';

const demoFile = configFileSchema.parse(JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config', 'demo.json'), 'utf8')));
// Cheap hashing keeps these tests fast; the real scrypt is checked once below.
const fakeHash = (password: string) => hashPassword(password);

function demoConfig(): SyncConfig {
  const built = configFromFile(emptyConfig(), demoFile, fakeHash);
  if (!built.ok) throw new Error(built.message);
  return built.config;
}
const demo = demoConfig();
const demoUser = userByName(demo, 'DEMO-USER')!;

describe('schemas', () => {
  test('a user body: permission numbers from 1 to the maximum, known fields only, a password of 8+ characters', () => {
    const valid = { name: 'alice', password: 'long-enough', stores: [{ storeId: 'STORE_B', permissions: [1, 156, MAX_PERMISSION_NUMBER] }] };
    expect(createUserBody.parse(valid)).toMatchObject({ name: 'alice', stores: [{ storeId: 'STORE_B', permissions: [1, 156, MAX_PERMISSION_NUMBER] }] });
    expect(createUserBody.safeParse({ ...valid, stores: [{ storeId: 'STORE_B', permissions: [0] }] }).success).toBe(false);
    expect(createUserBody.safeParse({ ...valid, stores: [{ storeId: 'STORE_B', permissions: [MAX_PERMISSION_NUMBER + 1] }] }).success).toBe(false);
    expect(createUserBody.safeParse({ ...valid, stores: [{ storeId: 'STORE_B', permissions: [1.5] }] }).success).toBe(false);
    expect(createUserBody.safeParse({ ...valid, password: 'short' }).success).toBe(false);
    expect(createUserBody.safeParse({ ...valid, admin: true }).success).toBe(false);
    expect(createUserBody.safeParse({ ...valid, name: '   ' }).success).toBe(false);
    expect(updateUserBody.safeParse({}).success).toBe(false);
    expect(updateUserBody.safeParse({ active: false }).success).toBe(true);
  });

  test('the login request as the client sends it; anything else is refused by the schema', () => {
    expect(loginRequestBody.parse({ username: 'demo-user', password: 'x', loginType: 'User', siteName: 'remote-site-1' })).toMatchObject({ username: 'demo-user' });
    expect(loginRequestBody.parse({ username: 'demo-user', password: 'x', loginType: 'User', siteName: null }).siteName).toBeNull();
    expect(loginRequestBody.safeParse({ username: '', password: 'x' }).success).toBe(false);
    expect(loginRequestBody.safeParse({ username: 'a', password: 42 }).success).toBe(false);
    expect(loginRequestBody.safeParse({ username: 'a', password: 'x', loginType: 'Patient' }).success).toBe(false);
    expect(loginRequestBody.safeParse('username=a').success).toBe(false);
  });

  test('refusals parse as the full answer (status "error", no user); blocked parses as the client\'s error body', () => {
    const refusal = loginAnswerV4.parse(loginRefusal('invalid_credentials', 'no'));
    expect(refusal).toMatchObject({ status: 'error', authenticated: false, userInfo: null });
    expect(loginBlockedAnswerV4.parse(loginBlocked(1234.2, 'wait'))).toEqual({ status: 'user_login_timeout', timeoutRemaining: 1235 });
  });
});

describe('permissions array', () => {
  test('index i is permission number i + 1, and back', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 600 }), { maxLength: 80 }), (numbers) => {
        const flags = permissionFlags(numbers);
        expect(grantedNumbers(flags)).toEqual([...numbers].sort((a, b) => a - b));
        for (const n of numbers) expect(flags[n - 1]).toBe(true);
        expect(flags.length).toBe(numbers.length === 0 ? 0 : Math.max(...numbers));
      }),
    );
  });
});

describe('users in the configuration', () => {
  test('the demo file makes a user who may log in to the demo remote sites\' stores, default store B', () => {
    expect(demoUser).toMatchObject({ id: defaultUserId('demo-user'), active: true, defaultStoreId: 'STORE_B' });
    expect(demoUser.stores.map((s) => s.storeId)).toEqual(['STORE_B', 'STORE_C', 'STORE_D', 'STORE_F']);
    const remoteSites = new Set(demoUser.stores.map((s) => demo.stores[s.storeId]!.activeSiteId));
    expect(remoteSites).toEqual(new Set([2, 3]));
  });

  test('names are unique case-insensitively; stores must exist; the default store must be listed; nothing changes when refused', () => {
    const create = (name: string, extra: object = {}) => applyCommand(demo, { type: 'createUser', user: { name, ...extra } });
    expect(create('Demo-User')).toMatchObject({ ok: false, status: 409, code: 'user_name_taken' });
    expect(create('bob', { stores: [{ storeId: 'NOPE', permissions: [] }] })).toMatchObject({ ok: false, status: 422, code: 'unknown_store' });
    expect(create('bob', { stores: [{ storeId: 'STORE_B', permissions: [] }], defaultStoreId: 'STORE_C' })).toMatchObject({ ok: false, code: 'default_store_not_listed' });
    expect(create('bob', { stores: [{ storeId: 'STORE_B', permissions: [] }, { storeId: 'STORE_B', permissions: [1] }] })).toMatchObject({ ok: false, code: 'duplicate_store' });
    const bob = create('bob', { stores: [{ storeId: 'STORE_C', permissions: [156, 2, 156] }] });
    if (!bob.ok) throw new Error(bob.message);
    expect(userByName(bob.config, 'BOB')?.stores).toEqual([{ storeId: 'STORE_C', permissions: [2, 156] }]);
    expect(bob.audit).toMatchObject({ action: 'user.create' });
    expect(userByName(demo, 'bob')).toBeUndefined();
  });

  test('deleting a store takes it off every user (and off the default)', () => {
    let config = demo;
    for (const command of [
      { type: 'updateUser', userId: demoUser.id, changes: { defaultStoreId: 'STORE_D' } },
      { type: 'deleteStore', storeId: 'STORE_D' },
    ] as const) {
      const result = applyCommand(config, command);
      if (!result.ok) throw new Error(result.message);
      config = result.config;
    }
    const user = getUser(config, demoUser.id)!;
    expect(user.stores.map((s) => s.storeId)).toEqual(['STORE_B', 'STORE_C', 'STORE_F']);
    expect(user.defaultStoreId).toBeNull();
  });

  test('export lists users without passwords; importing the export gives the same users, with no password set', () => {
    const exported = exportConfig(demo);
    expect(JSON.stringify(exported.users)).not.toMatch(/scrypt|password/);
    const again = configFromFile(emptyConfig(), configFileSchema.parse(exported), fakeHash);
    if (!again.ok) throw new Error(again.message);
    const { credential: _c, ...rest } = demoUser;
    expect(getUser(again.config, demoUser.id)).toEqual({ ...rest, credential: '' });
  });
});

describe('login decisions (scrypt)', () => {
  test('right password logs in; wrong password, unknown name, no password and inactive are refused', async () => {
    expect(await decideLogin(demo, 'demo-user', 'demo-user-pass')).toMatchObject({ ok: true, user: { id: demoUser.id } });
    expect(await decideLogin(demo, '  DEMO-user ', 'demo-user-pass')).toMatchObject({ ok: true });
    expect(await decideLogin(demo, 'demo-user', 'Demo-user-pass')).toEqual({ ok: false, reason: 'wrong_password' });
    expect(await decideLogin(demo, 'nobody', 'demo-user-pass')).toEqual({ ok: false, reason: 'unknown_user' });
    const inactive = applyCommand(demo, { type: 'updateUser', userId: demoUser.id, changes: { active: false } });
    if (!inactive.ok) throw new Error(inactive.message);
    expect(await decideLogin(inactive.config, 'demo-user', 'demo-user-pass')).toEqual({ ok: false, reason: 'inactive' });
    const noPassword = applyCommand(demo, { type: 'createUser', user: { name: 'carol' } });
    if (!noPassword.ok) throw new Error(noPassword.message);
    expect(await decideLogin(noPassword.config, 'carol', '')).toEqual({ ok: false, reason: 'no_password' });
  });

  test('the stored credential is a salted scrypt hash, never the password or its plain SHA-256', () => {
    expect(demoUser.credential).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(demoUser.credential).not.toContain('demo-user-pass');
    expect(hashPassword('same')).not.toBe(hashPassword('same'));
  });
});

describe('the login answer', () => {
  test('parses as the client\'s LoginResponseV4, with every store the user may log in to and its permissions', () => {
    const answer = z.strictObject(loginAnswerV4.shape).parse(loginAnswer(demo, demoUser));
    expect(answer).toMatchObject({ status: 'success', authenticated: true, username: 'demo-user', storeName: 'Store B' });
    const stores = answer.userInfo!.userStores.map((store) => z.strictObject(loginUserStoreV4.shape).parse(store));
    expect(stores.map((s) => [s.store_ID, s.can_login, s.store_default])).toEqual([
      ['STORE_B', true, true],
      ['STORE_C', true, false],
      ['STORE_D', true, false],
      ['STORE_F', true, false],
    ]);
    expect(grantedNumbers(stores[3]!.permissions)).toEqual([39, 43, 153, 156]);
    expect(stores.every((s) => s.user_ID === demoUser.id && s.ID === userStoreJoinId(demoUser.id, s.store_ID))).toBe(true);
    expect(answer.userInfo!.user).toMatchObject({ ID: demoUser.id, name: 'demo-user', first_name: 'Demo', active: true });
  });

  test('without a default store the first listed store is the landing one', () => {
    const result = applyCommand(demo, { type: 'updateUser', userId: demoUser.id, changes: { defaultStoreId: null } });
    if (!result.ok) throw new Error(result.message);
    const stores = loginAnswer(result.config, getUser(result.config, demoUser.id)!).userInfo!.userStores;
    expect(stores.filter((s) => s.store_default).map((s) => s.store_ID)).toEqual(['STORE_B']);
  });
});

describe('blocking repeated failures', () => {
  const window = USER_LOGIN_WINDOW_SECONDS;
  test('blocked from the fifth failure in a window until the window ends, never longer', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 * window }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 4 * window }), (gaps, probe) => {
        let failures: UserLoginFailures | undefined;
        let now = 1_000_000;
        for (const gap of gaps) {
          now += gap;
          failures = withFailure(failures, now);
        }
        const at = (now + probe) * 1000;
        const blocked = blockedForMs(failures, at);
        // Bounded: no block outlives the window that started at its first failure.
        expect(blocked).toBeLessThanOrEqual(window * 1000);
        if (blocked > 0) {
          expect(failures!.count).toBeGreaterThanOrEqual(MAX_FAILED_USER_LOGINS);
          expect(at).toBeLessThan((failures!.since + window) * 1000);
        }
        expect(blockedForMs(failures, (failures!.since + window) * 1000)).toBe(0);
      }),
    );
  });

  test('four failures do not block; the fifth does, for what is left of the window', () => {
    let failures: UserLoginFailures | undefined;
    for (let i = 0; i < MAX_FAILED_USER_LOGINS - 1; i++) failures = withFailure(failures, 100 + i);
    expect(blockedForMs(failures, 104_000)).toBe(0);
    failures = withFailure(failures, 110);
    expect(blockedForMs(failures, 110_000)).toBe((100 + window - 110) * 1000);
  });

  test('source keys are short and plain', () => {
    expect(sourceKey('203.0.113.9')).toBe('203.0.113.9');
    expect(sourceKey('2001:db8::1')).toBe('2001:db8::1');
    expect(sourceKey('a#b c'.repeat(40))).toMatch(/^[0-9A-Za-z.:_-]{1,64}$/);
    expect(sourceKey(undefined)).toBe('unknown');
  });
});

describe('the user record sites receive', () => {
  test('carries every field the client\'s user translation requires; a retired one is inactive', () => {
    const record = authoredUserRecord(demoUser);
    expect(record).toEqual({ ID: demoUser.id, name: 'demo-user', first_name: 'Demo', last_name: 'User', e_mail: '', phone1: '', job_title: '', Language: 0, active: true });
    expect(userRecordAgrees(record, record)).toBe(true);
    expect(userRecordAgrees(record, { ...record, name: 'other' })).toBe(false);
    expect(retiredUserRecord(record)).toMatchObject({ active: false, name: 'demo-user' });
    expect(JSON.stringify(record)).not.toMatch(/scrypt/);
  });
});

describe('random sequences of store and user changes', () => {
  const storeId = fc.constantFrom('STORE_B', 'STORE_C', 'STORE_D', 'STORE_X');
  const name = fc.constantFrom('ann', 'ANN', 'bo', 'cy');
  const userId = fc.constantFrom('U1', 'U2', 'U3');
  const stores = fc.uniqueArray(fc.record({ storeId, permissions: fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 4 }) }), {
    selector: (store) => store.storeId,
    maxLength: 3,
  });
  const command = fc.oneof(
    fc.record({ id: userId, name, stores, defaultStoreId: fc.option(storeId, { nil: undefined }) }).map((user) => ({ type: 'createUser' as const, user })),
    fc.record({ userId, changes: fc.record({ name: fc.option(name, { nil: undefined }), stores: fc.option(stores, { nil: undefined }), active: fc.option(fc.boolean(), { nil: undefined }) }) }).map(
      (c) => ({ type: 'updateUser' as const, ...c }),
    ),
    userId.map((id) => ({ type: 'deleteUser' as const, userId: id })),
    storeId.map((id) => ({ type: 'deleteStore' as const, storeId: id })),
    fc.record({ id: storeId, activeSiteId: fc.constantFrom(2, 3) }).map(({ id, activeSiteId }) => ({
      type: 'createStore' as const,
      store: { id, code: id, name: id, nameId: `N_${id}`, mode: 'store' as const, activeSiteId },
    })),
  );

  test('after every accepted change, users name only existing stores, a listed default and unique names; refusals are 4xx', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 25 }), (commands) => {
        let config = demo;
        for (const next of commands) {
          const result = applyCommand(config, next);
          if (!result.ok) {
            expect(result.status).toBeGreaterThanOrEqual(400);
            continue;
          }
          config = result.config;
          const names = new Set<string>();
          for (const user of Object.values(config.users ?? {})) {
            expect(names.has(user.name.toLowerCase())).toBe(false);
            names.add(user.name.toLowerCase());
            for (const store of user.stores) {
              expect(config.stores[store.storeId]).toBeDefined();
              expect(store.permissions.every((n) => n >= 1)).toBe(true);
            }
            if (user.defaultStoreId !== null) expect(user.stores.map((s) => s.storeId)).toContain(user.defaultStoreId);
          }
        }
      }),
    );
  });
});
