/**
 * Sync files in S3: one object per file at `sync_files/<table>/<record>/<file id>` (see
 * `storageKey`), with the uploading site, the file name and a SHA-256 of the bytes as metadata.
 * The bucket is versioned: a different file uploaded again under the same id keeps the previous
 * one as an older version; the same bytes again write nothing. Locally `AWS_ENDPOINT_URL_S3`
 * points the unchanged client at the stand-in (path-style addressing there, as emulators need).
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { bucketEnvVar, type BucketName } from '../../lib/resources';

let client: S3Client | undefined;

/** One client per execution environment; path-style only when an endpoint is overridden (local). */
export function s3(): S3Client {
  client ??= new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
  return client;
}

export function bucketName(bucket: BucketName): string {
  const value = process.env[bucketEnvVar(bucket)];
  if (!value) throw new Error(`Environment variable ${bucketEnvVar(bucket)} is not set`);
  return value;
}

export interface StoredSyncFile {
  readonly key: string;
  readonly name: string;
  readonly mimeType?: string;
  readonly uploadedBySiteId: number;
  readonly sha256: string;
  readonly bytes: Buffer;
}

export interface SyncFileHead {
  readonly uploadedBySiteId: number;
  readonly sha256: string;
  readonly size: number;
}

/** Where files are kept (S3 in AWS and locally; the handler sees only this). */
export interface SyncFileStore {
  head(key: string): Promise<SyncFileHead | undefined>;
  /** Writes the file unless the same bytes are already there; says which. */
  put(file: Omit<StoredSyncFile, 'sha256'>): Promise<'stored' | 'unchanged'>;
  get(key: string): Promise<StoredSyncFile | undefined>;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const isMissing = (error: unknown) =>
  error instanceof S3ServiceException && (error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404);

export class S3SyncFileStore implements SyncFileStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async head(key: string): Promise<SyncFileHead | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { uploadedBySiteId: Number(head.Metadata?.['uploaded-by-site']), sha256: head.Metadata?.sha256 ?? '', size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async put(file: Omit<StoredSyncFile, 'sha256'>): Promise<'stored' | 'unchanged'> {
    const digest = sha256(file.bytes);
    const existing = await this.head(file.key);
    if (existing && existing.sha256 === digest && existing.uploadedBySiteId === file.uploadedBySiteId) return 'unchanged';
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: file.key,
        Body: file.bytes,
        ContentType: file.mimeType || 'application/octet-stream',
        ChecksumSHA256: createHash('sha256').update(file.bytes).digest('base64'),
        // Metadata travels as HTTP headers: ASCII only, so the name is URI-encoded.
        Metadata: { 'uploaded-by-site': String(file.uploadedBySiteId), 'file-name': encodeURIComponent(file.name), sha256: digest },
      }),
    );
    return 'stored';
  }

  async get(key: string): Promise<StoredSyncFile | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const bytes = Buffer.from(await object.Body!.transformToByteArray());
      const metadata = object.Metadata ?? {};
      return {
        key,
        name: safeDecode(metadata['file-name'] ?? ''),
        ...(object.ContentType ? { mimeType: object.ContentType } : {}),
        uploadedBySiteId: Number(metadata['uploaded-by-site']),
        sha256: metadata.sha256 ?? sha256(bytes),
        bytes,
      };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
