/**
 * A compressed copy of the whole configuration as of one version, so a function with nothing
 * cached reads a few large items and the change entries since, instead of every item.
 *
 * A snapshot is written as chunks under its own version and a writing id of its own (items nobody
 * reads yet, and never another writing's), then published by a pointer item naming them, the
 * chunk count and the digest of the compressed bytes.
 * A writer that stops between chunks leaves only unread chunks; a reader that finds a chunk
 * missing or a digest wrong ignores the snapshot and loads in full. The pointer only moves
 * forward; the snapshot before it is kept (a reader may be reading it), the one before that deleted.
 *
 * Snapshots are written in the background (functions/handlers/snapshot-config.ts). A writer first
 * claims the work on the pointer item (`claim`: who, until when), so two writers rarely compress
 * the same configuration at once; correctness never rests on the claim (a newer pointer always
 * wins), and a claim left by a writer that died lapses at its time.
 */
import { createHash, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants as zlib } from 'node:zlib';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SyncConfig } from '../domain/config/model';
import { batchGetItems } from './batch-get';
import { configKeys } from './keys';
import { batchWriteAll } from './batch-write';

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);

/** Bytes of compressed configuration per item (DynamoDB takes 400 KB, names and keys included). */
const CHUNK_BYTES = 350_000;
/** Chunks per BatchWriteItem: 8 × 350 KB stays well under its 16 MB. */
const CHUNKS_PER_WRITE = 8;
/** Bumped when the encoded form changes: a snapshot of another format is ignored. */
export const SNAPSHOT_FORMAT = 1;
/** Brotli at a middle quality: about as fast as gzip, a third smaller on configurations. */
const QUALITY = 5;

/** Where a snapshot's chunks are. */
interface SnapshotPlace {
  readonly version: number;
  readonly id: string;
  readonly chunks: number;
}

export interface SnapshotPointer extends SnapshotPlace {
  readonly sha256: string;
  readonly format: number;
  readonly bytes: number;
  readonly at: string;
  /** The snapshot this one replaced, kept for readers still reading it. */
  readonly previous?: SnapshotPlace;
}

export interface WrittenSnapshot {
  readonly version: number;
  readonly chunks: number;
  readonly bytes: number;
  /** False when a newer snapshot was published first (this one's chunks are deleted). */
  readonly published: boolean;
}

export class ConfigSnapshots {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
    /** Smaller only to test snapshots of many chunks. */
    private readonly chunkBytes = CHUNK_BYTES,
  ) {}

  /** The published pointer, if any. */
  async pointer(): Promise<SnapshotPointer | undefined> {
    const response = await this.db.send(new GetCommand({ TableName: this.tableName, Key: configKeys.snapshotPointer(), ConsistentRead: true }));
    const item = response.Item;
    if (!item || typeof item.version !== 'number' || typeof item.id !== 'string' || typeof item.chunks !== 'number' || typeof item.sha256 !== 'string') return undefined;
    return item as unknown as SnapshotPointer;
  }

  /**
   * Claims the writing of a snapshot for `holder` until `untilMs` (epoch ms): false while another
   * writer's claim has not lapsed. The claim lives on the pointer item and goes with the next
   * publication (which replaces the item).
   */
  async claim(holder: string, untilMs: number): Promise<boolean> {
    return this.updatePointer('SET #claim = :claim', 'attribute_not_exists(#claim) OR #claim.#until < :now', {
      ':claim': { by: holder, until: untilMs },
      ':now': this.now().getTime(),
    });
  }

  /** Gives up `holder`'s claim, if it still holds one (a publication has already removed it). */
  async release(holder: string): Promise<void> {
    await this.updatePointer('REMOVE #claim', '#claim.#by = :by', { ':by': holder });
  }

  /** A conditional update of the pointer item's claim; false when the condition failed. */
  private async updatePointer(update: string, condition: string, values: Record<string, unknown>): Promise<boolean> {
    const names = { '#claim': 'claim', '#until': 'until', '#by': 'by' };
    // DynamoDB refuses a name the expressions do not use.
    const used = Object.fromEntries(Object.entries(names).filter(([name]) => `${update} ${condition}`.includes(name)));
    try {
      await this.db.send(
        new UpdateCommand({ TableName: this.tableName, Key: configKeys.snapshotPointer(), UpdateExpression: update, ConditionExpression: condition, ExpressionAttributeNames: used, ExpressionAttributeValues: values }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * The published snapshot's configuration, or undefined when there is none, it is of another
   * format, or it cannot be read whole (a chunk missing: it was replaced meanwhile).
   */
  async read(): Promise<SyncConfig | undefined> {
    const pointer = await this.pointer();
    if (!pointer || pointer.format !== SNAPSHOT_FORMAT) return undefined;
    const keys = chunkKeys(pointer);
    const items = await batchGetItems(this.db, this.tableName, keys, 'the configuration snapshot');
    const byIndex = new Map(items.map((item) => [item.sk as string, item.data as Uint8Array | undefined]));
    const parts = keys.map((key) => byIndex.get(key.sk));
    if (parts.some((part) => part === undefined)) return undefined;
    const compressed = Buffer.concat(parts as Uint8Array[]);
    if (createHash('sha256').update(compressed).digest('hex') !== pointer.sha256) return undefined;
    const config = JSON.parse((await decompress(compressed)).toString('utf8')) as SyncConfig;
    return config.version === pointer.version ? config : undefined;
  }

  /**
   * Writes `config` (a whole committed version, as a full load would read it) as chunks, then
   * publishes it unless a snapshot as new or newer is already published.
   */
  async write(config: SyncConfig): Promise<WrittenSnapshot> {
    const compressed = await compress(Buffer.from(JSON.stringify(config), 'utf8'), {
      params: { [zlib.BROTLI_PARAM_QUALITY]: QUALITY, [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT },
    });
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < compressed.length; offset += this.chunkBytes) chunks.push(compressed.subarray(offset, offset + this.chunkBytes));
    const place: SnapshotPlace = { version: config.version, id: randomUUID(), chunks: chunks.length };
    await this.writeChunks(chunks.map((data, index) => ({ ...configKeys.snapshotChunk(place.version, place.id, index), data })));
    const written = { version: place.version, chunks: chunks.length, bytes: compressed.length };
    const pointer: SnapshotPointer = { ...place, bytes: compressed.length, sha256: createHash('sha256').update(compressed).digest('hex'), format: SNAPSHOT_FORMAT, at: this.now().toISOString() };
    for (;;) {
      const current = await this.pointer();
      if (current && current.version >= place.version) {
        await this.deleteChunks(place);
        return { ...written, published: false };
      }
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...configKeys.snapshotPointer(), ...pointer, ...(current ? { previous: { version: current.version, id: current.id, chunks: current.chunks } } : {}) },
            // Published only over the pointer read: the pointer never moves back. (Before the first
            // publication the item may exist holding only a writer's claim.)
            ConditionExpression: current ? 'version = :read' : 'attribute_not_exists(version)',
            ...(current ? { ExpressionAttributeValues: { ':read': current.version } } : {}),
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) continue;
        throw error;
      }
      if (current?.previous) await this.deleteChunks(current.previous);
      return { ...written, published: true };
    }
  }

  private async writeChunks(items: ReadonlyArray<Record<string, unknown>>): Promise<void> {
    await batchWriteAll(this.db, this.tableName, items.map((Item) => ({ PutRequest: { Item } })), { perRequest: CHUNKS_PER_WRITE, concurrency: 2 });
  }

  private async deleteChunks(place: SnapshotPlace): Promise<void> {
    await batchWriteAll(this.db, this.tableName, chunkKeys(place).map((Key) => ({ DeleteRequest: { Key } })), { concurrency: 2 });
  }
}

const chunkKeys = ({ version, id, chunks }: SnapshotPlace) => Array.from({ length: chunks }, (_, index) => configKeys.snapshotChunk(version, id, index));
