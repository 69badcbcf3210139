/**
 * fast-check arbitraries for the routing and authority properties, and the oracle they are
 * checked against.
 *
 * - Configurations are built directly with the model types (not through the operations): a
 *   central site 1, 1..5 remote desktop/mobile sites, 1..8 stores with random active sites (a
 *   mobile site holds at most one active store), symmetric visibility between stores' names,
 *   plain names and patients visible in random stores, collector listings only where the
 *   configuration invariants allow them, and a primary that is null or a desktop site. Every
 *   generated configuration passes `invariantViolations`.
 * - Pushed records are plain specs (one per record template) materialised into wire records,
 *   so a counterexample prints as readable data.
 * - The oracle (`factsOf`, `entitledSites`, `changeLogEntitled`, `rightfulSites`) is written from
 *   /work/shared/spec/sync-rules.md §2, §3 and §6 on the raw configuration. It deliberately
 *   imports nothing from functions/domain/sync or functions/domain/config/queries, so a routing
 *   or authority bug cannot hide in both the product and its oracle.
 */
import fc from 'fast-check';
import { invariantViolations } from '../../functions/domain/config/invariants';
import type { Site, SiteKind, Store, SyncConfig } from '../../functions/domain/config/model';
import type { SyncAction, SyncRecord } from '../../functions/domain/ports';

// ---------------------------------------------------------------------------------------------
// Configurations

export const CENTRAL_SITE_ID = 1;
export const MAX_REMOTE_SITES = 5;
export const MAX_STORES = 8;
/** Names that are neither stores nor patients (customers, suppliers). */
export const PLAIN_NAME_IDS = ['X1', 'X2'] as const;
/** Patients (`name` records of type patient) that may be visible in stores. */
export const PATIENT_IDS = ['P1', 'P2', 'P3'] as const;
/** A store id no generated configuration holds. */
export const UNKNOWN_STORE_ID = 'S_unknown';

const storeIdAt = (index: number) => `S${index + 1}`;
const storeNameIdOf = (storeId: string) => `N_${storeId}`;

/** The raw random choices a configuration is built from (shrinks well: no chains). */
export interface ConfigChoices {
  readonly remoteKinds: ReadonlyArray<'desktop' | 'mobile'>;
  readonly stores: ReadonlyArray<{
    readonly siteSlot: number;
    readonly dispensary: boolean;
    readonly includeTransactionsInSync: boolean;
    /** Indexed by site id - 1: list the store as collector there, when the invariants allow it. */
    readonly collectorOn: readonly boolean[];
  }>;
  /** One flag per unordered pair of stores: both names visible in each other. */
  readonly storePairs: readonly boolean[];
  /** Plain names and patients visible in stores (store index taken modulo the store count). */
  readonly otherVisibility: ReadonlyArray<{ readonly storeSlot: number; readonly nameId: string }>;
  /** Index into the desktop sites, or null: the central server is the primary. */
  readonly primarySlot: number | null;
}

const PAIR_COUNT = (MAX_STORES * (MAX_STORES - 1)) / 2;

export const configChoicesArb: fc.Arbitrary<ConfigChoices> = fc.record({
  remoteKinds: fc.array(fc.constantFrom<'desktop' | 'mobile'>('desktop', 'mobile'), { minLength: 1, maxLength: MAX_REMOTE_SITES }),
  stores: fc.array(
    fc.record({
      siteSlot: fc.nat({ max: MAX_REMOTE_SITES }),
      dispensary: fc.boolean(),
      includeTransactionsInSync: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      collectorOn: fc.array(fc.boolean(), { minLength: MAX_REMOTE_SITES + 1, maxLength: MAX_REMOTE_SITES + 1 }),
    }),
    { minLength: 1, maxLength: MAX_STORES },
  ),
  storePairs: fc.array(fc.boolean(), { minLength: PAIR_COUNT, maxLength: PAIR_COUNT }),
  otherVisibility: fc.array(
    fc.record({ storeSlot: fc.nat({ max: MAX_STORES - 1 }), nameId: fc.constantFrom<string>(...PLAIN_NAME_IDS, ...PATIENT_IDS) }),
    { maxLength: 8 },
  ),
  primarySlot: fc.option(fc.nat({ max: MAX_REMOTE_SITES - 1 }), { nil: null }),
});

/** Builds a consistent configuration from the choices; throws if the result breaks an invariant. */
export function buildConfig(choices: ConfigChoices): SyncConfig {
  const site = (siteId: number, kind: SiteKind): Site => ({
    siteId,
    name: kind === 'central' ? 'central' : `site${siteId}`,
    code: kind === 'central' ? 'C' : `R${siteId}`,
    kind,
    credential: kind === 'central' ? '' : 'hash',
    hardwareId: '',
  });
  const siteList: Site[] = [site(CENTRAL_SITE_ID, 'central'), ...choices.remoteKinds.map((kind, i) => site(CENTRAL_SITE_ID + 1 + i, kind))];
  const desktops = siteList.filter((s) => s.kind === 'desktop').map((s) => s.siteId);
  const primarySiteId = choices.primarySlot === null || desktops.length === 0 ? null : desktops[choices.primarySlot % desktops.length]!;

  // Active sites; a mobile site keeps only its first store, later ones move to a desktop site
  // (or the central server, where stores may be active too).
  const mobileTaken = new Set<number>();
  const activeSites = choices.stores.map((choice) => {
    const chosen = siteList[choice.siteSlot % siteList.length]!;
    if (chosen.kind !== 'mobile') return chosen.siteId;
    if (!mobileTaken.has(chosen.siteId)) {
      mobileTaken.add(chosen.siteId);
      return chosen.siteId;
    }
    return desktops[0] ?? CENTRAL_SITE_ID;
  });

  const storeCount = choices.stores.length;
  const visible = new Map<string, Set<string>>();
  const see = (storeId: string, nameId: string) => visible.set(storeId, (visible.get(storeId) ?? new Set()).add(nameId));
  let pair = 0;
  for (let i = 0; i < MAX_STORES; i++) {
    for (let j = i + 1; j < MAX_STORES; j++, pair++) {
      if (i >= storeCount || j >= storeCount || !choices.storePairs[pair]) continue;
      see(storeIdAt(i), storeNameIdOf(storeIdAt(j)));
      see(storeIdAt(j), storeNameIdOf(storeIdAt(i)));
    }
  }
  for (const { storeSlot, nameId } of choices.otherVisibility) see(storeIdAt(storeSlot % storeCount), nameId);
  const visibility: Record<string, string[]> = {};
  for (const [storeId, names] of [...visible].sort(([a], [b]) => (a < b ? -1 : 1))) visibility[storeId] = [...names].sort();

  const seenOn = (storeId: string, siteId: number) =>
    choices.stores.some((_, k) => storeIdAt(k) !== storeId && activeSites[k] === siteId && (visibility[storeIdAt(k)] ?? []).includes(storeNameIdOf(storeId)));

  const stores: Record<string, Store> = {};
  choices.stores.forEach((choice, k) => {
    const id = storeIdAt(k);
    const collectorSiteIds = siteList
      .map((s) => s.siteId)
      .filter((siteId) => siteId !== activeSites[k] && choice.collectorOn[siteId - 1] === true)
      .filter((siteId) => siteId === CENTRAL_SITE_ID || siteId === primarySiteId || seenOn(id, siteId));
    stores[id] = {
      id,
      code: id,
      name: `Store ${id}`,
      nameId: storeNameIdOf(id),
      mode: choice.dispensary ? 'dispensary' : 'store',
      activeSiteId: activeSites[k]!,
      includeTransactionsInSync: choice.includeTransactionsInSync,
      collectorSiteIds,
    };
  });

  const config: SyncConfig = {
    version: 1,
    sites: Object.fromEntries(siteList.map((s) => [String(s.siteId), s])),
    stores,
    visibility,
    preferences: { primarySiteId, centralisedProcurement: false, centralisedPayments: false },
  };
  const violations = invariantViolations(config);
  if (violations.length > 0) throw new Error(`generated configuration breaks invariants: ${violations.join('; ')}`);
  return config;
}

export const configArb: fc.Arbitrary<SyncConfig> = configChoicesArb.map(buildConfig);

/**
 * The same configuration with site ids moved by `siteOffset` and every store, name and patient id
 * prefixed, so runs sharing tables and queues never see each other's sites or records.
 */
export function relabelConfig(config: SyncConfig, prefix: string, siteOffset: number): SyncConfig {
  const site = (id: number) => id + siteOffset;
  return {
    ...config,
    sites: Object.fromEntries(Object.values(config.sites).map((s) => [String(site(s.siteId)), { ...s, siteId: site(s.siteId), name: `${prefix}${s.name}` }])),
    stores: Object.fromEntries(
      Object.values(config.stores).map((s) => [
        prefix + s.id,
        { ...s, id: prefix + s.id, nameId: prefix + s.nameId, activeSiteId: site(s.activeSiteId), collectorSiteIds: s.collectorSiteIds.map(site) },
      ]),
    ),
    visibility: Object.fromEntries(Object.entries(config.visibility).map(([storeId, names]) => [prefix + storeId, names.map((n) => prefix + n).sort()])),
    preferences: { ...config.preferences, primarySiteId: config.preferences.primarySiteId === null ? null : site(config.preferences.primarySiteId) },
  };
}

export const siteIdsOf = (config: SyncConfig): number[] => Object.values(config.sites).map((s) => s.siteId).sort((a, b) => a - b);

// ---------------------------------------------------------------------------------------------
// Pushed records

export const templates = [
  'transact',
  'trans_line',
  'item_line',
  'item',
  'abbreviation',
  'item_store_join',
  'store',
  'patient',
  'message',
  'user',
  'om_user_permission',
  'unknown',
] as const;
export type Template = (typeof templates)[number];

interface SpecBase {
  readonly id: string;
  readonly action: 'insert' | 'update';
  /** A field that changes nothing about placement: makes successive versions differ. */
  readonly note: string;
}
/** Store data: a customer invoice of `storeId` to the other party `nameId`, at a legacy status (none: no status field). */
export interface TransactSpec extends SpecBase { readonly template: 'transact'; readonly storeId: string; readonly nameId: string; readonly status?: 'nw' | 'cn' | 'fn' }
/** Store data through its parent transaction. */
export interface TransLineSpec extends SpecBase { readonly template: 'trans_line'; readonly transactId: string }
/** Store data: a stock line. */
export interface ItemLineSpec extends SpecBase { readonly template: 'item_line'; readonly storeId: string }
/** Central data. */
export interface ItemSpec extends SpecBase { readonly template: 'item' }
/** Central data sent only to sites with an active dispensary. */
export interface AbbreviationSpec extends SpecBase { readonly template: 'abbreviation' }
/** Central store data of `storeId`. */
export interface ItemStoreJoinSpec extends SpecBase { readonly template: 'item_store_join'; readonly storeId: string }
/** The store record itself (central store data; its id is the store id). */
export interface StoreRecordSpec extends SpecBase { readonly template: 'store' }
/** A patient (`name` of type patient; its id is the patient id) with its home store. */
export interface PatientSpec extends SpecBase { readonly template: 'patient'; readonly homeStoreId: string }
/** A message from `fromStoreId` to `toStoreId`. */
export interface MessageSpec extends SpecBase { readonly template: 'message'; readonly toStoreId: string; readonly fromStoreId: string }
/** A user a site made: kept centrally, owned by no store. */
export interface UserSpec extends SpecBase { readonly template: 'user' }
/** Local data. */
export interface LocalSpec extends SpecBase { readonly template: 'om_user_permission'; readonly storeId: string }
/** A table the central server does not sync. */
export interface UnknownSpec extends SpecBase { readonly template: 'unknown'; readonly tableName: string }

export type RecordSpec =
  | TransactSpec
  | TransLineSpec
  | ItemLineSpec
  | ItemSpec
  | AbbreviationSpec
  | ItemStoreJoinSpec
  | StoreRecordSpec
  | PatientSpec
  | MessageSpec
  | UserSpec
  | LocalSpec
  | UnknownSpec;

export const TRANSACT_IDS = ['T1', 'T2', 'T3'] as const;
/** Small id pools per template, so that records are pushed again (updates, other sites). */
const idPools: Readonly<Record<Exclude<Template, 'store' | 'patient'>, readonly string[]>> = {
  transact: TRANSACT_IDS,
  trans_line: ['L1', 'L2', 'L3'],
  item_line: ['K1', 'K2'],
  item: ['I1', 'I2'],
  abbreviation: ['A1'],
  item_store_join: ['J1', 'J2'],
  message: ['M1', 'M2'],
  user: ['USER1'],
  om_user_permission: ['U1'],
  unknown: ['Z1'],
};
const UNKNOWN_TABLES = ['Location_typo', 'not_a_table', 'toString'] as const;

const noteArb = fc.constantFrom('a', 'b', 'c');
const actionArb = fc.constantFrom<'insert' | 'update'>('insert', 'update');

/** A store of the configuration, now and then one it does not hold. */
function storeRefArb(config: SyncConfig): fc.Arbitrary<string> {
  const ids = Object.keys(config.stores).sort();
  return fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...ids) }, { weight: 1, arbitrary: fc.constant(UNKNOWN_STORE_ID) });
}

/** The other party of a transaction: another store (a transfer), a plain name or a patient. */
function tradeNameArb(config: SyncConfig): fc.Arbitrary<string> {
  const storeNames = Object.values(config.stores).map((s) => s.nameId).sort();
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...storeNames) },
    { weight: 1, arbitrary: fc.constantFrom<string>(...PLAIN_NAME_IDS, ...PATIENT_IDS) },
  );
}

/** A record of `template` (with `id` when given, else from the template's pool). */
export function recordSpecOfArb(config: SyncConfig, template: Template, id?: string): fc.Arbitrary<RecordSpec> {
  const storeIds = Object.keys(config.stores).sort();
  const idArb = (pool: readonly string[]) => (id !== undefined ? fc.constant(id) : fc.constantFrom(...pool));
  const base = (pool: readonly string[]) => ({ id: idArb(pool), action: actionArb, note: noteArb });
  switch (template) {
    case 'transact':
      return fc.record({
        template: fc.constant(template),
        ...base(idPools.transact),
        storeId: storeRefArb(config),
        nameId: tradeNameArb(config),
        status: fc.option(fc.constantFrom<'nw' | 'cn' | 'fn'>('nw', 'cn', 'fn'), { nil: undefined }),
      });
    case 'trans_line':
      return fc.record({ template: fc.constant(template), ...base(idPools.trans_line), transactId: fc.constantFrom(...TRANSACT_IDS) });
    case 'item_line':
      return fc.record({ template: fc.constant(template), ...base(idPools.item_line), storeId: storeRefArb(config) });
    case 'item':
      return fc.record({ template: fc.constant(template), ...base(idPools.item) });
    case 'abbreviation':
      return fc.record({ template: fc.constant(template), ...base(idPools.abbreviation) });
    case 'item_store_join':
      return fc.record({ template: fc.constant(template), ...base(idPools.item_store_join), storeId: storeRefArb(config) });
    case 'store':
      return fc.record({ template: fc.constant(template), ...base([...storeIds, UNKNOWN_STORE_ID]) });
    case 'patient':
      return fc.record({ template: fc.constant(template), ...base(PATIENT_IDS), homeStoreId: storeRefArb(config) });
    case 'message':
      return fc.record({ template: fc.constant(template), ...base(idPools.message), toStoreId: storeRefArb(config), fromStoreId: storeRefArb(config) });
    case 'user':
      return fc.record({ template: fc.constant(template), ...base(idPools.user) });
    case 'om_user_permission':
      return fc.record({ template: fc.constant(template), ...base(idPools.om_user_permission), storeId: storeRefArb(config) });
    case 'unknown':
      return fc.record({ template: fc.constant(template), ...base(idPools.unknown), tableName: fc.constantFrom(...UNKNOWN_TABLES) });
  }
}

/** Any record, templates weighted towards the classes routing has most to say about. */
export function recordSpecArb(config: SyncConfig): fc.Arbitrary<RecordSpec> {
  const weights: Readonly<Record<Template, number>> = {
    transact: 4,
    trans_line: 3,
    item_line: 2,
    item: 1,
    abbreviation: 1,
    item_store_join: 2,
    store: 2,
    patient: 3,
    message: 2,
    user: 1,
    om_user_permission: 1,
    unknown: 1,
  };
  return fc.oneof(...templates.map((template) => ({ weight: weights[template], arbitrary: recordSpecOfArb(config, template) })));
}

/** A transaction header with the given id (the parent a `trans_line` points at). */
export const headerArb = (config: SyncConfig, transactId: string) =>
  recordSpecOfArb(config, 'transact', transactId) as fc.Arbitrary<TransactSpec>;

/** The same spec with every id prefixed (see `relabelConfig`). */
export function relabelSpec(spec: RecordSpec, prefix: string): RecordSpec {
  const id = prefix + spec.id;
  switch (spec.template) {
    case 'transact':
      return { ...spec, id, storeId: prefix + spec.storeId, nameId: prefix + spec.nameId };
    case 'trans_line':
      return { ...spec, id, transactId: prefix + spec.transactId };
    case 'item_line':
    case 'item_store_join':
    case 'om_user_permission':
      return { ...spec, id, storeId: prefix + spec.storeId };
    case 'patient':
      return { ...spec, id, homeStoreId: prefix + spec.homeStoreId };
    case 'message':
      return { ...spec, id, toStoreId: prefix + spec.toStoreId, fromStoreId: prefix + spec.fromStoreId };
    case 'user':
      return { ...spec, id };
    case 'item':
    case 'abbreviation':
    case 'store':
    case 'unknown':
      return { ...spec, id };
  }
}

export const tableOf = (spec: RecordSpec): string =>
  spec.template === 'patient' ? 'name' : spec.template === 'unknown' ? spec.tableName : spec.template;

/** The wire record (legacy field names) a site would push for the spec. */
export function materialise(spec: RecordSpec): SyncRecord {
  const data = ((): Record<string, unknown> => {
    switch (spec.template) {
      case 'transact':
        return { ID: spec.id, store_ID: spec.storeId, name_ID: spec.nameId, type: 'ci', comment: spec.note, ...(spec.status ? { status: spec.status } : {}) };
      case 'trans_line':
        return { ID: spec.id, transaction_ID: spec.transactId, item_ID: 'I1', quantity: 1, comment: spec.note };
      case 'item_line':
        return { ID: spec.id, store_ID: spec.storeId, item_ID: 'I1', batch: spec.note };
      case 'item':
        return { ID: spec.id, item_name: spec.note, code: spec.id };
      case 'abbreviation':
        return { ID: spec.id, abbreviation: spec.note, expansion: spec.note };
      case 'item_store_join':
        return { ID: spec.id, store_ID: spec.storeId, item_ID: 'I1', inactive: spec.note === 'c' };
      case 'store':
        return { ID: spec.id, name: spec.note, code: spec.id };
      case 'patient':
        return { ID: spec.id, type: 'patient', supplying_store_id: spec.homeStoreId, name: spec.note };
      case 'message':
        return { ID: spec.id, toStoreID: spec.toStoreId, fromStoreID: spec.fromStoreId, body: spec.note };
      case 'user':
        return { ID: spec.id, name: `user-${spec.id}`, first_name: spec.note };
      case 'om_user_permission':
        return { ID: spec.id, store_ID: spec.storeId, permission: spec.note };
      case 'unknown':
        return { ID: spec.id, value: spec.note };
    }
  })();
  return { tableName: tableOf(spec), recordId: spec.id, action: spec.action satisfies SyncAction, recordData: data };
}

// ---------------------------------------------------------------------------------------------
// The oracle (sync-rules §2, §3, §6), on the raw configuration only.

/** What the rules need to know about a record, read from its own fields (and its parent's). */
export type Facts =
  | { readonly cls: 'store'; readonly storeId: string; readonly counterpartNameId?: string; readonly transactional: boolean }
  | { readonly cls: 'central'; readonly dispensaryOnly: boolean }
  | { readonly cls: 'centralStore'; readonly storeId: string; readonly storeRecord: boolean }
  | { readonly cls: 'patient'; readonly homeStoreId: string; readonly patientId: string }
  | { readonly cls: 'message'; readonly toStoreId: string; readonly fromStoreId: string }
  /** Made by a site and kept centrally, owned by no store: its first pusher owns it. */
  | { readonly cls: 'owned' }
  /** Never applied: local data, an unknown table, a line whose transaction nobody holds. */
  | { readonly cls: 'refused'; readonly why: 'local' | 'unknownTable' | 'noParent' };

/** The facts of a record; a `trans_line` takes its store and other party from its transaction. */
export function factsOf(spec: RecordSpec, header: TransactSpec | undefined): Facts {
  switch (spec.template) {
    case 'transact':
      return { cls: 'store', storeId: spec.storeId, counterpartNameId: spec.nameId, transactional: true };
    case 'trans_line':
      if (!header) return { cls: 'refused', why: 'noParent' };
      return { cls: 'store', storeId: header.storeId, counterpartNameId: header.nameId, transactional: true };
    case 'item_line':
      return { cls: 'store', storeId: spec.storeId, transactional: true };
    case 'item':
      return { cls: 'central', dispensaryOnly: false };
    case 'abbreviation':
      return { cls: 'central', dispensaryOnly: true };
    case 'item_store_join':
      return { cls: 'centralStore', storeId: spec.storeId, storeRecord: false };
    case 'store':
      return { cls: 'centralStore', storeId: spec.id, storeRecord: true };
    case 'patient':
      return { cls: 'patient', homeStoreId: spec.homeStoreId, patientId: spec.id };
    case 'message':
      return { cls: 'message', toStoreId: spec.toStoreId, fromStoreId: spec.fromStoreId };
    case 'user':
      return { cls: 'owned' };
    case 'om_user_permission':
      return { cls: 'refused', why: 'local' };
    case 'unknown':
      return { cls: 'refused', why: 'unknownTable' };
  }
}

const storeIn = (config: SyncConfig, storeId: string): Store | undefined =>
  Object.hasOwn(config.stores, storeId) ? config.stores[storeId] : undefined;
const sitesOf = (config: SyncConfig): Site[] => Object.values(config.sites).sort((a, b) => a.siteId - b.siteId);
const visibleIn = (config: SyncConfig, storeId: string, nameId: string): boolean =>
  (Object.hasOwn(config.visibility, storeId) ? config.visibility[storeId]! : []).includes(nameId);
const storesActiveOn = (config: SyncConfig, siteId: number): Store[] => Object.values(config.stores).filter((s) => s.activeSiteId === siteId);

/** §1: the central server, or the mirrored primary. */
export function primaryOf(config: SyncConfig): number {
  return config.preferences.primarySiteId ?? sitesOf(config).find((s) => s.kind === 'central')!.siteId;
}

/** §2: the store has an instance on the site (active, collector or transfer). */
export function storeExistsOn(config: SyncConfig, store: Store, siteId: number): boolean {
  if (store.activeSiteId === siteId || store.collectorSiteIds.includes(siteId)) return true;
  // A mirrored primary must hold every store record (§1).
  if (config.preferences.primarySiteId === siteId) return true;
  // Visible to a store active on the site: at least a transfer copy.
  return storesActiveOn(config, siteId).some((other) => other.id !== store.id && visibleIn(config, other.id, store.nameId));
}

/** §3 special case: a dispensary with "include transactions in sync" off keeps them on its site. */
const withheld = (store: Store, facts: Facts) =>
  facts.cls === 'store' && facts.transactional && store.mode === 'dispensary' && !store.includeTransactionsInSync;

/**
 * The remote sites entitled to receive the record through their outgoing queue (the central
 * server holds every record and is never one). Central data that is not dispensary-only goes to
 * every site through the change log instead (`changeLogEntitled`).
 */
export function entitledSites(config: SyncConfig, facts: Facts): number[] {
  const remote = sitesOf(config).filter((s) => s.kind !== 'central').map((s) => s.siteId);
  const only = (keep: (siteId: number) => boolean) => remote.filter(keep);
  switch (facts.cls) {
    case 'store': {
      const store = storeIn(config, facts.storeId);
      if (!store) return [];
      const trader = facts.counterpartNameId === undefined ? undefined : Object.values(config.stores).find((s) => s.nameId === facts.counterpartNameId);
      return only((siteId) => {
        // The active instance, and collectors (all of the store's data) unless withheld.
        if (store.activeSiteId === siteId) return true;
        if (store.collectorSiteIds.includes(siteId) && !withheld(store, facts)) return true;
        // A trade (transfer, requisition) with a store active there: the store's transfer copy
        // holds its trades with that site's stores (§2), and a transfer's halves go to both the
        // initiating and the responding site (§4) — even when, against the symmetric visibility
        // a site's own data would follow, the other store does not see this one.
        return trader !== undefined && trader.id !== store.id && trader.activeSiteId === siteId;
      });
    }
    case 'centralStore': {
      const store = storeIn(config, facts.storeId);
      if (!store) return [];
      return facts.storeRecord ? only((siteId) => storeExistsOn(config, store, siteId)) : only((siteId) => store.activeSiteId === siteId);
    }
    case 'patient': {
      const home = storeIn(config, facts.homeStoreId);
      if (!home) return [];
      return only(
        (siteId) => home.activeSiteId === siteId || storesActiveOn(config, siteId).some((store) => visibleIn(config, store.id, facts.patientId)),
      );
    }
    case 'message': {
      const to = storeIn(config, facts.toStoreId);
      return to ? only((siteId) => to.activeSiteId === siteId) : [];
    }
    case 'central':
      return facts.dispensaryOnly ? only((siteId) => storesActiveOn(config, siteId).some((s) => s.mode === 'dispensary')) : [];
    case 'owned':
    case 'refused':
      return [];
  }
}

/**
 * Central data that goes into the change log; each site reads from it what its stores use
 * (docs/central-data.md; `centralExpectations` and `unresolvedReferences` below).
 */
export const changeLogEntitled = (facts: Facts): boolean => facts.cls === 'central' && !facts.dispensaryOnly;

/**
 * §3 / §6.1: the sites allowed to push the record (at most one, except a record owned by no
 * store that nobody has pushed yet: any site may make it). `owner` is the site that first pushed
 * such a record, when the central server holds it: then it alone, and the primary, may change it.
 */
export function rightfulSites(config: SyncConfig, facts: Facts, owner?: number): number[] {
  switch (facts.cls) {
    case 'central':
    case 'centralStore':
      return [primaryOf(config)];
    case 'store': {
      const store = storeIn(config, facts.storeId);
      return store && !withheld(store, facts) ? [store.activeSiteId] : [];
    }
    case 'patient': {
      const home = storeIn(config, facts.homeStoreId);
      return home ? [home.activeSiteId] : [];
    }
    case 'message': {
      // Written by the site its sending store is active on (the receiver may only mark it).
      const from = storeIn(config, facts.fromStoreId);
      return from ? [from.activeSiteId] : [];
    }
    case 'owned':
      return owner === undefined ? sitesOf(config).map((s) => s.siteId) : [...new Set([owner, primaryOf(config)])].sort((a, b) => a - b);
    case 'refused':
      return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Transfers with the sites' own processors in the loop (transfers-site-processors.test.ts)

/** A trade between two stores on different sites, as the initiating site edits it over time. */
export type TradeKind = 'invoice' | 'request';

/**
 * One step of an interleaving: the initiating site makes its next edit (and pushes it), a
 * background message is handled (one of those pending, by index), or a site syncs (push what it
 * has, pull everything, integrate, run its processors).
 */
export type TradeStep =
  | { readonly kind: 'edit' }
  | { readonly kind: 'route'; readonly pick: number }
  | { readonly kind: 'transfer'; readonly pick: number }
  | { readonly kind: 'sync'; readonly site: 'initiating' | 'responding' };

/** The initiating site's edits: the header through its statuses, its lines pushed with the first or on their own. */
export interface TradePlan {
  readonly kind: TradeKind;
  /** Legacy statuses the header is pushed at, in order (each a separate push). */
  readonly statuses: readonly string[];
  readonly lineQuantities: readonly number[];
  /** Lines travel in the header's first push, or in a push of their own after it (split across syncs). */
  readonly linesApart: boolean;
  readonly steps: readonly TradeStep[];
}

/** A subsequence of the kind's statuses in their order (a status may be skipped, the header never goes back). */
const statusPathArb = (statuses: readonly string[]) =>
  fc.subarray([...statuses], { minLength: 1 }).map((chosen) => statuses.filter((status) => chosen.includes(status)));

export const tradeStepArb: fc.Arbitrary<TradeStep> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'edit' as const }) },
  { weight: 2, arbitrary: fc.nat({ max: 5 }).map((pick) => ({ kind: 'route' as const, pick })) },
  { weight: 2, arbitrary: fc.nat({ max: 5 }).map((pick) => ({ kind: 'transfer' as const, pick })) },
  { weight: 3, arbitrary: fc.constantFrom('initiating' as const, 'responding' as const).map((site) => ({ kind: 'sync' as const, site })) },
);

export const tradePlanArb = (kind: TradeKind): fc.Arbitrary<TradePlan> =>
  fc.record({
    kind: fc.constant(kind),
    // Invoices: new, picked (cn), shipped (fn); requests: suggested (draft), confirmed and finalised (both sent).
    statuses: statusPathArb(kind === 'invoice' ? ['nw', 'cn', 'fn'] : ['sg', 'cn', 'fn']),
    lineQuantities: fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 3 }),
    linesApart: fc.boolean(),
    steps: fc.array(tradeStepArb, { minLength: 3, maxLength: 25 }),
  });

/**
 * The oracle, from the client's facts alone (its processors make a responding half for an
 * outbound invoice once it is picked or shipped, for a request once it is sent): whether the
 * trade, ending at this legacy status, must end with a responding half.
 */
export const mustBeAnswered = (kind: TradeKind, finalStatus: string): boolean =>
  kind === 'invoice' ? ['cn', 'fn'].includes(finalStatus) : ['cn', 'fn'].includes(finalStatus);

/**
 * What the central copy keeps of an accepted record: what was pushed, except a configured
 * store's `store` record, whose sync fields are the configuration's and whose fields the client
 * needs are filled in (docs/sync.md, "Store records").
 */
export function storedData(config: SyncConfig, spec: RecordSpec): Record<string, unknown> | undefined {
  const data = materialise(spec).recordData as Record<string, unknown> | undefined;
  const store = spec.template === 'store' ? storeIn(config, spec.id) : undefined;
  if (!store || !data) return data;
  return {
    logo: '',
    created_date: '0000-00-00',
    disabled: false,
    ...data,
    ID: store.id,
    name_ID: store.nameId,
    code: store.code,
    name: store.name,
    store_mode: store.mode,
    sync_id_remote_site: store.activeSiteId,
  };
}

/**
 * §4 with the client's own processor: an outbound invoice to a store active on another site,
 * once picked (`cn`) or shipped (`fn`), reaches that site only together with its responding half
 * (which the transfers consumer sends), never through ordinary routing. That site, if any.
 */
export function awaitingResponse(config: SyncConfig, header: TransactSpec | undefined): number | undefined {
  if (!header || (header.status !== 'cn' && header.status !== 'fn')) return undefined;
  const store = storeIn(config, header.storeId);
  const trader = Object.values(config.stores).find((s) => s.nameId === header.nameId);
  if (!store || !trader || trader.id === store.id || trader.activeSiteId === store.activeSiteId) return undefined;
  return trader.activeSiteId;
}

// ---------------------------------------------------------------------------------------------
// Central data and what a site must hold of it (docs/central-data.md), on the raw records.

/** Pools of ids, so that generated references meet (and sometimes miss: `GONE`). */
export const CENTRAL_ITEM_IDS = ['I1', 'I2', 'I3'] as const;
export const CENTRAL_UNIT_IDS = ['U1', 'U2'] as const;
export const CENTRAL_LIST_IDS = ['L1', 'L2', 'L3'] as const;
/** Names that are not visible anywhere by the configuration: a manufacturer or not, as generated. */
export const CENTRAL_OTHER_NAME_IDS = ['M1', 'M2', 'O1'] as const;
const MISSING_ID = 'GONE';

/**
 * The fields the Open mSupply client reads as references to other central records (its
 * translations of these legacy tables), as (field, table). Written from the client's use, not
 * from the server's filter.
 */
export const CENTRAL_REFERENCES: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>> = {
  item: [['unit_ID', 'unit']],
  list_master_line: [['item_master_ID', 'list_master'], ['item_ID', 'item']],
  list_master_name_join: [['list_master_ID', 'list_master'], ['name_ID', 'name']],
  name_tag_join: [['name_ID', 'name'], ['name_tag_ID', 'name_tag']],
  contact: [['name_ID', 'name']],
  barcode: [['itemID', 'item'], ['manufacturerID', 'name']],
};

const nameIdsOf = (config: SyncConfig): string[] => [
  ...Object.values(config.stores).map((store) => store.nameId),
  ...PLAIN_NAME_IDS,
  ...CENTRAL_OTHER_NAME_IDS,
];

/**
 * A central log in the order it was written: every configured store's name (as the server
 * writes them), then random names, items, units, lists, lines, joins, tags, contacts and
 * barcodes, some updated again or deleted later. References are drawn from the pools.
 */
export function centralDataArb(config: SyncConfig): fc.Arbitrary<SyncRecord[]> {
  const names = nameIdsOf(config);
  const pick = <T extends string>(pool: readonly T[]) => fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: fc.constant(MISSING_ID) });
  const record = (tableName: string, id: fc.Arbitrary<string>, data: fc.Arbitrary<Record<string, unknown>>) =>
    fc.record({ id, data, deleted: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) }).map(
      ({ id, data, deleted }): SyncRecord =>
        deleted ? { tableName, recordId: id, action: 'delete', recordData: { ID: id, ...data } } : { tableName, recordId: id, action: 'update', recordData: { ID: id, ...data } },
    );
  const serial = (prefix: string) => fc.nat({ max: 5 }).map((n) => `${prefix}${n}`);
  const anyRecord = fc.oneof(
    record('name', fc.constantFrom(...names), fc.record({ name: fc.string({ maxLength: 4 }), manufacturer: fc.boolean(), type: fc.constantFrom('facility', 'facility', 'invad', 'repack') })),
    record('item', fc.constantFrom(...CENTRAL_ITEM_IDS), fc.record({ item_name: fc.string({ maxLength: 4 }), unit_ID: pick(CENTRAL_UNIT_IDS) })),
    record('unit', fc.constantFrom(...CENTRAL_UNIT_IDS), fc.record({ units: fc.constantFrom('Tab', 'Vial') })),
    record('list_master', fc.constantFrom(...CENTRAL_LIST_IDS), fc.record({ description: fc.string({ maxLength: 4 }) })),
    record('list_master_line', serial('LL'), fc.record({ item_master_ID: pick(CENTRAL_LIST_IDS), item_ID: pick(CENTRAL_ITEM_IDS) })),
    record('list_master_name_join', serial('LJ'), fc.record({ list_master_ID: pick(CENTRAL_LIST_IDS), name_ID: pick(names) })),
    record('name_tag', fc.constantFrom('T1', 'T2'), fc.record({ description: fc.string({ maxLength: 4 }) })),
    record('name_tag_join', serial('TJ'), fc.record({ name_ID: pick(names), name_tag_ID: pick(['T1', 'T2']) })),
    record('contact', serial('C'), fc.record({ name_ID: pick(names), first: fc.string({ maxLength: 4 }) })),
    record('barcode', serial('B'), fc.record({ itemID: pick(CENTRAL_ITEM_IDS), manufacturerID: fc.oneof(pick(names), fc.constant('')) })),
  );
  const storeNames = Object.values(config.stores).map(
    (store): SyncRecord => ({ tableName: 'name', recordId: store.nameId, action: 'update', recordData: { ID: store.nameId, name: store.name, type: 'store' } }),
  );
  return fc.array(anyRecord, { maxLength: 40 }).map((records) => [...storeNames, ...records]);
}

const centralKey = (tableName: string, recordId: string) => `${tableName}\u0000${recordId}`;

/** The last state of every record of a log (a later change replaces an earlier one). */
export function latestCentral(log: readonly SyncRecord[]): Map<string, SyncRecord> {
  const latest = new Map<string, SyncRecord>();
  for (const record of log) {
    const key = centralKey(record.tableName, record.recordId);
    latest.delete(key);
    latest.set(key, record);
  }
  return latest;
}

const fieldOf = (record: SyncRecord | undefined, field: string): string | undefined => {
  const value = record?.recordData?.[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** Names of the stores the site uses (active or collector there): their lists are the site's. */
function ownStoreNames(config: SyncConfig, siteId: number): Set<string> {
  return new Set(Object.values(config.stores).filter((s) => s.activeSiteId === siteId || s.collectorSiteIds.includes(siteId)).map((s) => s.nameId));
}

/**
 * Names the site's configuration-given records point at: every store record it holds names its
 * store's name; a name_store_join of a store it uses names the visible name.
 */
function namesReferencedByConfig(config: SyncConfig, siteId: number): Set<string> {
  const names = new Set<string>();
  for (const store of Object.values(config.stores)) {
    if (!storeExistsOn(config, store, siteId)) continue;
    names.add(store.nameId);
    if (store.activeSiteId !== siteId && !store.collectorSiteIds.includes(siteId)) continue;
    for (const nameId of Object.hasOwn(config.visibility, store.id) ? config.visibility[store.id]! : []) names.add(nameId);
  }
  return names;
}

/**
 * Every reference of what the site holds that does not resolve: to a record the central server
 * holds (not deleted) that the site does not hold. `held`: keys of the site's records.
 */
export function unresolvedReferences(config: SyncConfig, siteId: number, log: readonly SyncRecord[], held: ReadonlySet<string>): string[] {
  const latest = latestCentral(log);
  const exists = (table: string, id: string) => latest.get(centralKey(table, id))?.action === 'update';
  const missing: string[] = [];
  const need = (from: string, table: string, id: string) => {
    if (exists(table, id) && !held.has(centralKey(table, id))) missing.push(`${from} -> ${table} ${id}`);
  };
  for (const key of held) {
    const record = latest.get(key);
    if (!record || record.action !== 'update') continue;
    for (const [field, table] of CENTRAL_REFERENCES[record.tableName] ?? []) {
      const id = fieldOf(record, field);
      if (id !== undefined) need(`${record.tableName} ${record.recordId}.${field}`, table, id);
    }
  }
  for (const nameId of namesReferencedByConfig(config, siteId)) need('configuration', 'name', nameId);
  return missing.sort();
}

/**
 * What the site must hold besides integrity, and what it must not (the point of filtering): the
 * primary (and a site holding no store) everything; another site every item, the names its stores use
 * and the system names, and the lines of every
 * list joined to its own stores' names, but no line of a list joined to none of them.
 */
export function centralExpectations(config: SyncConfig, siteId: number, log: readonly SyncRecord[]): { must: string[]; mustNot: string[] } {
  const latest = [...latestCentral(log).values()].filter((record) => record.action === 'update');
  // The primary edits central data; a site holding no store has nothing to choose by.
  const holdsNoStore = !Object.values(config.stores).some((store) => storeExistsOn(config, store, siteId));
  if (config.preferences.primarySiteId === siteId || holdsNoStore) return { must: latest.map((r) => centralKey(r.tableName, r.recordId)), mustNot: [] };
  const own = ownStoreNames(config, siteId);
  const lists = new Set(
    latest.filter((r) => r.tableName === 'list_master_name_join' && own.has(fieldOf(r, 'name_ID') ?? '')).map((r) => fieldOf(r, 'list_master_ID')!),
  );
  const must: string[] = [];
  const mustNot: string[] = [];
  for (const record of latest) {
    const key = centralKey(record.tableName, record.recordId);
    if (record.tableName === 'item' || record.tableName === 'list_master') must.push(key);
    if (record.tableName === 'name' && namesReferencedByConfig(config, siteId).has(record.recordId)) must.push(key);
    // Inventory adjustments and repacks in any store are made out to mSupply's system names.
    if (record.tableName === 'name' && ['invad', 'repack', 'build'].includes(String(record.recordData?.type))) must.push(key);
    if (record.tableName === 'list_master_line') (lists.has(fieldOf(record, 'item_master_ID') ?? '') ? must : mustNot).push(key);
  }
  return { must, mustNot };
}
