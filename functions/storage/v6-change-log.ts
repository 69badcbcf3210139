/**
 * What a site pulls over sync v6: pages of the v6 change log read for one site
 * (`functions/services/v6-pull.ts` implements it on the v6 store). Cursors number entries from
 * 1 (a site that pulled the empty log holds cursor 1) and stay below 2^31 - 1 (the client stores
 * them as 32-bit integers).
 */
import type { SyncConfig } from '../domain/config/model';
import type { V6SyncRecord } from '../protocol/v6';

export interface V6ChangeLogPage {
  readonly records: readonly V6SyncRecord[];
  /** Entries for this site found from the cursor on, this page included (a lower bound while more follow). */
  readonly totalRecords: number;
  /** The cursor the site has read up to: every entry for it at or below it is in this page or an earlier one. */
  readonly endCursor: number;
  /** Nothing more for the site up to the committed end of the log. */
  readonly isLast: boolean;
}

export interface V6PullRequest {
  readonly config: SyncConfig;
  readonly siteId: number;
  readonly cursor: number;
  readonly limit: number;
}

export interface V6ChangeLog {
  read(request: V6PullRequest & { isInitialised: boolean }): Promise<V6ChangeLogPage>;
  /** One patient's records for a site fetching that patient (`patient-pull`). */
  readPatient(request: V6PullRequest & { patientId: string }): Promise<V6ChangeLogPage>;
}

const nothing: V6ChangeLogPage = { records: [], totalRecords: 0, endCursor: 0, isLast: true };

/** A v6 change log with nothing in it. */
export const emptyV6ChangeLog: V6ChangeLog = {
  read: async () => nothing,
  readPatient: async () => nothing,
};
