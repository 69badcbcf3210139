/**
 * Every admin route, in the order they are matched and documented: the admin function's
 * (registry-configuration.ts) then the admin operations function's (registry-operations.ts). A new
 * resource is one module exporting its routes, added to one of those two (and, for the operations
 * function, its paths to lib/functions.ts).
 */
import { adminConfigurationRoutes } from './registry-configuration';
import { adminOperationsRoutes } from './registry-operations';
import type { AdminRoute } from './types';

export const adminRoutes: readonly AdminRoute[] = [...adminConfigurationRoutes, ...adminOperationsRoutes];
