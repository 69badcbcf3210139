/** The quarantine: pushed records refused with a reason, listed per site or across all sites. */
import * as z from 'zod/mini';
import { HttpError, json } from '../commons/http';
import * as schemas from '../protocol/admin';
import { InvalidPageTokenError } from '../storage/page-token';
import { dataDeps, queryText, siteIdParam } from './helpers';
import { route, type AdminRoute } from './types';

export const listQuarantineQuery = z.object({
  siteId: queryText('Only this site\'s refused records'),
  limit: queryText('Records per page, 1 to 1000 (default 100)'),
  after: queryText('The page token `next` of the previous page'),
});

export const quarantineRoutes: AdminRoute[] = [
  route({
    method: 'GET',
    path: '/quarantine',
    summary: 'Refused pushed records with the reason (?siteId=, ?limit= up to 1000, ?after= from the previous page)',
    operationId: 'listQuarantine',
    tag: 'quarantine',
    query: listQuarantineQuery,
    response: schemas.quarantineListResponse,
    run: async (deps, request) => {
      const data = dataDeps(deps);
      const siteId = request.query.siteId === undefined ? undefined : siteIdParam({ params: { siteId: request.query.siteId } });
      const limit = Math.min(Math.max(Number(request.query.limit ?? 100) || 100, 1), 1000);
      try {
        return json(200, await data.quarantine.list({ siteId, limit, after: request.query.after }));
      } catch (error) {
        if (error instanceof InvalidPageTokenError) throw new HttpError(400, 'invalid_query', error.message);
        throw error;
      }
    },
  }),
];
