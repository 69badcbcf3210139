/**
 * Typed key builders: every DynamoDB key the project writes is composed here, so a key's
 * shape is defined once and a typo is a type error, not a missing item.
 */

export const siteStateKeys = {
  /** Last time a queue consumer handled a heartbeat, per queue. */
  heartbeat: (queue: string) => ({ pk: 'system', sk: `heartbeat#${queue}` }),
} as const;

/**
 * The sync configuration, one partition per kind of item so each loads with a single query;
 * the version item guards every change (optimistic concurrency).
 */
export const configKeys = {
  version: () => ({ pk: 'config', sk: 'version' }),
  site: (siteId: number) => ({ pk: 'site', sk: String(siteId).padStart(10, '0') }),
  store: (storeId: string) => ({ pk: 'store', sk: storeId }),
  visibility: (storeId: string, nameId: string) => ({ pk: 'visibility', sk: `${storeId}#${nameId}` }),
  preferences: () => ({ pk: 'preferences', sk: 'system' }),
  /** Privileged changes, oldest first within the partition. */
  audit: (at: string, id: string) => ({ pk: 'audit', sk: `${at}#${id}` }),
} as const;

export const configPartitions = ['site', 'store', 'visibility', 'preferences'] as const;
