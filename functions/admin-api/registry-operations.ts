/**
 * The admin routes the admin operations function (handlers/admin-operations.ts) serves: central
 * data import, the quarantine (list, replay, resolve), the sync report and the central reports —
 * the routes that store records as a push does or read the sync state, kept apart from the
 * configuration routes so that each function's bundle and grants hold only what its routes use.
 * lib/functions.ts routes these paths to it; a test keeps the two lists in step.
 */
import { dataRoutes } from './data';
import { quarantineRoutes } from './quarantine';
import { reportRoutes } from './reports';
import { syncReportRoutes } from './sync-report';
import type { AdminRoute } from './types';

export const adminOperationsRoutes: readonly AdminRoute[] = [...dataRoutes, ...quarantineRoutes, ...syncReportRoutes, ...reportRoutes];
