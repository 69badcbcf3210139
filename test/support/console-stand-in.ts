/** The console handler on a test's own tables, wired as production wires it (handlers/console.ts). */
import { consoleDataFrom } from '../../functions/console/data';
import { createConsoleHandler } from '../../functions/handlers/console';
import { DynamoRefusalCounts } from '../../functions/storage/refusal-counts';
import { DynamoAttemptGate } from '../../functions/storage/attempt-gate';
import { DynamoReportFigures } from '../../functions/storage/report-figures';
import type { adaptersFor, TestResources } from './stand-ins';

export function consoleHandlerFor(resources: TestResources, adapters: ReturnType<typeof adaptersFor>, adminToken: string) {
  return createConsoleHandler({
    data: consoleDataFrom({
      store: adapters.configStore,
      sessions: adapters.sessions,
      progress: adapters.progress,
      outgoing: adapters.outgoing,
      refusals: new DynamoRefusalCounts(resources.db, resources.tables.siteState),
      quarantine: adapters.quarantine,
      reportFigures: new DynamoReportFigures(resources.db, resources.tables.reports),
    }),
    adminToken: async () => adminToken,
    attempts: new DynamoAttemptGate(resources.db, resources.tables.siteState),
    now: adapters.now,
  });
}
