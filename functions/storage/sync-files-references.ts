/**
 * Finding the `sync_file_reference` of a file a site uploads. The client uploads a file only
 * after it pushed the file's reference over v6 (the Open mSupply central refuses an upload whose
 * reference it does not hold: `SyncFileNotFound`, and the client tries again a minute later).
 *
 * A pushed reference is in the v6 central copy when it was accepted (placed as the record it is
 * attached to); when that record is not held centrally the push keeps the reference in quarantine
 * instead (`parent_not_found`), and the site still uploads the file. So the v6 copy is read first,
 * then the uploading site's own quarantined pushes of that reference.
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from '../protocol/zod';
import type { SyncConfig } from '../domain/config/model';
import { entitledSite } from '../domain/sync-v6/audience';
import type { V6Store } from '../domain/sync-v6/ports';
import { syncFileReferenceData, type SyncFileReferenceData } from '../protocol/sync-files';
import { quarantineKeys } from './keys';

export const SYNC_FILE_REFERENCE_TABLE = 'sync_file_reference';

export interface SyncFileReferences {
  /**
   * The reference of `fileId` whose file `siteId` may upload: one it pushed, or (in the v6 copy)
   * one of a record it is entitled to hold. Undefined if none, or if it was deleted.
   */
  forUpload(siteId: number, config: SyncConfig, fileId: string): Promise<SyncFileReferenceData | undefined>;
}

/** The v6 central copy first, then the site's own quarantined pushes. */
export class CentralSyncFileReferences implements SyncFileReferences {
  constructor(
    private readonly v6Store: Pick<V6Store, 'get'>,
    private readonly quarantined: QuarantinedSyncFileReferences,
  ) {}

  async forUpload(siteId: number, config: SyncConfig, fileId: string): Promise<SyncFileReferenceData | undefined> {
    const stored = (await this.v6Store.get([{ tableName: SYNC_FILE_REFERENCE_TABLE, recordId: fileId }])).values().next().value;
    if (stored) {
      if (stored.action === 'Delete') return undefined;
      const data = syncFileReferenceData.safeParse(stored.recordData);
      const mayUpload = stored.originSiteId === siteId || entitledSite(SYNC_FILE_REFERENCE_TABLE, stored.placement, config, siteId);
      if (data.success && data.data.id === fileId && mayUpload) return data.data;
    }
    return this.quarantined.forUpload(siteId, config, fileId);
  }
}

/** A quarantined v6 record as the v6 push keeps it: `{cursor, record}` as JSON text. */
const keptRecord = z.object({
  cursor: z.optional(z.number()),
  record: z.object({ action: z.string(), recordData: z.unknown() }),
});

/** The reference the site itself last pushed, as the v6 push kept it in quarantine. */
export class QuarantinedSyncFileReferences implements SyncFileReferences {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async forUpload(siteId: number, _config: SyncConfig, fileId: string): Promise<SyncFileReferenceData | undefined> {
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
