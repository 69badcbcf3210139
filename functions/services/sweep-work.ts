/**
 * The sweeper: sends again every piece of unfinished background work that is due (its message
 * never left, or was lost with its queue), read from the markers that hold it. Runs on a schedule
 * in the stack and on a timer locally, and at local start-up for everything (the local queues
 * live in memory, so a restart loses every message). Consumers are idempotent, so a resend of
 * work whose message was only slow costs a repeat, never a duplicate.
 */
import { distinctWork, FAILED_RESEND_DELAY_MS, REDELIVERY_GRACE_MS } from '../domain/sync/background-work';
import type { BackgroundWork, SiteProgress, WorkQueue } from '../domain/ports';

export interface SweepDeps {
  readonly progress: SiteProgress;
  readonly work: WorkQueue;
  readonly now: () => Date;
}

export interface SweepOptions {
  /** Resend every unfinished piece of work, due or not (the queues were emptied). @default false */
  readonly everything?: boolean;
  /** Markers read per index shard and round. @default 100 */
  readonly limitPerShard?: number;
  /** Stop starting new rounds once this returns true (time nearly up). */
  readonly shouldStop?: () => boolean;
  /** Told of each piece of work whose resend failed. */
  readonly onFailure?: (work: BackgroundWork, error: unknown) => void;
}

export interface SweepOutcome {
  readonly resent: number;
  /** Work whose resend failed: it is tried again later. */
  readonly failed: number;
  /** Due work is left for the next sweep. */
  readonly more: boolean;
}

export async function sweepWork(deps: SweepDeps, options: SweepOptions = {}): Promise<SweepOutcome> {
  const limitPerShard = options.limitPerShard ?? 100;
  // A resent marker is due again a redelivery grace after its resend, past `dueBy` even when
  // sweeping everything: each round reads markers not yet resent, and the sweep ends.
  const start = deps.now().getTime();
  const dueBy = options.everything ? start + REDELIVERY_GRACE_MS - 1 : start;
  let resent = 0;
  let failed = 0;
  for (;;) {
    const due = await deps.progress.dueWork({ dueBy, limitPerShard });
    if (due.length === 0) return { resent, failed, more: false };
    const sent = new Set<string>();
    for (const { work } of distinctWork(due)) {
      try {
        await deps.work.send(work);
        sent.add(work.workId);
      } catch (error) {
        failed++;
        options.onFailure?.(work, error);
      }
    }
    const retryAt = deps.now().getTime() + FAILED_RESEND_DELAY_MS;
    for (const { siteId, work } of due) {
      if (sent.has(work.workId)) await deps.progress.sent(siteId, work.workId);
      else await deps.progress.postpone(siteId, work.workId, Math.max(retryAt, dueBy + 1));
    }
    resent += sent.size;
    if (options.shouldStop?.()) return { resent, failed, more: true };
  }
}
