/** Messages that travel on the project's own queues, validated on both ends. */
import { z } from 'zod';

/** Proves the fan-out path end to end: the consumer records when it last handled one. */
export const heartbeatMessage = z.object({
  kind: z.literal('heartbeat'),
  id: z.string().min(1),
  sentAt: z.iso.datetime(),
});

const recordKey = z.object({ tableName: z.string().min(1), recordId: z.string().min(1) });

/** Route these accepted records (their current central copies) to their destinations. */
export const routeMessage = z.object({
  kind: z.literal('route'),
  workId: z.string().min(1),
  originSiteId: z.int().min(1),
  keys: z.array(recordKey).min(1),
});

const resume = z.object({ source: z.int().min(0), after: z.string().optional(), queued: z.int().min(0), part: z.int().min(1) }).optional();

/**
 * Left by an older version, which built initial queues in the background: initialisations are
 * now served at pull time, so such a message is acknowledged and does nothing.
 */
export const initialiseMessage = z.object({
  kind: z.literal('initialise'),
  workId: z.string().min(1),
  siteId: z.int().min(1),
  resume,
});

/** Queue what a site has just become entitled to (a moved store, a new collector, new visibility). */
export const sendRecordsMessage = z.object({
  kind: z.literal('sendRecords'),
  workId: z.string().min(1),
  siteId: z.int().min(1),
  source: z.object({ index: z.enum(['byStore', 'byPatient', 'byParent']), value: z.string().min(1) }),
  resume,
});

/** Write stores' records as the configuration says and send them to their holders, old and new. */
export const storeRecordsMessage = z.object({
  kind: z.literal('storeRecords'),
  workId: z.string().min(1),
  siteIds: z.array(z.int().min(1)),
  stores: z.array(z.object({ storeId: z.string().min(1), formerHolders: z.array(z.int().min(1)) })).min(1),
});

export const fanOutMessage = z.discriminatedUnion('kind', [heartbeatMessage, routeMessage, initialiseMessage, sendRecordsMessage, storeRecordsMessage]);
export type FanOutMessage = z.infer<typeof fanOutMessage>;

/** Complete the transfer this header starts, or tell its initiating store it was numbered. */
export const transferMessage = z.object({
  kind: z.literal('transfer'),
  workId: z.string().min(1),
  originSiteId: z.int().min(1),
  header: recordKey,
});
export type TransferMessage = z.infer<typeof transferMessage>;
