/**
 * Site logins in the site-state table: attempts at each site's password per source address (for
 * throttling) and when each site last connected, with what software (for the sync report).
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
}

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
