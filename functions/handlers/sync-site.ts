/**
 * GET /sync/v5/site, POST /sync/v5/initialise, GET /sync/v5/site_status: who the site is, building
 * its initial queue in the background, and whether background work for it is still running.
 */
import { adapters, newWorkId, systemClock } from '../commons/adapters';
import { httpHandler, json, type HttpEvent } from '../commons/http';
import { lazyHandler } from '../commons/lazy-handler';
import { logger } from '../commons/observability';
import { createSiteAuthenticator, toHttpError, valueOrThrow } from '../commons/site-auth';
import { applyCommand } from '../domain/config/operations';
import { centralSite } from '../domain/config/queries';
import type { OutgoingQueue, SiteProgress, WorkQueue } from '../domain/ports';
import { initialiseBody, parseJsonBodyWith, protocolError, type SiteResponse, type SiteStatusResponse } from '../protocol/v5';
import type { ConfigStore } from '../storage/config-store';
import type { DynamoSiteSessions } from '../storage/site-sessions';

export interface SyncSiteDeps {
  readonly configStore: ConfigStore;
  readonly sessions: DynamoSiteSessions;
  readonly progress: SiteProgress;
  readonly outgoing: OutgoingQueue;
  readonly work: WorkQueue;
  readonly now: () => Date;
  readonly newId: () => string;
}

const statusMessages: Record<SiteStatusResponse['code'], string> = {
  idle: 'Nothing is running for this site.',
  sync_is_running: 'A sync is running for this site.',
  integration_in_progress: 'The central server is still integrating what this site pushed.',
  initialisation_in_progress: "The central server is still building this site's initial queue.",
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
          initialisationStatus: status,
          omSupplyCentralServerUrl: '',
          isOmSupplyCentralServer: false,
          mSupplyCentralSiteId: centralSite(config)?.siteId ?? 1,
        };
        return json(200, body);
      }
      case 'POST /sync/v5/initialise': {
        valueOrThrow(parseJsonBodyWith(initialiseBody, event.body, event.isBase64Encoded));
        const workId = deps.newId();
        if (site.hardwareId === '') await bindHardware(deps.configStore, site.siteId, site.name, headers.siteUuid);
        await deps.progress.setInitialisation(site.siteId, { status: 'started', workId, at: deps.now().toISOString() });
        await deps.work.send({ kind: 'initialise', workId, siteId: site.siteId });
        logger.info('initialisation started', { siteId: site.siteId, workId });
        return json(200, { queueLength: await deps.outgoing.queueLength(site.siteId) });
      }
      case 'GET /sync/v5/site_status': {
        const code = await siteStatus(deps.progress, site.siteId);
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
  const result = await configStore.apply((config) => applyCommand(config, { type: 'bindHardware', siteId, hardwareId }), `site:${siteName}`);
  if (!result.ok && result.code === 'hardware_mismatch') {
    // Another installation bound the site a moment ago.
    throw toHttpError(protocolError('site_incorrect_hardware_id', `Site "${siteName}" was just bound to another installation.`));
  }
  if (!result.ok) {
    throw toHttpError(protocolError('sync_is_running', `The configuration is busy (${result.message}); try the initialisation again shortly.`), { 'retry-after': '5' });
  }
  logger.info('site bound to hardware', { siteId, hardwareId });
}

async function siteStatus(progress: SiteProgress, siteId: number): Promise<SiteStatusResponse['code']> {
  if ((await progress.initialisation(siteId)).status === 'started') return 'initialisation_in_progress';
  return (await progress.workInProgress(siteId)) ? 'integration_in_progress' : 'idle';
}

export const handler = lazyHandler(() =>
  createSyncSiteHandler({
    configStore: adapters.configStore,
    sessions: adapters.sessions,
    progress: adapters.progress,
    outgoing: adapters.outgoing,
    work: adapters.work,
    now: systemClock,
    newId: newWorkId,
  }),
);
