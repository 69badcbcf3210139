/**
 * The attempt gate (domain/auth/attempt-gate.ts) in the site-state table, one item per
 * (scope, name, source). Entering reads the state and writes the next one on condition that
 * nobody else moved it meanwhile, so each evaluated attempt owns one step of the count, however
 * many arrive at once; a lost race reads again and meets the new back-off.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decideAttempt, DEFAULT_GATE_POLICY, type GateDecision, type GatePolicy, type GateState } from '../domain/auth/attempt-gate';
import type { AttemptGate } from '../domain/ports';
import { siteStateKeys } from './keys';

const RACES = 5;

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
}
