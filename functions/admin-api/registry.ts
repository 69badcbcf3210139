/**
 * Every admin resource module, in the order their routes are matched and documented. A new
 * resource is one module exporting its routes, added here.
 */
import { configurationRoutes } from './configuration';
import { dataRoutes } from './data';
import { moveRoutes } from './moves';
import { quarantineRoutes } from './quarantine';
import { reportRoutes } from './reports';
import { siteRoutes } from './sites';
import { storeRoutes } from './stores';
import { syncReportRoutes } from './sync-report';
import type { AdminRoute } from './types';
import { userRoutes } from './users';

export const adminRoutes: readonly AdminRoute[] = [
  ...siteRoutes,
  ...storeRoutes,
  ...moveRoutes,
  ...configurationRoutes,
  ...userRoutes,
  ...dataRoutes,
  ...quarantineRoutes,
  ...syncReportRoutes,
  ...reportRoutes,
];
