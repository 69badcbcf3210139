/**
 * The fleet read straight from the configuration and the site-state table: each remote site's
 * last connection, initialisation status and queue length, a page of sites at a time.
 */
import type { Site } from '../domain/config/model';
import type { OutgoingQueue, SiteProgress } from '../domain/ports';
import { allSites, allStores, getSite, getStore, storesOnSite } from '../domain/config/queries';
import type { ConfigStore } from '../storage/config-store';
import type { DynamoSiteSessions } from '../storage/site-sessions';
import type { ConsoleData, FleetSite } from './data';

export interface FleetSourceDeps {
  readonly store: Pick<ConfigStore, 'load'>;
  readonly sessions: Pick<DynamoSiteSessions, 'lastConnection'>;
  readonly outgoing: Pick<OutgoingQueue, 'queueLength'>;
  readonly progress: Pick<SiteProgress, 'initialisation'>;
}

const DAY_MS = 86_400_000;

export function fleetFromSiteState(deps: FleetSourceDeps): Pick<ConsoleData, 'fleet' | 'site' | 'storesOf' | 'allStores'> {
  const row = async (site: Site, now: Date, silentAfterDays: number): Promise<FleetSite> => {
    const [connection, waiting, initialisation] = await Promise.all([
      deps.sessions.lastConnection(site.siteId),
      deps.outgoing.queueLength(site.siteId),
      deps.progress.initialisation(site.siteId),
    ]);
    const silent = !connection || now.getTime() - Date.parse(connection.at) > silentAfterDays * DAY_MS;
    return {
      siteId: site.siteId,
      name: site.name,
      code: site.code,
      kind: site.kind,
      ...(connection ? { lastConnection: { at: connection.at, appName: connection.appName, appVersion: connection.appVersion, hardwareId: connection.hardwareId } } : {}),
      initialisationStatus: initialisation.status,
      ...(initialisation.at ? { lastInitialisedAt: initialisation.at } : {}),
      waiting,
      silent,
    };
  };
  return {
    async fleet({ now, silentAfterDays, pageToken, limit }) {
      const config = await deps.store.load();
      const remote = allSites(config).filter((site) => site.kind !== 'central');
      const start = pageToken === undefined ? 0 : remote.findIndex((site) => site.siteId > Number(pageToken));
      const slice = start < 0 ? [] : remote.slice(start, start + limit);
      const sites = await Promise.all(slice.map((site) => row(site, now, silentAfterDays)));
      const last = slice.at(-1);
      return last && start + limit < remote.length ? { sites, next: String(last.siteId) } : { sites };
    },
    async site({ siteId, now, silentAfterDays }) {
      const site = getSite(await deps.store.load(), siteId);
      return site && site.kind !== 'central' ? row(site, now, silentAfterDays) : undefined;
    },
    async allStores() {
      return allStores(await deps.store.load()).map(({ id, code, name }) => ({ id, code, name }));
    },
    async storesOf(siteId) {
      const config = await deps.store.load();
      return storesOnSite(config, siteId).flatMap(({ storeId, type }) => {
        const store = getStore(config, storeId);
        return store ? [{ id: store.id, code: store.code, name: store.name, type }] : [];
      });
    },
  };
}
