/**
 * The operator's CLI (`npm run admin -- <resource> <verb> [options]`, bin/admin.ts): one verb per
 * admin route, generated from the route definitions (functions/admin-api/): the resource is the
 * route's tag, the options its path parameters, query parameters and body fields, the help its
 * summary and schema descriptions. It calls the admin HTTP API with --url and --token.
 */
import * as z from 'zod/mini';
import type { AdminRoute } from '../../functions/admin-api/types';
import { ADMIN_BASE_PATH } from '../../functions/admin-api/types';

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch: typeof fetch;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** The local server's kept admin token, when there is one (read only if no token is given). */
  readonly localToken?: () => string | undefined;
  /** The address `npm start` last listened on, when it keeps one. */
  readonly localUrl?: () => string | undefined;
}

export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** An option of a verb: where its value goes and how it is read. */
interface VerbOption {
  readonly flag: string;
  readonly name: string;
  readonly in: 'path' | 'query' | 'body';
  readonly kind: 'string' | 'number' | 'boolean' | 'json';
  readonly required: boolean;
  readonly description: string;
}

export interface Verb {
  readonly resource: string;
  readonly verb: string;
  readonly route: AdminRoute;
  readonly options: readonly VerbOption[];
}

const kebab = (text: string) => text.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/_/g, '-').toLowerCase();
const pascal = (text: string) => text.split(/[^A-Za-z0-9]+/).map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');

/** `listSites` of `sites` → `list`; `setStoreSyncWith` of `stores` → `set-sync-with`. */
export function verbOf(route: AdminRoute): string {
  if (route.verb) return route.verb;
  const plural = pascal(route.tag);
  const nouns = [plural, plural.replace(/s$/, '')].filter((noun) => noun.length > 0);
  for (const noun of nouns) {
    const at = route.operationId.search(new RegExp(`${noun}(?=[A-Z]|$)`));
    if (at > 0) return kebab(route.operationId.slice(0, at) + route.operationId.slice(at + noun.length));
  }
  return kebab(route.operationId);
}

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema>; required?: string[]; description?: string; anyOf?: JsonSchema[]; enum?: unknown[]; default?: unknown };

const schemaOf = (schema: z.core.$ZodType): JsonSchema => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

function kindOf(schema: JsonSchema): VerbOption['kind'] {
  const types = new Set([...(Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []), ...(schema.anyOf ?? []).map((part) => part.type as string)]);
  types.delete('null');
  if (types.size !== 1) return 'json';
  const [type] = types;
  if (type === 'boolean') return 'boolean';
  if (type === 'number' || type === 'integer') return 'number';
  if (type === 'string') return 'string';
  return 'json';
}

function describe(schema: JsonSchema): string {
  const parts = [schema.description ?? ''];
  if (schema.enum) parts.push(`one of ${schema.enum.join(', ')}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.filter(Boolean).join('; ');
}

export function verbsOf(routes: readonly AdminRoute[]): Verb[] {
  return routes.map((route) => {
    const options: VerbOption[] = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      flag: kebab(m[1]!),
      name: m[1]!,
      in: 'path',
      kind: 'string',
      required: true,
      description: 'path parameter (may also be given as a positional argument)',
    }));
    const fieldsOf = (schema: z.core.$ZodType | undefined, where: 'query' | 'body') => {
      if (!schema) return;
      const json = schemaOf(schema);
      for (const [name, property] of Object.entries(json.properties ?? {}))
        options.push({ flag: kebab(name), name, in: where, kind: where === 'query' ? 'string' : kindOf(property), required: (json.required ?? []).includes(name) && property.default === undefined, description: describe(property) });
    };
    fieldsOf(route.query, 'query');
    fieldsOf(route.body, 'body');
    return { resource: route.tag, verb: verbOf(route), route, options };
  });
}

// --- help ------------------------------------------------------------------------------------

const GLOBAL_OPTIONS = `global options:
  --url URL        the server (or ADMIN_URL); default: the address npm start last listened on, else ${DEFAULT_URL}
  --token TOKEN    the admin token (or ADMIN_TOKEN); default: the one npm start keeps in .data/
  --user NAME      who you are, for the audit log (sent as x-admin-user)
  --body JSON      the whole request body (or @file.json); field options override its fields
  --all            follow the pages of a paged list to the end
  --help           help at any level: npm run admin -- [resource [verb]] --help`;

function mainHelp(verbs: readonly Verb[]): string {
  const resources = [...new Set(verbs.map((verb) => verb.resource))];
  const lines = resources.map((resource) => `  ${resource.padEnd(14)} ${verbs.filter((verb) => verb.resource === resource).map((verb) => verb.verb).join(', ')}`);
  return `usage: npm run admin -- <resource> <verb> [options]\n\nresources and their verbs:\n${lines.join('\n')}\n\n${GLOBAL_OPTIONS}\n`;
}

function resourceHelp(verbs: readonly Verb[], resource: string): string {
  const lines = verbs.filter((verb) => verb.resource === resource).map((verb) => `  ${verb.verb.padEnd(26)} ${verb.route.summary}`);
  return `usage: npm run admin -- ${resource} <verb> [options]\n\nverbs:\n${lines.join('\n')}\n\nnpm run admin -- ${resource} <verb> --help for a verb's options.\n`;
}

function verbHelp(verb: Verb): string {
  const positional = verb.options.filter((option) => option.in === 'path').map((option) => `<${option.flag}>`).join(' ');
  const lines = verb.options.map((option) => {
    const value = option.kind === 'boolean' ? '[=true|false]' : option.kind === 'number' ? ' N' : option.kind === 'json' ? ' JSON' : ' TEXT';
    const notes = [option.in === 'body' ? 'body' : option.in, option.required ? 'required' : '', option.description].filter(Boolean).join('; ');
    return `  --${`${option.flag}${value}`.padEnd(28)} ${notes}`;
  });
  return [
    `usage: npm run admin -- ${verb.resource} ${verb.verb}${positional ? ` ${positional}` : ''} [options]`,
    '',
    `${verb.route.summary}${verb.route.privileged ? ' [privileged]' : ''}`,
    `${verb.route.method} ${ADMIN_BASE_PATH}${verb.route.path}  (operation ${verb.route.operationId})`,
    '',
    lines.length ? `options:\n${lines.join('\n')}` : 'no options of its own',
    '',
    GLOBAL_OPTIONS,
    '',
  ].join('\n');
}

// --- arguments -------------------------------------------------------------------------------

class UsageError extends Error {}

interface Parsed {
  readonly positionals: string[];
  readonly flags: Map<string, string | true>;
}

function parseArguments(argv: readonly string[]): Parsed {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') flags.set('help', true);
    else if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      if (inline !== undefined) flags.set(name, inline);
      else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) flags.set(name, argv[++i]!);
      else flags.set(name, true);
    } else positionals.push(arg);
  }
  return { positionals, flags };
}

const GLOBAL_FLAGS = new Set(['url', 'token', 'user', 'body', 'all', 'help']);

function valueOf(option: VerbOption, raw: string | true): unknown {
  if (option.kind === 'boolean') {
    if (raw === true || raw === 'true') return true;
    if (raw === 'false') return false;
    throw new UsageError(`--${option.flag} is true or false; got "${raw}".`);
  }
  if (raw === true) throw new UsageError(`--${option.flag} needs a value.`);
  if (option.kind === 'number') {
    const value = Number(raw);
    if (raw.trim() === '' || Number.isNaN(value)) throw new UsageError(`--${option.flag} is a number; got "${raw}".`);
    return value;
  }
  if (option.kind === 'json') {
    try {
      return JSON.parse(raw);
    } catch {
      return raw === 'null' ? null : raw; // plain text where the field also takes text
    }
  }
  return raw;
}

interface Request {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

function requestOf(verb: Verb, parsed: Parsed, readFile: (path: string) => string): Request {
  const pathValues = [...parsed.positionals.slice(2)];
  const known = new Set(verb.options.map((option) => option.flag));
  for (const flag of parsed.flags.keys())
    if (!known.has(flag) && !GLOBAL_FLAGS.has(flag)) throw new UsageError(`${verb.resource} ${verb.verb} has no option --${flag}; see --help.`);
  let path = verb.route.path;
  const query = new URLSearchParams();
  const bodyOption = parsed.flags.get('body');
  let body: Record<string, unknown> | undefined;
  if (bodyOption !== undefined) {
    if (bodyOption === true) throw new UsageError('--body needs JSON or @file.json.');
    const text = bodyOption.startsWith('@') ? readFile(bodyOption.slice(1)) : bodyOption;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new UsageError('--body is not JSON.');
    }
  }
  for (const option of verb.options) {
    const raw = parsed.flags.get(option.flag) ?? (option.in === 'path' ? pathValues.shift() : undefined);
    if (raw === undefined) {
      if (option.required && !(option.in === 'body' && body && option.name in body)) throw new UsageError(`${verb.resource} ${verb.verb} needs --${option.flag}; see --help.`);
      continue;
    }
    if (option.in === 'path') path = path.replace(`{${option.name}}`, encodeURIComponent(String(valueOf(option, raw))));
    else if (option.in === 'query') query.set(option.name, String(valueOf(option, raw)));
    else (body ??= {})[option.name] = valueOf(option, raw);
  }
  if (pathValues.length > 0) throw new UsageError(`Unexpected argument "${pathValues[0]}"; see --help.`);
  if (verb.route.body && body === undefined) body = {};
  return { method: verb.route.method, path, query, body };
}

// --- running ---------------------------------------------------------------------------------

/** Runs the CLI; the exit code: 0 done, 1 refused by the server or unreachable, 2 a usage error. */
export async function runAdminCli(argv: readonly string[], routes: readonly AdminRoute[], io: CliIo, readFile: (path: string) => string): Promise<number> {
  const verbs = verbsOf(routes);
  const parsed = parseArguments(argv);
  const [resource, verbName] = parsed.positionals;
  const help = parsed.flags.has('help');
  try {
    if (!resource) {
      (help ? io.out : io.err)(mainHelp(verbs));
      return help ? 0 : 2;
    }
    if (!verbs.some((verb) => verb.resource === resource)) throw new UsageError(`No resource "${resource}".\n\n${mainHelp(verbs)}`);
    if (!verbName) {
      (help ? io.out : io.err)(resourceHelp(verbs, resource));
      return help ? 0 : 2;
    }
    const verb = verbs.find((candidate) => candidate.resource === resource && candidate.verb === verbName);
    if (!verb) throw new UsageError(`No verb "${verbName}" for ${resource}.\n\n${resourceHelp(verbs, resource)}`);
    if (help) {
      io.out(verbHelp(verb));
      return 0;
    }
    return await send(verb, requestOf(verb, parsed, readFile), parsed, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

async function send(verb: Verb, request: Request, parsed: Parsed, io: CliIo): Promise<number> {
  const flag = (name: string) => {
    const value = parsed.flags.get(name);
    return typeof value === 'string' ? value : undefined;
  };
  const base = (flag('url') ?? io.env.ADMIN_URL ?? io.localUrl?.() ?? DEFAULT_URL).replace(/\/+$/, '');
  const token = flag('token') ?? io.env.ADMIN_TOKEN ?? io.localToken?.();
  if (!token) throw new UsageError('No admin token: pass --token, set ADMIN_TOKEN, or start the local server (npm start) once so it keeps one.');
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  const user = flag('user') ?? io.env.USER;
  if (user) headers['x-admin-user'] = user;
  if (request.body !== undefined) headers['content-type'] = 'application/json';

  const followPages = parsed.flags.has('all') && verb.options.some((option) => option.in === 'query' && option.name === 'after');
  const query = new URLSearchParams(request.query);
  let pages = 0;
  let combined: Record<string, unknown> | undefined;
  for (;;) {
    const url = `${base}${ADMIN_BASE_PATH}${request.path}${query.size ? `?${query}` : ''}`;
    let response: Response;
    try {
      response = await io.fetch(url, { method: request.method, headers, ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}) });
    } catch (error) {
      io.err(`Could not reach ${base}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}\n`);
      return 1;
    }
    const text = await response.text();
    if (!response.ok) {
      io.err(`${response.status} ${errorText(text)}\n`);
      return 1;
    }
    pages++;
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('application/json')) {
      // CSV and other text: printed as it came; a next page names itself in x-next-page.
      io.out(text);
      const next = response.headers.get('x-next-page');
      if (!followPages || !next) return 0;
      query.set('after', next);
      continue;
    }
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    if (!followPages || !body) {
      if (body !== undefined) io.out(`${JSON.stringify(body, null, 2)}\n`);
      else io.out(`${response.status} done\n`);
      return 0;
    }
    const listKey = Object.keys(body).find((key) => Array.isArray(body[key]));
    combined = combined && listKey ? { ...body, [listKey]: [...(combined[listKey] as unknown[]), ...(body[listKey] as unknown[])] } : body;
    if (typeof body.next !== 'string' || pages >= 10_000) {
      const { next: _next, ...all } = combined;
      io.out(`${JSON.stringify(all, null, 2)}\n`);
      return 0;
    }
    query.set('after', body.next);
  }
}

function errorText(text: string): string {
  try {
    const { error } = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (error?.message) return `${error.code}: ${error.message}`;
  } catch {
    // not the API's error body
  }
  return text.slice(0, 500);
}
