/**
 * Each function's bundle, built as the stack builds it (BUNDLE_SETTINGS): its minified size,
 * what takes the most room in it, and how long `require` of it takes in a fresh Node against
 * an empty module (the part of a cold start the code itself adds). `npm run bench` prints it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { apiFunctions, scheduledFunctions } from '../lib/functions';
import { queues } from '../lib/resources';
import { BUNDLE_SETTINGS, HANDLERS_DIR } from '../lib/constructs/sync-function';
import { PROJECT_ROOT } from '../lib/local/dynamodb-local';

const RUNS = 5;

/** Median milliseconds a fresh `node` takes to require `file`. */
function requireMs(file: string): number {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
    const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, AWS_REGION: 'us-east-1' } });
    if (out.status !== 0) throw new Error(`require of ${file} failed: ${out.stderr}`);
    times.push(Number(out.stdout.trim()));
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

export async function runBundles(): Promise<void> {
  // Inside the project, so the AWS SDK (external, as the Lambda runtime provides it) resolves and loads too.
  mkdirSync(path.join(PROJECT_ROOT, '.local'), { recursive: true });
  const dir = mkdtempSync(path.join(PROJECT_ROOT, '.local', 'bundles-'));
  try {
    const handlers = new Set<string>([
      ...Object.values(apiFunctions).map((description) => description.handler as string),
      ...Object.values(scheduledFunctions).map((description) => description.handler as string),
      ...Object.values(queues).map((queue) => queue.consumer.handler as string),
    ]);
    const empty = path.join(dir, 'empty.js');
    writeFileSync(empty, '');
    const baseline = requireMs(empty);
    console.log(`\nFunction bundles (minified, ${BUNDLE_SETTINGS.target}, AWS SDK from the runtime; require time, median of ${RUNS} fresh processes; empty module ${baseline.toFixed(1)} ms)`);
    for (const handler of [...handlers].sort()) {
      const outfile = path.join(dir, `${handler}.js`);
      const result = await build({
        entryPoints: [path.join(HANDLERS_DIR, `${handler}.ts`)],
        bundle: true,
        minify: BUNDLE_SETTINGS.minify,
        target: BUNDLE_SETTINGS.target,
        platform: BUNDLE_SETTINGS.platform,
        format: BUNDLE_SETTINGS.format,
        external: [...BUNDLE_SETTINGS.externalModules],
        outfile,
        metafile: true,
        logLevel: 'silent',
      });
      const bytes = statSync(outfile).size;
      const byPackage = new Map<string, number>();
      for (const [input, { bytesInOutput }] of Object.entries(result.metafile.outputs[path.relative(process.cwd(), outfile)]?.inputs ?? {})) {
        const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
        const name = match ? match[1]! : 'project code';
        byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
      }
      const largest = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([name, size]) => `${name} ${(size / 1024).toFixed(0)} KB`).join(', ');
      const ms = requireMs(outfile);
      console.log(`  ${handler.padEnd(12)} ${(bytes / 1024).toFixed(0).padStart(5)} KB   require ${ms.toFixed(1).padStart(6)} ms (+${(ms - baseline).toFixed(1)} ms)   largest: ${largest}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) void runBundles();
