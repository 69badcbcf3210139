/**
 * Site logins in the site-state table: attempts at each site's password per source address (for
 * throttling) and when each site last connected, with what software, and when it last pushed and
 * pulled (for the sync report).
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { GateDecision } from '../domain/auth/attempt-gate';
import { DynamoAttemptGate, SITE_GATE_SCOPE } from './attempt-gate';
import { siteStateKeys } from './keys';

export interface Connection {
  readonly at: string;
  readonly hardwareId: string;
  readonly appName: string;
  readonly appVersion: string;
  readonly syncApiVersion: number;
  readonly route: string;
  /** The last push and pull, recorded with the connection of such a route (absent: none yet). */
  readonly lastPushAt?: string;
  readonly lastPullAt?: string;
}

/** What a sync route does for the sync report: a push, a pull, or neither (undefined). */
export type SyncActivity = 'push' | 'pull';
const ACTIVITY_OF_ROUTE: Record<string, SyncActivity> = {
  'POST /sync/v5/queued_records': 'push',
  'POST /central/sync/push': 'push',
  'GET /sync/v5/queued_records': 'pull',
  'POST /sync/v5/acknowledged_records': 'pull',
  'GET /sync/v5/central_records': 'pull',
  'POST /central/sync/pull': 'pull',
  'POST /central/sync/patient-pull': 'pull',
  'POST /central/sync/patient_pull': 'pull',
};
export const syncActivityOf = (route: string): SyncActivity | undefined => (Object.hasOwn(ACTIVITY_OF_ROUTE, route) ? ACTIVITY_OF_ROUTE[route] : undefined);

export class DynamoSiteSessions {
  /** Attempts at a site's password per (site name, source address): domain/auth/attempt-gate.ts. */
  private readonly attempts: DynamoAttemptGate;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {
    this.attempts = new DynamoAttemptGate(db, table);
  }

  enterAttempt(siteName: string, source: string, nowSeconds: number): Promise<GateDecision> {
    return this.attempts.enter(SITE_GATE_SCOPE, siteName, source, nowSeconds);
  }

  clearAttempts(siteName: string, source: string): Promise<void> {
    return this.attempts.clear(SITE_GATE_SCOPE, siteName, source);
  }

  /** One write: the connection's fields, and the time of its push or pull when its route is one. */
  async recordConnection(siteId: number, connection: Omit<Connection, 'lastPushAt' | 'lastPullAt'>): Promise<void> {
    const activity = syncActivityOf(connection.route);
    const fields: Record<string, unknown> = { ...connection, ...(activity === 'push' ? { lastPushAt: connection.at } : activity === 'pull' ? { lastPullAt: connection.at } : {}) };
    const names = Object.keys(fields);
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: siteStateKeys.connection(siteId),
        UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :f${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#f${i}`, name])),
        ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:f${i}`, fields[name]])),
      }),
    );
  }

  async lastConnection(siteId: number): Promise<Connection | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: siteStateKeys.connection(siteId) }));
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, ...connection } = Item;
    return connection as Connection;
  }
}
