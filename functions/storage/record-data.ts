/**
 * A record's legacy data as items hold it: one attribute, not a DynamoDB map of its fields. A
 * legacy record has dozens of fields; as one value DynamoDB Local writes and reads it for half
 * the CPU and the SDK marshals one value instead of many (bench/record-shapes.ts). Data of
 * COMPRESS_FROM bytes or more is stored deflated (binary): a real record shrinks to about half,
 * so it costs fewer write and read units in DynamoDB, which bills by the KB; shorter data stays
 * JSON text. Items written as a map before are still read.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { RecordData } from '../domain/data-classes';

/** Below this many bytes of JSON, deflating saves no unit worth its CPU. */
const COMPRESS_FROM = 512;

export function storedRecordData(data: RecordData): string | Uint8Array {
  const json = JSON.stringify(data);
  return json.length >= COMPRESS_FROM ? deflateRawSync(json) : json;
}

export function recordDataOfItem(value: unknown): RecordData | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return JSON.parse(value) as RecordData;
  if (value instanceof Uint8Array) return JSON.parse(inflateRawSync(value).toString('utf8')) as RecordData;
  return value as RecordData;
}
