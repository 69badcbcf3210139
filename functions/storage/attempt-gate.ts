/**
 * The attempt gate (domain/auth/attempt-gate.ts) in the site-state table, one item per
 * (scope, name, source). Entering reads the state and writes the next one on condition that
 * nobody else moved it meanwhile, so each evaluated attempt owns one step of the count, however
 * many arrive at once; a lost race reads again and meets the new back-off.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decideAttempt, DEFAULT_GATE_POLICY, type GateDecision, type GatePolicy, type GateState } from '../domain/auth/attempt-gate';
import type { AttemptGate } from '../domain/ports';
import { siteStateKeys } from './keys';

const RACES = 5;

/** The scope of sites' password attempts (the names are commons/site-auth.ts's `siteGateName`). */
export const SITE_GATE_SCOPE = 'site';

export class DynamoAttemptGate implements AttemptGate {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly policy: GatePolicy = DEFAULT_GATE_POLICY,
  ) {}

  async enter(scope: string, name: string, source: string, nowSeconds: number): Promise<GateDecision> {
    const Key = siteStateKeys.attemptGate(scope, name, source);
    for (let race = 0; ; race++) {
      const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key, ConsistentRead: true }));
      const state = Item ? ({ count: Number(Item.count), blockedUntil: Number(Item.blockedUntil), lastAt: Number(Item.lastAt) } satisfies GateState) : undefined;
      const decision = decideAttempt(state, nowSeconds, this.policy);
      if (!decision.admitted) return decision;
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...Key, ...decision.next, expiresAt: decision.next.lastAt + this.policy.forgetAfterSeconds },
            ConditionExpression: state ? '#count = :count AND lastAt = :lastAt' : 'attribute_not_exists(pk)',
            ...(state ? { ExpressionAttributeNames: { '#count': 'count' }, ExpressionAttributeValues: { ':count': state.count, ':lastAt': state.lastAt } } : {}),
          }),
        );
        return decision;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Another attempt took this step: it either left a back-off (refused next time) or not.
        if (race >= RACES) return { admitted: false, retryAfterSeconds: 1 };
      }
    }
  }

  /** A success: the name and source start afresh. */
  async clear(scope: string, name: string, source: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: siteStateKeys.attemptGate(scope, name, source) }));
  }

  /** An administrator's reset: the name starts afresh from every source. Returns the sources cleared. */
  async clearAll(scope: string, name: string): Promise<number> {
    const { pk } = siteStateKeys.attemptGate(scope, name, '');
    let cleared = 0;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ExclusiveStartKey }));
      for (const item of page.Items ?? []) await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: item.pk, sk: item.sk } }));
      cleared += page.Items?.length ?? 0;
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return cleared;
  }
}
