/**
 * Privileged operations that change no configuration (quarantine replay and resolve, a site's
 * re-initialisation) in the same audit log as configuration changes (`GET /admin/v1/audit`).
 */
import { randomUUID } from 'node:crypto';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from '../domain/config/operations';
import type { AuditRecord } from './config-store';
import { configKeys } from './keys';

export class DynamoAuditLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async append(entry: AuditEntry, actor: string): Promise<AuditRecord> {
    const record: AuditRecord = { ...entry, at: this.now().toISOString(), actor };
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...configKeys.audit(record.at, randomUUID()), ...record } }));
    return record;
  }
}
