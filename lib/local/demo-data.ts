/**
 * The demo data (config/demo-data.json) for a first run that shows something: items, names, stock,
 * customer invoices and a transfer, each batch pushed exactly as the site it names would push it,
 * so it is decided, stored, routed, counted in the reports and sent to the sites like any push.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import type { SyncConfig } from '../../functions/domain/config/model';
import { acceptPush, type PushDeps } from '../../functions/services/push';

const demoRecord = z.object({
  tableName: z.string(),
  recordId: z.string(),
  action: z.enum(['insert', 'update', 'delete', 'merge']),
  recordData: z.record(z.string(), z.unknown()),
});

export const demoDataFile = z.object({
  description: z.optional(z.string()),
  batches: z.array(z.object({ siteId: z.int(), about: z.optional(z.string()), records: z.array(demoRecord) })),
});

export type DemoData = z.infer<typeof demoDataFile>;

export function readDemoData(file: string): DemoData {
  const parsed = demoDataFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Pushes every batch as its site; a refused record means the file and the configuration disagree. */
export async function loadDemoData(deps: PushDeps, config: SyncConfig, data: DemoData): Promise<{ records: number }> {
  let records = 0;
  for (const [index, batch] of data.batches.entries()) {
    const pushed = batch.records.map((record, i) => ({ ...record, syncOutId: `demo-${index + 1}-${i + 1}` }));
    const outcome = await acceptPush(deps, config, batch.siteId, pushed);
    if (outcome.refused.length > 0) {
      const first = outcome.refused[0]!;
      throw new Error(`Demo data batch ${index + 1} (site ${batch.siteId}): ${first.tableName} ${first.recordId} refused: ${first.message}`);
    }
    records += outcome.accepted;
  }
  return { records };
}
