/**
 * Deciding a user's login and the answer the Open mSupply client integrates
 * (`server/service/src/login.rs`, `update_user`): the user's details, and for each store the
 * user may log in to a user-store join (`can_login` true, `store_default` for the landing store)
 * with its permissions array. The client stores the joins it can (stores it holds), adds store
 * access, and refuses the login itself when none of the stores is active on its site. CPU only
 * (the password check runs on the thread pool, hence async).
 */
import { createHash } from 'node:crypto';
import { hashCredentialAsync, sha256Hex, verifyCredential } from '../config/credentials';
import type { SyncConfig, User } from '../config/model';
import { getStore } from '../config/queries';
import type { LoginAnswerV4 } from '../../protocol/login-v4';
import { permissionFlags } from './permissions';
import { landingStoreId, userByName } from './users';

export type LoginDecision = { readonly ok: true; readonly user: User } | { readonly ok: false; readonly reason: 'unknown_user' | 'wrong_password' | 'inactive' | 'no_password' };

/** Spent on unknown names, so they take as long to refuse as wrong passwords. */
let decoy: Promise<string> | undefined;

/**
 * Unknown user, no password set, wrong password and inactive all get the same answer (and take
 * as long): a caller learns nothing about which names exist.
 */
export async function decideLogin(config: SyncConfig, username: string, password: string): Promise<LoginDecision> {
  const user = userByName(config, username);
  const sent = sha256Hex(password);
  if (!user || user.credential === '') {
    decoy ??= hashCredentialAsync(sha256Hex('decoy'));
    await verifyCredential(await decoy, sent);
    return { ok: false, reason: user ? 'no_password' : 'unknown_user' };
  }
  if (!(await verifyCredential(user.credential, sent))) return { ok: false, reason: 'wrong_password' };
  if (!user.active) return { ok: false, reason: 'inactive' };
  return { ok: true, user };
}

/** A stable id for a user-store join: the same on every login. */
export const userStoreJoinId = (userId: string, storeId: string): string =>
  createHash('sha256').update(`user_store:${userId}\u0000${storeId}`).digest('hex').slice(0, 32).toUpperCase();

export function loginAnswer(config: SyncConfig, user: User): LoginAnswerV4 {
  const landing = landingStoreId(user);
  return {
    status: 'success',
    authenticated: true,
    username: user.name,
    userFirstName: user.firstName,
    userLastName: user.lastName,
    userJobTitle: user.jobTitle,
    userType: 'user',
    service: 'omsupply',
    storeName: (landing && getStore(config, landing)?.name) ?? '',
    userInfo: {
      user: {
        ID: user.id,
        name: user.name,
        startup_method: '',
        nblogins: 0,
        group_id: '',
        mode: '',
        active: user.active,
        lasttime: 0,
        initials: '',
        first_name: user.firstName,
        last_name: user.lastName,
        address_1: '',
        address_2: '',
        e_mail: user.email,
        phone1: '',
        phone2: '',
        job_title: user.jobTitle,
        responsible_officer: false,
        Language: 0,
        use_ldap: false,
        ldap_login_string: '',
        receives_sms_errors: false,
        is_group: false,
        windows_user_name: '',
        license_category_id: '',
        isInactiveAuthoriser: false,
        spare_1: '',
      },
      userStores: user.stores.map((store) => ({
        ID: userStoreJoinId(user.id, store.storeId),
        user_ID: user.id,
        store_ID: store.storeId,
        can_login: true,
        store_default: store.storeId === landing,
        can_action_replenishments: false,
        permissions: permissionFlags(store.permissions),
      })),
    },
  };
}
