/**
 * Site credentials. A site sends the lowercase hex SHA-256 of its password; only a slow salted
 * hash of that value is stored: `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>`, so the cost
 * parameters can be raised later without breaking stored credentials. CPU only, no I/O.
 */
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

const N = 16_384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export const isSha256Hex = (value: string): boolean => /^[0-9a-f]{64}$/.test(value);

/** Hashes what the site sends (the SHA-256 hex of its password) for storage. */
export function hashCredential(passwordSha256: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(passwordSha256, salt, KEY_LENGTH, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

export const hashPassword = (password: string): string => hashCredential(sha256Hex(password));

/** Constant-time comparison of what a site sent with the stored credential. */
export function verifyCredential(stored: string, passwordSha256: string): boolean {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltText, hashText] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashText, 'base64');
  if (expected.length === 0) return false;
  const actual = scryptSync(passwordSha256.toLowerCase(), Buffer.from(saltText, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(actual, expected);
}

/** Constant-time comparison of two secrets of any length (compares their digests). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}
