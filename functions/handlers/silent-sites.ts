/**
 * Scheduled (hourly in the stack): counts the sites silent past the threshold and publishes
 * `SilentSites` (the alarm's metric) and `NeverConnectedSites`. Each silent site is one log line
 * whose properties (siteId, name, lastConnectionAt, silentDays) Logs Insights can query: per-site
 * figures never become metric dimensions (one custom metric per site would cost more than the
 * fleet's whole monitoring; docs/operations.md, Alarms).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { adapters, systemClock } from '../commons/adapters';
import { dynamoDb } from '../commons/clients';
import { tableName } from '../commons/environment';
import { lazyHandler } from '../commons/lazy-handler';
import { silentAfterDaysFromEnvironment } from '../commons/silent-after-days';
import { logger, metrics } from '../commons/observability';
import type { SyncConfig } from '../domain/config/model';
import { findSilentSites, type SilentSitesDeps, type SilentSitesReport } from '../services/silent-sites';
import { lastConnectionTimes } from '../storage/last-connections';

export interface SilentSitesHandlerDeps extends SilentSitesDeps {
  readonly config: () => Promise<SyncConfig>;
  readonly now: () => Date;
  readonly silentAfterDays: number;
}

export function createSilentSitesHandler(deps: SilentSitesHandlerDeps) {
  return middy(async (): Promise<{ checked: number; silent: number; neverConnected: number }> => {
    const report: SilentSitesReport = await findSilentSites(deps, await deps.config(), { now: deps.now(), silentAfterDays: deps.silentAfterDays });
    for (const site of report.silent) logger.warn('site silent', { ...site, silentAfterDays: deps.silentAfterDays });
    metrics.addMetric('SilentSites', 'Count', report.silent.length);
    metrics.addMetric('NeverConnectedSites', 'Count', report.neverConnected.length);
    const summary = { checked: report.checked, silent: report.silent.length, neverConnected: report.neverConnected.length };
    logger.info('silent sites counted', { ...summary, silentAfterDays: deps.silentAfterDays });
    return summary;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

export { silentAfterDaysFromEnvironment };

export const handler = lazyHandler(() => {
  const configStore = adapters.configStore;
  return createSilentSitesHandler({
    config: () => configStore.current(),
    lastConnections: (siteIds) => lastConnectionTimes(dynamoDb(), tableName('siteState'), siteIds),
    now: systemClock,
    silentAfterDays: silentAfterDaysFromEnvironment(),
  });
});
