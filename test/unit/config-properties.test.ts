/** Random operation sequences: every invariant holds after every step; a refusal changes nothing. */
import fc from 'fast-check';
import {
  applyCommand,
  emptyConfig,
  instanceType,
  invariantViolations,
  isVisibleOnSite,
  type ConfigCommand,
  type SyncConfig,
} from '../../functions/domain/config';

const siteId = fc.integer({ min: 1, max: 5 });
const storeId = fc.constantFrom('S1', 'S2', 'S3', 'S4');
// Store name records are N_<store>; plain names (customers, suppliers) are X1, X2.
const nameId = fc.constantFrom('N_S1', 'N_S2', 'N_S3', 'N_S4', 'X1', 'X2');
const kind = fc.constantFrom('central', 'desktop', 'mobile', 'desktop') as fc.Arbitrary<'central' | 'desktop' | 'mobile'>;
const syncWithValue = fc.constantFrom('none', 'activeCollector', 'transfer') as fc.Arbitrary<'none' | 'activeCollector' | 'transfer'>;

const command: fc.Arbitrary<ConfigCommand> = fc.oneof(
  fc.record({ siteId, kind, name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'A') }).map(({ siteId, kind, name }) => ({
    type: 'createSite' as const,
    site: { siteId, name, code: name.toUpperCase(), kind },
  })),
  fc.record({ siteId, kind: fc.option(kind, { nil: undefined }), name: fc.option(fc.constantFrom('a', 'f', 'g'), { nil: undefined }) }).map(
    ({ siteId, kind, name }) => ({ type: 'updateSite' as const, siteId, changes: { kind, name } }),
  ),
  siteId.map((siteId) => ({ type: 'deleteSite' as const, siteId })),
  siteId.map((siteId) => ({ type: 'setSiteCredential' as const, siteId, credential: 'hash' })),
  fc.record({ siteId, hardwareId: fc.constantFrom('hw1', 'hw2') }).map((c) => ({ type: 'bindHardware' as const, ...c })),
  siteId.map((siteId) => ({ type: 'releaseHardware' as const, siteId })),
  fc.record({ id: storeId, siteId, nameId: fc.option(nameId, { nil: undefined }) }).map(({ id, siteId, nameId }) => ({
    type: 'createStore' as const,
    store: { id, code: id, name: id, nameId: nameId ?? `N_${id}`, mode: 'store' as const, activeSiteId: siteId },
  })),
  storeId.map((storeId) => ({ type: 'deleteStore' as const, storeId })),
  fc.record({ storeId, siteId, keep: fc.boolean() }).map(({ storeId, siteId, keep }) => ({
    type: 'setActiveSite' as const,
    storeId,
    siteId,
    keepCollectorOnPreviousSite: keep,
  })),
  fc.record({ storeId, value: fc.boolean() }).map((c) => ({ type: 'setIncludeTransactions' as const, ...c })),
  fc.record({ storeId, siteId, syncWith: syncWithValue }).map((c) => ({ type: 'setSyncWith' as const, ...c })),
  fc.record({ storeId, nameId }).map((c) => ({ type: 'addVisibility' as const, ...c })),
  fc.record({ storeId, nameId }).map((c) => ({ type: 'removeVisibility' as const, ...c })),
  fc.option(siteId, { nil: null }).map((primarySiteId) => ({ type: 'setPreferences' as const, changes: { primarySiteId } })),
);

/** A head start so that most sequences reach interesting states. */
function seeded(): SyncConfig {
  let config = emptyConfig();
  const setup: ConfigCommand[] = [
    { type: 'createSite', site: { siteId: 1, name: 'central', code: 'C', kind: 'central' } },
    { type: 'createSite', site: { siteId: 2, name: 'r2', code: 'R2', kind: 'desktop' } },
    { type: 'createSite', site: { siteId: 3, name: 'r3', code: 'R3', kind: 'mobile' } },
  ];
  for (const step of setup) {
    const result = applyCommand(config, step);
    if (!result.ok) throw new Error(result.message);
    config = result.config;
  }
  return config;
}

test('every invariant holds after every operation; refused operations change nothing', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.array(command, { maxLength: 40 }), (fromSeed, commands) => {
      let config = fromSeed ? seeded() : emptyConfig();
      for (const step of commands) {
        const before = structuredClone(config);
        const result = applyCommand(config, step);
        // Inputs are never mutated, whatever the outcome.
        expect(config).toEqual(before);
        if (!result.ok) {
          expect([400, 404, 409, 422]).toContain(result.status);
          expect(result.message.length).toBeGreaterThan(10);
          continue;
        }
        expect(invariantViolations(result.config)).toEqual([]);
        config = result.config;
      }
    }),
    { numRuns: 300 },
  );
});

test('derived types follow the rules on every site of every reachable configuration', () => {
  fc.assert(
    fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
      let config = seeded();
      for (const step of commands) {
        const result = applyCommand(config, step);
        if (result.ok) config = result.config;
      }
      for (const store of Object.values(config.stores)) {
        const types = Object.values(config.sites).map((site) => ({ site, type: instanceType(config, store.id, site.siteId) }));
        // Active on exactly one site.
        expect(types.filter((t) => t.type === 'active')).toHaveLength(1);
        for (const { site, type } of types) {
          if (site.kind === 'central') expect(type).not.toBe('none');
          const holdsAll = site.kind === 'central' || config.preferences.primarySiteId === site.siteId;
          if (type === 'collector' || type === 'transfer') expect(holdsAll || isVisibleOnSite(config, store.id, site.siteId)).toBe(true);
          if (type === 'none') expect(isVisibleOnSite(config, store.id, site.siteId)).toBe(false);
        }
      }
      for (const site of Object.values(config.sites)) {
        if (site.kind === 'mobile') expect(Object.values(config.stores).filter((s) => s.activeSiteId === site.siteId).length).toBeLessThanOrEqual(1);
      }
    }),
    { numRuns: 200 },
  );
});

test('making a store visible on a site makes it transfer there; hiding it again makes it none', () => {
  let config = seeded();
  const run = (step: ConfigCommand) => {
    const result = applyCommand(config, step);
    if (!result.ok) throw new Error(result.message);
    config = result.config;
    return result;
  };
  run({ type: 'createStore', store: { id: 'S1', code: 'S1', name: 'S1', nameId: 'N_S1', mode: 'store', activeSiteId: 2 } });
  run({ type: 'createStore', store: { id: 'S2', code: 'S2', name: 'S2', nameId: 'N_S2', mode: 'store', activeSiteId: 3 } });
  expect(instanceType(config, 'S1', 3)).toBe('none');
  const refused = applyCommand(config, { type: 'setSyncWith', storeId: 'S1', siteId: 3, syncWith: 'activeCollector' });
  expect(refused).toMatchObject({ ok: false, status: 422, code: 'store_not_visible_on_site' });
  run({ type: 'addVisibility', storeId: 'S2', nameId: 'N_S1' });
  expect(config.visibility).toEqual({ S1: ['N_S2'], S2: ['N_S1'] });
  expect(instanceType(config, 'S1', 3)).toBe('transfer');
  expect(run({ type: 'setSyncWith', storeId: 'S1', siteId: 3, syncWith: 'activeCollector' }).audit).toMatchObject({ action: 'store.syncWith' });
  expect(instanceType(config, 'S1', 3)).toBe('collector');
  expect(applyCommand(config, { type: 'deleteStore', storeId: 'S1' })).toMatchObject({ ok: false, status: 409, message: expect.stringContaining('S2') });
  run({ type: 'removeVisibility', storeId: 'S1', nameId: 'N_S2' });
  expect(config.visibility).toEqual({});
  expect(instanceType(config, 'S1', 3)).toBe('none');
  expect(instanceType(config, 'S1', 1)).toBe('collector');
  expect(applyCommand(config, { type: 'deleteSite', siteId: 2 })).toMatchObject({ ok: false, status: 409, message: expect.stringContaining('S1') });
  expect(applyCommand(config, { type: 'createStore', store: { id: 'S3', code: 'S3', name: 'S3', nameId: 'N_S3', mode: 'store', activeSiteId: 3 } })).toMatchObject({
    ok: false,
    status: 409,
    code: 'mobile_one_store',
  });
});
