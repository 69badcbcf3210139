/**
 * Site logins in the site-state table: failed attempts per site name (for throttling) and when
 * each site last connected, with what software (for the sync report).
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { siteStateKeys } from './keys';

export interface LoginFailures {
  readonly count: number;
  /** Epoch seconds when the current window of failures started. */
  readonly since: number;
}

export interface Connection {
  readonly at: string;
  readonly hardwareId: string;
  readonly appName: string;
  readonly appVersion: string;
  readonly syncApiVersion: number;
  readonly route: string;
}

export class DynamoSiteSessions {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async failures(siteName: string): Promise<LoginFailures | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: siteStateKeys.loginFailures(siteName), ConsistentRead: true }),
    );
    return Item ? { count: Number(Item.count), since: Number(Item.since) } : undefined;
  }

  /** Counts a failure in the window starting at `since`; a new window starts from 1. */
  async recordFailure(siteName: string, nowSeconds: number, windowSeconds: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: siteStateKeys.loginFailures(siteName),
        UpdateExpression: 'SET #count = if_not_exists(#count, :zero) + :one, since = if_not_exists(since, :now), expiresAt = :expires',
        ConditionExpression: 'attribute_not_exists(since) OR since > :windowStart',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': nowSeconds, ':expires': nowSeconds + windowSeconds, ':windowStart': nowSeconds - windowSeconds },
      }),
    ).catch(async (error: unknown) => {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      // The old window is over: start a new one.
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...siteStateKeys.loginFailures(siteName), count: 1, since: nowSeconds, expiresAt: nowSeconds + windowSeconds },
        }),
      );
    });
  }

  async clearFailures(siteName: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: siteStateKeys.loginFailures(siteName) }));
  }

  async recordConnection(siteId: number, connection: Connection): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...siteStateKeys.connection(siteId), ...connection } }));
  }

  async lastConnection(siteId: number): Promise<Connection | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: siteStateKeys.connection(siteId) }));
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, ...connection } = Item;
    return connection as Connection;
  }
}
