/** Sites: create, read, change, delete; passwords, hardware bindings and the login throttle. */
import * as z from 'zod/mini';
import { HttpError, json } from '../commons/http';
import { logger } from '../commons/observability';
import { siteGateName } from '../commons/site-auth';
import { getSite } from '../domain/config/queries';
import { pageOfSites, syncReport } from '../services/sync-report';
import { reinitialiseSite } from '../services/reinitialise';
import * as schemas from '../protocol/admin';
import { SITE_GATE_SCOPE } from '../storage/attempt-gate';
import { change, found, parseBody, siteIdParam, siteView } from './helpers';
import { paged, reportOptions, reportPagingQuery, syncReportRowView } from './sync-report';
import { route, type AdminRoute } from './types';

const reinitialiseResponse = z.object({
  siteId: z.number(),
  previousInitialisationStatus: z.enum(['new', 'started', 'completed', 'error']),
  previousHardwareId: z.string(),
  initialisationStatus: z.literal('new'),
  recordsWaiting: z.number(),
});

const tag = 'sites';

export const siteRoutes: AdminRoute[] = [
  route({
    method: 'GET',
    path: '/sites',
    summary: 'List sites, a page at a time, each with its sync health (the sync report\'s row) when the deployment keeps it',
    operationId: 'listSites',
    tag,
    query: z.object(reportPagingQuery),
    response: z.object({ sites: z.array(z.extend(schemas.siteView, { health: z.optional(syncReportRowView) })), next: z.optional(z.string()) }),
    run: async (deps, request) => {
      // A full load: hardware bindings made since the cached configuration loaded show too.
      const config = await deps.store.load();
      const options = { ...reportOptions(deps, request.query), includeCentral: true };
      const next = (token: string | undefined) => (token ? { next: token } : {});
      if (!deps.syncReport) {
        const page = await paged(() => pageOfSites(config, options));
        return json(200, { sites: page.sites.map((site) => siteView(config, site)), ...next(page.nextPageToken) });
      }
      const report = await paged(() => syncReport({ ...deps.syncReport!, store: { current: async () => config } }, options));
      const sites = report.rows.map((health) => ({ ...siteView(config, getSite(config, health.siteId)!), health }));
      return json(200, { sites, ...next(report.nextPageToken) });
    },
  }),
  route({
    method: 'POST',
    path: '/sites',
    summary: 'Create a site (optionally with its password)',
    operationId: 'createSite',
    tag,
    body: schemas.createSiteBody,
    response: schemas.siteView,
    status: 201,
    run: async (deps, request) => {
      const { password, ...site } = parseBody(schemas.createSiteBody, request.body);
      const credential = password === undefined ? undefined : deps.hashPassword(password);
      const config = await change(deps, request, { type: 'createSite', site: { ...site, credential } });
      return json(201, siteView(config, getSite(config, site.siteId)!));
    },
  }),
  route({
    method: 'GET',
    path: '/sites/{siteId}',
    summary: 'Get a site',
    operationId: 'getSite',
    tag,
    response: schemas.siteView,
    run: async ({ store }, request) => {
      const config = await store.load();
      const siteId = siteIdParam(request);
      return json(200, siteView(config, found(getSite(config, siteId), `Site ${siteId}`, 'site_not_found')));
    },
  }),
  route({
    method: 'PATCH',
    path: '/sites/{siteId}',
    summary: 'Change a site\'s name, code or kind',
    operationId: 'updateSite',
    tag,
    body: schemas.updateSiteBody,
    response: schemas.siteView,
    run: async (deps, request) => {
      const siteId = siteIdParam(request);
      const config = await change(deps, request, { type: 'updateSite', siteId, changes: parseBody(schemas.updateSiteBody, request.body) });
      return json(200, siteView(config, getSite(config, siteId)!));
    },
  }),
  route({
    method: 'DELETE',
    path: '/sites/{siteId}',
    summary: 'Delete a site (refused while stores are active on it or it is the primary)',
    operationId: 'deleteSite',
    tag,
    status: 204,
    run: async (deps, request) => {
      await change(deps, request, { type: 'deleteSite', siteId: siteIdParam(request) });
      return { statusCode: 204 };
    },
  }),
  route({
    method: 'PUT',
    path: '/sites/{siteId}/password',
    summary: 'Set a site\'s password (privileged)',
    operationId: 'setSitePassword',
    tag,
    body: schemas.setPasswordBody,
    response: schemas.siteView,
    privileged: true,
    run: async (deps, request) => {
      const siteId = siteIdParam(request);
      const { password } = parseBody(schemas.setPasswordBody, request.body);
      const config = await change(deps, request, { type: 'setSiteCredential', siteId, credential: deps.hashPassword(password) });
      return json(200, siteView(config, getSite(config, siteId)!));
    },
  }),
  route({
    method: 'POST',
    path: '/sites/{siteId}/release-hardware',
    summary: 'Release a site\'s hardware binding so it can initialise on new hardware (privileged)',
    operationId: 'releaseSiteHardware',
    tag,
    response: schemas.siteView,
    privileged: true,
    run: async (deps, request) => {
      const siteId = siteIdParam(request);
      const config = await change(deps, request, { type: 'releaseHardware', siteId }, { freshBindings: [siteId] });
      return json(200, siteView(config, getSite(config, siteId)!));
    },
  }),
  route({
    method: 'POST',
    path: '/sites/{siteId}/re-initialise',
    summary: 'Let the site initialise afresh: its initialisation is forgotten (site info says new) and its hardware binding released; reset or reinstall the site, and its next sync initialises it from the central copy (privileged)',
    operationId: 'reinitialiseSite',
    tag,
    verb: 're-initialise',
    response: reinitialiseResponse,
    privileged: true,
    run: async (deps, request) => {
      const siteId = siteIdParam(request);
      const site = found(getSite(await deps.store.current(), siteId), `Site ${siteId}`, 'site_not_found');
      if (site.kind === 'central') throw new HttpError(422, 'central_site', `Site ${siteId} is the central server: it never initialises.`);
      const actions = deps.operatorActions;
      if (!actions || !deps.data) throw new HttpError(503, 'reinitialise_unavailable', 'This server was started without site re-initialisation.');
      const outgoing = deps.data.outgoing;
      const outcome = await reinitialiseSite(
        {
          resetInitialisation: actions.resetInitialisation,
          releaseBinding: async () => {
            const before = site.hardwareId || ((await deps.store.load()).sites[String(siteId)]?.hardwareId ?? '');
            await change(deps, request, { type: 'releaseHardware', siteId }, { freshBindings: [siteId] });
            return { previousHardwareId: before };
          },
          queueLength: (id) => outgoing.queueLength(id),
          audit: actions.audit,
        },
        siteId,
        request.actor,
      );
      logger.info('site re-initialised', { actor: request.actor, ...outcome });
      return json(200, outcome);
    },
  }),
  route({
    method: 'POST',
    path: '/sites/{siteId}/clear-login-throttle',
    summary: 'Forget the password attempts counted for a site, from every address, so none of them waits (privileged)',
    operationId: 'clearSiteLoginThrottle',
    tag,
    response: z.object({ siteId: z.number(), cleared: z.number() }),
    privileged: true,
    run: async (deps, request) => {
      const siteId = siteIdParam(request);
      const site = found(getSite(await deps.store.current(), siteId), `Site ${siteId}`, 'site_not_found');
      if (!deps.attempts) throw new HttpError(503, 'throttle_not_configured', 'This deployment counts no password attempts.');
      let cleared = 0;
      for (const bound of [true, false]) cleared += await deps.attempts.clearAll(SITE_GATE_SCOPE, siteGateName(site.name, bound));
      logger.info('login throttle cleared', { actor: request.actor, siteId, cleared });
      return json(200, { siteId, cleared });
    },
  }),
];
