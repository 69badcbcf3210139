/** Messages that travel on the project's own queues, validated on both ends. */
import * as z from './zod';

const nonEmpty = () => z.string().check(z.minLength(1));
/** A site id (sites are numbered from 1). */
const siteId = () => z.int().check(z.minimum(1));

/** Proves the fan-out path end to end: the consumer records when it last handled one. */
export const heartbeatMessage = z.object({
  kind: z.literal('heartbeat'),
  id: nonEmpty(),
  sentAt: z.iso.datetime(),
});

const recordKey = z.object({ tableName: nonEmpty(), recordId: nonEmpty() });
/** `version`: stored as routed by its push, which was cut short: delivered even so. */
const routeKey = z.extend(recordKey, { version: z.optional(z.int().check(z.minimum(1))) });

/** Route these accepted records (their current central copies) to their destinations. */
export const routeMessage = z.object({
  kind: z.literal('route'),
  workId: nonEmpty(),
  originSiteId: siteId(),
  keys: z.array(routeKey).check(z.minLength(1)),
  /** Names among `keys` the push made manufacturers: their barcodes are sent again. */
  newManufacturers: z.optional(z.array(nonEmpty())),
});

const resume = z.optional(z.object({ source: z.int().check(z.minimum(0)), after: z.optional(z.string()), queued: z.int().check(z.minimum(0)), part: z.int().check(z.minimum(1)) }));

/**
 * Left by an older version, which built initial queues in the background: initialisations are
 * now served at pull time, so such a message is acknowledged and does nothing.
 */
export const initialiseMessage = z.object({
  kind: z.literal('initialise'),
  workId: nonEmpty(),
  siteId: siteId(),
  resume,
});

/** Queue what a site has just become entitled to (a moved store, a new collector, new visibility). */
export const sendRecordsMessage = z.object({
  kind: z.literal('sendRecords'),
  workId: nonEmpty(),
  siteId: siteId(),
  source: z.object({ index: z.enum(['byStore', 'byPatient', 'byParent', 'patientsVisibleIn', 'centralLog']), value: nonEmpty() }),
  resume,
});

/** Write stores' records as the configuration says and send them to their holders, old and new. */
export const storeRecordsMessage = z.object({
  kind: z.literal('storeRecords'),
  workId: nonEmpty(),
  siteIds: z.array(siteId()),
  stores: z.array(z.object({ storeId: nonEmpty(), formerHolders: z.array(siteId()) })).check(z.minLength(1)),
});

export const fanOutMessage = z.discriminatedUnion('kind', [heartbeatMessage, routeMessage, initialiseMessage, sendRecordsMessage, storeRecordsMessage]);
export type FanOutMessage = z.infer<typeof fanOutMessage>;

/** Complete the transfer this header starts, or tell its initiating store it was numbered. */
export const transferMessage = z.object({
  kind: z.literal('transfer'),
  workId: nonEmpty(),
  originSiteId: siteId(),
  header: recordKey,
});
export type TransferMessage = z.infer<typeof transferMessage>;
