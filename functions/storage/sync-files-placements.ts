/**
 * Where the record a file is attached to is placed: in the v6 central copy for a v6 table (an
 * `asset`), in the v5 central copy for a legacy one (a `purchase_order`), as the v6 push places a
 * `sync_file_reference` by the record it references. Undefined when neither holds the record.
 */
import type { CentralCopy } from '../domain/ports';
import type { Placement } from '../domain/sync/placement';
import type { V6Store } from '../domain/sync-v6/ports';
import { v6Table } from '../domain/sync-v6/registry';

export type FilePlacement = Placement & { readonly kept?: boolean };

export interface FileRecordPlacements {
  of(tableName: string, recordId: string): Promise<FilePlacement | undefined>;
}

export class CentralFileRecordPlacements implements FileRecordPlacements {
  constructor(
    private readonly v6Store: Pick<V6Store, 'get'>,
    private readonly legacyCopy: Pick<CentralCopy, 'get'>,
  ) {}

  async of(tableName: string, recordId: string): Promise<FilePlacement | undefined> {
    const key = { tableName, recordId };
    const found = v6Table(tableName) ? await this.v6Store.get([key]) : await this.legacyCopy.get([key]);
    const record = found.values().next().value;
    if (!record || record.action.toLowerCase() === 'delete') return undefined;
    return record.placement;
  }
}
