/**
 * Users in the configuration: queries and changes. A change answers the whole new configuration
 * or a refusal an operator can act on (the same shape as every configuration operation). Pure.
 */
import { createHash } from 'node:crypto';
import type { AuditEntry, Refusal, RefusalStatus } from '../config/operations';
import type { SyncConfig, User, UserFields } from '../config/model';
import { getStore } from '../config/queries';
import { MAX_PERMISSION_NUMBER, normalisePermissions } from './permissions';

export const usersOf = (config: SyncConfig): Readonly<Record<string, User>> => config.users ?? {};

export const allUsers = (config: SyncConfig): User[] =>
  Object.values(usersOf(config)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

export const getUser = (config: SyncConfig, userId: string): User | undefined =>
  Object.hasOwn(usersOf(config), userId) ? usersOf(config)[userId] : undefined;

/** Login names are unique case-insensitively. */
export const userByName = (config: SyncConfig, name: string): User | undefined => {
  const wanted = name.trim().toLowerCase();
  return Object.values(usersOf(config)).find((user) => user.name.toLowerCase() === wanted);
};

/**
 * The id a user gets when none is given: derived from the login name, so importing the same
 * configuration file twice (or on two servers) names the user the same on every site.
 */
export const defaultUserId = (name: string): string =>
  createHash('sha256').update(`user:${name.trim().toLowerCase()}`).digest('hex').slice(0, 32).toUpperCase();

export type { UserFields };

export type UserCommand =
  | { type: 'createUser'; user: Partial<UserFields> & { id?: string; name: string; credential?: string } }
  | { type: 'updateUser'; userId: string; changes: Partial<UserFields> }
  | { type: 'deleteUser'; userId: string }
  | { type: 'setUserCredential'; userId: string; credential: string };

export type UserChange = { readonly ok: true; readonly config: SyncConfig; readonly audit?: AuditEntry } | Refusal;

const refusal = (status: RefusalStatus, code: string, message: string): Refusal => ({ ok: false, status, code, message });

export function applyUserCommand(config: SyncConfig, command: UserCommand): UserChange {
  switch (command.type) {
    case 'createUser': {
      const { id: givenId, credential = '', ...fields } = command.user;
      const id = givenId ?? defaultUserId(fields.name);
      if (id.trim() === '') return refusal(400, 'invalid_field', 'id must not be empty.');
      const clash = userByName(config, fields.name);
      if (clash) return refusal(409, 'user_name_taken', `User ${clash.id} is already called ${clash.name}; user names are logins and must be unique.`);
      if (getUser(config, id)) return refusal(409, 'user_exists', `User ${id} already exists.`);
      const user: User = {
        id,
        name: fields.name,
        credential,
        active: fields.active ?? true,
        firstName: fields.firstName ?? '',
        lastName: fields.lastName ?? '',
        email: fields.email ?? '',
        jobTitle: fields.jobTitle ?? '',
        stores: fields.stores ?? [],
        defaultStoreId: fields.defaultStoreId ?? null,
      };
      return checked(config, user, { action: 'user.create', target: `user/${id}`, details: { name: user.name, stores: user.stores.map((s) => s.storeId) } });
    }
    case 'updateUser': {
      const user = getUser(config, command.userId);
      if (!user) return refusal(404, 'user_not_found', `User ${command.userId} does not exist.`);
      const changes = Object.fromEntries(Object.entries(command.changes).filter(([, value]) => value !== undefined)) as Partial<UserFields>;
      // A user's stores changing without a default named keeps the old default only if still listed.
      const next: User = { ...user, ...changes };
      const defaultKept = next.defaultStoreId === null || next.stores.some((store) => store.storeId === next.defaultStoreId);
      const fixed = changes.defaultStoreId === undefined && !defaultKept ? { ...next, defaultStoreId: null } : next;
      return checked(config, fixed, { action: 'user.update', target: `user/${user.id}`, details: { fields: Object.keys(changes).sort() } });
    }
    case 'deleteUser': {
      const user = getUser(config, command.userId);
      if (!user) return refusal(404, 'user_not_found', `User ${command.userId} does not exist.`);
      const { [user.id]: _removed, ...users } = usersOf(config);
      return { ok: true, config: { ...config, users }, audit: { action: 'user.delete', target: `user/${user.id}`, details: { name: user.name } } };
    }
    case 'setUserCredential': {
      const user = getUser(config, command.userId);
      if (!user) return refusal(404, 'user_not_found', `User ${command.userId} does not exist.`);
      if (command.credential === '') return refusal(400, 'invalid_credential', 'The credential must not be empty.');
      return { ok: true, config: withUser(config, { ...user, credential: command.credential }), audit: { action: 'user.password', target: `user/${user.id}`, details: {} } };
    }
  }
}

/** Validates everything about the user as it would be stored, then stores it. */
function checked(config: SyncConfig, input: User, audit: AuditEntry): UserChange {
  if (input.name.trim() === '') return refusal(400, 'invalid_field', 'name must not be empty.');
  const clash = userByName(config, input.name);
  if (clash && clash.id !== input.id) return refusal(409, 'user_name_taken', `User ${clash.id} is already called ${clash.name}; user names are logins and must be unique.`);
  const seen = new Set<string>();
  for (const store of input.stores) {
    if (seen.has(store.storeId)) return refusal(400, 'duplicate_store', `Store ${store.storeId} is listed twice for user ${input.name}.`);
    seen.add(store.storeId);
    if (!getStore(config, store.storeId)) return refusal(422, 'unknown_store', `Store ${store.storeId} does not exist; create it first.`);
    const bad = store.permissions.find((n) => !Number.isInteger(n) || n < 1 || n > MAX_PERMISSION_NUMBER);
    if (bad !== undefined) return refusal(400, 'invalid_permission', `Permission numbers are whole numbers from 1 to ${MAX_PERMISSION_NUMBER}; got ${bad}.`);
  }
  if (input.defaultStoreId !== null && !seen.has(input.defaultStoreId))
    return refusal(422, 'default_store_not_listed', `The default store ${input.defaultStoreId} must be one of the user's stores.`);
  const user: User = {
    ...input,
    stores: [...input.stores]
      .map((store) => ({ storeId: store.storeId, permissions: normalisePermissions(store.permissions) }))
      .sort((a, b) => (a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0)),
  };
  return { ok: true, config: withUser(config, user), audit };
}

export const withUser = (config: SyncConfig, user: User): SyncConfig => ({ ...config, users: { ...usersOf(config), [user.id]: user } });

/** After stores go: users keep only stores that exist, and a default that is still listed. */
export function withoutMissingStores(config: SyncConfig): SyncConfig {
  let users: Record<string, User> | undefined;
  for (const user of Object.values(usersOf(config))) {
    const stores = user.stores.filter((store) => getStore(config, store.storeId));
    if (stores.length === user.stores.length) continue;
    users ??= { ...usersOf(config) };
    const defaultStoreId = stores.some((store) => store.storeId === user.defaultStoreId) ? user.defaultStoreId : null;
    users[user.id] = { ...user, stores, defaultStoreId };
  }
  return users ? { ...config, users } : config;
}

/** The store a user lands in: the configured default, else the first listed. */
export const landingStoreId = (user: User): string | undefined => user.defaultStoreId ?? user.stores[0]?.storeId;
