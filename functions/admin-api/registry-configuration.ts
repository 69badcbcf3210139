/**
 * The admin routes the admin function (handlers/admin.ts) serves: the configuration — sites
 * (with their re-initialisation and login throttle), stores, moves, preferences, the audit log,
 * the configuration file, users. It also takes every /admin/v1 path the operations function's
 * routes do not (lib/functions.ts).
 */
import { configurationRoutes } from './configuration';
import { moveRoutes } from './moves';
import { siteRoutes } from './sites';
import { storeRoutes } from './stores';
import type { AdminRoute } from './types';
import { userRoutes } from './users';

export const adminConfigurationRoutes: readonly AdminRoute[] = [...siteRoutes, ...storeRoutes, ...moveRoutes, ...configurationRoutes, ...userRoutes];
