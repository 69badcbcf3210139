/** `npm start` prints the demo user, and that user logs in through the deployed login handler module. */
import { loginAnswerV4 } from '../../functions/protocol/login-v4';
import { startLocalServerProcess, type LocalServerProcess } from '../support/local-server-process';

jest.setTimeout(180_000);

let server: LocalServerProcess | undefined;
afterAll(async () => {
  await server?.stop('SIGKILL');
});

test('the printed demo user logs in at /api/v4/login with the demo sites\' stores; a wrong password gets 401', async () => {
  server = await startLocalServerProcess();
  const printed = /user: +name "([^"]+)", password "([^"]+)"/.exec(server.output());
  expect(printed?.[1]).toBe('demo-user');
  const post = (password: string) =>
    fetch(`${server!.url}/api/v4/login`, { method: 'POST', body: JSON.stringify({ username: printed![1], password, loginType: 'User', siteName: 'remote-site-1' }) });

  const ok = await post(printed![2]!);
  expect(ok.status).toBe(200);
  const answer = loginAnswerV4.parse(await ok.json());
  expect(answer.status).toBe('success');
  expect(answer.userInfo!.userStores.map((store) => store.store_ID)).toEqual(['STORE_B', 'STORE_C', 'STORE_D', 'STORE_F']);

  const wrong = await post('not-the-password');
  expect(wrong.status).toBe(401);
  expect(loginAnswerV4.parse(await wrong.json()).status).toBe('error');
});
