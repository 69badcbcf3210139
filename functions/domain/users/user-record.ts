/**
 * The legacy `user` record as the configuration authors it, for sites. What the client reads
 * (`server/service/src/sync/translations/user.rs`): `ID`, `name`, `e_mail`, `Language`,
 * `first_name`, `last_name`, `phone1`, `job_title` (all required by its parser) and `active`.
 * It keeps its own password hash when it integrates one; its user-store joins and store
 * permissions come only from a login answer. A site finds a user by name only while the user is
 * active (`user_row.rs`, `find_one_by_user_name`), so an inactive record ends offline logins
 * there. Pure.
 */
import type { RecordData } from '../legacy-fields';
import type { User } from '../config/model';

export function authoredUserRecord(user: User): Record<string, unknown> {
  return {
    ID: user.id,
    name: user.name,
    first_name: user.firstName,
    last_name: user.lastName,
    e_mail: user.email,
    phone1: '',
    job_title: user.jobTitle,
    // English: the configuration has no language per user (the client maps 0..7).
    Language: 0,
    active: user.active,
  };
}

/** A user gone from the configuration stays on sites as inactive: no one logs in with it. */
export function retiredUserRecord(existing: RecordData): Record<string, unknown> {
  return { ...existing, active: false };
}

/** Does the stored record already say everything the authored one says? */
export function userRecordAgrees(authored: Record<string, unknown>, existing: RecordData | undefined): boolean {
  return existing !== undefined && Object.keys(authored).every((field) => Object.is(authored[field], existing[field]));
}
