import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
/** Types shared by the adapters that write with TransactWriteItems. */
import type { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';

/** One operation of a document-client transaction. */
export type TransactWriteItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/** What cancelled a transaction of `items` (in order, as its first operations). */
export interface Cancellation<T> {
  /** Operations whose condition failed. */
  readonly conditionFailed: T[];
  /** Another transaction touched the same items: the rest may be retried as they are. */
  readonly conflict: boolean;
}

/** Reads a cancelled transaction's reasons; any other error is rethrown. */
export function cancellation<T>(error: unknown, items: readonly T[]): Cancellation<T> {
  if (!(error instanceof TransactionCanceledException)) throw error;
  const reasons = error.CancellationReasons ?? [];
  const conditionFailed = items.filter((_, i) => reasons[i]?.Code === 'ConditionalCheckFailed');
  const conflict = reasons.some((reason) => reason.Code === 'TransactionConflict');
  if (conditionFailed.length === 0 && !conflict) throw error;
  return { conditionFailed, conflict };
}
