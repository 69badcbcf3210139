/** Stores: create, read, change, delete; "include transactions", sync-with per site, visibility. */
import * as z from 'zod/mini';
import { json } from '../commons/http';
import type { SyncConfig } from '../domain/config/model';
import { allStores, getStore, instanceType, namesVisibleIn } from '../domain/config/queries';
import { DISPENSARY_ONLY_HOLDER } from '../domain/sync/placement';
import { hasActiveDispensary } from '../domain/sync/routing';
import * as schemas from '../protocol/admin';
import { change, found, parseBody, sendNewlyVisible, sendRecords, siteIdParam, storeView, syncWithView } from './helpers';
import { route, type AdminRoute, type RouteDeps } from './types';

const tag = 'stores';

/** The configuration holding the store the path names, or a 404. */
async function withStore(store: RouteDeps['store'], storeId: string): Promise<SyncConfig> {
  const config = await store.current();
  found(getStore(config, storeId), `Store ${storeId}`, 'store_not_found');
  return config;
}

/**
 * A site whose first active dispensary this change made (a store created as one, or switched to
 * one) now holds the dispensary data its cursor passed: sent in the background. A store moved to
 * a site brings it along with the store's data (moves.ts).
 */
async function sendDispensaryDataIfFirst(deps: RouteDeps, before: SyncConfig, after: SyncConfig, siteId: number) {
  if (hasActiveDispensary(before, siteId) || !hasActiveDispensary(after, siteId)) return;
  await sendRecords(deps, after, siteId, { index: 'byStore', value: DISPENSARY_ONLY_HOLDER });
}

export const storeRoutes: AdminRoute[] = [
  route({
    method: 'GET',
    path: '/stores',
    summary: 'List stores',
    operationId: 'listStores',
    tag,
    response: z.object({ stores: z.array(schemas.storeView) }),
    run: async ({ store }) => json(200, { stores: allStores(await store.current()).map(storeView) }),
  }),
  route({
    method: 'POST',
    path: '/stores',
    summary: 'Create a store, active on an existing site',
    operationId: 'createStore',
    tag,
    body: schemas.createStoreBody,
    response: schemas.storeView,
    status: 201,
    run: async (deps, request) => {
      const body = parseBody(schemas.createStoreBody, request.body);
      const before = await deps.store.current();
      const config = await change(deps, request, { type: 'createStore', store: body });
      await sendDispensaryDataIfFirst(deps, before, config, body.activeSiteId);
      return json(201, storeView(getStore(config, body.id)!));
    },
  }),
  route({
    method: 'GET',
    path: '/stores/{storeId}',
    summary: 'Get a store',
    operationId: 'getStore',
    tag,
    response: schemas.storeView,
    run: async ({ store }, request) => {
      const storeId = request.params.storeId!;
      return json(200, storeView(found(getStore(await store.current(), storeId), `Store ${storeId}`, 'store_not_found')));
    },
  }),
  route({
    method: 'PATCH',
    path: '/stores/{storeId}',
    summary: 'Change a store\'s code, name or mode, or resync its patients',
    operationId: 'updateStore',
    tag,
    body: schemas.updateStoreBody,
    response: schemas.storeView,
    run: async (deps, request) => {
      const storeId = request.params.storeId!;
      const { resyncPatients, ...changes } = parseBody(schemas.updateStoreBody, request.body);
      const before = await withStore(deps.store, storeId);
      const config = Object.keys(changes).length > 0 ? await change(deps, request, { type: 'updateStore', storeId, changes }) : before;
      const { activeSiteId } = getStore(config, storeId)!;
      await sendDispensaryDataIfFirst(deps, before, config, activeSiteId);
      if (resyncPatients) await sendRecords(deps, config, activeSiteId, { index: 'patientsVisibleIn', value: storeId });
      return json(200, storeView(getStore(config, storeId)!));
    },
  }),
  route({
    method: 'DELETE',
    path: '/stores/{storeId}',
    summary: 'Delete a store (refused while it is visible in other stores)',
    operationId: 'deleteStore',
    tag,
    status: 204,
    run: async (deps, request) => {
      await change(deps, request, { type: 'deleteStore', storeId: request.params.storeId! });
      return { statusCode: 204 };
    },
  }),
  route({
    method: 'PUT',
    path: '/stores/{storeId}/include-transactions',
    summary: 'Turn "include transactions in sync" on or off (privileged)',
    operationId: 'setStoreIncludeTransactions',
    tag,
    body: schemas.setIncludeTransactionsBody,
    response: schemas.storeView,
    privileged: true,
    run: async (deps, request) => {
      const storeId = request.params.storeId!;
      const { includeTransactionsInSync } = parseBody(schemas.setIncludeTransactionsBody, request.body);
      const config = await change(deps, request, { type: 'setIncludeTransactions', storeId, value: includeTransactionsInSync });
      return json(200, storeView(getStore(config, storeId)!));
    },
  }),
  route({
    method: 'GET',
    path: '/stores/{storeId}/sync-with',
    summary: 'The store\'s sync-with setting and instance type on every site',
    operationId: 'getStoreSyncWith',
    tag,
    response: schemas.syncWithView,
    run: async ({ store }, request) => {
      const storeId = request.params.storeId!;
      return json(200, syncWithView(await withStore(store, storeId), storeId));
    },
  }),
  route({
    method: 'PUT',
    path: '/stores/{storeId}/sync-with/{siteId}',
    summary: 'Set the store\'s sync-with on one site (privileged)',
    operationId: 'setStoreSyncWith',
    tag,
    body: schemas.setSyncWithBody,
    response: schemas.syncWithView,
    privileged: true,
    run: async (deps, request) => {
      const storeId = request.params.storeId!;
      const { syncWith: value } = parseBody(schemas.setSyncWithBody, request.body);
      const siteId = siteIdParam(request);
      const wasCollector = instanceType(await deps.store.current(), storeId, siteId) === 'collector';
      const config = await change(deps, request, { type: 'setSyncWith', storeId, siteId, syncWith: value });
      // A new collector gets the store's whole data, not only what changes from now on.
      if (!wasCollector && instanceType(config, storeId, siteId) === 'collector') await sendRecords(deps, config, siteId, { index: 'byStore', value: storeId });
      return json(200, syncWithView(config, storeId));
    },
  }),
  route({
    method: 'GET',
    path: '/stores/{storeId}/visibility',
    summary: 'Names visible in the store (name_store_join)',
    operationId: 'getStoreVisibility',
    tag,
    response: schemas.visibilityView,
    run: async ({ store }, request) => {
      const storeId = request.params.storeId!;
      return json(200, { storeId, nameIds: namesVisibleIn(await withStore(store, storeId), storeId) });
    },
  }),
  route({
    method: 'POST',
    path: '/stores/{storeId}/visibility',
    summary: 'Make a name visible in the store; a store\'s name is made visible both ways',
    operationId: 'addStoreVisibility',
    tag,
    body: schemas.addVisibilityBody,
    response: schemas.visibilityView,
    status: 201,
    run: async (deps, request) => {
      const storeId = request.params.storeId!;
      const { nameId } = parseBody(schemas.addVisibilityBody, request.body);
      const config = await change(deps, request, { type: 'addVisibility', storeId, nameId });
      await sendNewlyVisible(deps, config, storeId, nameId);
      return json(201, { storeId, nameIds: namesVisibleIn(config, storeId) });
    },
  }),
  route({
    method: 'DELETE',
    path: '/stores/{storeId}/visibility/{nameId}',
    summary: 'Hide a name in the store (both ways for a store\'s name); collector copies that relied on it go',
    operationId: 'removeStoreVisibility',
    tag,
    status: 204,
    run: async (deps, request) => {
      await change(deps, request, { type: 'removeVisibility', storeId: request.params.storeId!, nameId: request.params.nameId! });
      return { statusCode: 204 };
    },
  }),
];
