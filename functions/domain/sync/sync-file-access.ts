/**
 * Which site may upload and download which sync file. A file is attached to a record (the
 * `sync_file_reference`'s table and record id); a site may hold the file exactly when it may hold
 * that record. Pure: decided from the record's placement and the configuration, with the same
 * routing rules that decide where the record itself goes (docs/sync-files.md).
 */
import type { SyncConfig } from '../config/model';
import type { Placement } from './placement';
import { destinations } from './routing';

/** Who may hold a record: every site (central data), some sites, or not known to this server. */
export type RecordHolders = { readonly kind: 'everySite' } | { readonly kind: 'sites'; readonly siteIds: readonly number[] } | { readonly kind: 'unknown' };

/**
 * The holders of a record from its placement in the central copy (v5) or the v6 central copy;
 * undefined: neither holds it. A record the central server keeps but sends nowhere has none.
 */
export function recordHolders(tableName: string, placement: (Placement & { readonly kept?: boolean }) | undefined, config: SyncConfig): RecordHolders {
  if (!placement) return { kind: 'unknown' };
  if (placement.kept) return { kind: 'sites', siteIds: [] };
  const routed = destinations(tableName, placement, config);
  return routed.changeLog ? { kind: 'everySite' } : { kind: 'sites', siteIds: routed.siteIds };
}

export interface StoredFileOwner {
  /** The site that uploaded the file: the one that pushed its reference and holds the record. */
  readonly uploadedBySiteId: number;
}

export type DownloadDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/**
 * A site may download a file it uploaded, or a file of a record it is entitled to hold. A record
 * this server does not hold has no known holders: only the site that uploaded the file may read
 * it back.
 */
export function mayDownloadSyncFile(siteId: number, file: StoredFileOwner, holders: RecordHolders, record: { tableName: string; recordId: string }): DownloadDecision {
  if (file.uploadedBySiteId === siteId) return { allowed: true };
  if (holders.kind === 'everySite') return { allowed: true };
  if (holders.kind === 'sites' && holders.siteIds.includes(siteId)) return { allowed: true };
  const why =
    holders.kind === 'unknown'
      ? `this central server does not hold ${record.tableName} ${record.recordId}, so only the site that uploaded the file may download it`
      : `site ${siteId} is not entitled to hold ${record.tableName} ${record.recordId} (it goes to ${holders.siteIds.length === 0 ? 'no remote site' : `site ${holders.siteIds.join(', ')}`})`;
  return { allowed: false, reason: why };
}
