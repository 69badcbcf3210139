/**
 * Failed user logins (POST /api/v4/login) in the site-state table, per (login name, source
 * address); each entry expires with its window (domain/users/login-throttle.ts).
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { UserLoginFailures } from '../domain/users/login-throttle';
import { siteStateKeys } from './keys';

export interface UserLoginFailureStore {
  failures(userName: string, source: string): Promise<UserLoginFailures | undefined>;
  /** Counts a failure in the window still open, or starts a new window at `nowSeconds`. */
  recordFailure(userName: string, source: string, nowSeconds: number, windowSeconds: number): Promise<void>;
  clear(userName: string, source: string): Promise<void>;
}

export class DynamoUserLoginFailures implements UserLoginFailureStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async failures(userName: string, source: string): Promise<UserLoginFailures | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: siteStateKeys.userLoginFailures(userName, source), ConsistentRead: true }));
    return Item ? { count: Number(Item.count), since: Number(Item.since) } : undefined;
  }

  async recordFailure(userName: string, source: string, nowSeconds: number, windowSeconds: number): Promise<void> {
    const Key = siteStateKeys.userLoginFailures(userName, source);
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key,
          UpdateExpression: 'SET #count = if_not_exists(#count, :zero) + :one, since = if_not_exists(since, :now), expiresAt = if_not_exists(expiresAt, :expires)',
          ConditionExpression: 'attribute_not_exists(since) OR since > :windowStart',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': nowSeconds, ':expires': nowSeconds + windowSeconds, ':windowStart': nowSeconds - windowSeconds },
        }),
      )
      .catch(async (error: unknown) => {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
        // The old window is over: start a new one.
        await this.db.send(new PutCommand({ TableName: this.table, Item: { ...Key, count: 1, since: nowSeconds, expiresAt: nowSeconds + windowSeconds } }));
      });
  }

  async clear(userName: string, source: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: siteStateKeys.userLoginFailures(userName, source) }));
  }
}
