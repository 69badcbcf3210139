/**
 * Each function's bundle, built as the stack builds it (BUNDLE_SETTINGS): its minified size
 * against the 300 KB target, what takes the most room in it, and how long `require` of it takes
 * in a fresh Node against an empty module: whole (with the AWS SDK modules it loads from the
 * runtime) and its own code only (those SDK modules loaded beforehand). `npm run bench` prints
 * it; a bundle over the target is a MISSED line and a non-zero exit, one above 90% of it is NEAR.
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
/** Largest minified bundle accepted, in KB (1024 bytes). */
export const BUNDLE_TARGET_KB = 300;
/** A bundle above this share of the target is flagged NEAR: the next feature may push it over. */
const NEAR_TARGET_SHARE = 0.9;

/** Median milliseconds a fresh `node` takes to require `file`, after requiring `preloaded` untimed. */
function requireMs(file: string, preloaded: readonly string[] = []): number {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const preload = preloaded.map((name) => `require(${JSON.stringify(name)});`).join('');
    const script = `${preload}const t=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
    const out = spawnSync(process.execPath, ['-e', script], { cwd: PROJECT_ROOT, encoding: 'utf8', env: { ...process.env, AWS_REGION: 'us-east-1' } });
    if (out.status !== 0) throw new Error(`require of ${file} failed: ${out.stderr}`);
    times.push(Number(out.stdout.trim()));
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

export interface BundleFigures {
  readonly handler: string;
  readonly bytes: number;
  /** Require time of the whole bundle (its AWS SDK modules included), ms. */
  readonly requireMs: number;
  /** Require time of the bundle's own code (its AWS SDK modules already loaded), ms. */
  readonly ownRequireMs: number;
}

/** Every deployed function's handler module (functions/handlers), each once. */
export function deployedHandlers(): string[] {
  const handlers = new Set<string>([
    ...Object.values(apiFunctions).map((description) => description.handler as string),
    ...Object.values(scheduledFunctions).map((description) => description.handler as string),
    ...Object.values(queues).map((queue) => queue.consumer.handler as string),
  ]);
  return [...handlers].sort();
}

/** Bundles `handler` into `outfile` as the stack does (BUNDLE_SETTINGS), with esbuild's metafile. */
export function bundleHandler(handler: string, outfile: string) {
  return build({
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
}

/** Prints every function's figures; a bundle over the target is a MISSED line and sets a failing exit code. */
export async function runBundles(): Promise<BundleFigures[]> {
  // Inside the project, so the AWS SDK (external, as the Lambda runtime provides it) resolves and loads too.
  mkdirSync(path.join(PROJECT_ROOT, '.local'), { recursive: true });
  const dir = mkdtempSync(path.join(PROJECT_ROOT, '.local', 'bundles-'));
  try {
    const empty = path.join(dir, 'empty.js');
    writeFileSync(empty, '');
    const baseline = requireMs(empty);
    console.log(
      `\nFunction bundles (minified, ${BUNDLE_SETTINGS.target}, AWS SDK from the runtime; target ${BUNDLE_TARGET_KB} KB)\n` +
        `  require: median of ${RUNS} fresh processes against an empty module (${baseline.toFixed(1)} ms); "own" with the bundle's AWS SDK modules loaded first`,
    );
    const figures: BundleFigures[] = [];
    for (const handler of deployedHandlers()) {
      const outfile = path.join(dir, `${handler}.js`);
      const result = await bundleHandler(handler, outfile);
      const bytes = statSync(outfile).size;
      const byPackage = new Map<string, number>();
      for (const [input, { bytesInOutput }] of Object.entries(result.metafile.outputs[path.relative(process.cwd(), outfile)]?.inputs ?? {})) {
        const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
        const name = match ? match[1]! : 'project code';
        byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
      }
      const largest = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([name, size]) => `${name} ${(size / 1024).toFixed(0)} KB`).join(', ');
      const sdkModules = [...new Set(Object.values(result.metafile.inputs).flatMap((input) => input.imports.filter((i) => i.external && i.path.startsWith('@aws-sdk/')).map((i) => i.path)))];
      const whole = requireMs(outfile);
      const own = requireMs(outfile, sdkModules);
      const kb = bytes / 1024;
      const verdict = kb > BUNDLE_TARGET_KB ? 'MISSED' : kb > NEAR_TARGET_SHARE * BUNDLE_TARGET_KB ? 'NEAR' : 'ok';
      console.log(
        `  ${handler.padEnd(16)} ${kb.toFixed(0).padStart(4)} KB / ${BUNDLE_TARGET_KB} ${verdict.padEnd(6)}  require ${whole.toFixed(1).padStart(6)} ms, own ${own.toFixed(1).padStart(5)} ms   largest: ${largest}`,
      );
      figures.push({ handler, bytes, requireMs: whole, ownRequireMs: own });
    }
    const missed = figures.filter((figure) => figure.bytes / 1024 > BUNDLE_TARGET_KB);
    if (missed.length > 0) {
      console.log(`  MISSED: ${missed.map((figure) => `${figure.handler} ${(figure.bytes / 1024).toFixed(0)} KB`).join(', ')} over the ${BUNDLE_TARGET_KB} KB target`);
      process.exitCode = 1;
    } else {
      console.log(`  every bundle is within the ${BUNDLE_TARGET_KB} KB target`);
    }
    const near = figures.filter((figure) => figure.bytes / 1024 > NEAR_TARGET_SHARE * BUNDLE_TARGET_KB && figure.bytes / 1024 <= BUNDLE_TARGET_KB);
    if (near.length > 0) {
      console.log(`  NEAR: ${near.map((figure) => `${figure.handler} ${(figure.bytes / 1024).toFixed(0)} KB`).join(', ')} above ${100 * NEAR_TARGET_SHARE}% of the target`);
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) void runBundles();
