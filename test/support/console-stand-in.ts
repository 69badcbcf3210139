/** The console handler on a test's own tables, wired as production wires it (handlers/console.ts). */
import { consoleDataFrom, createConsoleHandler } from '../../functions/handlers/console';
import { DynamoAttemptGate } from '../../functions/storage/attempt-gate';
import { DynamoReportFigures } from '../../functions/storage/report-figures';
import type { adaptersFor, TestResources } from './stand-ins';

export function consoleHandlerFor(resources: TestResources, adapters: ReturnType<typeof adaptersFor>, adminToken: string) {
  return createConsoleHandler({
    data: consoleDataFrom({ store: adapters.configStore, sessions: adapters.sessions, outgoing: adapters.outgoing, progress: adapters.progress, quarantine: adapters.quarantine, reportFigures: new DynamoReportFigures(resources.db, resources.tables.reports) }),
    adminToken: async () => adminToken,
    attempts: new DynamoAttemptGate(resources.db, resources.tables.siteState),
    now: adapters.now,
  });
}
