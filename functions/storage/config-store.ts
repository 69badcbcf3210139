/**
 * The sync configuration in the `config` table. A change loads the whole configuration (it is
 * small), applies a pure operation, and writes only the items that changed in one transaction
 * guarded by the version item, together with its audit entry: nothing is ever half-applied,
 * and a concurrent change makes the loser retry on fresh data.
 */
import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { configFromFile } from '../domain/config/config-file';
import { generatePassword, hashGeneratedPassword, hashPassword, hashPasswordAsync } from '../domain/config/credentials';
import { emptyConfig, type Preferences, type Site, type Store, type SyncConfig, type User } from '../domain/config/model';
import { refuse, type AuditEntry, type OperationResult } from '../domain/config/operations';
import { configFileSchema } from '../protocol/admin';
import { configKeys, configPartitions } from './keys';
import { forEachChunk } from './parallel-chunks';

type Item = Record<string, unknown> & { pk: string; sk: string };

export interface AuditRecord extends AuditEntry {
  readonly at: string;
  readonly actor: string;
}

/** Operations are pure: `(config) => result`. */
export type ConfigOperation = (config: SyncConfig) => OperationResult;

export type CommittedResult = OperationResult & { readonly auditRecord?: AuditRecord };

const MAX_TRANSACTION_ITEMS = 100;
/** Batch writes in flight at once during an import. */
const IMPORT_WRITE_CONCURRENCY = 8;
const ATTEMPTS = 6;

export class ConfigStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private cached: SyncConfig | undefined;

  /**
   * The current configuration, reloaded only when its version moved: one read per call instead
   * of one per partition, for routes that run on every sync call.
   */
  async current(): Promise<SyncConfig> {
    const cached = this.cached;
    if (cached && cached.version === (await this.version())) return cached;
    this.cached = await this.load();
    return this.cached;
  }

  /** The whole configuration, as of one committed version. */
  async load(): Promise<SyncConfig> {
    for (let attempt = 0; ; attempt++) {
      const before = await this.version();
      const partitions = await Promise.all(configPartitions.map((pk) => this.query(pk)));
      if ((await this.version()) === before || attempt >= ATTEMPTS) return fromItems(before, partitions.flat());
    }
  }

  /** Applies a pure operation and commits its result with its audit entry, or refuses. */
  async apply(operation: ConfigOperation, actor: string): Promise<CommittedResult> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = await this.load();
      const result = operation(current);
      if (!result.ok) return result;
      const writes = diff(toItems(current), toItems(result.config));
      if (writes.length === 0 && !result.audit) return { ...result, config: current };
      const auditRecord = result.audit ? { ...result.audit, at: this.now().toISOString(), actor } : undefined;
      if (writes.length + (auditRecord ? 2 : 1) > MAX_TRANSACTION_ITEMS)
        return refuse(422, 'change_too_large', `This change touches ${writes.length} configuration items; at most ${MAX_TRANSACTION_ITEMS - 2} change at once.`);
      const version = current.version + 1;
      try {
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              this.versionPut(current.version),
              ...writes.map((write) =>
                write.put ? { Put: { TableName: this.tableName, Item: write.put } } : { Delete: { TableName: this.tableName, Key: write.delete } },
              ),
              ...(auditRecord
                ? [{ Put: { TableName: this.tableName, Item: { ...configKeys.audit(auditRecord.at, randomUUID()), ...auditRecord } } }]
                : []),
            ],
          }),
        );
      } catch (error) {
        if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') {
          // Another change committed first: back off a little so concurrent writers spread out.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** attempt));
          continue;
        }
        throw error;
      }
      return { ...result, config: { ...result.config, version }, ...(auditRecord ? { auditRecord } : {}) };
    }
    return refuse(409, 'concurrent_change', 'The configuration kept changing while this change was applied; try again.');
  }

  /**
   * Loads a whole configuration into an empty system (import). Refused unless the system is
   * empty; the version item is written last, so a configuration is only ever seen complete.
   */
  async importInto(config: SyncConfig, actor: string): Promise<CommittedResult> {
    const current = await this.load();
    if (current.version !== 0 || Object.keys(current.sites).length > 0)
      return refuse(409, 'not_empty', 'The configuration is not empty; import only loads into an empty system.');
    const items = toItems(config);
    const auditRecord: AuditRecord = {
      action: 'config.import',
      target: 'config',
      details: { sites: Object.keys(config.sites).length, stores: Object.keys(config.stores).length },
      at: this.now().toISOString(),
      actor,
    };
    const rest = [...items.values(), { ...configKeys.audit(auditRecord.at, randomUUID()), ...auditRecord }];
    await this.putAll(rest);
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: [this.versionPut(0)] }));
    } catch (error) {
      if (error instanceof TransactionCanceledException) return refuse(409, 'not_empty', 'Another change was committed during the import.');
      throw error;
    }
    return { ok: true, config: { ...config, version: 1 }, audit: auditRecord, auditRecord };
  }

  /** Privileged changes, newest first. */
  async audit(limit = 100): Promise<AuditRecord[]> {
    const response = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'audit' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (response.Items ?? []).map(({ at, actor, action, target, details }) => ({ at, actor, action, target, details }) as AuditRecord);
  }

  private versionPut(expected: number) {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...configKeys.version(), version: expected + 1 },
        ...(expected === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expected } }),
      },
    };
  }

  private async version(): Promise<number> {
    const response = await this.db.send(new GetCommand({ TableName: this.tableName, Key: configKeys.version(), ConsistentRead: true }));
    return (response.Item?.version as number | undefined) ?? 0;
  }

  /** Plain batch writes, several at once: for items no reader sees before the version moves. */
  private async putAll(items: readonly Item[]): Promise<void> {
    await forEachChunk(items, 25, IMPORT_WRITE_CONCURRENCY, async (chunk) => {
      let requests = chunk.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** Math.min(attempt, 6)));
        const response = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (response.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    });
  }

  private async query(pk: string): Promise<Item[]> {
    const items: Item[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const response = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      items.push(...((response.Items ?? []) as Item[]));
      ExclusiveStartKey = response.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }
}

// --- item mapping ----------------------------------------------------------------------------

function toItems(config: SyncConfig): Map<string, Item> {
  const items = new Map<string, Item>();
  const add = (item: Item) => items.set(`${item.pk}\u0000${item.sk}`, item);
  for (const site of Object.values(config.sites)) add({ ...configKeys.site(site.siteId), ...site });
  for (const store of Object.values(config.stores)) add({ ...configKeys.store(store.id), ...store, collectorSiteIds: [...store.collectorSiteIds] });
  for (const [storeId, nameIds] of Object.entries(config.visibility)) {
    for (const nameId of nameIds) add({ ...configKeys.visibility(storeId, nameId), storeId, nameId });
  }
  add({ ...configKeys.preferences(), ...config.preferences });
  for (const user of Object.values(config.users ?? {})) add({ ...configKeys.user(user.id), ...user });
  return items;
}

function fromItems(version: number, items: Item[]): SyncConfig {
  const config = emptyConfig();
  const sites: Record<string, Site> = {};
  const stores: Record<string, Store> = {};
  const visibility: Record<string, string[]> = {};
  let preferences: Preferences = config.preferences;
  const users: Record<string, User> = {};
  for (const { pk, sk: _sk, ...item } of items) {
    if (pk === 'site') {
      const site = item as unknown as Site;
      sites[String(site.siteId)] = site;
    } else if (pk === 'store') {
      const store = item as unknown as Store;
      stores[store.id] = { ...store, collectorSiteIds: [...(store.collectorSiteIds ?? [])].sort((a, b) => a - b) };
    } else if (pk === 'visibility') {
      const { storeId, nameId } = item as { storeId: string; nameId: string };
      (visibility[storeId] ??= []).push(nameId);
    } else if (pk === 'preferences') {
      preferences = { ...preferences, ...(item as Partial<Preferences>) };
    } else if (pk === 'user') {
      const user = item as unknown as User;
      users[user.id] = user;
    }
  }
  for (const names of Object.values(visibility)) names.sort();
  // Configurations without users keep their old shape.
  return { version, sites, stores, visibility, preferences, ...(Object.keys(users).length > 0 ? { users } : {}) };
}

type Write = { put: Item; delete?: undefined } | { put?: undefined; delete: { pk: string; sk: string } };

function diff(before: Map<string, Item>, after: Map<string, Item>): Write[] {
  const writes: Write[] = [];
  for (const [key, item] of after) {
    const old = before.get(key);
    if (!old || stableJson(old) !== stableJson(item)) writes.push({ put: item });
  }
  for (const [key, item] of before) if (!after.has(key)) writes.push({ delete: { pk: item.pk, sk: item.sk } });
  return writes;
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/** How many passwords are hashed at once (scrypt runs on the thread pool; 16 MiB each). */
const HASH_CONCURRENCY = 16;

export interface ImportOptions {
  /**
   * Give every remote site the file leaves without a password a generated one (returned with
   * the others), stored with the fast hash generated passwords allow (credentials.ts).
   */
  readonly generatePasswords?: boolean;
}

/**
 * Validates a configuration file (the same schemas as the admin API) and loads it into an
 * empty system. Returns the sites that were given a password, to tell their operators.
 * Passwords are hashed before the configuration is built, many at once.
 */
export async function importConfigFile(
  store: ConfigStore,
  raw: unknown,
  actor: string,
  options: ImportOptions = {},
): Promise<
  | { ok: true; passwords: Array<{ siteId: number; name: string; password: string }>; userPasswords: Array<{ name: string; password: string }> }
  | { ok: false; status: number; code: string; message: string }
> {
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
    return refuse(400, 'invalid_config_file', `The configuration file is invalid: ${issues.join('; ')}`);
  }
  const generated = new Set<string>();
  const file = {
    ...parsed.data,
    sites: parsed.data.sites.map((site) => {
      if (!options.generatePasswords || site.password !== undefined || site.kind === 'central') return site;
      const password = generatePassword();
      generated.add(password);
      return { ...site, password };
    }),
  };
  const typed = [...file.sites.flatMap((site) => (site.password === undefined ? [] : [site.password])), ...file.users.flatMap((user) => (user.password === undefined ? [] : [user.password]))];
  const credentials = await hashAll(typed, generated);
  const built = configFromFile(emptyConfig(), file, (password) => credentials.get(password)?.shift() ?? hashPassword(password));
  if (!built.ok) return built;
  const imported = await store.importInto(built.config, actor);
  if (!imported.ok) return imported;
  const passwords = file.sites.flatMap(({ siteId, name, password }) => (password === undefined ? [] : [{ siteId, name, password }]));
  const userPasswords = file.users.flatMap(({ name, password }) => (password === undefined ? [] : [{ name, password }]));
  return { ok: true, passwords, userPasswords };
}

/** One credential per occurrence of each password (never a shared salt), in the order asked. */
async function hashAll(passwords: readonly string[], generated: ReadonlySet<string>): Promise<Map<string, string[]>> {
  const hashed: string[] = new Array(passwords.length);
  let next = 0;
  const worker = async () => {
    while (next < passwords.length) {
      const index = next++;
      const password = passwords[index]!;
      hashed[index] = generated.has(password) ? hashGeneratedPassword(password) : await hashPasswordAsync(password);
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, passwords.length) }, worker));
  const byPassword = new Map<string, string[]>();
  passwords.forEach((password, index) => {
    const list = byPassword.get(password);
    if (list) list.push(hashed[index]!);
    else byPassword.set(password, [hashed[index]!]);
  });
  return byPassword;
}
