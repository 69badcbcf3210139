/**
 * Typed key builders: every DynamoDB key the project writes is composed here, so a key's
 * shape is defined once and a typo is a type error, not a missing item.
 */

export const siteStateKeys = {
  /** Last time a queue consumer handled a heartbeat, per queue. */
  heartbeat: (queue: string) => ({ pk: 'system', sk: `heartbeat#${queue}` }),
} as const;
