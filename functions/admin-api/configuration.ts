/** System preferences, the audit log and the whole configuration as a file. */
import * as z from 'zod/mini';
import { json } from '../commons/http';
import { exportConfig } from '../domain/config/config-file';
import * as schemas from '../protocol/admin';
import { change, parseBody, sendRecords } from './helpers';
import { route, type AdminRoute } from './types';

const tag = 'configuration';

export const configurationRoutes: AdminRoute[] = [
  route({
    method: 'GET',
    path: '/preferences',
    summary: 'System preferences',
    operationId: 'getPreferences',
    tag,
    response: schemas.preferencesSchema,
    run: async ({ store }) => json(200, (await store.current()).preferences),
  }),
  route({
    method: 'PATCH',
    path: '/preferences',
    summary: 'Change system preferences; changing the primary site is privileged',
    operationId: 'updatePreferences',
    tag,
    body: schemas.updatePreferencesBody,
    response: schemas.preferencesSchema,
    run: async (deps, request) => {
      const before = (await deps.store.current()).preferences.primarySiteId;
      const config = await change(deps, request, { type: 'setPreferences', changes: parseBody(schemas.updatePreferencesBody, request.body) });
      // A site made primary holds every central record; its cursor passed those its filter skipped.
      const primary = config.preferences.primarySiteId;
      if (primary !== null && primary !== before) await sendRecords(deps, config, primary, { index: 'centralLog', value: 'all' });
      return json(200, config.preferences);
    },
  }),
  route({
    method: 'GET',
    path: '/audit',
    summary: 'Privileged changes, newest first',
    operationId: 'listAudit',
    tag,
    response: z.object({ entries: z.array(schemas.auditView) }),
    run: async ({ store }) => json(200, { entries: await store.audit() }),
  }),
  route({
    method: 'GET',
    path: '/config',
    summary: 'The whole configuration in the configuration-file format, without passwords',
    operationId: 'exportConfig',
    tag,
    response: schemas.configFileSchema,
    run: async ({ store }) => json(200, exportConfig(await store.current())),
  }),
];
