/**
 * User records authored by the configuration (domain/users/user-record.ts), as central data:
 * the central copy holds, for every configured user, the `user` record the configuration says,
 * written by the central site where it disagrees; a user deleted from the configuration stays
 * as an inactive record. Routed like any central record: into the change log every site reads
 * (`central_records`), so new sites get them too.
 */
import { createHash } from 'node:crypto';
import type { SyncConfig } from '../domain/config/model';
import { centralSite } from '../domain/config/queries';
import type { AcceptedChange, CentralCopy, RecordKey } from '../domain/ports';
import { recordKeyString } from '../domain/ports';
import type { Placement, Refusal } from '../domain/sync/placement';
import { authoredUserRecord, retiredUserRecord, userRecordAgrees } from '../domain/users/user-record';
import { allUsers, getUser } from '../domain/users/users';
import { routeRecords, type RouteDeps } from './route';

/** Central data: every site may hold every user's record. */
export const userRecordPlacement: Placement = { dataClass: 'central', flags: [] };

/**
 * A pushed or imported `user` record of a user the configuration authors: refused, whatever the
 * change, so a site cannot overwrite (or delete) the central copy the configuration writes. A
 * site's own users (ids not configured) are not concerned.
 */
export function configuredUserRefusal(config: SyncConfig, record: RecordKey & { readonly action: string }): Refusal | undefined {
  if (record.tableName !== 'user' || !getUser(config, record.recordId)) return undefined;
  return {
    reason: 'user_record_configured',
    message: `User ${record.recordId} is configured on the central server: its record is authored by the configuration and a pushed ${record.action} cannot change it; change the user through the admin API (/admin/v1/users).`,
  };
}

const userKey = (userId: string): RecordKey => ({ tableName: 'user', recordId: userId });

/**
 * Makes the central copy say what the configuration says about these users; answers the keys
 * of the records it wrote (to be routed). Users neither configured nor held are skipped.
 */
export async function writeUserRecords(deps: { readonly centralCopy: CentralCopy }, config: SyncConfig, userIds: readonly string[]): Promise<RecordKey[]> {
  const central = centralSite(config)?.siteId;
  if (central === undefined || userIds.length === 0) return [];
  const keys = [...new Set(userIds)].map(userKey);
  const existing = await deps.centralCopy.get(keys);
  const changes: AcceptedChange[] = [];
  for (const key of keys) {
    const stored = existing.get(recordKeyString(key));
    const current = stored && stored.action !== 'delete' ? stored.recordData : undefined;
    const user = getUser(config, key.recordId);
    const recordData = user ? authoredUserRecord(user) : current ? retiredUserRecord(current) : undefined;
    if (!recordData || userRecordAgrees(recordData, current)) continue;
    changes.push({
      record: { tableName: 'user', recordId: key.recordId, action: stored ? 'update' : 'insert', recordData },
      placement: userRecordPlacement,
      originSiteId: central,
      // The same authored record is one change, however often it is written.
      changeId: `config:user:${key.recordId}:${createHash('sha256').update(JSON.stringify(recordData)).digest('hex').slice(0, 32)}`,
    });
  }
  if (changes.length > 0) await deps.centralCopy.apply(changes);
  return changes.map(({ record }) => userKey(record.recordId));
}

/** Users whose authored record differs between two configurations (created, changed, deleted). */
export function changedUserIds(before: SyncConfig, after: SyncConfig): string[] {
  const ids = new Set([...Object.keys(before.users ?? {}), ...Object.keys(after.users ?? {})]);
  return [...ids].sort().filter((id) => {
    const was = getUser(before, id);
    const now = getUser(after, id);
    if (!was || !now) return true;
    return JSON.stringify(authoredUserRecord(was)) !== JSON.stringify(authoredUserRecord(now));
  });
}

/** Every configured user's record written and routed now (a configuration load). Safe to repeat. */
export async function sendAllUserRecords(deps: Pick<RouteDeps, 'centralCopy' | 'outgoing' | 'changeLog'>, config: SyncConfig): Promise<number> {
  const keys = await writeUserRecords(deps, config, allUsers(config).map((user) => user.id));
  if (keys.length > 0) await routeRecords(deps, config, keys);
  return keys.length;
}
