/**
 * What a site pulls over sync v6: the v6 change log read for one site. This server keeps no v6
 * tables yet, so the log is empty and every pull answers "nothing more". A real log must number
 * its entries from 1 (a site that pulled the empty log holds cursor 1) and keep cursors below
 * 2^31 - 1 (the client stores them as 32-bit integers).
 */
import type { V6SyncRecord } from '../protocol/v6';

export interface V6ChangeLogPage {
  readonly records: readonly V6SyncRecord[];
  /** Entries for this site from the cursor on, this page included. */
  readonly totalRecords: number;
  /** The log's latest cursor (0 while empty): the end cursor of a page without records. */
  readonly latestCursor: number;
}

export interface V6ChangeLog {
  read(request: { siteId: number; cursor: number; limit: number; isInitialised: boolean }): Promise<V6ChangeLogPage>;
  /** One patient's records for a site fetching that patient (`patient-pull`). */
  readPatient(request: { siteId: number; cursor: number; limit: number; patientId: string }): Promise<V6ChangeLogPage>;
}

const nothing: V6ChangeLogPage = { records: [], totalRecords: 0, latestCursor: 0 };

/** The v6 change log while no v6 table is served. */
export const emptyV6ChangeLog: V6ChangeLog = {
  read: async () => nothing,
  readPatient: async () => nothing,
};
