/** Refused pushed records, one item per (site, change), listed per site or across all sites. */
import { BatchWriteCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Quarantine, QuarantinedRecord } from '../domain/ports';
import { quarantineKeys } from './keys';
import { decodePageToken, encodePageToken, InvalidPageTokenError } from './page-token';

const ITEMS_PER_BATCH_WRITE = 25;

export class DynamoQuarantine implements Quarantine {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async keep(records: readonly QuarantinedRecord[]): Promise<void> {
    const unique = [...new Map(records.map((record) => [`${record.siteId}\u0000${record.changeId}`, record])).values()];
    for (let i = 0; i < unique.length; i += ITEMS_PER_BATCH_WRITE) {
      let requests: Array<{ PutRequest: { Item: Record<string, unknown> } }> = unique
        .slice(i, i + ITEMS_PER_BATCH_WRITE)
        .map(({ raw, ...record }) => ({ PutRequest: { Item: { ...quarantineKeys.entry(record.siteId, record.changeId), ...record, raw: rawText(raw) } } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt >= 8) throw new Error('Could not write refused records: throttled');
        const { UnprocessedItems = {} } = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
        requests = (UnprocessedItems[this.table] ?? []) as typeof requests;
        if (requests.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      }
    }
  }

  async list(options: { siteId?: number; limit: number; after?: string }): Promise<{ records: QuarantinedRecord[]; next?: string }> {
    const ExclusiveStartKey = options.after === undefined ? undefined : decodePageToken(options.after, ['site', 'entry']);
    if (options.after !== undefined && !ExclusiveStartKey) throw new InvalidPageTokenError();
    const page =
      options.siteId === undefined
        ? await this.db.send(new ScanCommand({ TableName: this.table, Limit: options.limit, ExclusiveStartKey }))
        : await this.db.send(
            new QueryCommand({
              TableName: this.table,
              KeyConditionExpression: '#site = :site',
              ExpressionAttributeNames: { '#site': 'site' },
              ExpressionAttributeValues: { ':site': quarantineKeys.site(options.siteId) },
              Limit: options.limit,
              ExclusiveStartKey,
            }),
          );
    const records = (page.Items ?? []).map(({ site: _site, entry: _entry, raw, ...record }) => ({ ...record, raw: rawValue(raw) }) as QuarantinedRecord);
    const next = page.LastEvaluatedKey ? encodePageToken(page.LastEvaluatedKey) : undefined;
    return next ? { records, next } : { records };
  }
}

/** Largest raw record kept: what a site pushed may be anything JSON allows, even unstorable. */
const MAX_RAW_CHARACTERS = 100_000;

/** The record as pushed, kept as JSON text so any JSON fits (cut short past 100,000 characters). */
function rawText(raw: unknown): string {
  const text = JSON.stringify(raw) ?? 'null';
  return text.length > MAX_RAW_CHARACTERS ? text.slice(0, MAX_RAW_CHARACTERS) : text;
}

function rawValue(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text; // cut short: shown as the text kept
  }
}
