/** The console handler on a test's own tables, wired as production wires it (handlers/console.ts). */
import { consoleDataFrom } from '../../functions/console/data';
import { createConsoleHandler } from '../../functions/handlers/console';
import { DynamoRefusalCounts } from '../../functions/storage/refusal-counts';
import { DynamoAttemptGate } from '../../functions/storage/attempt-gate';
import { DynamoReportFigures } from '../../functions/storage/report-figures';
import { DynamoAuditLog } from '../../functions/storage/audit-log';
import { lastChanges } from '../../functions/storage/record-changes';
import type { adaptersFor, TestResources } from './stand-ins';

export function consoleHandlerFor(resources: TestResources, adapters: ReturnType<typeof adaptersFor>, adminToken: string) {
  return createConsoleHandler({
    data: consoleDataFrom({
      store: adapters.configStore,
      sessions: adapters.sessions,
      progress: adapters.progress,
      outgoing: adapters.outgoing,
      refusals: new DynamoRefusalCounts(resources.db, resources.tables.siteState),
      reportFigures: new DynamoReportFigures(resources.db, resources.tables.reports),
      actions: {
        push: adapters,
        entries: adapters.quarantine,
        lastChanges: (keys) => lastChanges(resources.db, resources.tables.records, keys),
        v6: { v6Store: adapters.v6Store, legacyCopy: adapters.centralCopy },
        audit: (entry, actor) => new DynamoAuditLog(resources.db, resources.tables.config, adapters.now).append(entry, actor),
      },
    }),
    adminToken: async () => adminToken,
    attempts: new DynamoAttemptGate(resources.db, resources.tables.siteState),
    now: adapters.now,
  });
}
