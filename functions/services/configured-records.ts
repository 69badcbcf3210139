/**
 * What loading a configuration writes besides the configuration itself: every store's record and
 * name, and every user's record, as the central site, so a site's first sync finds its stores
 * active and its users able to log in offline (docs/sync.md "Store records", docs/users.md).
 *
 * A load is only ever into an empty system (`npm start`, `npm run config import`, a test server),
 * so nothing is queued: each site's initialisation serves its store records from the central
 * copy, and its first central pull brings the names. Never on a sync call.
 */
import type { SyncConfig } from '../domain/config/model';
import { centralSite } from '../domain/config/queries';
import { recordKeyString, type AcceptedChange, type StoredRecord } from '../domain/ports';
import { wireForm, type RouteDeps } from './route';
import { authoredChanges, authoredRecordKeys } from './store-records';
import { sendAllUserRecords } from './user-records';

/** Stores whose records are read and written as one step. */
const STORES_PER_STEP = 500;
/** Steps in flight at once: the central copy's writes of one overlap the change log's appends of others. */
const STEPS_IN_FLIGHT = 3;

type Deps = Pick<RouteDeps, 'centralCopy' | 'outgoing' | 'changeLog'>;

export async function writeConfiguredRecords(deps: Deps, config: SyncConfig): Promise<{ readonly stores: number; readonly users: number }> {
  const stores = await writeConfiguredStoreRecords(deps, config);
  const users = await sendAllUserRecords(deps, config);
  return { stores, users };
}

/**
 * Every configured store's record and name in the central copy, the names in the change log.
 * Costs follow the stores: one batch read of what the central copy holds, then only the records
 * missing or disagreeing are written. A name goes into the change log before its central copy is
 * written, as routed: a stop in between leaves it missing from the central copy, so the next load
 * writes (and appends) it again; no name is ever stored unrouted. The steps' appends are made at
 * once: the change log runs concurrent appends of one process as one pipeline (its cursor is one
 * sequence), while the central copy's writes of other steps go on.
 */
async function writeConfiguredStoreRecords(deps: Deps, config: SyncConfig): Promise<number> {
  const stores = Object.values(config.stores);
  if (centralSite(config) === undefined) return 0;
  const steps: Array<typeof stores> = [];
  for (let i = 0; i < stores.length; i += STORES_PER_STEP) steps.push(stores.slice(i, i + STORES_PER_STEP));
  let next = 0;
  const worker = async () => {
    while (next < steps.length) {
      const step = steps[next++]!;
      const existing = await deps.centralCopy.get(authoredRecordKeys(step));
      const changes = authoredChanges(config, step, existing);
      const names = changes.filter((change) => change.record.tableName === 'name');
      // Names stored by an earlier load that stopped before marking them routed.
      const unrouted = [...existing.values()].filter((record) => record.tableName === 'name' && record.routedVersion < record.version && !changed(names, record));
      await Promise.all([
        names.length > 0 ? deps.changeLog.append(names.map((change) => change.record)) : undefined,
        unrouted.length > 0 ? publish(deps, unrouted) : undefined,
      ]);
      const routed = (change: AcceptedChange): AcceptedChange => (change.record.tableName === 'name' ? { ...change, routesNowhere: true } : change);
      if (changes.length > 0) await deps.centralCopy.apply(changes.map(routed));
    }
  };
  await Promise.all(Array.from({ length: Math.min(STEPS_IN_FLIGHT, steps.length) }, worker));
  return stores.length;
}

const changed = (changes: readonly AcceptedChange[], record: StoredRecord) => changes.some((change) => recordKeyString(change.record) === recordKeyString(record));

async function publish(deps: Deps, names: readonly StoredRecord[]) {
  await deps.changeLog.append(names.map(wireForm));
  await deps.centralCopy.markRouted(names.map(({ tableName, recordId, version }) => ({ tableName, recordId, version })));
}
