/**
 * GET /sync/v5/site, POST /sync/v5/initialise, GET /sync/v5/site_status: who the site is,
 * starting its initialisation (served by its pulls), and whether work it pushed is still running.
 */
import { adapters, newWorkId, systemClock } from '../commons/adapters';
import { httpHandler, json, type HttpEvent } from '../commons/http';
import { lazyHandler } from '../commons/lazy-handler';
import { logger } from '../commons/observability';
import { createSiteAuthenticator, toHttpError, valueOrThrow } from '../commons/site-auth';
import { centralSite, storesOnSite } from '../domain/config/queries';
import type { CentralCopy, ChangeLog, InitialisationState, OutgoingQueue, SiteProgress, WorkQueue } from '../domain/ports';
import { resendUnsentWork } from '../services/site-work';
import { initialiseBody, parseJsonBodyWith, protocolError, type SiteResponse, type SiteStatusResponse } from '../protocol/v5';
import type { ConfigStore } from '../storage/config-store';
import type { DynamoSiteSessions } from '../storage/site-sessions';
import { writeStoreRecords } from '../services/store-records';

export interface SyncSiteDeps {
  readonly configStore: ConfigStore;
  readonly sessions: DynamoSiteSessions;
  readonly progress: SiteProgress;
  readonly outgoing: OutgoingQueue;
  /** Where work that never left is sent again. */
  readonly work: WorkQueue;
  readonly now: () => Date;
  readonly newId: () => string;
  /** Where the site's store records are made to say what the configuration says before it initialises. */
  readonly centralCopy?: CentralCopy;
  /** Where a store's name written then goes at once, ahead of the site's first central pull. */
  readonly changeLog?: ChangeLog;
  /** Overrides the base URL named in site info; by default the one the request came in on. */
  readonly publicBaseUrl?: string;
}

const statusMessages: Record<SiteStatusResponse['code'], string> = {
  idle: 'Nothing is running for this site.',
  sync_is_running: 'A sync is running for this site.',
  integration_in_progress: 'The central server is still integrating what this site pushed.',
  initialisation_in_progress: "The central server is still preparing this site's initialisation.",
};

export function createSyncSiteHandler(deps: SyncSiteDeps) {
  const authenticate = createSiteAuthenticator(deps);
  return httpHandler(async (event: HttpEvent) => {
    const { site, headers, config } = await authenticate(event);
    switch (event.routeKey) {
      case 'GET /sync/v5/site': {
        const { status } = await deps.progress.initialisation(site.siteId);
        const body: SiteResponse = {
          id: String(site.siteId),
          siteId: site.siteId,
          code: site.code,
          name: site.name,
          initialisationStatus: reportedStatus(status),
          // The Open mSupply central API (sync v6) is served by this same deployment.
          omSupplyCentralServerUrl: deps.publicBaseUrl ?? publicBaseUrl(event),
          isOmSupplyCentralServer: false,
          mSupplyCentralSiteId: centralSite(config)?.siteId ?? 1,
        };
        return json(200, body);
      }
      case 'POST /sync/v5/initialise': {
        valueOrThrow(parseJsonBodyWith(initialiseBody, event.body, event.isBase64Encoded));
        if (site.hardwareId === '') await bindHardware(deps.configStore, site.siteId, site.name, headers.siteUuid);
        // The site's whole initial queue is defined here and served by its next pulls, so this
        // answer is true the moment it is sent: the client pulls at once and never polls.
        // Its client learns its active stores from the store records it pulls: they exist, and agree with the configuration.
        if (deps.centralCopy) await writeStoreRecords({ centralCopy: deps.centralCopy, ...(deps.changeLog ? { changeLog: deps.changeLog } : {}) }, config, storesOnSite(config, site.siteId).map((store) => store.storeId));
        const generation = deps.newId();
        await deps.progress.startInitialisation(site.siteId, generation, deps.now().toISOString());
        logger.info('initialisation started', { siteId: site.siteId, generation });
        return json(200, { queueLength: await deps.outgoing.queueLength(site.siteId) });
      }
      case 'GET /sync/v5/site_status': {
        const code = await siteStatus(deps, site.siteId);
        const body: SiteStatusResponse = { code, message: statusMessages[code], data: null };
        return json(200, body);
      }
      default:
        throw toHttpError(protocolError('not_found', `No v5 route ${event.routeKey}.`));
    }
  });
}

/** The first successful initialisation binds the site to the installation that made it. */
async function bindHardware(configStore: ConfigStore, siteId: number, siteName: string, hardwareId: string) {
  const result = await configStore.bindHardware(siteId, hardwareId);
  if (!result.ok && result.code === 'hardware_mismatch') {
    // Another installation bound the site a moment ago.
    throw toHttpError(protocolError('site_incorrect_hardware_id', `Site "${siteName}" was just bound to another installation.`));
  }
  if (!result.ok) {
    throw toHttpError(protocolError('sync_is_running', `The configuration is busy (${result.message}); try the initialisation again shortly.`), { 'retry-after': '5' });
  }
  logger.info('site bound to hardware', { siteId, hardwareId });
}

/**
 * In progress while work the site pushed is queued. Work whose message never left (its request
 * failed or died after marking it) is sent from here, so the site is never kept waiting for
 * work that nothing is running.
 */
async function siteStatus(deps: Pick<SyncSiteDeps, 'progress' | 'work'>, siteId: number): Promise<SiteStatusResponse['code']> {
  if (!(await deps.progress.workInProgress(siteId))) return 'idle';
  const resent = await resendUnsentWork(deps, siteId);
  if (resent > 0) logger.warn('unsent work sent again', { siteId, resent });
  return 'integration_in_progress';
}

/**
 * An initialisation left `started` by an older version (whose background build no longer runs)
 * reads as `new`, so the client asks again instead of polling for ever.
 */
const reportedStatus = (status: InitialisationState['status']): SiteResponse['initialisationStatus'] => (status === 'started' ? 'new' : status);

/** This deployment's own base URL as the site reached it (custom domains included). */
function publicBaseUrl(event: HttpEvent): string {
  const protocol = event.headers['x-forwarded-proto']?.split(',')[0]?.trim() || 'https';
  return `${protocol}://${event.requestContext.domainName}`;
}

export const handler = lazyHandler(() =>
  createSyncSiteHandler({
    configStore: adapters.configStore,
    sessions: adapters.sessions,
    progress: adapters.progress,
    outgoing: adapters.outgoing,
    work: adapters.work,
    centralCopy: adapters.centralCopy,
    changeLog: adapters.changeLog,
    now: systemClock,
    ...(process.env.PUBLIC_BASE_URL ? { publicBaseUrl: process.env.PUBLIC_BASE_URL } : {}),
    newId: newWorkId,
  }),
);
