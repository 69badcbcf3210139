/**
 * Page tokens handed to API callers: a DynamoDB key as base64url JSON. A token comes back from
 * outside, so it is read with a schema: only an object of the expected string or number key
 * attributes is a token; anything else is `undefined` (the caller's 400), never a failed query.
 */
import * as z from '../protocol/zod';

export const encodePageToken = (key: Record<string, unknown>): string => Buffer.from(JSON.stringify(key)).toString('base64url');

export function decodePageToken(token: string, keyNames: readonly string[]): Record<string, string | number> | undefined {
  if (token.length > 2048 || !/^[A-Za-z0-9_-]*$/.test(token)) return undefined;
  const schema = z.strictObject(Object.fromEntries(keyNames.map((name) => [name, z.union([z.string().check(z.minLength(1), z.maxLength(1024)), z.number()])])));
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return parsed.success ? (parsed.data as Record<string, string | number>) : undefined;
  } catch {
    return undefined;
  }
}

/** A page token that is not one this API handed out. */
export class InvalidPageTokenError extends Error {
  constructor() {
    super('The page token (?after=) is not one this API handed out; start again without it.');
    this.name = 'InvalidPageTokenError';
  }
}
