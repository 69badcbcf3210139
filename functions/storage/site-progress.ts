/**
 * Per-site background work and initialisation status in the site-state table. A work marker is
 * written before its message is sent and deleted by the consumer when done; a marker whose
 * message was never sent expires, so a failed push cannot leave a site "busy" for ever.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { BackgroundWork, InitialisationState, SiteProgress } from '../domain/ports';
import type { StreamPosition } from '../domain/sync/initial-stream';
import { siteStateKeys } from './keys';

/** Longer than the queue's retries take (5 receives × 180 s visibility), so live work never expires. */
export const WORK_MARKER_LIFETIME_SECONDS = 20 * 60;

export class DynamoSiteProgress implements SiteProgress {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private epochSeconds = () => Math.floor(this.now().getTime() / 1000);

  async begin(siteId: number, workId: string, work: BackgroundWork): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...siteStateKeys.work(siteId, workId),
          expiresAt: this.epochSeconds() + WORK_MARKER_LIFETIME_SECONDS,
          createdAt: this.now().getTime(),
          work: JSON.stringify(work),
        },
      }),
    );
  }

  async sent(siteId: number, workId: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: siteStateKeys.work(siteId, workId),
          // The work is on its queue: the copy kept for a resend is no longer needed.
          UpdateExpression: 'SET sentAt = :now REMOVE #work',
          // The consumer may have finished (and deleted the marker) already: never recreate it.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#work': 'work' },
          ExpressionAttributeValues: { ':now': this.now().getTime() },
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
        FilterExpression: 'attribute_exists(#work) AND createdAt < :cutoff AND expiresAt > :now',
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
