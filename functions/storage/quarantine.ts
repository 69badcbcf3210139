/**
 * Refused pushed records, one item per (site, change), listed per site or across all sites. An
 * operator closes an entry (replayed and accepted, or resolved with a note): it stays, with who
 * closed it, when and how, until the site pushes the same change again (which reopens it).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Quarantine, QuarantinedRecord } from '../domain/ports';
import { isWellFormed } from '../protocol/json-text';
import { quarantineKeys } from './keys';
import { decodePageToken, encodePageToken, InvalidPageTokenError } from './page-token';

const ITEMS_PER_BATCH_WRITE = 25;

/** v6 entries accepted once their parent arrived are rewritten with this reason (services/v6-waiting.ts): closed too. */
const RESOLVED_REASON = 'resolved';

/** How an entry was closed: its change accepted on replay, or resolved by an operator. */
export type QuarantineClosure = 'replayed' | 'resolved';

/** A quarantined record with what operators did to it. */
export interface QuarantineEntry extends QuarantinedRecord {
  readonly closedAt?: string;
  readonly closedBy?: string;
  readonly closure?: QuarantineClosure;
  /** The operator's note (resolve) or what the replay did. */
  readonly resolution?: string;
  /** When it was last decided again (replay), whatever the outcome. */
  readonly replayedAt?: string;
}

export interface QuarantineListOptions {
  readonly siteId?: number;
  readonly limit: number;
  readonly after?: string;
  /** Only entries refused with this reason (as they now stand). */
  readonly reason?: string;
  /** Only open or only closed entries. @default both */
  readonly state?: 'open' | 'closed';
}

/** One entry's id in the admin API: `<siteId>:<changeId>` (the change id may hold any text). */
export const quarantineEntryId = (siteId: number, changeId: string): string => `${siteId}:${changeId}`;

/** Longest change id a key holds: DynamoDB's sort key limit, in UTF-8 bytes. */
const MAX_CHANGE_ID_BYTES = 1024;

/** The site and change an id names; undefined for text no entry can have (malformed, not well-formed, too long). */
export function parseQuarantineEntryId(id: string): { siteId: number; changeId: string } | undefined {
  const match = /^([1-9]\d{0,14}):([\s\S]+)$/.exec(id);
  if (!match || !isWellFormed(match[2]!) || Buffer.byteLength(match[2]!, 'utf8') > MAX_CHANGE_ID_BYTES) return undefined;
  return { siteId: Number(match[1]), changeId: match[2]! };
}

export const isClosed = (entry: QuarantineEntry): boolean => entry.closedAt !== undefined || entry.reason === RESOLVED_REASON;

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

  async list(options: QuarantineListOptions): Promise<{ records: QuarantineEntry[]; next?: string }> {
    const ExclusiveStartKey = options.after === undefined ? undefined : decodePageToken(options.after, ['site', 'entry']);
    if (options.after !== undefined && !ExclusiveStartKey) throw new InvalidPageTokenError();
    const filter = listFilter(options);
    const page =
      options.siteId === undefined
        ? await this.db.send(new ScanCommand({ TableName: this.table, Limit: options.limit, ExclusiveStartKey, ...filter }))
        : await this.db.send(
            new QueryCommand({
              TableName: this.table,
              KeyConditionExpression: '#site = :site',
              ...filter,
              ExpressionAttributeNames: { '#site': 'site', ...filter.ExpressionAttributeNames },
              ExpressionAttributeValues: { ':site': quarantineKeys.site(options.siteId), ...filter.ExpressionAttributeValues },
              Limit: options.limit,
              ExclusiveStartKey,
            }),
          );
    const records = (page.Items ?? []).map(fromItem);
    const next = page.LastEvaluatedKey ? encodePageToken(page.LastEvaluatedKey) : undefined;
    return next ? { records, next } : { records };
  }

  async get(siteId: number, changeId: string): Promise<QuarantineEntry | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: quarantineKeys.entry(siteId, changeId), ConsistentRead: true }));
    return Item ? fromItem(Item) : undefined;
  }

  /** Closes an entry; false when it no longer exists. */
  async close(siteId: number, changeId: string, closing: { readonly closure: QuarantineClosure; readonly by: string; readonly at: string; readonly resolution: string }): Promise<boolean> {
    return this.update(siteId, changeId, 'SET closedAt = :at, closedBy = :by, closure = :closure, resolution = :resolution', {
      ':at': closing.at,
      ':by': closing.by,
      ':closure': closing.closure,
      ':resolution': closing.resolution,
    });
  }

  /** Decided again and refused: the entry stays open with its new reason (its receipt time unchanged). */
  async redecided(siteId: number, changeId: string, decision: { readonly reason: string; readonly message: string; readonly at: string }): Promise<boolean> {
    return this.update(siteId, changeId, 'SET reason = :reason, message = :message, replayedAt = :at', {
      ':reason': decision.reason,
      ':message': decision.message,
      ':at': decision.at,
    });
  }

  private async update(siteId: number, changeId: string, expression: string, values: Record<string, unknown>): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: quarantineKeys.entry(siteId, changeId),
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(#site)',
          ExpressionAttributeNames: { '#site': 'site' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

function fromItem({ site: _site, entry: _entry, raw, ...record }: Record<string, unknown>): QuarantineEntry {
  return { ...record, raw: rawValue(raw) } as QuarantineEntry;
}

/** The filter a list's options ask for (read units are spent on what it skips, as with any filter). */
function listFilter(options: QuarantineListOptions): {
  FilterExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  if (options.reason !== undefined) {
    conditions.push('#reason = :reason');
    names['#reason'] = 'reason';
    values[':reason'] = options.reason;
  }
  if (options.state !== undefined) {
    names['#reason'] = 'reason';
    values[':resolved'] = RESOLVED_REASON;
    conditions.push(options.state === 'open' ? '(attribute_not_exists(closedAt) AND #reason <> :resolved)' : '(attribute_exists(closedAt) OR #reason = :resolved)');
  }
  if (conditions.length === 0) return {};
  return { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names, ExpressionAttributeValues: values };
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
