/** Every rule a configuration must satisfy; operations refuse anything that would break one. */
import { MAX_SITE_ID, type SyncConfig } from './model';
import { activeStoresOnSite, allSites, allStores, getSite, holdsEveryStore, isVisibleOnSite, storeByNameId } from './queries';

/** Human-readable violations; empty when the configuration is consistent. */
export function invariantViolations(config: SyncConfig): string[] {
  const violations: string[] = [];
  const sites = allSites(config);
  const stores = allStores(config);

  const centrals = sites.filter((site) => site.kind === 'central');
  if (centrals.length > 1) violations.push(`more than one central site: ${centrals.map((s) => s.siteId).join(', ')}`);
  if (stores.length > 0 && centrals.length === 0) violations.push('stores exist but no central site does');

  const names = new Map<string, number>();
  for (const [key, site] of Object.entries(config.sites)) {
    if (key !== String(site.siteId)) violations.push(`site keyed ${key} has siteId ${site.siteId}`);
    if (!Number.isInteger(site.siteId) || site.siteId < 1 || site.siteId > MAX_SITE_ID) violations.push(`site id ${site.siteId} out of range`);
    if (site.name.trim() === '') violations.push(`site ${site.siteId} has an empty name`);
    const lower = site.name.toLowerCase();
    if (names.has(lower)) violations.push(`sites ${names.get(lower)} and ${site.siteId} share the name ${site.name}`);
    names.set(lower, site.siteId);
    if (site.kind === 'central' && (site.credential !== '' || site.hardwareId !== ''))
      violations.push(`central site ${site.siteId} must have no credential or hardware binding`);
    if (site.kind === 'mobile' && activeStoresOnSite(config, site.siteId).length > 1)
      violations.push(`mobile site ${site.siteId} has more than one active store`);
  }

  const nameIds = new Map<string, string>();
  for (const [key, store] of Object.entries(config.stores)) {
    if (key !== store.id) violations.push(`store keyed ${key} has id ${store.id}`);
    if (store.id === '' || store.nameId === '') violations.push(`store ${store.id} has an empty id or name id`);
    if (nameIds.has(store.nameId)) violations.push(`stores ${nameIds.get(store.nameId)} and ${store.id} share name record ${store.nameId}`);
    nameIds.set(store.nameId, store.id);
    if (!getSite(config, store.activeSiteId)) violations.push(`store ${store.id} is active on missing site ${store.activeSiteId}`);
    const sorted = [...new Set(store.collectorSiteIds)].sort((a, b) => a - b);
    if (sorted.join() !== store.collectorSiteIds.join()) violations.push(`store ${store.id} collector sites are not sorted and unique`);
    for (const siteId of store.collectorSiteIds) {
      if (siteId === store.activeSiteId) violations.push(`store ${store.id} is both active and collector on site ${siteId}`);
      else if (!getSite(config, siteId)) violations.push(`store ${store.id} is collector on missing site ${siteId}`);
      else if (!holdsEveryStore(config, siteId) && !isVisibleOnSite(config, store.id, siteId))
        violations.push(`store ${store.id} is collector on site ${siteId} where no active store sees it`);
    }
  }

  for (const [storeId, nameIdsVisible] of Object.entries(config.visibility)) {
    if (!config.stores[storeId]) violations.push(`visibility listed for missing store ${storeId}`);
    if (nameIdsVisible.length === 0) violations.push(`empty visibility list kept for store ${storeId}`);
    const sorted = [...new Set(nameIdsVisible)].sort();
    if (sorted.join('\u0000') !== nameIdsVisible.join('\u0000')) violations.push(`visibility of store ${storeId} is not sorted and unique`);
    const self = config.stores[storeId];
    for (const nameId of nameIdsVisible) {
      const other = storeByNameId(config, nameId);
      if (!other || !self || other.id === storeId) continue;
      if (!(config.visibility[other.id] ?? []).includes(self.nameId))
        violations.push(`store ${other.id} is visible in ${storeId} but not the other way round`);
    }
  }

  const { primarySiteId } = config.preferences;
  if (primarySiteId !== null) {
    const primary = getSite(config, primarySiteId);
    if (!primary) violations.push(`primary site ${primarySiteId} does not exist`);
    else if (primary.kind !== 'desktop') violations.push(`primary site ${primarySiteId} must be a desktop site, not ${primary.kind}`);
  }
  return violations;
}
