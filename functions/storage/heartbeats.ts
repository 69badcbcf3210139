/** Records consumer heartbeats in the site-state table. */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { siteStateKeys } from './keys';

export interface Heartbeat {
  readonly id: string;
  readonly sentAt: string;
  readonly handledAt: string;
}

export class HeartbeatStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async record(queue: string, heartbeat: Heartbeat): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...siteStateKeys.heartbeat(queue), ...heartbeat } }));
  }

  async latest(queue: string): Promise<Heartbeat | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: siteStateKeys.heartbeat(queue), ConsistentRead: true }),
    );
    return Item ? { id: Item.id, sentAt: Item.sentAt, handledAt: Item.handledAt } : undefined;
  }
}
