/**
 * GET|POST /console[/...]: the operator's console in the browser, server-rendered HTML. A login
 * form takes the admin token (checked and throttled as the admin API does), then a signed,
 * expiring HttpOnly SameSite=Strict cookie carries the session (console/session.ts); every POST
 * also carries the session's CSRF token and must come from this origin.
 */
import * as z from 'zod/mini';
import { adminTokenFromEnvironment } from '../admin-api/auth';
import { checkAdminToken } from '../commons/admin-credential';
import { adapters, pushDependencies } from '../commons/adapters';
import { HttpError, httpHandler, type HttpEvent, type HttpResult } from '../commons/http';
import { lazyHandler } from '../commons/lazy-handler';
import { silentAfterDaysFromEnvironment } from '../commons/silent-after-days';
import { logger } from '../commons/observability';
import { consoleDataFrom, type ConsoleData } from '../console/data';
import { page, type Frame, type Html } from '../console/html';
import { cookieName, csrfMatches, issueSession, readCookie, SESSION_SECONDS, sessionCookie, verifySession, type Session } from '../console/session';
import { errorView, fleetView, MAX_STOCK_ROWS, MAX_USAGE_ROWS, loginView, quarantineView, reportsView, siteView, type QuarantineActions, type QuarantineState, type ReportsModel } from '../console/views';
import type { AttemptGate } from '../domain/ports';
import { monthlyUsagePage, stockOnHandPage, stockValue } from '../services/reports';
import { DEFAULT_SILENT_AFTER_DAYS } from '../services/sync-report';
import { DynamoAttemptGate } from '../storage/attempt-gate';
import { DynamoAuditLog } from '../storage/audit-log';
import { lastChanges } from '../storage/record-changes';
import { DynamoV6Store } from '../storage/v6-store';
import { dynamoDb } from '../commons/clients';
import { tableName } from '../commons/environment';
import { InvalidPageTokenError } from '../storage/page-token';

export const CONSOLE_BASE_PATH = '/console';

export interface ConsoleDeps {
  readonly data: ConsoleData;
  readonly adminToken: () => Promise<string>;
  /** Throttles token guesses per source address (shared with the admin API); without it nothing is throttled. */
  readonly attempts?: AttemptGate | null;
  readonly now?: () => Date;
  /** Sites silent longer than this are red. @default the sync report's (30) */
  readonly silentAfterDays?: number;
}

const FLEET_PAGE_SIZE = 100;
const QUARANTINE_PAGE_SIZE = 50;
const SITE_QUARANTINE_SHOWN = 20;

const loginForm = z.object({ token: z.string().check(z.minLength(1), z.maxLength(1024)), next: z.optional(z.string()) });
const csrfForm = z.object({ csrf: z.string().check(z.minLength(1), z.maxLength(128)) });
const siteIdText = z.string().check(z.regex(/^[1-9]\d{0,8}$/));
const actionForm = z.object({
  siteId: siteIdText,
  changeId: z.string().check(z.minLength(1), z.maxLength(1024)),
  returnTo: z.optional(z.string()),
  reason: z.optional(z.string().check(z.maxLength(500))),
});

interface Context {
  readonly event: HttpEvent;
  readonly deps: Required<ConsoleDeps>;
  readonly now: Date;
  readonly secure: boolean;
  readonly session: Session;
}

/** The only places a redirect may lead: the console's own pages. */
const safeReturn = (path: string | undefined) => (path && /^\/console(\/[\w./-]*)?(\?[\w=&%.+-]*)?$/.test(path) && !path.includes('..') ? path : CONSOLE_BASE_PATH);

const SECURITY_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a browser's POST says `Origin: null`.
  'referrer-policy': 'same-origin',
};

function htmlPage(statusCode: number, frame: Frame, body: Html, extra: { headers?: Record<string, string>; cookies?: string[] } = {}): HttpResult {
  return { statusCode, headers: { ...SECURITY_HEADERS, ...extra.headers }, ...(extra.cookies ? { cookies: extra.cookies } : {}), body: page(frame, body) };
}

const redirect = (location: string, cookies?: string[]): HttpResult => ({ statusCode: 303, headers: { location, 'cache-control': 'no-store' }, ...(cookies ? { cookies } : {}), body: '' });

/** Plain HTTP on this machine only (the local server); anything else is served over HTTPS. */
function isSecure(event: HttpEvent): boolean {
  const proto = (event.headers['x-forwarded-proto'] ?? 'https').toLowerCase();
  const host = (event.headers.host ?? event.requestContext.domainName ?? '').replace(/:\d+$/, '').toLowerCase();
  return !(proto === 'http' && ['localhost', '127.0.0.1', '[::1]'].includes(host));
}

/** A POST must come from a page of this origin (browsers send Origin on POST), as well as carry the CSRF token. */
function sameOrigin(event: HttpEvent): boolean {
  if ((event.headers['sec-fetch-site'] ?? 'same-origin') === 'cross-site') return false;
  const origin = event.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === (event.headers.host ?? event.requestContext.domainName);
  } catch {
    return false;
  }
}

function formOf(event: HttpEvent): Record<string, string> {
  const text = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (text.length > 64 * 1024) throw new HttpError(413, 'form_too_large', 'The form is too large.');
  return Object.fromEntries(new URLSearchParams(text));
}

function parseForm<T extends z.ZodMiniType>(schema: T, form: Record<string, string>): z.infer<T> {
  const parsed = schema.safeParse(form);
  if (!parsed.success) throw new HttpError(400, 'invalid_form', 'The form is incomplete or malformed.');
  return parsed.data;
}

const actorOf = (event: HttpEvent) => `console@${event.requestContext.http.sourceIp}`;

// --- views -----------------------------------------------------------------------------------

async function showFleet(context: Context): Promise<HttpResult> {
  const { deps, now, event } = context;
  const pageToken = event.queryStringParameters?.page;
  const fleet = await deps.data.fleet({ now, silentAfterDays: deps.silentAfterDays, limit: FLEET_PAGE_SIZE, ...(pageToken ? { pageToken } : {}) });
  return htmlPage(200, { title: 'Fleet', section: 'fleet', csrfToken: context.session.csrfToken }, fleetView({ sites: fleet.sites, now, silentAfterDays: deps.silentAfterDays, next: fleet.next }));
}

function quarantineActions(context: Context, returnTo: string): QuarantineActions {
  return { csrfToken: context.session.csrfToken, canReplay: !!context.deps.data.replay, canResolve: !!context.deps.data.resolve, returnTo };
}

async function showSite(context: Context, siteId: number, flash?: Frame['flash']): Promise<HttpResult> {
  const site = await context.deps.data.site({ siteId, now: context.now, silentAfterDays: context.deps.silentAfterDays });
  if (!site) throw new HttpError(404, 'site_not_found', `Site ${siteId} does not exist.`);
  const [stores, quarantined] = await Promise.all([context.deps.data.storesOf(siteId), context.deps.data.quarantine.list({ siteId, limit: SITE_QUARANTINE_SHOWN, state: 'open' })]);
  const body = siteView({ site, now: context.now, stores, quarantined: quarantined.records, actions: quarantineActions(context, `/console/sites/${siteId}`) });
  return htmlPage(200, { title: site.name, section: 'fleet', csrfToken: context.session.csrfToken, flash }, body);
}

async function showQuarantine(context: Context, query: Record<string, string | undefined>, flash?: Frame['flash']): Promise<HttpResult> {
  const siteText = query.site?.trim() || undefined;
  if (siteText !== undefined && !siteIdText.safeParse(siteText).success) throw new HttpError(400, 'invalid_site_id', `A site id is a whole number from 1; got "${siteText}".`);
  const siteId = siteText === undefined ? undefined : Number(siteText);
  const state: QuarantineState = query.state === 'closed' || query.state === 'all' ? query.state : 'open';
  const returnTo = `/console/quarantine?${siteId === undefined ? '' : `site=${siteId}&`}state=${state}`;
  const listed = await context.deps.data.quarantine.list({
    limit: QUARANTINE_PAGE_SIZE,
    ...(siteId === undefined ? {} : { siteId }),
    ...(state === 'all' ? {} : { state }),
    ...(query.after ? { after: query.after } : {}),
  });
  const body = quarantineView({ records: listed.records, siteId, state, next: listed.next, actions: quarantineActions(context, returnTo) });
  return htmlPage(200, { title: 'Quarantine', section: 'quarantine', csrfToken: context.session.csrfToken, flash }, body);
}

async function showReports(context: Context): Promise<HttpResult> {
  const reports = context.deps.data.reports;
  const frame: Frame = { title: 'Reports', section: 'reports', csrfToken: context.session.csrfToken };
  if (!reports) return htmlPage(200, frame, reportsView(undefined));
  const query = new URLSearchParams(context.event.rawQueryString ?? '');
  const itemId = query.get('item')?.trim() || undefined;
  const storeIds = query.getAll('store').filter((id) => id.length > 0 && id.length <= 64);
  // A checkbox: sent (as "on") only when ticked.
  const byLocation = query.has('locations');
  const scope = storeIds.length ? { storeIds } : {};
  const [stores, usagePage, stockPage, value] = await Promise.all([
    context.deps.data.allStores(),
    // Bounded like the stock table: the chart of a large system shows its first stores.
    monthlyUsagePage(reports, { ...scope, ...(itemId ? { itemId } : {}), maxRows: MAX_USAGE_ROWS }),
    // Only the stores needed to fill the table: a large system is not read whole for 200 lines.
    stockOnHandPage(reports, { ...scope, ...(itemId ? { itemId } : {}), byLocation, maxRows: MAX_STOCK_ROWS + 1 }),
    stockValue(reports, scope),
  ]);
  const stock = stockPage.rows.slice(0, MAX_STOCK_ROWS);
  const moreStock = stockPage.rows.length > MAX_STOCK_ROWS || stockPage.next !== undefined;
  const itemNames = await context.deps.data.itemNames([...stock.map((row) => row.itemId), ...(itemId ? [itemId] : [])]);
  const usage = usagePage.rows;
  const usageStoresCut = usagePage.next !== undefined;
  const model: ReportsModel = { stores, storeIds, itemId, byLocation, itemNames, usage, usageStoresCut, stock, moreStock, value };
  return htmlPage(200, frame, reportsView(model));
}

// --- actions ---------------------------------------------------------------------------------

async function quarantineAction(context: Context, action: 'replay' | 'resolve', form: Record<string, string>): Promise<HttpResult> {
  const { siteId: siteText, changeId, returnTo, reason } = parseForm(actionForm, form);
  const siteId = Number(siteText);
  const actor = actorOf(context.event);
  const { replay, resolve } = context.deps.data;
  let result;
  if (action === 'replay') {
    if (!replay) throw new HttpError(503, 'replay_unavailable', 'Replaying quarantined records is not available on this deployment.');
    result = await replay({ siteId, changeId, actor });
  } else {
    if (!resolve) throw new HttpError(503, 'resolve_unavailable', 'Resolving quarantined records is not available on this deployment.');
    if (!reason?.trim()) throw new HttpError(400, 'reason_required', 'Resolving a record needs a reason.');
    result = await resolve({ siteId, changeId, reason: reason.trim(), actor });
  }
  if (!result.found) throw new HttpError(404, 'quarantine_entry_not_found', result.message);
  logger.info('console quarantine action', { action, siteId, changeId, actor });
  const flash = { kind: result.closed ? 'ok' : 'warn', text: result.message } as const;
  const back = safeReturn(returnTo);
  const siteMatch = /^\/console\/sites\/(\d+)$/.exec(back);
  if (siteMatch) return showSite(context, Number(siteMatch[1]), flash);
  return showQuarantine(context, Object.fromEntries(new URL(back, 'http://console').searchParams), flash);
}

// --- handler ---------------------------------------------------------------------------------

export function createConsoleHandler(deps: ConsoleDeps) {
  const full: Required<ConsoleDeps> = { attempts: null, now: () => new Date(), silentAfterDays: DEFAULT_SILENT_AFTER_DAYS, ...deps };
  return httpHandler(async (event: HttpEvent) => {
    const method = event.requestContext.http.method.toUpperCase();
    const path = (event.rawPath ?? event.requestContext.http.path).replace(/\/+$/, '') || '/';
    const secure = isSecure(event);
    const now = full.now();
    // The server's bare address (GET /) is where a person looks first.
    if (path === '/') return redirect(CONSOLE_BASE_PATH);
    try {
      if (method === 'POST' && !sameOrigin(event)) throw new HttpError(403, 'cross_origin', 'This form must be sent from the console itself.');
      const adminToken = await full.adminToken();
      const session = verifySession(adminToken, readCookie(event.cookies, cookieName(secure)), Math.floor(now.getTime() / 1000));

      if (path === '/console/login') {
        if (method === 'GET') return session ? redirect(CONSOLE_BASE_PATH) : htmlPage(200, { title: 'Sign in' }, loginView({ next: event.queryStringParameters?.next }));
        if (method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'Use the sign-in form.');
        return await login(full, event, secure, now);
      }
      if (!session) {
        if (method !== 'GET') return redirect('/console/login');
        return redirect(`/console/login?next=${encodeURIComponent(safeReturn(path + (event.rawQueryString ? `?${event.rawQueryString}` : '')))}`);
      }
      const context: Context = { event, deps: full, now, secure, session };
      if (method === 'POST') {
        const form = formOf(event);
        if (!csrfMatches(session, parseForm(csrfForm, form).csrf)) throw new HttpError(403, 'csrf_mismatch', 'The form has expired; reload the page and try again.');
        if (path === '/console/logout') return redirect('/console/login', [sessionCookie(secure, '', 0)]);
        if (path === '/console/quarantine/replay') return await quarantineAction(context, 'replay', form);
        if (path === '/console/quarantine/resolve') return await quarantineAction(context, 'resolve', form);
        throw new HttpError(404, 'not_found', `Nothing to post to at ${path}.`);
      }
      if (method !== 'GET') throw new HttpError(405, 'method_not_allowed', `${path} is only read.`);
      if (path === CONSOLE_BASE_PATH) return await showFleet(context);
      if (path === '/console/quarantine') return await showQuarantine(context, event.queryStringParameters ?? {});
      if (path === '/console/reports') return await showReports(context);
      const site = /^\/console\/sites\/([1-9]\d{0,8})$/.exec(path);
      if (site) return await showSite(context, Number(site[1]));
      throw new HttpError(404, 'not_found', `The console has no page ${path}.`);
    } catch (thrown) {
      const error = thrown instanceof InvalidPageTokenError ? new HttpError(400, 'invalid_page_token', 'That page link is no longer valid; start from the first page.') : thrown;
      if (!(error instanceof HttpError)) throw error;
      logger.info('console request refused', { code: error.code, status: error.statusCode });
      const session = error.statusCode === 403 ? undefined : verifySession(await full.adminToken().catch(() => ''), readCookie(event.cookies, cookieName(secure)), Math.floor(now.getTime() / 1000));
      return htmlPage(error.statusCode, { title: 'Error', csrfToken: session?.csrfToken }, errorView(error.message), { headers: error.headers });
    }
  });
}

async function login(deps: Required<ConsoleDeps>, event: HttpEvent, secure: boolean, now: Date): Promise<HttpResult> {
  const { token, next } = parseForm(loginForm, formOf(event));
  const check = await checkAdminToken(deps, token, event.requestContext.http.sourceIp);
  if (!check.ok) {
    if (check.retryAfterSeconds !== undefined) {
      const message = `Too many wrong tokens from this address; try again in ${check.retryAfterSeconds} s.`;
      return htmlPage(429, { title: 'Sign in' }, loginView({ error: message, next }), { headers: { 'retry-after': String(check.retryAfterSeconds) } });
    }
    return htmlPage(401, { title: 'Sign in' }, loginView({ error: 'That is not the admin token.', next }));
  }
  const { value } = issueSession(await deps.adminToken(), Math.floor(now.getTime() / 1000));
  logger.info('console sign-in', { actor: actorOf(event) });
  return redirect(safeReturn(next), [sessionCookie(secure, value, SESSION_SECONDS)]);
}

export const handler = lazyHandler(() =>
  createConsoleHandler({
    data: consoleDataFrom({
      store: adapters.configStore,
      sessions: adapters.sessions,
      progress: adapters.progress,
      outgoing: adapters.outgoing,
      refusals: adapters.refusalCounts,
      reportFigures: adapters.reportFigures,
      // As the admin API's quarantine routes (handlers/admin.ts).
      actions: {
        push: pushDependencies(),
        entries: adapters.quarantine,
        lastChanges: (keys) => lastChanges(dynamoDb(), tableName('records'), keys),
        v6: { v6Store: new DynamoV6Store(dynamoDb(), tableName('v6Sync')), legacyCopy: adapters.centralCopy },
        audit: (entry, actor) => new DynamoAuditLog(dynamoDb(), tableName('config')).append(entry, actor),
      },
    }),
    adminToken: adminTokenFromEnvironment(),
    attempts: new DynamoAttemptGate(dynamoDb(), tableName('siteState')),
    silentAfterDays: silentAfterDaysFromEnvironment(),
  }),
);
