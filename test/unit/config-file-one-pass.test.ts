/**
 * The one-pass build of a configuration file agrees with applying its commands one by one: the
 * same configuration when every command is accepted, and no configuration (so the command path
 * names the refusal) when any is refused.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { configFromFile, configFromFileByCommands, configFromFileInOnePass } from '../../functions/domain/config/config-file';
import { emptyConfig } from '../../functions/domain/config';
import { configFileSchema, type ConfigFileInput } from '../../functions/protocol/admin';
import { fleetConfigFile } from '../../bench/fleet-config';

const plain = (password: string) => `plain:${password}`;
const parse = (input: ConfigFileInput) => configFileSchema.parse(input);

const siteId = fc.integer({ min: 1, max: 5 });
const storeIds = ['S1', 'S2', 'S3', 'S4'] as const;
const nameId = fc.constantFrom('N_S1', 'N_S2', 'N_S3', 'N_S4', 'X1', 'X2');
const syncWithValue = fc.constantFrom('none', 'activeCollector', 'transfer') as fc.Arbitrary<'none' | 'activeCollector' | 'transfer'>;

const oneOfWeighted = <T,>(choices: Array<[T, number]>): fc.Arbitrary<T> =>
  fc.oneof(...choices.map(([value, weight]) => ({ arbitrary: fc.constant(value), weight })));

// Mostly consistent files (a central site first, distinct ids), with the odd clash or bad reference.
const file: fc.Arbitrary<ConfigFileInput> = fc.record({
  remote: fc.uniqueArray(
    fc.record({ siteId: fc.integer({ min: 2, max: 5 }), kind: oneOfWeighted<'central' | 'desktop' | 'mobile'>([['desktop', 12], ['mobile', 3], ['central', 1]]), name: oneOfWeighted([['', 16], ['a', 1], ['A', 1]]), password: fc.option(fc.constantFrom('password-1', 'password-2'), { nil: undefined }) }),
    { minLength: 2, maxLength: 4, selector: (site) => site.siteId },
  ),
  stores: fc.uniqueArray(
    fc.record({
      id: fc.constantFrom(...storeIds),
      nameId: fc.option(nameId, { nil: undefined, freq: 3 }),
      activeSiteId: fc.integer({ min: 1, max: 4 }),
      mode: fc.constantFrom('store', 'dispensary') as fc.Arbitrary<'store' | 'dispensary'>,
      syncWith: fc.option(fc.dictionary(siteId.map(String), syncWithValue, { maxKeys: 2 }), { nil: {}, freq: 2 }),
    }),
    { maxLength: 4, selector: (store) => store.id },
  ),
  visibility: fc.array(fc.record({ storeId: fc.constantFrom(...storeIds), nameId }), { maxLength: 8 }),
  primarySiteId: fc.option(siteId, { nil: null, freq: 6 }),
}).map(({ remote, stores, visibility, primarySiteId }) => ({
  sites: [
    { siteId: 1, kind: 'central' as const, name: 'central', code: 'C' },
    ...remote.map(({ siteId, kind, name, password }) => ({
      siteId,
      kind,
      name: name === '' ? `site-${siteId}` : name,
      code: `R${siteId}`,
      ...(kind === 'central' || password === undefined ? {} : { password }),
    })),
  ],
  stores: stores.map(({ id, nameId, activeSiteId, mode, syncWith }) => ({ id, code: id, name: id, nameId: nameId ?? `N_${id}`, mode, activeSiteId, syncWith })),
  // Mostly visibility of existing stores.
  visibility: visibility.filter(({ storeId }, index) => index % 4 === 3 || stores.some((store) => store.id === storeId)),
  preferences: primarySiteId === null ? {} : { primarySiteId },
}));

test('a random file builds to the same configuration in one pass as command by command, or is left to the commands', () => {
  let accepted = 0;
  fc.assert(
    fc.property(file, (input) => {
      const parsed = parse(input);
      const byCommands = configFromFileByCommands(emptyConfig(), parsed, plain);
      const onePass = configFromFileInOnePass(emptyConfig(), parsed, plain);
      if (byCommands.ok) {
        accepted++;
        expect(onePass).toEqual(byCommands.config);
      } else {
        expect(onePass).toBeUndefined();
      }
      expect(configFromFile(emptyConfig(), parsed, plain)).toEqual(byCommands);
    }),
    { numRuns: 2000 },
  );
  expect(accepted).toBeGreaterThan(100);
});

test('the demo configuration and a fleet are built in one pass, equal to their commands', () => {
  const demo = parse(JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config', 'demo.json'), 'utf8')) as ConfigFileInput);
  for (const parsed of [demo, parse(fleetConfigFile(40, (siteId) => siteId % 3 === 0))]) {
    const byCommands = configFromFileByCommands(emptyConfig(), parsed, plain);
    if (!byCommands.ok) throw new Error(byCommands.message);
    expect(configFromFileInOnePass(emptyConfig(), parsed, plain)).toEqual(byCommands.config);
  }
});

test('a refused file is reported by the command that refuses it', () => {
  const parsed = parse({
    sites: [
      { siteId: 1, name: 'central', code: 'C', kind: 'central' },
      { siteId: 2, name: 'r2', code: 'R2', kind: 'desktop' },
    ],
    stores: [{ id: 'S1', code: 'S1', name: 'S1', nameId: 'N_S1', mode: 'store', activeSiteId: 2, syncWith: { '3': 'activeCollector' } }],
  });
  expect(configFromFile(emptyConfig(), parsed, plain)).toMatchObject({ ok: false, code: 'site_not_found', message: expect.stringMatching(/^setSyncWith \(#4\)/) });
});
