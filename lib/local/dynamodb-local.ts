/**
 * DynamoDB Local for the local server and the tests. The official jar ships inside the npm
 * package amplify-dynamodb-simulator; rather than depending on that package (and its ~220
 * dependencies) we fetch its tarball from the npm registry once, check it against a pinned
 * integrity hash, and keep only its `emulator/` folder in a git-ignored directory.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, waitUntil } from './ports';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const DYNAMODB_LOCAL_DIR = path.join(PROJECT_ROOT, '.local', 'dynamodb-local');

const PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const PACKAGE_INTEGRITY =
  'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==';

/** Makes sure the jar is on disk; downloads and verifies it the first time. Returns its folder. */
export function ensureDynamoDbLocal(log: (line: string) => void = () => {}): string {
  const marker = path.join(DYNAMODB_LOCAL_DIR, '.integrity');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === PACKAGE_INTEGRITY) return DYNAMODB_LOCAL_DIR;

  log(`Fetching DynamoDB Local (${PACKAGE}) from the npm registry, once...`);
  const work = mkdtempSync(path.join(tmpdir(), 'dynamodb-local-'));
  try {
    const packed = JSON.parse(
      execFileSync('npm', ['pack', PACKAGE, '--pack-destination', work, '--json', '--silent'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as Array<{ filename: string }>;
    const tarball = path.join(work, packed[0]!.filename);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (integrity !== PACKAGE_INTEGRITY) {
      throw new Error(`${PACKAGE} tarball failed its integrity check (got ${integrity}); refusing to use it`);
    }
    execFileSync('tar', ['-xzf', tarball, '-C', work, 'package/emulator']);
    rmSync(DYNAMODB_LOCAL_DIR, { recursive: true, force: true });
    mkdirSync(path.dirname(DYNAMODB_LOCAL_DIR), { recursive: true });
    renameSync(path.join(work, 'package', 'emulator'), DYNAMODB_LOCAL_DIR);
    writeFileSync(marker, PACKAGE_INTEGRITY);
    log(`DynamoDB Local is in ${path.relative(PROJECT_ROOT, DYNAMODB_LOCAL_DIR)}`);
    return DYNAMODB_LOCAL_DIR;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface DynamoDbLocalOptions {
  /** Folder to persist tables in; omit for an in-memory, throw-away database. */
  readonly dataDir?: string;
  /** @default a free port */
  readonly port?: number;
  readonly log?: (line: string) => void;
}

export interface RunningDynamoDbLocal {
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<RunningDynamoDbLocal> {
  const dir = ensureDynamoDbLocal(options.log);
  const port = options.port ?? (await freePort());
  const storage = options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory'];
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const java: ChildProcess = spawn(
    'java',
    [
      `-Djava.library.path=${path.join(dir, 'DynamoDBLocal_lib')}`,
      '-Xmx1g',
      '-jar',
      path.join(dir, 'DynamoDBLocal.jar'),
      '-port',
      String(port),
      '-sharedDb',
      '-disableTelemetry',
      ...storage,
    ],
    // cwd: DynamoDB Local writes a metadata file into its working directory.
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir },
  );
  let stderr = '';
  java.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => java.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;

  try {
    await waitUntil(async () => {
      if (java.exitCode !== null) throw new Error(`DynamoDB Local exited (${java.exitCode}): ${stderr}`);
      const response = await fetch(endpoint, { method: 'POST' }).catch(() => undefined);
      return response !== undefined;
    }, 30_000, 'DynamoDB Local did not start within 30 s');
  } catch (error) {
    java.kill('SIGKILL');
    throw error;
  }

  return {
    endpoint,
    pid: java.pid!,
    async stop() {
      if (java.exitCode !== null) return;
      java.kill('SIGTERM');
      const timer = setTimeout(() => java.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
