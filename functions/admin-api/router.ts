/**
 * Finds the admin route for a method and path with @middy/http-router, used as a matcher: each
 * route's handler only names the route, so the caller authenticates before anything runs and
 * tells a path no route has (404) from a method the path does not take (405, with Allow).
 */
import httpRouterHandler from '@middy/http-router';
import type { AdminRoute, HttpMethod } from './types';

export interface RouteMatch {
  readonly route: AdminRoute;
  /** Path parameters as they appear in the path (still percent-encoded). */
  readonly params: Record<string, string>;
}

export interface RouteLookup {
  readonly match: RouteMatch | undefined;
  /** The methods the path takes, when no route has this method (a 405); empty for a 404. */
  readonly allowed: readonly HttpMethod[];
}

/** The router's plain form: its typings promise an HTTP handler, here it returns a route. */
type MatcherFactory = (options: {
  routes: Array<{ method: HttpMethod; path: string; handler: (event: { pathParameters?: Record<string, string> }) => RouteMatch }>;
  notFoundResponse: () => undefined;
}) => (event: { version: '2.0'; requestContext: { http: { method: string; path: string } } }) => RouteMatch | undefined;

export function adminRouter(routes: readonly AdminRoute[]) {
  const operationIds = new Set<string>();
  for (const route of routes) {
    if (operationIds.has(route.operationId)) throw new Error(`Two admin routes share the operation id ${route.operationId}`);
    operationIds.add(route.operationId);
  }
  const router = (httpRouterHandler as unknown as MatcherFactory)({
    routes: routes.map((route) => ({
      method: route.method,
      path: route.path,
      handler: (event: { pathParameters?: Record<string, string> }): RouteMatch => ({ route, params: { ...event.pathParameters } }),
    })),
    notFoundResponse: () => undefined,
  });
  const methods = [...new Set(routes.map((route) => route.method))];
  const find = (method: string, path: string): RouteMatch | undefined =>
    // A fresh event per lookup: the router writes the path parameters into it.
    router({ version: '2.0', requestContext: { http: { method, path } } });

  return (method: string, path: string): RouteLookup => {
    const match = find(method, path);
    if (match) return { match, allowed: [] };
    return { match: undefined, allowed: methods.filter((other) => other !== method && find(other, path) !== undefined) };
  };
}
