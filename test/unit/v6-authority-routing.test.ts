/**
 * Sync v6 authority and routing, property-based and pure: for random configurations and v6
 * records, `decideV6Change` (registry + v5 authority), the write-time partitions and the
 * read-time entitlement agree with an oracle written here from the rules in docs/sync-v6.md
 * (who may push a table's record; which sites hold it), not from the code.
 */
import fc from 'fast-check';
import type { SyncConfig } from '../../functions/domain/config/model';
import { entitledSite, sitePartitions, v6Partitions } from '../../functions/domain/sync-v6/audience';
import { decideV6Change, refKey, v6References, type V6Change, type V6Placement, type V6Ref } from '../../functions/domain/sync-v6/placement';
import { v6Tables } from '../../functions/domain/sync-v6/registry';
import { CENTRAL_SITE_ID, PATIENT_IDS, UNKNOWN_STORE_ID, configArb, siteIdsOf } from '../support/sync-arbitraries';

const RUNS = 2000;

/** A v6 record as the oracle sees it: which rule applies, and the facts that rule reads. */
type Spec =
  | { kind: 'central'; table: string }
  | { kind: 'storeOwned'; table: 'asset' | 'rnr_form'; storeId: string | null }
  | { kind: 'global'; table: 'plugin_data' | 'preference'; storeId: string | null }
  | { kind: 'line'; table: 'asset_log' | 'rnr_form_line'; parentStoreId: string | null; parentHeld: boolean }
  | { kind: 'vaccination'; storeId: string; patientId: string }
  | { kind: 'contactForm'; storeId: string }
  | { kind: 'systemLog' }
  | { kind: 'v5Table'; table: 'name' | 'name_store_join' }
  | { kind: 'unknown'; table: string };

const CENTRAL_TABLES = v6Tables.filter((entry) => entry.owner.kind === 'central').map((entry) => entry.table);

const specArb = (config: SyncConfig): fc.Arbitrary<Spec> => {
  const storeId = fc.constantFrom(...Object.keys(config.stores), UNKNOWN_STORE_ID);
  const maybeStore = fc.option(storeId, { nil: null, freq: 5 });
  return fc.oneof(
    fc.record({ kind: fc.constant('central' as const), table: fc.constantFrom(...CENTRAL_TABLES) }),
    fc.record({ kind: fc.constant('storeOwned' as const), table: fc.constantFrom('asset' as const, 'rnr_form' as const), storeId: maybeStore }),
    fc.record({ kind: fc.constant('global' as const), table: fc.constantFrom('plugin_data' as const, 'preference' as const), storeId: maybeStore }),
    fc.record({ kind: fc.constant('line' as const), table: fc.constantFrom('asset_log' as const, 'rnr_form_line' as const), parentStoreId: maybeStore, parentHeld: fc.boolean() }),
    fc.record({ kind: fc.constant('vaccination' as const), storeId, patientId: fc.constantFrom(...PATIENT_IDS) }),
    fc.record({ kind: fc.constant('contactForm' as const), storeId }),
    fc.constant<Spec>({ kind: 'systemLog' }),
    fc.record({ kind: fc.constant('v5Table' as const), table: fc.constantFrom('name' as const, 'name_store_join' as const) }),
    fc.record({ kind: fc.constant('unknown' as const), table: fc.constantFrom('invoice', 'document', 'item', 'asset_catalogue_property') }),
  );
};

const parentTable = (table: 'asset_log' | 'rnr_form_line') => (table === 'asset_log' ? 'asset' : 'rnr_form');

/** The row a site would push for the spec. */
function changeOf(spec: Spec): V6Change {
  const row = (data: Record<string, unknown>): V6Change => ({ tableName: 'table' in spec ? spec.table : spec.kind === 'vaccination' ? 'vaccination' : spec.kind === 'contactForm' ? 'contact_form' : 'system_log', recordId: 'r1', action: 'Update', recordData: { id: 'r1', ...data } });
  switch (spec.kind) {
    case 'storeOwned':
    case 'global':
      return row({ store_id: spec.storeId });
    case 'line':
      return row(spec.table === 'asset_log' ? { asset_id: 'parent-1' } : { rnr_form_id: 'parent-1' });
    case 'vaccination':
      return row({ store_id: spec.storeId, patient_id: spec.patientId });
    case 'contactForm':
      return row({ store_id: spec.storeId });
    default:
      return row({});
  }
}

/** The parent a line's lookup holds (placed as the registry places its parent), if held. */
function lookupFor(spec: Spec): (ref: V6Ref) => V6Placement | undefined {
  if (spec.kind !== 'line' || !spec.parentHeld) return () => undefined;
  const parent: V6Placement = spec.parentStoreId === null ? { dataClass: 'store', flags: [] } : { dataClass: 'store', flags: [], storeId: spec.parentStoreId };
  const key = refKey({ api: 'v6', table: parentTable(spec.table), id: 'parent-1' });
  return (ref) => (refKey(ref) === key ? parent : undefined);
}

// --- the oracle ------------------------------------------------------------------------------

const primaryOf = (config: SyncConfig) => config.preferences.primarySiteId ?? CENTRAL_SITE_ID;
const storeOf = (config: SyncConfig, id: string | null) => (id === null ? undefined : Object.values(config.stores).find((store) => store.id === id));
const remoteSites = (config: SyncConfig) => siteIdsOf(config).filter((siteId) => siteId !== CENTRAL_SITE_ID);

/** The store a record belongs to, 'central' for data every site holds, 'nobody' for data kept centrally only, or why it is refused. */
type Owner = { store: string } | 'central' | 'nobody' | 'refused' | 'v5';

function ownerOf(spec: Spec): Owner {
  switch (spec.kind) {
    case 'central':
      return 'central';
    case 'storeOwned':
      return spec.storeId === null ? 'nobody' : { store: spec.storeId };
    case 'global':
      return spec.storeId === null ? 'central' : { store: spec.storeId };
    case 'line':
      if (!spec.parentHeld) return 'refused';
      return spec.parentStoreId === null ? 'nobody' : { store: spec.parentStoreId };
    case 'vaccination':
    case 'contactForm':
      return { store: spec.storeId };
    case 'systemLog':
      return 'nobody';
    case 'v5Table':
      return 'v5';
    case 'unknown':
      return 'refused';
  }
}

/** Sites that may push the record. */
function rightful(config: SyncConfig, spec: Spec): number[] {
  const owner = ownerOf(spec);
  if (owner === 'refused' || owner === 'v5') return [];
  if (owner === 'nobody') return siteIdsOf(config);
  if (owner === 'central') return [primaryOf(config)];
  const store = storeOf(config, owner.store);
  return store ? [store.activeSiteId] : [];
}

/** Remote sites that hold the record once accepted. */
function holders(config: SyncConfig, spec: Spec): number[] {
  const owner = ownerOf(spec);
  if (typeof owner === 'string') return owner === 'central' ? remoteSites(config) : [];
  if (spec.kind === 'contactForm') return [];
  const store = storeOf(config, owner.store);
  if (!store) return [];
  if (spec.kind === 'vaccination') {
    const seesPatient = (siteId: number) => Object.values(config.stores).some((other) => other.activeSiteId === siteId && (config.visibility[other.id] ?? []).includes(spec.patientId));
    return remoteSites(config).filter((siteId) => siteId === store.activeSiteId || seesPatient(siteId));
  }
  return remoteSites(config).filter((siteId) => siteId === store.activeSiteId || store.collectorSiteIds.includes(siteId));
}

// --- properties ------------------------------------------------------------------------------

const caseArb = configArb.chain((config) => fc.record({ config: fc.constant(config), spec: specArb(config), origin: fc.constantFrom(...siteIdsOf(config)) }));

/** Sites that read the record: one of its partitions is theirs, and they are entitled today. */
function readers(config: SyncConfig, table: string, placement: V6Placement): number[] {
  const partitions = v6Partitions(placement, config);
  return remoteSites(config).filter((siteId) => sitePartitions(config, siteId).some((partition) => partitions.includes(partition)) && entitledSite(table, placement, config, siteId));
}

test('a pushed v6 record is accepted exactly from the site the rules name; v5 tables are left to v5; others refused with a reason', () => {
  fc.assert(
    fc.property(caseArb, ({ config, spec, origin }) => {
      const decision = decideV6Change(changeOf(spec), origin, config, undefined, lookupFor(spec));
      if (spec.kind === 'v5Table') return decision.kind === 'servedByV5';
      const allowed = rightful(config, spec).includes(origin);
      if (allowed) return decision.kind === 'accepted';
      return decision.kind === 'refused' && decision.reason.length > 0 && decision.message.length > 0;
    }),
    { numRuns: RUNS },
  );
});

test('an accepted record is read by exactly the sites that hold it: no site receives what it may not see, none entitled misses it', () => {
  fc.assert(
    fc.property(caseArb, ({ config, spec, origin }) => {
      const change = changeOf(spec);
      const decision = decideV6Change(change, origin, config, undefined, lookupFor(spec));
      if (decision.kind !== 'accepted') return true;
      expect({ spec, readers: readers(config, change.tableName, decision.placement) }).toEqual({ spec, readers: holders(config, spec) });
      // The central server is never a reader; a record is in O(its holders) partitions, never one per site.
      expect(v6Partitions(decision.placement, config).length).toBeLessThanOrEqual(Object.keys(config.stores).length + 2);
      return true;
    }),
    { numRuns: RUNS },
  );
});

test('a change to a held record must be allowed for the held record too: no site takes another store’s record over', () => {
  fc.assert(
    fc.property(
      caseArb.chain((c) => fc.record({ c: fc.constant(c), heldStore: fc.constantFrom(...Object.keys(c.config.stores)) })),
      ({ c: { config, origin }, heldStore }) => {
        const stored: V6Placement = { dataClass: 'store', flags: [], storeId: heldStore };
        const mine = Object.values(config.stores).find((store) => store.activeSiteId === origin);
        const change: V6Change = { tableName: 'asset', recordId: 'r1', action: 'Update', recordData: { id: 'r1', store_id: mine?.id ?? heldStore } };
        const decision = decideV6Change(change, origin, config, stored, () => undefined);
        const heldBy = config.stores[heldStore]!.activeSiteId;
        const newOwner = mine ? origin : heldBy;
        return (decision.kind === 'accepted') === (heldBy === origin && newOwner === origin);
      },
    ),
    { numRuns: RUNS },
  );
});

test('deletes and merges follow the held record: ignored when never held, otherwise decided by its owner', () => {
  fc.assert(
    fc.property(caseArb, fc.constantFrom('Delete' as const, 'Merge' as const), fc.boolean(), ({ config, origin }, action, held) => {
      const storeId = Object.keys(config.stores)[0]!;
      const stored: V6Placement | undefined = held ? { dataClass: 'store', flags: [], storeId } : undefined;
      const decision = decideV6Change({ tableName: 'asset', recordId: 'r1', action, recordData: null }, origin, config, stored, () => undefined);
      if (!held) return decision.kind === 'ignored';
      return (decision.kind === 'accepted') === (config.stores[storeId]!.activeSiteId === origin);
    }),
    { numRuns: 500 },
  );
});

test('the records a change is placed by are the ones its decision looks up', () => {
  fc.assert(
    fc.property(caseArb, ({ config, spec, origin }) => {
      const change = changeOf(spec);
      const asked: string[] = [];
      decideV6Change(change, origin, config, undefined, (ref) => {
        asked.push(refKey(ref));
        return lookupFor(spec)(ref);
      });
      return asked.every((key) => v6References(change).some((ref) => refKey(ref) === key));
    }),
    { numRuns: 500 },
  );
});
