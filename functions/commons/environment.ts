/** Reads the physical names a function was given through its environment. */
import {
  deadLetterQueueEnvVar,
  queueEnvVar,
  tableEnvVar,
  type QueueName,
  type TableName,
} from '../../lib/resources';

function required(variable: string): string {
  const value = process.env[variable];
  if (!value) throw new Error(`Environment variable ${variable} is not set`);
  return value;
}

export const tableName = (table: TableName): string => required(tableEnvVar(table));
export const queueUrl = (queue: QueueName): string => required(queueEnvVar(queue));
export const deadLetterQueueUrl = (queue: QueueName): string => required(deadLetterQueueEnvVar(queue));
/** A queue the function may send to when it was given one (some functions send only some work). */
export const optionalQueueUrl = (queue: QueueName): string | undefined => process.env[queueEnvVar(queue)] || undefined;
