/** Background work queued on behalf of a site, counted by `site_status` until its consumer finishes it. */
import { UNSENT_GRACE_MS } from '../domain/sync/background-work';
import type { BackgroundWork, SiteProgress, WorkQueue } from '../domain/ports';
import { logger, metrics } from '../commons/observability';

export { UNSENT_GRACE_MS };

/**
 * The marker first: `site_status` must never say idle while the work is on its way. It holds the
 * work until the work is done, so a send that fails or never happens, or a message lost with its
 * queue, is made again later (`resendUnsentWork` here, the sweeper in sweep-work.ts). Once the
 * marker is written the work is durable: a failed send is left to those (false is returned), and
 * the request that queued it still succeeds.
 */
export async function queueSiteWork(deps: { readonly progress: SiteProgress; readonly work: WorkQueue }, siteId: number, work: BackgroundWork): Promise<boolean> {
  await deps.progress.begin(siteId, work.workId, work);
  return sendMarkedWork(deps, siteId, work);
}

/** Sends work whose marker is written; false when the send failed (the marker has it resent). */
export async function sendMarkedWork(deps: { readonly progress: SiteProgress; readonly work: WorkQueue }, siteId: number, work: BackgroundWork): Promise<boolean> {
  if (!(await sendDurableWork(deps.work, work))) return false;
  await deps.progress.sent(siteId, work.workId);
  return true;
}

/** Sends work already held by its markers; a failure only delays it (it is resent from them). */
async function sendDurableWork(queue: WorkQueue, work: BackgroundWork): Promise<boolean> {
  try {
    await queue.send(work);
    return true;
  } catch (error) {
    logger.warn('work marked but not sent; it is sent again from its marker', { kind: work.kind, workId: work.workId, error: error instanceof Error ? error.message : String(error) });
    metrics.addMetric('WorkSendFailed', 'Count', 1);
    return false;
  }
}

/** Sends again the site's work whose message never left; safe to repeat (consumers are idempotent). */
export async function resendUnsentWork(deps: { readonly progress: SiteProgress; readonly work: WorkQueue }, siteId: number): Promise<number> {
  const unsent = await deps.progress.unsentWork(siteId, UNSENT_GRACE_MS);
  for (const work of unsent) {
    await deps.work.send(work);
    await deps.progress.sent(siteId, work.workId);
  }
  return unsent.length;
}

/** Work on behalf of several sites (a configuration change): each shows it until it is done. */
export async function queueWorkForSites(deps: { readonly progress: SiteProgress; readonly work: WorkQueue }, siteIds: readonly number[], work: BackgroundWork): Promise<boolean> {
  for (const siteId of siteIds) await deps.progress.begin(siteId, work.workId, work);
  if (!(await sendDurableWork(deps.work, work))) return false;
  for (const siteId of siteIds) await deps.progress.sent(siteId, work.workId);
  return true;
}
