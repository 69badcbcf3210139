/**
 * Typed keys of the outgoing queue (syncOut), the central change log and the per-site queue
 * counters. One place composes them; adapters never build key strings by hand.
 */

export const syncOutKeys = {
  site: (siteId: number) => `site#${siteId}`,
  /** One entry per (site, record): routing a record again replaces its waiting entry. */
  entry: (siteId: number, tableName: string, recordId: string) => ({
    site: syncOutKeys.site(siteId),
    entry: `rec#${tableName}#${recordId}`,
  }),
} as const;

export const queueCounterKey = (siteId: number) => ({ pk: `site#${siteId}`, sk: 'queue' });

export const changeLogKeys = {
  /** Every entry lives in one partition, ordered by cursor. */
  entry: (cursor: number) => ({ pk: 'log', sk: cursor }),
  /** Where a central record's single entry currently is. */
  pointer: (tableName: string, recordId: string) => ({ pk: `rec#${tableName}#${recordId}`, sk: 0 }),
  /** The highest committed cursor. */
  meta: () => ({ pk: 'meta', sk: 0 }),
} as const;
