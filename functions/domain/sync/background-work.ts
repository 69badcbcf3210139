/**
 * When queued background work counts as possibly lost. Work is marked (with a copy of it) before
 * its message is sent and unmarked when done; these say when a marker left behind is sent again.
 */

/** A marker not recorded as sent this long after it was written belongs to a failed or dead request. */
export const UNSENT_GRACE_MS = 10_000;

/**
 * A queue retries a message for up to 5 receives × 180 s visibility before its dead-letter queue
 * takes it (and the marker is finished then): a marker still there well after that lost its message.
 */
export const REDELIVERY_GRACE_MS = 20 * 60_000;

/** A resend that failed is tried again this much later, so one bad piece of work never holds up a sweep. */
export const FAILED_RESEND_DELAY_MS = 5 * 60_000;

/** One resend per work item, however many sites' markers hold it (configuration work shows on several). */
export function distinctWork<T extends { readonly work: { readonly workId: string } }>(pending: readonly T[]): T[] {
  return [...new Map(pending.map((item) => [item.work.workId, item])).values()];
}
