/**
 * PUT /central/sync/upload_file and POST /central/sync/download_file: files attached to records
 * (a `sync_file_reference` names the file's table, record and name), uploaded by the site that
 * holds the record and downloaded by the sites entitled to it. Authenticated from the v5 settings
 * in the request, with the v5 checks, like the other v6 routes. docs/sync-files.md.
 *
 * Answers as the client parses them: an upload `{"data": null}` or `{"error": <variant>}`; a
 * download the file's bytes, or a non-2xx status whose body is the bare variant.
 */
import { adapters, systemClock } from '../commons/adapters';
import { dynamoDb } from '../commons/clients';
import { tableName } from '../commons/environment';
import { httpHandler, json, type HttpEvent, type HttpResult } from '../commons/http';
import { lazyHandler } from '../commons/lazy-handler';
import { logger, metrics } from '../commons/observability';
import { createSiteCredentialChecker, credentialsFromSettings, type SiteAuthDeps, type SiteCaller } from '../commons/site-auth';
import { mayDownloadSyncFile, recordHolders } from '../domain/sync/sync-file-access';
import { MAX_SYNC_FILE_BYTES, checkedStorageKey, downloadFileRequest, fileTooLarge, inlineDisposition, parseUploadBody } from '../protocol/sync-files';
import { parseJsonBody } from '../protocol/v5';
import { badRequest, checkV5SyncVersion, checkV6Version, fromSiteRefusal, parseV6Request, type SyncV5Settings, type V6Error, type V6Refusal } from '../protocol/v6';
import { S3SyncFileStore, bucketName, s3, type SyncFileStore } from '../storage/sync-files';
import { CentralFileRecordPlacements, type FileRecordPlacements } from '../storage/sync-files-placements';
import { CentralSyncFileReferences, QuarantinedSyncFileReferences, type SyncFileReferences } from '../storage/sync-files-references';
import { DynamoV6Store } from '../storage/v6-store';

export interface SyncFilesDeps extends SiteAuthDeps {
  readonly files: SyncFileStore;
  readonly references: SyncFileReferences;
  /** Where a file's record is placed, to know which sites may hold it. */
  readonly placements: FileRecordPlacements;
}

class Refused extends Error {
  constructor(readonly refusal: V6Refusal) {
    super('refused');
  }
}

const refuse = (refusal: V6Refusal | undefined) => {
  if (refusal) throw new Refused(refusal);
};

const UPLOAD = 'PUT /central/sync/upload_file';
const DOWNLOAD = 'POST /central/sync/download_file';

export function createSyncFilesHandler(deps: SyncFilesDeps) {
  const checkSite = createSiteCredentialChecker(deps);

  /** Version checks then the site's credentials, in the order the Open mSupply central makes them. */
  async function authenticate(settings: SyncV5Settings, syncV6Version: number, route: string, event: HttpEvent): Promise<SiteCaller> {
    refuse(checkV6Version(syncV6Version));
    refuse(checkV5SyncVersion(settings));
    const checked = await checkSite(credentialsFromSettings(settings, event), route);
    if (!checked.ok) throw new Refused(fromSiteRefusal(checked.error, checked.headers));
    return checked.caller;
  }

  async function upload(event: HttpEvent): Promise<HttpResult> {
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    const parsed = await parseUploadBody(event.headers?.['content-type'], body);
    if (!parsed.ok) throw new Refused(parsed.refusal);
    const { request, file } = parsed.value;
    const caller = await authenticate(request.sync_v5_settings, request.sync_v6_version, UPLOAD, event);
    if (file.bytes.length > MAX_SYNC_FILE_BYTES) throw new Refused(fileTooLarge(request.file_id, file.name, file.bytes.length));

    const reference = await deps.references.forUpload(caller.site.siteId, caller.config, request.file_id);
    // The client waits a minute and tries again: its reference may not have been pushed yet.
    if (!reference) throw new Refused({ status: 404, error: { syncFileNotFound: request.file_id } });
    const key = checkedStorageKey({ tableName: reference.table_name, recordId: reference.record_id, fileId: request.file_id });
    if (!key.ok) throw new Refused(key.refusal);
    const outcome = await deps.files.put({
      key: key.key,
      name: reference.file_name || file.name,
      ...(reference.mime_type ? { mimeType: reference.mime_type } : {}),
      uploadedBySiteId: caller.site.siteId,
      bytes: file.bytes,
    });
    metrics.addMetric(outcome === 'stored' ? 'SyncFilesStored' : 'SyncFilesUnchanged', 'Count', 1);
    return json(200, { data: null });
  }

  async function download(event: HttpEvent): Promise<HttpResult> {
    const body = parseJsonBody(event.body, event.isBase64Encoded);
    if (!body.ok) throw new Refused(badRequest(body.error.message, body.error.status));
    const parsed = parseV6Request(downloadFileRequest, body.value);
    if (!parsed.ok) throw new Refused(parsed.refusal);
    const request = parsed.value;
    const caller = await authenticate(request.syncV5Settings, request.syncV6Version, DOWNLOAD, event);
    const address = { tableName: request.tableName, recordId: request.recordId, fileId: request.id };
    const key = checkedStorageKey(address);
    if (!key.ok) throw new Refused(key.refusal);

    const notFound: V6Refusal = { status: 404, error: { syncFileNotFound: request.id } };
    const head = await deps.files.head(key.key);
    if (!head) throw new Refused(notFound);
    if (head.uploadedBySiteId !== caller.site.siteId) {
      const placement = await deps.placements.of(request.tableName, request.recordId);
      const holders = recordHolders(request.tableName, placement, caller.config);
      const decision = mayDownloadSyncFile(caller.site.siteId, head, holders, request);
      if (!decision.allowed) {
        throw new Refused({ status: 403, error: { otherServerError: `Site "${caller.site.name}" may not download sync file ${request.id}: ${decision.reason}.` } });
      }
    }
    const file = await deps.files.get(key.key);
    if (!file) throw new Refused(notFound);
    metrics.addMetric('SyncFilesSent', 'Count', 1);
    return {
      statusCode: 200,
      headers: { 'content-type': file.mimeType ?? 'application/octet-stream', 'content-disposition': inlineDisposition(file.name) },
      body: file.bytes.toString('base64'),
      isBase64Encoded: true,
    };
  }

  // errorBody: a body refused before the route reads it (not gzip, a decompression bomb), bare on a download, wrapped on an upload.
  return httpHandler(async (event: HttpEvent) => {
    const isDownload = event.routeKey === DOWNLOAD;
    // A download's error body is the bare variant; an upload's is wrapped in `error`.
    const answer = (status: number, error: V6Error, headers: Record<string, string> = {}) => json(status, isDownload ? error : { error }, headers);
    try {
      if (event.routeKey === UPLOAD) return await upload(event);
      if (isDownload) return await download(event);
      return answer(404, { otherServerError: `No sync files route ${event.routeKey}.` });
    } catch (error) {
      if (error instanceof Refused) {
        logger.info('sync file request refused', { route: event.routeKey, status: error.refusal.status });
        return answer(error.refusal.status, error.refusal.error, { ...error.refusal.headers });
      }
      logger.error('unexpected error', { error: error as Error });
      metrics.addMetric('UnexpectedErrors', 'Count', 1);
      return answer(500, { otherServerError: 'The server could not complete the request; it has been logged.' });
    }
  }, { errorBody: ({ message }, event) => (event.routeKey === DOWNLOAD ? { otherServerError: message } : { error: { otherServerError: message } }) });
}

function productionDeps(): SyncFilesDeps {
  const v6Store = new DynamoV6Store(dynamoDb(), tableName('v6Sync'));
  return {
    configStore: adapters.configStore,
    sessions: adapters.sessions,
    files: new S3SyncFileStore(s3(), bucketName('syncFiles')),
    references: new CentralSyncFileReferences(v6Store, new QuarantinedSyncFileReferences(dynamoDb(), tableName('quarantine'))),
    placements: new CentralFileRecordPlacements(v6Store, adapters.centralCopy),
    now: systemClock,
  };
}

export const handler = lazyHandler(() => createSyncFilesHandler(productionDeps()));
