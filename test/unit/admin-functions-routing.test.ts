/**
 * The admin API is two functions routed by path (lib/functions.ts): every route must reach the
 * function that has it, and every path must belong to one function only, so that a 404 or a 405
 * (with Allow) is the answer one function over all routes would give.
 */
import { adminConfigurationRoutes } from '../../functions/admin-api/registry-configuration';
import { adminOperationsRoutes } from '../../functions/admin-api/registry-operations';
import { ADMIN_BASE_PATH, type AdminRoute } from '../../functions/admin-api/types';
import { apiFunctions } from '../../lib/functions';

/** A route key's path as a pattern, and how specific it is (API Gateway: literal, then parameters, then greedy). */
function compile(routeKey: string) {
  const path = routeKey.split(' ')[1]!;
  const source = path.split('/').map((segment) => (/^\{\w+\+\}$/.test(segment) ? '.+' : /^\{\w+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.-]/g, '\\$&'))).join('/');
  return { pattern: new RegExp(`^${source}$`), rank: path.includes('+}') ? 2 : path.includes('{') ? 1 : 0 };
}

/** The function API Gateway gives `path` (any method): the most specific matching route key's. */
function functionFor(path: string): string | undefined {
  const candidates = Object.entries(apiFunctions).flatMap(([name, description]) =>
    (description.routes as readonly string[]).map((routeKey) => ({ name, ...compile(routeKey) })).filter((route) => route.pattern.test(path)),
  );
  return candidates.sort((a, b) => a.rank - b.rank)[0]?.name;
}

const concrete = (route: AdminRoute) => `${ADMIN_BASE_PATH}${route.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'siteId' ? '7' : `some-${name}`))}`;

test('each admin route reaches the function that has it', () => {
  for (const route of adminConfigurationRoutes) expect({ path: route.path, fn: functionFor(concrete(route)) }).toEqual({ path: route.path, fn: 'admin' });
  for (const route of adminOperationsRoutes) expect({ path: route.path, fn: functionFor(concrete(route)) }).toEqual({ path: route.path, fn: 'adminOperations' });
  expect(functionFor(`${ADMIN_BASE_PATH}/openapi.json`)).toBe('admin');
});

test('no path belongs to both functions: each of adminOperations\' route keys is a path of its routes only', () => {
  const operationsPatterns = (apiFunctions.adminOperations.routes as readonly string[]).map((routeKey) => compile(routeKey).pattern);
  for (const pattern of operationsPatterns) expect({ pattern: String(pattern), used: adminOperationsRoutes.some((route) => pattern.test(concrete(route))) }).toEqual({ pattern: String(pattern), used: true });
  for (const route of adminConfigurationRoutes) expect({ path: route.path, taken: operationsPatterns.some((pattern) => pattern.test(concrete(route))) }).toEqual({ path: route.path, taken: false });
  // Paths no route has stay with the admin function (one 404 text for all of them).
  expect(functionFor(`${ADMIN_BASE_PATH}/quarantine/some-id`)).toBe('admin');
  expect(functionFor(`${ADMIN_BASE_PATH}/nothing`)).toBe('admin');
});
