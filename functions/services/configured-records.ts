/**
 * What loading a configuration writes besides the configuration itself: every store's record and
 * name, and every user's record, as the central site, so a site's first sync finds its stores
 * active and its users able to log in offline (docs/sync.md "Store records", docs/users.md).
 */
import type { SyncConfig } from '../domain/config/model';
import type { RouteDeps } from './route';
import { writeConfiguredStoreRecords } from './store-records';
import { sendAllUserRecords } from './user-records';

export async function writeConfiguredRecords(
  deps: Pick<RouteDeps, 'centralCopy' | 'outgoing' | 'changeLog'>,
  config: SyncConfig,
): Promise<{ readonly stores: number; readonly users: number }> {
  const { stores } = await writeConfiguredStoreRecords(deps, config);
  const users = await sendAllUserRecords(deps, config);
  return { stores, users };
}
