/**
 * Who may download a sync file, pure: for random configurations and the records files are
 * attached to, a site other than the uploader may download exactly when the oracle of sync-rules
 * §2–3 (test/support/sync-arbitraries.ts) says it may hold the record; records the server keeps
 * but sends nowhere, or does not hold at all, are read back by their uploader only.
 */
import fc from 'fast-check';
import { placeRecord } from '../../functions/domain/sync/placement';
import { mayDownloadSyncFile, recordHolders } from '../../functions/domain/sync/sync-file-access';
import { encodeKeyPart } from '../../functions/protocol/sync-files';
import { changeLogEntitled, configArb, entitledSites, factsOf, materialise, recordSpecArb, siteIdsOf } from '../support/sync-arbitraries';

const caseArb = configArb.chain((config) =>
  fc.record({
    config: fc.constant(config),
    spec: recordSpecArb(config).filter((spec) => spec.template !== 'trans_line'),
    site: fc.constantFrom(...siteIdsOf(config)),
    uploader: fc.constantFrom(...siteIdsOf(config)),
  }),
);

test('a file goes to its uploader and to the sites entitled to its record, and to no other', () => {
  fc.assert(
    fc.property(caseArb, ({ config, spec, site, uploader }) => {
      const record = materialise(spec);
      const facts = factsOf(spec, undefined);
      const placed = placeRecord(record, { centralisedProcurement: false }, () => undefined, true);
      const placement = placed.kind === 'placed' ? placed.placement : undefined;
      const decision = mayDownloadSyncFile(site, { uploadedBySiteId: uploader }, recordHolders(record.tableName, placement, config), record);
      const entitled = facts.cls !== 'refused' && (changeLogEntitled(facts) || entitledSites(config, facts).includes(site));
      expect({ allowed: decision.allowed }).toEqual({ allowed: site === uploader || entitled });
      if (!decision.allowed) expect(decision.reason).toContain(record.recordId);
    }),
    { numRuns: 2000 },
  );
});

test('records kept centrally but sent nowhere, and records the server does not hold: the uploader only', () => {
  const config = fc.sample(configArb, { numRuns: 1, seed: 7 })[0]!;
  const [first, second] = siteIdsOf(config).filter((siteId) => config.sites[String(siteId)]?.kind !== 'central');
  const record = { tableName: 'asset', recordId: 'A1' };
  const kept = recordHolders('asset', { dataClass: 'central', flags: [], kept: true }, config);
  const unknown = recordHolders('asset', undefined, config);
  for (const holders of [kept, unknown]) {
    expect(mayDownloadSyncFile(first!, { uploadedBySiteId: first! }, holders, record)).toEqual({ allowed: true });
    expect(mayDownloadSyncFile(second ?? 99, { uploadedBySiteId: first! }, holders, record).allowed).toBe(false);
  }
  expect(unknown).toEqual({ kind: 'unknown' });
  expect(kept).toEqual({ kind: 'sites', siteIds: [] });
});

test('a sync file key part is written for any id JSON allows, lone surrogates included, never with a slash, and no two ids share one', () => {
  const anyId = fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('\ud83d', 'a\udc00b', '\ud83d\ude00', '%ED%A0%BD', '/', '~'));
  fc.assert(
    fc.property(anyId, anyId, (a, b) => {
      expect(encodeKeyPart(a)).not.toContain('/');
      if (a !== b) expect(encodeKeyPart(a)).not.toBe(encodeKeyPart(b));
    }),
    { numRuns: 2000 },
  );
  expect(encodeKeyPart('a b/ü')).toBe(encodeURIComponent('a b/ü'));
});
