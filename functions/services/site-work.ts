/** Background work queued on behalf of a site, counted by `site_status` until its consumer finishes it. */
import type { BackgroundWork, SiteProgress, WorkQueue } from '../domain/ports';

/** The marker first: `site_status` must never say idle while the work is on its way. */
export async function queueSiteWork(deps: { readonly progress: SiteProgress; readonly work: WorkQueue }, siteId: number, work: BackgroundWork) {
  await deps.progress.begin(siteId, work.workId);
  await deps.work.send(work);
}

/** Work on behalf of several sites (a configuration change): each shows it until it is done. */
export async function queueWorkForSites(deps: { readonly progress: SiteProgress; readonly work: WorkQueue }, siteIds: readonly number[], work: BackgroundWork) {
  for (const siteId of siteIds) await deps.progress.begin(siteId, work.workId);
  await deps.work.send(work);
}
