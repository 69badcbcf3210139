/**
 * Loading a configuration file into an empty system (`npm run config -- import`, the local
 * server's first start). Apart from the configuration store so that the functions, which never
 * import a file, do not build the file's schemas at start-up.
 */
import { configFromFile } from '../domain/config/config-file';
import { generatePassword, hashGeneratedPassword, hashPassword, hashPasswordAsync } from '../domain/config/credentials';
import { emptyConfig } from '../domain/config/model';
import { refuse } from '../domain/config/operations';
import { configFileSchema } from '../protocol/admin';
import type { ConfigStore } from './config-store';

/** Passwords handed to the hashing at once (credentials.ts runs at most two scrypt at a time; HMACs are instant). */
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
