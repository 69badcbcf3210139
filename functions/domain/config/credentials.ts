/**
 * Site and user credentials. A site sends the lowercase hex SHA-256 of its password; only a
 * salted hash of that value is stored, in one of two self-describing formats:
 *  - `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>`: deliberately slow, for passwords a person
 *    chose (a small space an attacker could search); cost parameters kept with each credential.
 *  - `hmac-sha256$<salt base64>$<hash base64>`: for passwords this server generated itself
 *    (GENERATED_PASSWORD_BYTES random bytes): nobody can search 2^144 candidates, so slowing
 *    each guess adds nothing, and a fleet's credentials are made in milliseconds.
 * New scrypt credentials use N=2^17, r=8, p=1 (current guidance: 128 MiB and about half a second
 * per hash); credentials stored with older parameters still verify with their own. Verifying runs
 * off the main thread, at most two at a time per process, so a burst of logins can neither block
 * the event loop nor exhaust a function's memory. CPU only, no I/O.
 */
import { createHash, createHmac, randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 2 ** 17;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
/** Room for N=2^17 (128 × N × r bytes) with a margin; Node's default limit is 32 MiB. */
const MAX_MEMORY = 256 * 1024 * 1024;
/** scrypt runs at most this many at once in a process (each holds 128 MiB while it runs). */
const MAX_CONCURRENT_SCRYPT = 2;
/** 144 random bits: 24 characters of base64url. */
export const GENERATED_PASSWORD_BYTES = 18;

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export const isSha256Hex = (value: string): boolean => /^[0-9a-f]{64}$/.test(value);

const scryptFormat = (salt: Buffer, hash: Buffer) => ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');

/** Hashes what the site sends (the SHA-256 hex of its password) for storage. */
export function hashCredential(passwordSha256: string): string {
  const salt = randomBytes(16);
  return scryptFormat(salt, scryptSync(passwordSha256, salt, KEY_LENGTH, { N, r: R, p: P, maxmem: MAX_MEMORY }));
}

/** The same, off the main thread: many run at once on the thread pool (a whole file's passwords). */
export function hashCredentialAsync(passwordSha256: string): Promise<string> {
  const salt = randomBytes(16);
  return limitedScrypt(passwordSha256, salt, KEY_LENGTH, { N, r: R, p: P }).then((hash) => scryptFormat(salt, hash));
}

export const hashPassword = (password: string): string => hashCredential(sha256Hex(password));

export const hashPasswordAsync = (password: string): Promise<string> => hashCredentialAsync(sha256Hex(password));

/** A password with GENERATED_PASSWORD_BYTES of randomness, for a site an operator gave none. */
export const generatePassword = (): string => randomBytes(GENERATED_PASSWORD_BYTES).toString('base64url');

const hmac = (salt: Buffer, passwordSha256: string) => createHmac('sha256', salt).update(passwordSha256, 'utf8').digest();

/** The credential of a password from `generatePassword` (only those: see the file comment). */
export function hashGeneratedPassword(password: string): string {
  const salt = randomBytes(16);
  return ['hmac-sha256', salt.toString('base64'), hmac(salt, sha256Hex(password)).toString('base64')].join('$');
}

let running = 0;
const waiting: Array<() => void> = [];
/** scrypt on the thread pool, at most MAX_CONCURRENT_SCRYPT at once. */
async function limitedScrypt(secret: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  if (running >= MAX_CONCURRENT_SCRYPT) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await new Promise<Buffer>((resolve, reject) =>
      scrypt(secret, salt, keyLength, { maxmem: MAX_MEMORY, ...options }, (error, hash) => (error ? reject(error) : resolve(hash))),
    );
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Constant-time comparison of what a site sent with the stored credential, in either format. */
export async function verifyCredential(stored: string, passwordSha256: string): Promise<boolean> {
  const parts = stored.split('$');
  const sent = passwordSha256.toLowerCase();
  if (parts.length === 3 && parts[0] === 'hmac-sha256') {
    const expected = Buffer.from(parts[2]!, 'base64');
    const actual = hmac(Buffer.from(parts[1]!, 'base64'), sent);
    return expected.length === actual.length && timingSafeEqual(actual, expected);
  }
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltText, hashText] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashText, 'base64');
  if (expected.length === 0) return false;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  // Parameters come from the stored credential: anything scrypt would refuse is simply no match.
  if (![cost.N, cost.r, cost.p].every((value) => Number.isSafeInteger(value) && value > 0) || 128 * cost.N * cost.r > MAX_MEMORY / 1.5) return false;
  const actual = await limitedScrypt(sent, Buffer.from(saltText, 'base64'), expected.length, cost);
  return timingSafeEqual(actual, expected);
}

/** Constant-time comparison of two secrets of any length (compares their digests). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}
