/**
 * What an admin route is: its place in the API (method, path, operation id, tag), its schemas
 * (query, body, response; the OpenAPI document and the CLI are generated from them) and the
 * function that answers it. Each resource module exports a list of these; registry.ts lists the
 * modules.
 */
import type * as z from 'zod/mini';
import type { HttpResult } from '../commons/http';
import type { AttemptGate, OutgoingQueue, Quarantine } from '../domain/ports';
import type { PushDeps } from '../services/push';
import type { QuarantineActionDeps, QuarantineEntries } from '../services/quarantine-actions';
import type { ReinitialiseDeps } from '../services/reinitialise';
import type { ReportDeps } from '../services/reports';
import type { SyncReportDeps } from '../services/sync-report';
import type { V6PushDeps } from '../services/v6-push';
import type { ConfigStore } from '../storage/config-store';

export const ADMIN_BASE_PATH = '/admin/v1';

export interface AdminDeps {
  readonly store: ConfigStore;
  /** The administrator's token; read once and cached by the caller. */
  readonly adminToken: () => Promise<string>;
  /** Turns a typed password into the stored credential. @default scrypt of its SHA-256 */
  readonly hashPassword?: (password: string) => string;
  /** Central data import and the quarantine list; without them those routes answer 503. */
  readonly data?: AdminDataDeps | null;
  /** Throttles token guesses per source address; without it nothing is throttled. */
  readonly attempts?: AttemptGate | null;
  /** What the sync report reads besides the configuration; without it /sync-report answers 503 and /sites has no health. */
  readonly syncReport?: Omit<SyncReportDeps, 'store'> | null;
  /** The report figures (docs/reports.md); without them /reports/... answer 503. */
  readonly reports?: ReportDeps | null;
  /** Quarantine replay and resolve, re-initialising a site; without them those routes answer 503. */
  readonly operatorActions?: OperatorActionsDeps | null;
  /** The sync report's silence threshold when a request names none (the deployment's, as the alarm's). @default 30 */
  readonly silentAfterDays?: number;
  readonly now?: () => Date;
}

/** What operators' repair actions read and write beyond `data` (services/quarantine-actions.ts, services/reinitialise.ts). */
export interface OperatorActionsDeps {
  readonly entries: QuarantineEntries;
  readonly lastChanges: QuarantineActionDeps['lastChanges'];
  /** Appends to the audit log (`GET /audit`). */
  readonly audit: QuarantineActionDeps['audit'];
  readonly resetInitialisation: ReinitialiseDeps['resetInitialisation'];
}

export interface AdminDataDeps {
  readonly push: PushDeps;
  readonly quarantine: Quarantine;
  /** Queue lengths, checked before a store moves. */
  readonly outgoing: OutgoingQueue;
  /** Sync v6 data import (`POST /v6-records`); without it that route answers 503. */
  readonly v6?: V6PushDeps;
}

/** The dependencies every route sees, defaults filled in. */
export type RouteDeps = Required<AdminDeps>;

export interface AdminRequest<Query = Record<string, string | undefined>> {
  /** Path parameters, percent-decoded. */
  readonly params: Record<string, string>;
  /** The query, parsed with the route's query schema when it has one. */
  readonly query: Query;
  /** The JSON body, not yet validated (routes parse it with their body schema). */
  readonly body: unknown;
  readonly headers: Record<string, string | undefined>;
  /** Who is asking: `admin[:user]@address`, for the audit log. */
  readonly actor: string;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A query schema: an object of optional text fields, each described for the OpenAPI document. */
export type QuerySchema = z.ZodMiniObject<Record<string, z.ZodMiniType<unknown, string | undefined>>>;

export interface AdminRoute<Q extends QuerySchema = QuerySchema> {
  readonly method: HttpMethod;
  /** Below /admin/v1, with `{name}` path parameters. */
  readonly path: string;
  readonly summary: string;
  /** Unique across the API; the CLI's verb is derived from it. */
  readonly operationId: string;
  /** The resource (OpenAPI tag, CLI resource). */
  readonly tag: string;
  /** The CLI's verb (`npm run admin -- <tag> <verb>`); by default the operation id without the resource's name, in kebab case. */
  readonly verb?: string;
  readonly query?: Q;
  readonly body?: z.core.$ZodType;
  readonly response?: z.core.$ZodType;
  /** Other answers than JSON this route can give (for example text/csv). */
  readonly alsoProduces?: readonly string[];
  /** Success status. @default 200 */
  readonly status?: number;
  /** Logged as a privileged change. */
  readonly privileged?: boolean;
  readonly run: (deps: RouteDeps, request: AdminRequest<z.infer<Q>>) => Promise<HttpResult>;
}

/** Keeps each route's query type while listing routes of different queries together. */
export const route = <Q extends QuerySchema>(definition: AdminRoute<Q>): AdminRoute => definition as unknown as AdminRoute;
