/**
 * The configuration of a fleet for the benchmarks: a central site holding SUPPLIERS supplier
 * stores, and `sites` remote sites with one active store each. Every site's store sees two of
 * the suppliers and its neighbour's store (so the stores exist on each other's sites and routing
 * has real candidates), keeps a collector copy on its neighbour, and every tenth is a dispensary.
 */
import type { ConfigFileInput } from '../functions/protocol/admin';

export const SUPPLIERS = 10;
export const CENTRAL_SITE_ID = 1;
export const siteName = (siteId: number) => `fleet-site-${siteId}`;
export const storeId = (siteId: number) => `FLEET_STORE_${siteId}`;
export const storeNameId = (siteId: number) => `FLEET_NAME_${siteId}`;
export const supplierNameId = (index: number) => `FLEET_SUPPLIER_NAME_${index}`;
export const sitePassword = (siteId: number) => `fleet-password-${siteId}`;

/** Remote site ids are 2..sites+1; `neighbour(i)` wraps round. */
export const remoteSiteIds = (sites: number) => Array.from({ length: sites }, (_, i) => i + 2);
export const neighbour = (siteId: number, sites: number) => (siteId - 2 + 1) % sites + 2;

/**
 * `passwords`: which remote sites get a password in the file (the others get none, or one the
 * import generates when asked to).
 */
export function fleetConfigFile(sites: number, passwords: (siteId: number) => boolean): ConfigFileInput {
  const remote = remoteSiteIds(sites);
  return {
    sites: [
      { siteId: CENTRAL_SITE_ID, name: 'fleet-central', code: 'CENTRAL', kind: 'central' },
      ...remote.map((siteId) => ({
        siteId,
        name: siteName(siteId),
        code: `S${siteId}`,
        kind: 'desktop' as const,
        ...(passwords(siteId) ? { password: sitePassword(siteId) } : {}),
      })),
    ],
    stores: [
      ...Array.from({ length: SUPPLIERS }, (_, index) => ({
        id: `FLEET_SUPPLIER_${index}`,
        code: `SUP${index}`,
        name: `Supplier ${index}`,
        nameId: supplierNameId(index),
        mode: 'store' as const,
        activeSiteId: CENTRAL_SITE_ID,
      })),
      ...remote.map((siteId) => ({
        id: storeId(siteId),
        code: `ST${siteId}`,
        name: `Store ${siteId}`,
        nameId: storeNameId(siteId),
        mode: siteId % 10 === 0 ? ('dispensary' as const) : ('store' as const),
        activeSiteId: siteId,
        ...(sites > 1 ? { syncWith: { [String(neighbour(siteId, sites))]: 'activeCollector' as const } } : {}),
      })),
    ],
    // One direction of each pair is enough: visibility between two stores is made symmetric.
    visibility: remote.flatMap((siteId) => [
      { storeId: storeId(siteId), nameId: supplierNameId(siteId % SUPPLIERS) },
      { storeId: storeId(siteId), nameId: supplierNameId((siteId + 1) % SUPPLIERS) },
      ...(sites > 1 ? [{ storeId: storeId(siteId), nameId: storeNameId(neighbour(siteId, sites)) }] : []),
    ]),
    preferences: {},
    users: [],
  };
}
