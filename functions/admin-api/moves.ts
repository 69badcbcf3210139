/** Moving a store to another site: only between synchronised sites unless forced. */
import { HttpError, json } from '../commons/http';
import type { SyncConfig } from '../domain/config/model';
import { getSite, getStore } from '../domain/config/queries';
import * as schemas from '../protocol/admin';
import { change, parseBody, sendRecords, syncWithView } from './helpers';
import { route, type AdminDataDeps, type AdminRoute } from './types';

/** A store moves only between sites with nothing waiting for them and no work running. */
async function requireSynchronised(data: AdminDataDeps, config: SyncConfig, siteIds: readonly number[]) {
  const pending = [];
  for (const siteId of siteIds) {
    if (getSite(config, siteId)?.kind !== 'central') {
      const [waiting, workInProgress] = await Promise.all([data.outgoing.queueLength(siteId), data.push.progress.workInProgress(siteId)]);
      if (waiting > 0 || workInProgress) pending.push({ siteId, waiting, workInProgress });
    }
  }
  if (pending.length === 0) return;
  const what = pending.map((site) => `site ${site.siteId} has ${site.waiting} records to pull${site.workInProgress ? ' and work running' : ''}`);
  throw new HttpError(
    409,
    'sites_not_synchronised',
    `Both sites must be fully synchronised before a store moves: ${what.join('; ')}. Sync them, or pass "force": true if a site is gone for good.`,
    { pending },
  );
}

export const moveRoutes: AdminRoute[] = [
  route({
    method: 'PUT',
    path: '/stores/{storeId}/active-site',
    summary: 'Make the store active on another site (privileged); the previous site keeps a collector copy by default',
    operationId: 'moveStore',
    tag: 'moves',
    verb: 'start',
    body: schemas.setActiveSiteBody,
    response: schemas.syncWithView,
    privileged: true,
    run: async (deps, request) => {
      const storeId = request.params.storeId!;
      const { siteId, keepCollectorOnPreviousSite, force } = parseBody(schemas.setActiveSiteBody, request.body);
      const before = await deps.store.current();
      const previousSiteId = getStore(before, storeId)?.activeSiteId;
      const moving = previousSiteId !== undefined && previousSiteId !== siteId;
      if (moving && deps.data && !force) await requireSynchronised(deps.data, before, [previousSiteId, siteId]);
      const config = await change(deps, request, { type: 'setActiveSite', storeId, siteId, keepCollectorOnPreviousSite });
      // The new active site gets the store's whole data from the central copy.
      if (moving) await sendRecords(deps, config, siteId, { index: 'byStore', value: storeId });
      return json(200, syncWithView(config, storeId));
    },
  }),
];
