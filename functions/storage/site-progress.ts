/**
 * Per-site background work and initialisation status in the site-state table. A work marker is
 * written before its message is sent, holds the work until the consumer deletes it when done,
 * and is due for a resend when its message may have been lost: the sweeper (services/sweep-work.ts)
 * finds due markers through the sparse `pendingWork` index, so a failed send, a lost message or a
 * killed process delays work but never loses it.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { BackgroundWork, InitialisationState, PendingWork, SiteProgress } from '../domain/ports';
import type { StreamPosition } from '../domain/sync/initial-stream';
import { REDELIVERY_GRACE_MS, UNSENT_GRACE_MS } from '../domain/sync/background-work';
import { siteStateKeys, PENDING_WORK_INDEX } from './keys';

/**
 * A marker nobody resends (no sweeper running) stops counting for `site_status` this long after
 * it was last due, so a site is never shown busy for ever; the sweeper still finds and resends it.
 */
export const WORK_MARKER_LIFETIME_SECONDS = 60 * 60;

export class DynamoSiteProgress implements SiteProgress {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private epochSeconds = () => Math.floor(this.now().getTime() / 1000);

  async begin(siteId: number, workId: string, work: BackgroundWork): Promise<void> {
    const now = this.now().getTime();
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...siteStateKeys.work(siteId, workId),
          ...siteStateKeys.pendingWork(workId, now + UNSENT_GRACE_MS),
          expiresAt: this.expiry(now + UNSENT_GRACE_MS),
          createdAt: now,
          siteId,
          workId,
          work: JSON.stringify(work),
        },
      }),
    );
  }

  private expiry = (dueAtMs: number) => Math.floor(dueAtMs / 1000) + WORK_MARKER_LIFETIME_SECONDS;

  async sent(siteId: number, workId: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: siteStateKeys.work(siteId, workId),
          // The work stays in the marker until it is done: a message can still be lost.
          UpdateExpression: 'SET sentAt = :now, dueAt = :due, expiresAt = :expires',
          // The consumer may have finished (and deleted the marker) already: never recreate it.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: {
            ':now': this.now().getTime(),
            ':due': this.now().getTime() + REDELIVERY_GRACE_MS,
            ':expires': this.expiry(this.now().getTime() + REDELIVERY_GRACE_MS),
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async postpone(siteId: number, workId: string, dueAt: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: siteStateKeys.work(siteId, workId),
          UpdateExpression: 'SET dueAt = :due, expiresAt = :expires',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':due': dueAt, ':expires': this.expiry(dueAt) },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async unsentWork(siteId: number, olderThanMs: number): Promise<BackgroundWork[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :work)',
        FilterExpression: 'attribute_exists(#work) AND attribute_not_exists(sentAt) AND createdAt < :cutoff AND expiresAt > :now',
        ExpressionAttributeNames: { '#work': 'work' },
        ExpressionAttributeValues: {
          ':pk': siteStateKeys.work(siteId, '').pk,
          ':work': siteStateKeys.workPrefix,
          ':cutoff': this.now().getTime() - olderThanMs,
          ':now': this.epochSeconds(),
        },
        ConsistentRead: true,
      }),
    );
    return Items.map((item) => JSON.parse(item.work as string) as BackgroundWork);
  }

  async dueWork(options: { readonly dueBy: number; readonly limitPerShard: number }): Promise<PendingWork[]> {
    const shards = await Promise.all(
      siteStateKeys.pendingWorkShards.map(async (shard) => {
        const { Items = [] } = await this.db.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: PENDING_WORK_INDEX,
            KeyConditionExpression: 'pendingShard = :shard AND dueAt <= :dueBy',
            ExpressionAttributeValues: { ':shard': shard, ':dueBy': options.dueBy },
            Limit: options.limitPerShard,
          }),
        );
        return Items;
      }),
    );
    return shards.flat().flatMap((item) => {
      if (typeof item.work !== 'string' || typeof item.siteId !== 'number') return [];
      return [{ siteId: item.siteId, work: JSON.parse(item.work) as BackgroundWork }];
    });
  }

  async finish(siteId: number, workId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: siteStateKeys.work(siteId, workId) }));
  }

  async workInProgress(siteId: number): Promise<boolean> {
    // Expired markers are filtered out here: TTL deletion happens whenever DynamoDB gets to it.
    const { Count = 0 } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :work)',
        FilterExpression: 'expiresAt > :now',
        ExpressionAttributeValues: {
          ':pk': siteStateKeys.work(siteId, '').pk,
          ':work': siteStateKeys.workPrefix,
          ':now': this.epochSeconds(),
        },
        ConsistentRead: true,
        Select: 'COUNT',
      }),
    );
    return Count > 0;
  }

  async initialisation(siteId: number): Promise<InitialisationState> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: siteStateKeys.initialisation(siteId), ConsistentRead: true }),
    );
    if (!Item) return { status: 'new' };
    const state = { status: Item.status as InitialisationState['status'], workId: Item.workId as string, at: Item.at as string };
    if (typeof Item.streamGeneration !== 'string') return state;
    const position = parsePosition(Item.streamAt as string);
    const stream = { generation: Item.streamGeneration, done: Item.streamDone === true, ...(position ? { position } : {}) };
    return { ...state, stream };
  }

  async startInitialisation(siteId: number, generation: string, at: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...siteStateKeys.initialisation(siteId),
          // The stream is the site's whole initial queue, defined the moment it starts.
          status: 'completed',
          workId: generation,
          at,
          streamGeneration: generation,
          streamAt: '',
          streamDone: false,
        },
      }),
    );
  }

  async advanceInitialStream(siteId: number, generation: string, from: StreamPosition | undefined, to: StreamPosition | 'done'): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: siteStateKeys.initialisation(siteId),
          UpdateExpression: 'SET streamAt = :to, streamDone = :done',
          ConditionExpression: 'streamGeneration = :generation AND streamAt = :from AND streamDone = :notDone',
          ExpressionAttributeValues: {
            ':to': to === 'done' ? (from ? JSON.stringify(from) : '') : JSON.stringify(to),
            ':done': to === 'done',
            ':generation': generation,
            ':from': from ? JSON.stringify(from) : '',
            ':notDone': false,
          },
        }),
      );
      return true;
    } catch (error) {
      // Another pull or acknowledgement moved it first, or a new initialisation replaced it.
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

function parsePosition(stored: string | undefined): StreamPosition | undefined {
  if (!stored) return undefined;
  const value = JSON.parse(stored) as { sourceKey: string; recordKey?: string };
  return value.recordKey === undefined ? { sourceKey: value.sourceKey } : { sourceKey: value.sourceKey, recordKey: value.recordKey };
}
