/**
 * Runs `npm start` as a child process, as a newcomer would, in its own process group so that a
 * Ctrl-C (SIGINT to the group) can be imitated and the group checked for leftovers afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { freePort, waitUntil } from '../../lib/local/ports';

export interface LocalServerProcess {
  readonly url: string;
  readonly output: () => string;
  /** Sends the signal to the whole process group and waits until no process of it is left. */
  stop(signal?: NodeJS.Signals): Promise<{ exitCode: number | null; leftovers: boolean }>;
}

export interface LocalServerProcessOptions {
  /** Extra environment for `npm start`, e.g. ADMIN_TOKEN. */
  readonly env?: Record<string, string>;
  /** Keep the database in this directory (it survives a restart) instead of in memory. */
  readonly dataDir?: string;
  /** Listen on this port (a restart keeps its URL). @default a free port */
  readonly port?: number;
}

export async function startLocalServerProcess(extraArgs: string[] = [], options: LocalServerProcessOptions = {}): Promise<LocalServerProcess> {
  const port = options.port ?? (await freePort());
  const storage = options.dataDir ? ['--data-dir', options.dataDir] : ['--in-memory'];
  const child: ChildProcess = spawn('npm', ['start', '--', '--port', String(port), ...storage, ...extraArgs], {
    cwd: path.resolve(__dirname, '..', '..'),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: undefined, ...options.env },
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const pgid = child.pid!;
  const groupAlive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const stop: LocalServerProcess['stop'] = async (signal = 'SIGINT') => {
    if (groupAlive()) process.kill(-pgid, signal);
    const exitCode = await exited;
    const deadline = Date.now() + 10_000;
    while (groupAlive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const leftovers = groupAlive();
    if (leftovers) process.kill(-pgid, 'SIGKILL');
    return { exitCode, leftovers };
  };

  const match = await waitUntil(async () => /listening on (http:\/\/\S+)/.test(output) || child.exitCode !== null, 120_000, 'npm start did not print its URL')
    .then(() => /listening on (http:\/\/\S+)/.exec(output))
    .catch(async (error: Error) => {
      await stop('SIGKILL');
      throw new Error(`${error.message}\n${output}`);
    });
  if (!match) {
    await stop('SIGKILL');
    throw new Error(`npm start exited early:\n${output}`);
  }
  return { url: match[1]!, output: () => output, stop };
}
