/**
 * The sync-files function's dependencies on a test's own resources: a bucket of its own on the
 * S3 stand-in (the SQS emulator, fauxqs, serves S3 too), the test's tables for the rest.
 */
import { S3SyncFileStore, s3 } from '../../functions/storage/sync-files';
import { CentralFileRecordPlacements } from '../../functions/storage/sync-files-placements';
import { CentralSyncFileReferences, QuarantinedSyncFileReferences } from '../../functions/storage/sync-files-references';
import type { SyncFilesDeps } from '../../functions/handlers/sync-files';
import { provisionBuckets } from '../../lib/local/provision';
import type { adaptersFor, TestResources } from './stand-ins';

export async function syncFilesDepsFor(resources: TestResources, adapters: ReturnType<typeof adaptersFor>): Promise<SyncFilesDeps & { bucket: string }> {
  if (!process.env.AWS_ENDPOINT_URL_S3) throw new Error('The jest global setup did not start the S3 stand-in');
  const { syncFiles: bucket } = await provisionBuckets(s3(), resources.prefix);
  return {
    bucket,
    configStore: adapters.configStore,
    sessions: adapters.sessions,
    files: new S3SyncFileStore(s3(), bucket),
    references: new CentralSyncFileReferences(adapters.v6Store, new QuarantinedSyncFileReferences(resources.db, resources.tables.quarantine)),
    placements: new CentralFileRecordPlacements(adapters.v6Store, adapters.centralCopy),
    now: adapters.now,
  };
}
