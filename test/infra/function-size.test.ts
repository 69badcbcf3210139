/**
 * Every function's bundle, built as the stack builds it, stays within the 300 KB (minified)
 * target: a schema module that pulls in all of zod (a classic `zod` import, `import { z } from
 * 'zod/mini'`, `z.locales`) or another large package fails here, not only in the bench.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUNDLE_TARGET_KB, bundleHandler, deployedHandlers } from '../../bench/bundles';

const dir = mkdtempSync(path.join(tmpdir(), 'function-size-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.each(deployedHandlers())(`the %s bundle is at most ${BUNDLE_TARGET_KB} KB minified`, async (handler) => {
  const outfile = path.join(dir, `${handler}.js`);
  await bundleHandler(handler, outfile);
  expect(statSync(outfile).size).toBeLessThanOrEqual(BUNDLE_TARGET_KB * 1024);
});
