/** Central data import: v5 records and sync v6 records, pushed as the central server. */
import { randomUUID } from 'node:crypto';
import { HttpError, json } from '../commons/http';
import { logger } from '../commons/observability';
import { centralSite } from '../domain/config/queries';
import * as schemas from '../protocol/admin';
import { splitPushedRecords } from '../protocol/v5';
import { acceptPush } from '../services/push';
import { importV6Records, importV6RecordsBody, importV6RecordsResponse } from '../services/v6-import';
import { dataDeps, parseBody } from './helpers';
import { route, type AdminRoute } from './types';

const tag = 'data';

export const dataRoutes: AdminRoute[] = [
  route({
    method: 'POST',
    path: '/records',
    summary: 'Import records as the central server (central data, and the data of stores active on it)',
    operationId: 'importRecords',
    tag,
    body: schemas.importRecordsBody,
    response: schemas.importRecordsResponse,
    run: async (deps, request) => {
      const data = dataDeps(deps);
      const { records } = parseBody(schemas.importRecordsBody, request.body);
      const config = await deps.store.current();
      const central = centralSite(config);
      if (!central) throw new HttpError(409, 'no_central_site', 'The configuration has no central site to import as.');
      const { valid, invalid } = splitPushedRecords(records.map((record) => ({ syncOutId: `admin-${randomUUID()}`, ...(record as object) })));
      const outcome = await acceptPush(data.push, config, central.siteId, valid, invalid);
      logger.info('records imported', { actor: request.actor, accepted: outcome.accepted, refused: outcome.refused.length });
      return json(200, { accepted: outcome.accepted, ignored: outcome.ignored, refused: outcome.refused });
    },
  }),
  route({
    method: 'POST',
    path: '/v6-records',
    summary: 'Import sync v6 records as the central server (central v6 data, and the v6 data of stores active on it); services/v6-import.ts',
    operationId: 'importV6Records',
    tag,
    body: importV6RecordsBody,
    response: importV6RecordsResponse,
    run: async (deps, request) => {
      const v6 = dataDeps(deps).v6;
      if (!v6) throw new HttpError(503, 'data_routes_unavailable', 'This server was started without the sync v6 import.');
      const result = await importV6Records(v6, await deps.store.current(), parseBody(importV6RecordsBody, request.body));
      if (!result.ok) throw new HttpError(409, 'no_central_site', result.message);
      logger.info('v6 records imported', { actor: request.actor, accepted: result.value.accepted, refused: result.value.refused.length });
      return json(200, result.value);
    },
  }),
];
