/**
 * Finding the `sync_file_reference` a site pushed for a file. The client uploads a file only
 * after it pushed the file's reference over v6 (the Open mSupply central refuses an upload whose
 * reference it does not hold: `SyncFileNotFound`, and the client tries again a minute later).
 *
 * Pushed v6 records are kept in quarantine until the v6 tables are served, so the reference is
 * read there: the uploading site's own items for table `sync_file_reference` and that record id,
 * the latest received. When the v6 registry keeps these rows elsewhere, another implementation of
 * `SyncFileReferences` reads them there; the handler does not change.
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { syncFileReferenceData, type SyncFileReferenceData } from '../protocol/sync-files';
import { quarantineKeys } from './keys';

export const SYNC_FILE_REFERENCE_TABLE = 'sync_file_reference';

export interface SyncFileReferences {
  /** The reference `siteId` last pushed for `fileId`; undefined if none, or if it was deleted. */
  pushedBy(siteId: number, fileId: string): Promise<SyncFileReferenceData | undefined>;
}

/** A quarantined v6 record as the v6 push keeps it: `{cursor, record}` as JSON text. */
const keptRecord = z.object({
  cursor: z.number().optional(),
  record: z.object({ action: z.string(), recordData: z.unknown() }),
});

export class QuarantinedSyncFileReferences implements SyncFileReferences {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async pushedBy(siteId: number, fileId: string): Promise<SyncFileReferenceData | undefined> {
    let latest: { receivedAt: string; cursor: number; action: string; data: unknown } | undefined;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#site = :site',
          FilterExpression: '#table = :table AND #record = :record',
          ExpressionAttributeNames: { '#site': 'site', '#table': 'tableName', '#record': 'recordId' },
          ExpressionAttributeValues: { ':site': quarantineKeys.site(siteId), ':table': SYNC_FILE_REFERENCE_TABLE, ':record': fileId },
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const kept = keptRecord.safeParse(parseText(item.raw));
        if (!kept.success) continue;
        const candidate = { receivedAt: String(item.receivedAt ?? ''), cursor: kept.data.cursor ?? 0, action: kept.data.record.action, data: kept.data.record.recordData };
        if (!latest || candidate.receivedAt > latest.receivedAt || (candidate.receivedAt === latest.receivedAt && candidate.cursor > latest.cursor)) latest = candidate;
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    if (!latest || latest.action.toLowerCase() === 'delete') return undefined;
    const data = syncFileReferenceData.safeParse(latest.data);
    return data.success && data.data.id === fileId ? data.data : undefined;
  }
}

function parseText(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
