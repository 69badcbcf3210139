/**
 * Routing and authority, property-based and pure: for random configurations and pushed records,
 * `destinations`, `refuseUnlessAuthorised` and `decideRecord` agree with an oracle written from
 * sync-rules §2, §3 and §6 (test/support/sync-arbitraries.ts), not with each other.
 */
import fc from 'fast-check';
import type { SyncConfig } from '../../functions/domain/config/model';
import type { Lookup, RecordData } from '../../functions/domain/data-classes';
import type { StoredRecord } from '../../functions/domain/ports';
import { refuseUnlessAuthorised } from '../../functions/domain/sync/authority';
import { placeRecord } from '../../functions/domain/sync/placement';
import { decideRecord } from '../../functions/domain/sync/push-decision';
import { destinations } from '../../functions/domain/sync/routing';
import {
  changeLogEntitled,
  configArb,
  entitledSites,
  factsOf,
  headerArb,
  materialise,
  recordSpecArb,
  recordSpecOfArb,
  rightfulSites,
  siteIdsOf,
  tableOf,
  type Template,
  type RecordSpec,
  type TransactSpec,
} from '../support/sync-arbitraries';

const RUNS = 3000;

/** A configuration, a record and (for a transaction line, usually) its transaction. */
interface Case {
  readonly config: SyncConfig;
  readonly spec: RecordSpec;
  readonly header: TransactSpec | undefined;
}

const caseArb: fc.Arbitrary<Case> = configArb.chain((config) =>
  recordSpecArb(config).chain((spec) =>
    (spec.template === 'trans_line'
      ? fc.option(headerArb(config, spec.transactId), { nil: undefined, freq: 8 })
      : fc.constant<TransactSpec | undefined>(undefined)
    ).map((header) => ({ config, spec, header })),
  ),
);

/** The records a push would let the classifier see: the transaction of a line. */
const lookupWith =
  (header: TransactSpec | undefined): Lookup =>
  (table, id): RecordData | undefined =>
    header && table === 'transact' && id === header.id ? materialise(header).recordData : undefined;

const place = (c: Case) => placeRecord(materialise(c.spec), { centralisedProcurement: false }, lookupWith(c.header), true);

const minus = (a: readonly number[], b: readonly number[]) => a.filter((x) => !b.includes(x));

test('destinations: never the central server, never a site not entitled, every entitled site', () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const facts = factsOf(c.spec, c.header);
      const placed = place(c);
      if (facts.cls === 'refused') {
        // Local data, unknown tables and orphan lines are never placed, so never routed.
        expect(placed).toMatchObject({
          kind: 'refused',
          reason: { local: 'local_data', unknownTable: 'unknown_table', noParent: 'parent_not_found' }[facts.why],
        });
        return;
      }
      expect(placed.kind).toBe('placed');
      if (placed.kind !== 'placed') return;
      const routed = destinations(materialise(c.spec).tableName, placed.placement, c.config);
      const entitled = entitledSites(c.config, facts);

      const central = routed.siteIds.filter((siteId) => c.config.sites[String(siteId)]?.kind === 'central');
      expect({ centralDestinations: central }).toEqual({ centralDestinations: [] });
      expect({ unknownSites: minus(routed.siteIds, siteIdsOf(c.config)) }).toEqual({ unknownSites: [] });
      expect({ notEntitled: minus(routed.siteIds, entitled) }).toEqual({ notEntitled: [] });
      expect({ entitledButMissing: minus(entitled, routed.siteIds) }).toEqual({ entitledButMissing: [] });
      expect(routed.changeLog).toBe(changeLogEntitled(facts));
      expect(new Set(routed.siteIds).size).toBe(routed.siteIds.length);
    }),
    { numRuns: RUNS },
  );
});

/**
 * Sync-rules §3: a dispensary's transactions, stock lines and stocktakes are not synced to
 * collectors while its "include transactions in sync" is off. A push of one is refused, so this
 * matters for records the central copy already holds (initialising a collector, re-routing).
 */
test('destinations withholds a dispensary\'s transactions from collectors while "include transactions in sync" is off', () => {
  const config: SyncConfig = {
    version: 1,
    sites: {
      '1': { siteId: 1, name: 'central', code: 'C', kind: 'central', credential: '', hardwareId: '' },
      '2': { siteId: 2, name: 'dispensary', code: 'D', kind: 'desktop', credential: 'hash', hardwareId: '' },
      '3': { siteId: 3, name: 'warehouse', code: 'W', kind: 'desktop', credential: 'hash', hardwareId: '' },
    },
    stores: {
      S1: { id: 'S1', code: 'S1', name: 'S1', nameId: 'N_S1', mode: 'dispensary', activeSiteId: 2, includeTransactionsInSync: false, collectorSiteIds: [3] },
      S2: { id: 'S2', code: 'S2', name: 'S2', nameId: 'N_S2', mode: 'store', activeSiteId: 3, includeTransactionsInSync: true, collectorSiteIds: [] },
    },
    visibility: { S1: ['N_S2'], S2: ['N_S1'] },
    preferences: { primarySiteId: null, centralisedProcurement: false, centralisedPayments: false },
  };
  const placement = { dataClass: 'store' as const, flags: ['dispensaryTransactional' as const], storeId: 'S1', counterpartNameId: 'X1' };
  expect(destinations('transact', placement, config).siteIds).toEqual([2]);
});

test('authority: exactly the rightful site may push store, patient and central data and a message (its sender\'s); any site a new record no store owns; no site the rest', () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const facts = factsOf(c.spec, c.header);
      const rightful = rightfulSites(c.config, facts);
      const placed = place(c);
      const sites = siteIdsOf(c.config);
      const authorised =
        placed.kind === 'placed' ? sites.filter((siteId) => refuseUnlessAuthorised(placed.placement, c.config, siteId) === undefined) : [];
      expect(authorised).toEqual(rightful);
      if (facts.cls !== 'owned') expect(authorised.length).toBeLessThanOrEqual(1);

      // The whole decision for a record the central server does not hold yet agrees.
      const accepted = sites.filter(
        (siteId) => decideRecord(materialise(c.spec), siteId, c.config, lookupWith(c.header), undefined, true).kind === 'accepted',
      );
      expect(accepted).toEqual(rightful);
    }),
    { numRuns: RUNS },
  );
});

/** A record the central server holds, and a new version of it (same table and id) pushed now. */
interface ChangeCase {
  readonly config: SyncConfig;
  /** The site whose push the central copy holds (the first pusher of a record no store owns). */
  readonly storedBy: number;
  readonly stored: RecordSpec;
  readonly storedHeader: TransactSpec | undefined;
  readonly pushed: RecordSpec;
  readonly pushedHeader: TransactSpec | undefined;
}

const withHeader = (config: SyncConfig, spec: RecordSpec) =>
  spec.template === 'trans_line' ? headerArb(config, spec.transactId) : fc.constant<TransactSpec | undefined>(undefined);

const changeCaseArb: fc.Arbitrary<ChangeCase> = configArb.chain((config) =>
  recordSpecArb(config).chain((stored) =>
    fc
      .tuple(
        withHeader(config, stored),
        recordSpecOfArb(config, stored.template, stored.id).chain((pushed) => fc.tuple(fc.constant(pushed), withHeader(config, pushed))),
      )
      // The store record's id is its store: a new version of the same store record keeps it.
      .chain(([storedHeader, [pushed, pushedHeader]]) =>
        fc.constantFrom(...siteIdsOf(config)).map((storedBy) => ({ config, storedBy, stored, storedHeader, pushed, pushedHeader })),
      ),
  ),
);

/**
 * A held message pushed again by its receiving store's site with nothing changed but its status
 * (here: nothing at all) is the receiver marking it, which the rules allow: that site, else none.
 */
function receivingSiteMarking(c: ChangeCase): number | undefined {
  if (c.stored.template !== 'message' || c.pushed.template !== 'message') return undefined;
  const same = c.stored.note === c.pushed.note && c.stored.toStoreId === c.pushed.toStoreId && c.stored.fromStoreId === c.pushed.fromStoreId;
  return same && Object.hasOwn(c.config.stores, c.stored.toStoreId) ? c.config.stores[c.stored.toStoreId]!.activeSiteId : undefined;
}

test('decideRecord refuses a change to a stored record whose stored placement belongs to another site', () => {
  fc.assert(
    fc.property(changeCaseArb, (c) => {
      const storedPlaced = placeRecord(materialise(c.stored), { centralisedProcurement: false }, lookupWith(c.storedHeader), true);
      fc.pre(storedPlaced.kind === 'placed');
      if (storedPlaced.kind !== 'placed') return;
      const stored: StoredRecord = {
        ...materialise(c.stored),
        placement: storedPlaced.placement,
        originSiteId: c.storedBy,
        changeId: 'earlier',
        version: 1,
        routedVersion: 1,
      };
      const before = rightfulSites(c.config, factsOf(c.stored, c.storedHeader), c.storedBy);
      const now = rightfulSites(c.config, factsOf(c.pushed, c.pushedHeader), c.storedBy);
      const receiver = receivingSiteMarking(c);
      for (const siteId of siteIdsOf(c.config)) {
        const decision = decideRecord(materialise(c.pushed), siteId, c.config, lookupWith(c.pushedHeader), stored, true);
        const rightful = (before.includes(siteId) && now.includes(siteId)) || receiver === siteId;
        expect({ siteId, accepted: decision.kind === 'accepted' }).toEqual({ siteId, accepted: rightful });
        if (!before.includes(siteId) && receiver !== siteId) expect(decision.kind).toBe('refused');
      }
    }),
    { numRuns: RUNS },
  );
});

/** Two held records of one table, and a merge of the second into the first pushed by a site. */
const mergeCaseArb = configArb.chain((config) =>
  fc
    .constantFrom<Template>('transact', 'item_line', 'patient', 'item')
    .chain((template) => fc.tuple(recordSpecOfArb(config, template), recordSpecOfArb(config, template)))
    .filter(([keep, remove]) => keep.id !== remove.id)
    .map(([keep, remove]) => ({ config, keep, remove })),
);

test('a merge is accepted only from a site with authority over both the record kept and the record merged away', () => {
  fc.assert(
    fc.property(mergeCaseArb, ({ config, keep, remove }) => {
      const held = new Map([keep, remove].map((spec) => [spec.id, materialise(spec).recordData!]));
      const lookup: Lookup = (table, id) => (table === tableOf(keep) ? held.get(id) : undefined);
      const merge = { tableName: tableOf(keep), recordId: keep.id, action: 'merge' as const, recordData: { mergeIdToKeep: keep.id, mergeIdToDelete: remove.id } };
      const allowed = (spec: RecordSpec) => rightfulSites(config, factsOf(spec, undefined));
      for (const siteId of siteIdsOf(config)) {
        const decision = decideRecord(merge, siteId, config, lookup, undefined, true);
        const rightful = allowed(keep).includes(siteId) && allowed(remove).includes(siteId);
        expect({ siteId, accepted: decision.kind === 'accepted' }).toEqual({ siteId, accepted: rightful });
      }
    }),
    { numRuns: RUNS },
  );
});

test('a merge naming a record the central server does not hold is fetched first, then ignored if still missing', () => {
  const config = fc.sample(configArb, { numRuns: 1, seed: 7 })[0]!;
  const merge = { tableName: 'transact', recordId: 'T1', action: 'merge' as const, recordData: { mergeIdToKeep: 'T1', mergeIdToDelete: 'T2' } };
  const nothing: Lookup = () => undefined;
  expect(decideRecord(merge, 1, config, nothing, undefined, false)).toEqual({ kind: 'needs', refs: [{ table: 'transact', id: 'T1' }, { table: 'transact', id: 'T2' }] });
  expect(decideRecord(merge, 1, config, nothing, undefined, true)).toMatchObject({ kind: 'ignored' });
});
