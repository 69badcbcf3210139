/**
 * Per-site background work and initialisation status in the site-state table. A work marker is
 * written before its message is sent and deleted by the consumer when done; a marker whose
 * message was never sent expires, so a failed push cannot leave a site "busy" for ever.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { InitialisationState, SiteProgress } from '../domain/ports';
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

  async begin(siteId: number, workId: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...siteStateKeys.work(siteId, workId), expiresAt: this.epochSeconds() + WORK_MARKER_LIFETIME_SECONDS },
      }),
    );
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
    return { status: Item.status as InitialisationState['status'], workId: Item.workId as string, at: Item.at as string };
  }

  async setInitialisation(siteId: number, state: InitialisationState, onlyIfWorkId?: string): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...siteStateKeys.initialisation(siteId), ...state },
          ...(onlyIfWorkId === undefined
            ? {}
            : { ConditionExpression: 'workId = :workId', ExpressionAttributeValues: { ':workId': onlyIfWorkId } }),
        }),
      );
    } catch (error) {
      // A newer initialisation started meanwhile: it owns the status now.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
