import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
/** Types shared by the adapters that write with TransactWriteItems. */
import type { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';

/** One operation of a document-client transaction. */
export type TransactWriteItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/** Which of the transaction's first `items.length` operations failed their condition. */
export function conditionFailures<T>(error: unknown, items: readonly T[]): T[] {
  if (!(error instanceof TransactionCanceledException)) throw error;
  const reasons = error.CancellationReasons ?? [];
  const failed = items.filter((_, i) => reasons[i]?.Code === 'ConditionalCheckFailed');
  // Cancelled for another reason (conflict with a concurrent transaction): retry all.
  if (failed.length === 0 && !reasons.some((reason) => reason.Code === 'TransactionConflict')) throw error;
  return failed.length ? failed : [...items];
}

