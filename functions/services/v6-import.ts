/**
 * Central v6 data enters through the admin import (`POST /admin/v1/v6-records`), as v5 central
 * data does through `POST /admin/v1/records`: the records are decided as changes made by the
 * central site (the primary in a standard setup), so central v6 tables and the v6 data of stores
 * active on the central site are accepted; anything else is refused with its reason, as a push.
 */
import { randomUUID } from 'node:crypto';
import * as z from '../protocol/zod';
import type { SyncConfig } from '../domain/config/model';
import { centralSite } from '../domain/config/queries';
import { v6Record } from '../protocol/v6';
import { acceptV6Changes, type V6PushDeps } from './v6-push';

/** Records per import call: the client's push batch size, as v5's import. */
export const MAX_V6_IMPORT_RECORDS = 1024;

export const importV6RecordsBody = z.strictObject({
  records: z.array(v6Record).check(z.minLength(1), z.maxLength(MAX_V6_IMPORT_RECORDS)).register(z.globalRegistry, {
    description: 'Sync v6 records as the client sends them ({tableName, recordId, action, recordData}, recordData the row)',
  }),
});

export const importV6RecordsResponse = z.object({
  accepted: z.number(),
  ignored: z.number(),
  refused: z.array(z.object({ index: z.number(), tableName: z.string(), recordId: z.string(), reason: z.string(), message: z.string() })),
});
export type ImportV6RecordsResponse = z.output<typeof importV6RecordsResponse>;

export type ImportV6Result = { readonly ok: true; readonly value: ImportV6RecordsResponse } | { readonly ok: false; readonly message: string };

export async function importV6Records(deps: V6PushDeps, config: SyncConfig, body: z.output<typeof importV6RecordsBody>): Promise<ImportV6Result> {
  const central = centralSite(config);
  if (!central) return { ok: false, message: 'The configuration has no central site to import as.' };
  const outcome = await acceptV6Changes(
    deps,
    config,
    central.siteId,
    body.records.map((change) => ({ change, changeId: `admin-${randomUUID()}` })),
  );
  return {
    ok: true,
    value: {
      accepted: outcome.accepted,
      ignored: outcome.ignored + outcome.servedByV5,
      refused: outcome.refused.map(({ index, reason, message }) => ({ index, tableName: body.records[index]!.tableName, recordId: body.records[index]!.recordId, reason, message })),
    },
  };
}
