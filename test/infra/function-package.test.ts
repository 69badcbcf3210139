/**
 * What a function's package holds, bundled for real (esbuild, as `cdk deploy` does): by default
 * the minified code only, no source map and no reference to one; with `sourceMaps` the map too.
 * One small handler (health) stands for all: every function is a SyncFunction (the stack test
 * checks the stack passes `sourceMaps` to each of them).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { SyncFunction } from '../../lib/constructs/sync-function';

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** The files of the one function asset a stack holding a single health function synthesises. */
function packageFiles(sourceMaps?: boolean): { files: string[]; code: string } {
  const outdir = mkdtempSync(path.join(tmpdir(), 'function-package-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const stack = new Stack(app, 'PackageTest');
  // No tables or queues granted, so none are needed.
  new SyncFunction(stack, 'Health', { handler: 'health', description: 'package test', tables: {} as never, queues: {} as never, sourceMaps });
  const assembly = app.synth();
  const assets = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
  expect(assets).toHaveLength(1);
  const dir = path.join(assembly.directory, assets[0]!);
  return { files: readdirSync(dir).sort(), code: readFileSync(path.join(dir, 'index.js'), 'utf8') };
}

test('a function ships its minified code only: no source map, no sourceMappingURL', () => {
  const { files, code } = packageFiles();
  expect(files).toEqual(['index.js']);
  expect(code).not.toContain('sourceMappingURL');
});

test('with sourceMaps the function ships its source map beside the code', () => {
  const { files, code } = packageFiles(true);
  expect(files).toEqual(['index.js', 'index.js.map']);
  expect(code).toContain('sourceMappingURL=index.js.map');
});
