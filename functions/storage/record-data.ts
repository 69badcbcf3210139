/**
 * A record's legacy data as items hold it: JSON text in one string attribute, not a DynamoDB map
 * of its fields. A legacy record has dozens of fields; as one string DynamoDB Local writes and
 * reads it for half the CPU (bench/record-shapes.ts) and the SDK marshals one value instead of
 * many. Items written as a map before are still read.
 */
import type { RecordData } from '../domain/data-classes';

export const recordDataText = (data: RecordData): string => JSON.stringify(data);

export function recordDataOfItem(value: unknown): RecordData | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? (JSON.parse(value) as RecordData) : (value as RecordData);
}
