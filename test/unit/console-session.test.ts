/**
 * The console's session cookie and CSRF token (functions/console/session.ts): a session verifies
 * under the token that issued it until it expires; any change to it, another admin token, or a
 * cookie made up without the key does not; each session has its own CSRF token.
 */
import fc from 'fast-check';
import { csrfMatches, issueSession, readCookie, SESSION_SECONDS, sessionCookie, verifySession } from '../../functions/console/session';
import { escapeHtml, html } from '../../functions/console/html';

const TOKEN = 'admin-token-for-sessions';
const NOW = 1_800_000_000;

test('a session verifies until it expires, with the CSRF token it was issued with', () => {
  const { value, session } = issueSession(TOKEN, NOW);
  expect(verifySession(TOKEN, value, NOW)).toEqual(session);
  expect(verifySession(TOKEN, value, NOW + SESSION_SECONDS - 1)).toEqual(session);
  expect(verifySession(TOKEN, value, NOW + SESSION_SECONDS)).toBeUndefined();
  expect(csrfMatches(session, session.csrfToken)).toBe(true);
  expect(csrfMatches(session, issueSession(TOKEN, NOW).session.csrfToken)).toBe(false);
  expect(csrfMatches(session, undefined)).toBe(false);
});

test('another admin token (a rotated one) ends every session', () => {
  const { value } = issueSession(TOKEN, NOW);
  expect(verifySession(`${TOKEN}-rotated`, value, NOW)).toBeUndefined();
});

test('any change to a cookie value makes it worthless: a later expiry, another nonce, any character', () => {
  const { value } = issueSession(TOKEN, NOW);
  const [expiry, nonce, signature] = value.split('.') as [string, string, string];
  expect(verifySession(TOKEN, `${Number(expiry) + SESSION_SECONDS}.${nonce}.${signature}`, NOW)).toBeUndefined();
  fc.assert(
    fc.property(fc.nat({ max: value.length - 1 }), fc.constantFrom(...'0123456789abcdefABCDEF-_.x'), (at, character) => {
      const changed = value.slice(0, at) + character + value.slice(at + 1);
      return changed === value || verifySession(TOKEN, changed, NOW) === undefined;
    }),
  );
  fc.assert(fc.property(fc.string({ maxLength: 120 }), (made) => verifySession(TOKEN, made, NOW) === undefined));
});

test('the cookie is HttpOnly and SameSite=Strict; Secure under __Host- except on plain-HTTP localhost', () => {
  expect(sessionCookie(true, 'v', 60)).toBe('__Host-console_session=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure');
  expect(sessionCookie(false, 'v', 60)).toBe('console_session=v; Path=/console; Max-Age=60; HttpOnly; SameSite=Strict');
  expect(readCookie(['other=1', 'console_session=abc.def'], 'console_session')).toBe('abc.def');
  expect(readCookie(['xconsole_session=abc'], 'console_session')).toBeUndefined();
});

test('every interpolated value is escaped; nested fragments are not escaped twice', () => {
  fc.assert(fc.property(fc.string(), (text) => !/[<>"']/.test(escapeHtml(text)) && !/&(?!(amp|lt|gt|quot|#39);)/.test(escapeHtml(text))));
  expect(html`<td title="${'"><script>'}">${html`<b>${'<i>'}</b>`}</td>`.text).toBe('<td title="&quot;&gt;&lt;script&gt;"><b>&lt;i&gt;</b></td>');
});
