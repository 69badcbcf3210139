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
  expect(await verifyCredential(typed, sha256Hex('remote-site-1-pass'))).toBe(true);
  expect(await verifyCredential(typed, sha256Hex('remote-site-1-pasS'))).toBe(false);
  expect(await verifyCredential(fast, sha256Hex(generated))).toBe(true);
  expect(await verifyCredential(fast, sha256Hex(generated).toUpperCase())).toBe(true);
  expect(await verifyCredential(fast, sha256Hex(`${generated}x`))).toBe(false);
  expect(await verifyCredential(await hashCredentialAsync(sha256Hex('p')), sha256Hex('p'))).toBe(true);
  // Each credential has its own salt.
  expect(hashGeneratedPassword(generated)).not.toBe(fast);
  expect(await verifyCredential('hmac-sha256$$', sha256Hex(generated))).toBe(false);
  expect(await verifyCredential('', sha256Hex(generated))).toBe(false);
});

test('a credential stored with older scrypt parameters still verifies with its own; absurd parameters are no match, never an error', async () => {
  const { scryptSync, randomBytes } = await import('node:crypto');
  const salt = randomBytes(16);
  const sent = sha256Hex('an-older-password');
  const older = ['scrypt', 16384, 8, 1, salt.toString('base64'), scryptSync(sent, salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64')].join('$');
  expect(await verifyCredential(older, sent)).toBe(true);
  expect(await verifyCredential(older, sha256Hex('another'))).toBe(false);
  for (const cost of ['0$8$1', '1099511627776$8$1', 'x$8$1', '16384$0$1']) {
    expect(await verifyCredential(`scrypt$${cost}$${salt.toString('base64')}$AAAA`, sent)).toBe(false);
  }
});
