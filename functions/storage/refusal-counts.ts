/**
 * Records refused per site and hour, for the sync report's "refused in the last day": one ADD per
 * site and quarantined batch (O(1) per event, never a count over the quarantine), one query of at
 * most 25 small items per site to read. The hour items expire after two days.
 */
import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Quarantine, QuarantinedRecord } from '../domain/ports';
import { siteStateKeys } from './keys';

const HOUR_MS = 3_600_000;
const KEEP_SECONDS = 2 * 24 * 3600;
/** `YYYY-MM-DDTHH` of a time, in UTC: sorts as time does. */
const hourOf = (time: Date) => time.toISOString().slice(0, 13);

export class DynamoRefusalCounts {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async add(siteId: number, count: number, at: Date): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: siteStateKeys.refusedHour(siteId, hourOf(at)),
        UpdateExpression: 'ADD #count :count SET expiresAt = :expiresAt',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':count': count, ':expiresAt': Math.floor(at.getTime() / 1000) + KEEP_SECONDS },
      }),
    );
  }

  /** Refused in the last day: this hour and the 23 before it. */
  async lastDay(siteId: number, now: Date): Promise<number> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': siteStateKeys.refusedHour(siteId, '').pk,
          ':from': siteStateKeys.refusedHour(siteId, hourOf(new Date(now.getTime() - 23 * HOUR_MS))).sk,
          ':to': siteStateKeys.refusedHour(siteId, hourOf(now)).sk,
        },
      }),
    );
    return Items.reduce((sum, item) => sum + (typeof item.count === 'number' ? item.count : 0), 0);
  }
}

/** A quarantine that also counts what it keeps per site and hour; every other method is the quarantine's own. */
export function countingRefusals<Q extends Quarantine>(quarantine: Q, counts: Pick<DynamoRefusalCounts, 'add'>, now: () => Date): Q {
  const counted = Object.create(quarantine) as Q;
  counted.keep = async (records: readonly QuarantinedRecord[]) => {
    await quarantine.keep(records);
    const perSite = new Map<number, number>();
    for (const record of records) perSite.set(record.siteId, (perSite.get(record.siteId) ?? 0) + 1);
    const at = now();
    await Promise.all([...perSite].map(([siteId, count]) => counts.add(siteId, count, at)));
  };
  return counted;
}
