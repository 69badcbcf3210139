/** Both credential formats verify what a site sends, and nothing else. */
import {
  generatePassword,
  hashCredentialAsync,
  hashGeneratedPassword,
  hashPassword,
  sha256Hex,
  verifyCredential,
} from '../../functions/domain/config/credentials';

test('a typed password is stored with scrypt, a generated one with a salted HMAC; both verify only their password', async () => {
  const typed = hashPassword('remote-site-1-pass');
  const generated = generatePassword();
  const fast = hashGeneratedPassword(generated);
  expect(typed).toMatch(/^scrypt\$/);
  expect(fast).toMatch(/^hmac-sha256\$/);
  expect(generated).toMatch(/^[A-Za-z0-9_-]{24}$/);
  expect(verifyCredential(typed, sha256Hex('remote-site-1-pass'))).toBe(true);
  expect(verifyCredential(typed, sha256Hex('remote-site-1-pasS'))).toBe(false);
  expect(verifyCredential(fast, sha256Hex(generated))).toBe(true);
  expect(verifyCredential(fast, sha256Hex(generated).toUpperCase())).toBe(true);
  expect(verifyCredential(fast, sha256Hex(`${generated}x`))).toBe(false);
  expect(verifyCredential(await hashCredentialAsync(sha256Hex('p')), sha256Hex('p'))).toBe(true);
  // Each credential has its own salt.
  expect(hashGeneratedPassword(generated)).not.toBe(fast);
  expect(verifyCredential('hmac-sha256$$', sha256Hex(generated))).toBe(false);
  expect(verifyCredential('', sha256Hex(generated))).toBe(false);
});
