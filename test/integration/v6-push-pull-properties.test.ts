/**
 * Sync v6 push and pull end to end on DynamoDB Local, property-based: random configurations and
 * random rounds in which several sites push at once (some batches sent twice, as after a lost
 * answer) while other sites pull in small pages, through `acceptV6Changes` and the v6 change log
 * on the real v6 store. Checked against a model written here from the rules (who may push a
 * record; which sites hold it), not from the code:
 *
 * (a) no site receives a version of a record it does not hold under the rules, nor, once
 *     initialised, a change it made itself;
 * (b) nothing accepted is lost: after a last pull every site holds the final version of every
 *     record it is entitled to, although pulls ran while pushes were committing (a cursor is
 *     never moved past a change that commits late), and a site initialising from cursor 0
 *     receives exactly what it holds;
 * (c) a batch pushed again changes nothing: the same cursor, the same copies;
 * (d) exactly the changes the rules refuse are refused.
 *
 * Each run has a v6 table of its own (its log's cursors and `all` partition start empty).
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { SyncConfig } from '../../functions/domain/config/model';
import { v6KeyString, type V6Store } from '../../functions/domain/sync-v6/ports';
import { createV6ChangeLog } from '../../functions/services/v6-pull';
import { acceptV6Changes, type V6IncomingChange } from '../../functions/services/v6-push';
import { DynamoV6Store } from '../../functions/storage/v6-store';
import { createTableInput } from '../../lib/local/provision';
import { tables } from '../../lib/resources';
import { CENTRAL_SITE_ID, PATIENT_IDS, configArb, siteIdsOf } from '../support/sync-arbitraries';
import { createTestResources, type TestResources } from '../support/stand-ins';

const RUNS = 20;
jest.setTimeout(300_000);

let resources: TestResources;
beforeAll(async () => {
  resources = await createTestResources();
});

async function freshStore(): Promise<V6Store> {
  const name = `${resources.prefix}v6-${randomUUID().slice(0, 8)}`;
  await new DynamoDBClient({}).send(new CreateTableCommand(createTableInput(tables.v6Sync, name)));
  return new DynamoV6Store(resources.db, name);
}

// --- records ---------------------------------------------------------------------------------

/** A change a site makes; ids come from small pools so records are changed again and taken over. */
interface Spec {
  readonly table: 'asset' | 'asset_log' | 'asset_class' | 'vaccination' | 'plugin_data' | 'system_log';
  readonly id: string;
  readonly storeId: string | null;
  readonly patientId: string;
  readonly parentId: string;
  readonly remove: boolean;
}

const specArb = (config: SyncConfig, pool: string): fc.Arbitrary<Spec> =>
  fc.record({
    table: fc.constantFrom('asset' as const, 'asset' as const, 'asset_log' as const, 'asset_class' as const, 'vaccination' as const, 'plugin_data' as const, 'system_log' as const),
    id: fc.constantFrom('1', '2', '3').map((n) => `${pool}-${n}`),
    storeId: fc.option(fc.constantFrom(...Object.keys(config.stores)), { nil: null, freq: 6 }),
    patientId: fc.constantFrom(...PATIENT_IDS),
    parentId: fc.constantFrom('1', '2').map((n) => `${pool}-${n}`),
    remove: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  });

let token = 0;
/** The change as the client pushes it; every row carries a token naming this version. */
function changeOf(spec: Spec): V6IncomingChange & { token: string } {
  const version = `v${++token}`;
  const base = { id: spec.id, version };
  const row = (() => {
    switch (spec.table) {
      case 'asset':
      case 'plugin_data':
        return { ...base, store_id: spec.storeId };
      case 'asset_log':
        return { ...base, asset_id: spec.parentId };
      case 'vaccination':
        return { ...base, store_id: spec.storeId ?? 'none', patient_id: spec.patientId };
      default:
        return base;
    }
  })();
  const remove = spec.remove && spec.table === 'asset';
  return {
    token: remove ? `${version}-delete` : version,
    changeId: randomUUID(),
    change: { tableName: spec.table, recordId: spec.id, action: remove ? 'Delete' : 'Update', recordData: remove ? null : row },
  };
}

// --- the model -------------------------------------------------------------------------------

type Owner = { store: string } | 'central' | 'nobody';
interface Version {
  readonly token: string;
  readonly owner: Owner;
  readonly origin: number;
  readonly holders: readonly number[];
  readonly deleted: boolean;
}

const remoteSites = (config: SyncConfig) => siteIdsOf(config).filter((siteId) => siteId !== CENTRAL_SITE_ID);
const primaryOf = (config: SyncConfig) => config.preferences.primarySiteId ?? CENTRAL_SITE_ID;

class Model {
  /** Every accepted version of each record, oldest first. */
  readonly versions = new Map<string, Version[]>();
  constructor(private readonly config: SyncConfig) {}

  latest(key: string) {
    return this.versions.get(key)?.at(-1);
  }

  private mayEdit(owner: Owner, siteId: number) {
    if (owner === 'nobody') return true;
    if (owner === 'central') return siteId === primaryOf(this.config);
    const store = this.config.stores[owner.store];
    return store !== undefined && store.activeSiteId === siteId;
  }

  private holders(owner: Owner, spec: Spec): number[] {
    if (owner === 'central') return remoteSites(this.config);
    if (owner === 'nobody' || spec.table === 'system_log') return [];
    const store = this.config.stores[owner.store]!;
    if (spec.table === 'vaccination') {
      const seesPatient = (siteId: number) => Object.values(this.config.stores).some((other) => other.activeSiteId === siteId && (this.config.visibility[other.id] ?? []).includes(spec.patientId));
      return remoteSites(this.config).filter((siteId) => siteId === store.activeSiteId || seesPatient(siteId));
    }
    return remoteSites(this.config).filter((siteId) => siteId === store.activeSiteId || store.collectorSiteIds.includes(siteId));
  }

  /** Applies a change from `siteId` as the rules say; false when they refuse it (an ignored delete counts as accepted). */
  apply(spec: Spec, token: string, action: string, siteId: number): boolean {
    const key = v6KeyString({ tableName: spec.table, recordId: spec.id });
    const held = this.latest(key);
    let owner: Owner;
    if (action === 'Delete') {
      if (!held) return true; // nothing held: ignored
      owner = held.owner;
    } else if (spec.table === 'asset_class') owner = 'central';
    else if (spec.table === 'system_log') owner = 'nobody';
    else if (spec.table === 'asset') owner = spec.storeId === null ? 'nobody' : { store: spec.storeId };
    else if (spec.table === 'plugin_data') owner = spec.storeId === null ? 'central' : { store: spec.storeId };
    else if (spec.table === 'vaccination') {
      if (spec.storeId === null) return false;
      owner = { store: spec.storeId };
    } else {
      const parent = this.latest(v6KeyString({ tableName: 'asset', recordId: spec.parentId }));
      if (!parent) return false;
      owner = parent.owner;
    }
    if (!this.mayEdit(owner, siteId) || (held && !this.mayEdit(held.owner, siteId))) return false;
    const version: Version = { token, owner, origin: siteId, holders: this.holders(owner, spec), deleted: action === 'Delete' };
    this.versions.set(key, [...(this.versions.get(key) ?? []), version]);
    return true;
  }
}

// --- sites pulling ---------------------------------------------------------------------------

interface Puller {
  cursor: number;
  initialised: boolean;
  /** Latest token received per record ('…-delete' for a delete). */
  readonly held: Map<string, string>;
}

const tokenOf = (record: { action: string; recordData: unknown }, previous: string | undefined) =>
  record.action === 'Delete' ? `${previous ?? 'never'}-deleted` : String((record.recordData as { version: string }).version);

async function pullAll(store: V6Store, config: SyncConfig, model: Model, siteId: number, puller: Puller, limit: number) {
  const log = createV6ChangeLog(store);
  for (let page = 0; page < 1000; page++) {
    const initialised = puller.initialised;
    const answer = await log.read({ config, siteId, cursor: puller.cursor, limit, isInitialised: initialised });
    for (const { record } of answer.records) {
      const key = v6KeyString(record);
      const versions = model.versions.get(key) ?? [];
      if (record.action === 'Delete') {
        // (a) for a delete: the site held the record under the rules.
        expect({ siteId, key, entitled: versions.some((v) => v.deleted && v.holders.includes(siteId)) }).toEqual({ siteId, key, entitled: true });
        puller.held.set(key, 'deleted');
        continue;
      }
      const token = tokenOf(record, undefined);
      const version = versions.find((v) => v.token === token);
      // (a) a version the rules sent this site, and not its own change once it is initialised.
      expect({ siteId, key, token, accepted: !!version, holder: version?.holders.includes(siteId), own: initialised && version?.origin === siteId }).toEqual({
        siteId,
        key,
        token,
        accepted: true,
        holder: true,
        own: false,
      });
      puller.held.set(key, token);
    }
    puller.cursor = answer.endCursor + 1;
    if (answer.isLast) break;
  }
  puller.initialised = true;
}

/** (b) the site holds the final version of every record it is entitled to (its own changes it has already). */
function expectUpToDate(model: Model, siteId: number, puller: Puller, includeOwn: boolean) {
  for (const [key, versions] of model.versions) {
    const final = versions.at(-1)!;
    if (!final.holders.includes(siteId) || (!includeOwn && final.origin === siteId)) continue;
    const held = puller.held.get(key);
    if (final.deleted) expect({ siteId, key, live: held !== undefined && held !== 'deleted' }).toEqual({ siteId, key, live: false });
    else expect({ siteId, key, held }).toEqual({ siteId, key, held: final.token });
  }
}

// --- the property ----------------------------------------------------------------------------

interface Round {
  /** Pushes made at once, each from its own pool of record ids. */
  readonly pushes: ReadonlyArray<{ readonly siteSlot: number; readonly records: readonly Spec[]; readonly twice: boolean }>;
  /** Sites pulling while the pushes commit. */
  readonly pulls: ReadonlyArray<{ readonly siteSlot: number; readonly limit: number }>;
}

const roundArb = (config: SyncConfig, round: number): fc.Arbitrary<Round> =>
  fc.record({
    pushes: fc
      .array(fc.record({ siteSlot: fc.nat({ max: 20 }), twice: fc.boolean() }), { minLength: 1, maxLength: 3 })
      .chain((slots) =>
        fc.tuple(...slots.map((slot, i) => fc.array(specArb(config, `p${i}`), { minLength: 1, maxLength: 6 }).map((records) => ({ ...slot, records })))),
      ),
    pulls: fc.array(fc.record({ siteSlot: fc.nat({ max: 20 }), limit: fc.integer({ min: 1, max: 4 }) }), { maxLength: 3 }),
  }).map((value) => ({ ...value, round }));

test('v6 push and pull: nothing unentitled received, nothing accepted lost under concurrent pulls, a re-push changes nothing, refusals as the rules say', async () => {
  await fc.assert(
    fc.asyncProperty(
      configArb.chain((config) => fc.record({ config: fc.constant(config), rounds: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }).chain((r) => fc.tuple(...r.map((_, i) => roundArb(config, i)))) })),
      async ({ config, rounds }) => {
        const store = await freshStore();
        const model = new Model(config);
        const sites = siteIdsOf(config);
        const remotes = remoteSites(config);
        const pullers = new Map(remotes.map((siteId) => [siteId, { cursor: 0, initialised: false, held: new Map<string, string>() } as Puller]));
        const siteAt = (slot: number) => sites[slot % sites.length]!;

        for (const round of rounds) {
          // Pushes touch disjoint records, so the model may apply them in any order.
          const pushes = round.pushes.map((push) => ({ siteId: siteAt(push.siteSlot), twice: push.twice, records: push.records.map((spec) => ({ spec, ...changeOf(spec) })) }));
          // (d) the model decides each push in its order before anything runs, so pulls of this round can be checked.
          // Parents are decided before the records placed by them, wherever they are in the batch.
          const refusedByModel = pushes.map((push) => {
            const ordered = push.records.map((record, index) => ({ ...record, index })).sort((a, b) => Number(a.spec.table === 'asset_log') - Number(b.spec.table === 'asset_log') || a.index - b.index);
            return ordered.flatMap(({ spec, token, change, index }) => (model.apply(spec, token, change.action, push.siteId) ? [] : [index])).sort((a, b) => a - b);
          });
          const pushing = pushes.map(async (push) => {
            const outcome = await acceptV6Changes({ v6Store: store }, config, push.siteId, push.records);
            if (push.twice) {
              const before = { cursor: await store.latestCursor(), copies: await store.get(push.records.map(({ change }) => change)) };
              const again = await acceptV6Changes({ v6Store: store }, config, push.siteId, push.records);
              // (c) Other pushes of this round touch other records and may move the cursor; these copies stay.
              // Nothing new is refused (a refused change superseded in its batch may not be looked at again: it changed nothing).
              expect(again.refused.filter((r) => !outcome.refused.some((first) => first.index === r.index && first.reason === r.reason))).toEqual([]);
              expect(await store.get(push.records.map(({ change }) => change))).toEqual(before.copies);
              expect(await store.latestCursor()).toBeGreaterThanOrEqual(before.cursor);
            }
            return outcome;
          });
          // One pulling client per site at a time, as on a real site.
          const pulling = [...new Map(round.pulls.map(({ siteSlot, limit }) => [remotes[siteSlot % remotes.length]!, limit])).entries()].map(async ([siteId, limit]) => {
            await pullAll(store, config, model, siteId, pullers.get(siteId)!, limit);
          });
          const outcomes = await Promise.all(pushing);
          await Promise.all(pulling);
          pushes.forEach((push, i) => {
            expect({ site: push.siteId, refused: outcomes[i]!.refused.map((r) => r.index) }).toEqual({ site: push.siteId, refused: refusedByModel[i] });
          });
        }

        // (b) a last pull brings every site up to date; one initialising from 0 gets all it holds.
        for (const siteId of remotes) {
          await pullAll(store, config, model, siteId, pullers.get(siteId)!, 3);
          expectUpToDate(model, siteId, pullers.get(siteId)!, false);
          const fresh: Puller = { cursor: 0, initialised: false, held: new Map() };
          await pullAll(store, config, model, siteId, fresh, 5);
          expectUpToDate(model, siteId, fresh, true);
        }
      },
    ),
    { numRuns: RUNS },
  );
});
