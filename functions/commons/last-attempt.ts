/**
 * Work that fails on the receive after which SQS moves its message to the dead-letter queue no
 * longer runs for its site: its marker is finished then, so `site_status` does not keep the site
 * waiting (its syncs would fail) for work only an operator's replay can restart. The dead-letter
 * alarm tells the operator.
 */
import type { SQSRecord } from 'aws-lambda';
import type { SiteProgress } from '../domain/ports';

export async function finishingOnLastAttempt<T>(
  progress: SiteProgress,
  siteIds: number | readonly number[],
  workId: string,
  record: SQSRecord | undefined,
  maxReceiveCount: number,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (record && Number(record.attributes.ApproximateReceiveCount) >= maxReceiveCount) {
      for (const siteId of typeof siteIds === 'number' ? [siteIds] : siteIds) await progress.finish(siteId, workId);
    }
    throw error;
  }
}
