/**
 * What both admin functions build from their environment the same way: the configuration, the
 * token and its attempt gate, the sync report's sources and the operator actions' ports (the
 * quarantine's entries aside: only the operations function is granted that table).
 */
import { adapters } from '../commons/adapters';
import { dynamoDb } from '../commons/clients';
import { tableName } from '../commons/environment';
import { silentAfterDaysFromEnvironment } from '../commons/silent-after-days';
import type { QuarantineEntries } from '../services/quarantine-actions';
import { DynamoAttemptGate } from '../storage/attempt-gate';
import { DynamoAuditLog } from '../storage/audit-log';
import { ConfigStore } from '../storage/config-store';
import { resetInitialisation } from '../storage/initialisation-reset';
import { lastChanges } from '../storage/record-changes';
import { adminTokenFromEnvironment } from './auth';
import type { AdminDeps, OperatorActionsDeps } from './types';

export function sharedAdminDeps(quarantineEntries: QuarantineEntries) {
  const operatorActions: OperatorActionsDeps = {
    entries: quarantineEntries,
    lastChanges: (keys) => lastChanges(dynamoDb(), tableName('records'), keys),
    audit: (entry, actor) => new DynamoAuditLog(dynamoDb(), tableName('config')).append(entry, actor),
    resetInitialisation: (siteId) => resetInitialisation(dynamoDb(), tableName('siteState'), siteId),
  };
  return {
    store: new ConfigStore(dynamoDb(), tableName('config')),
    adminToken: adminTokenFromEnvironment(),
    attempts: new DynamoAttemptGate(dynamoDb(), tableName('siteState')),
    silentAfterDays: silentAfterDaysFromEnvironment(),
    syncReport: { sessions: adapters.sessions, progress: adapters.progress, outgoing: adapters.outgoing, refusals: adapters.refusalCounts },
    operatorActions,
  } satisfies Partial<AdminDeps>;
}
