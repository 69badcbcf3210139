/**
 * The v6 change-log partitions of one record stay few: a patient visible in very many stores is
 * entered once for every site (and still for patient-pull), and every site entitled to it still
 * reads it. Pure.
 */
import type { SyncConfig } from '../../functions/domain/config/model';
import { MAX_PARTITIONS_PER_RECORD, entitledSite, patientPartition, sitePartitions, v6Partitions } from '../../functions/domain/sync-v6/audience';
import type { V6Placement } from '../../functions/domain/sync-v6/placement';

function configWithStores(count: number, visibleIn: (index: number) => boolean): SyncConfig {
  const stores = Array.from({ length: count }, (_, i) => ({
    id: `S${i}`,
    code: `S${i}`,
    name: `Store ${i}`,
    nameId: `N${i}`,
    mode: 'store' as const,
    activeSiteId: 2 + (i % 5),
    includeTransactionsInSync: true,
    collectorSiteIds: [],
  }));
  const sites = [1, 2, 3, 4, 5, 6, 7].map((siteId) => ({ siteId, name: `site${siteId}`, code: `R${siteId}`, kind: siteId === 1 ? ('central' as const) : ('desktop' as const), credential: 'x', hardwareId: '' }));
  return {
    version: 1,
    sites: Object.fromEntries(sites.map((site) => [String(site.siteId), site])),
    stores: Object.fromEntries(stores.map((store) => [store.id, store])),
    visibility: Object.fromEntries(stores.filter((_, i) => visibleIn(i)).map((store) => [store.id, ['P']])),
    preferences: { primarySiteId: null, centralisedProcurement: false, centralisedPayments: false },
  };
}

const vaccination: V6Placement = { dataClass: 'patient', flags: [], storeId: 'S0', patientId: 'P' };

test('a patient in a few stores: one partition per store and one for the patient', () => {
  const config = configWithStores(10, (i) => i < 3);
  expect(v6Partitions(vaccination, config).sort()).toEqual(['patient#P', 'store#S0', 'store#S1', 'store#S2']);
});

test('a patient visible in more stores than a record may have partitions: once in all, still in its patient partition, read by exactly the entitled sites', () => {
  const config = configWithStores(MAX_PARTITIONS_PER_RECORD + 10, (i) => i % 5 !== 4);
  const partitions = v6Partitions(vaccination, config);
  expect(partitions).toEqual(['all', patientPartition('P')]);
  const readers = [2, 3, 4, 5, 6].filter((siteId) => sitePartitions(config, siteId).some((p) => partitions.includes(p)) && entitledSite('vaccination', vaccination, config, siteId));
  // Site 6 holds only stores with index 4 mod 5, none of which sees the patient.
  expect(readers).toEqual([2, 3, 4, 5]);
});
