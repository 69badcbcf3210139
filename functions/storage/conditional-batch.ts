/**
 * Conditional writes of independent items, 25 to a request and not a transaction: PartiQL
 * `INSERT` (only where no item has the key) and `UPDATE ... WHERE` (only where the condition
 * holds) through BatchExecuteStatement. Each statement stands alone, as a conditional PutItem or
 * UpdateItem would, and costs what one does: half the write units of the same write in a
 * transaction, without a round trip per item. Statements whose condition fails are answered, not
 * thrown; throttled or contended ones are sent again.
 */
import { BatchExecuteStatementCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { backOff } from './back-off';

/** BatchExecuteStatement's limit. */
export const STATEMENTS_PER_BATCH = 25;
const MAX_ATTEMPTS = 10;

export interface ConditionalStatement {
  readonly Statement: string;
  readonly Parameters: unknown[];
}

/** Error codes of a statement that may succeed when sent again. */
const RETRYABLE = new Set(['TransactionConflict', 'ProvisionedThroughputExceeded', 'ThrottlingError', 'RequestLimitExceeded', 'InternalServerError']);
/** The statement's condition did not hold: `UPDATE ... WHERE` failed, or `INSERT` found the key taken. */
const CONDITION_FAILED = new Set(['ConditionalCheckFailed', 'DuplicateItem']);

/** Table and attribute names are written quoted: any name, reserved words included. */
const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** `INSERT`: the whole item, only where no item has its key. */
export function insertStatement(table: string, item: Readonly<Record<string, unknown>>): ConditionalStatement {
  const names = Object.keys(item).filter((name) => item[name] !== undefined);
  return {
    Statement: `INSERT INTO ${quoted(table)} VALUE {${names.map((name) => `'${name.replaceAll("'", "''")}': ?`).join(', ')}}`,
    Parameters: names.map((name) => item[name]),
  };
}

/**
 * `UPDATE`: sets `set`, removes `remove`, on the item with `key`, only where every attribute of
 * `expected` has the value given (so only where the item exists).
 */
export function updateStatement(
  table: string,
  key: Readonly<Record<string, unknown>>,
  set: Readonly<Record<string, unknown>>,
  remove: readonly string[],
  expected: Readonly<Record<string, unknown>>,
): ConditionalStatement {
  const assigned = Object.keys(set).filter((name) => set[name] !== undefined);
  const where = [...Object.keys(key), ...Object.keys(expected)];
  return {
    Statement:
      `UPDATE ${quoted(table)}` +
      assigned.map((name) => ` SET ${quoted(name)} = ?`).join('') +
      remove.map((name) => ` REMOVE ${quoted(name)}`).join('') +
      ` WHERE ${where.map((name) => `${quoted(name)} = ?`).join(' AND ')}`,
    Parameters: [...assigned.map((name) => set[name]), ...Object.keys(key).map((name) => key[name]), ...Object.keys(expected).map((name) => expected[name])],
  };
}

/**
 * Runs at most {@link STATEMENTS_PER_BATCH} statements until each has succeeded or failed its
 * condition; answers the indexes of those whose condition failed. Any other error is thrown.
 */
export async function executeConditional(db: DynamoDBDocumentClient, statements: readonly ConditionalStatement[]): Promise<Set<number>> {
  if (statements.length > STATEMENTS_PER_BATCH) throw new Error(`At most ${STATEMENTS_PER_BATCH} statements go in one batch, not ${statements.length}`);
  const conditionFailed = new Set<number>();
  let pending = statements.map((_, index) => index);
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= MAX_ATTEMPTS) throw new Error(`Could not write ${pending.length} items: throttled or contended ${MAX_ATTEMPTS} times`);
    if (attempt > 0) await backOff(attempt);
    const { Responses = [] } = await db.send(new BatchExecuteStatementCommand({ Statements: pending.map((index) => statements[index]!) }));
    const again: number[] = [];
    pending.forEach((index, i) => {
      const code = Responses[i]?.Error?.Code;
      if (code === undefined) return;
      if (CONDITION_FAILED.has(code)) conditionFailed.add(index);
      else if (RETRYABLE.has(code)) again.push(index);
      else throw new Error(`A conditional write was refused (${code}): ${Responses[i]?.Error?.Message ?? 'no message'}`);
    });
    pending = again;
  }
  return conditionFailed;
}
