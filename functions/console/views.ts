/** The console's pages, each a function from what it shows to an HTML body. */
import { isClosed, type QuarantineEntry } from '../storage/quarantine';
import { barChart } from './chart';
import type { StockOnHandRow, StockValueReport, UsageRow } from '../services/reports';
import type { FleetSite } from './data';
import { ago, count, csrfField, html, type Html } from './html';

export type Health = 'green' | 'amber' | 'red';

const DAY_MS = 86_400_000;

/** Red: silent past the threshold, or never connected. Amber: quiet for a day, refusing records, or not initialised. */
export function healthOf(site: FleetSite, now: Date): Health {
  if (site.silent || !site.lastConnection) return 'red';
  const quiet = now.getTime() - Date.parse(site.lastConnection.at) > DAY_MS;
  return quiet || site.refusedLastDay > 0 || site.initialisationStatus !== 'initialised' ? 'amber' : 'green';
}

const software = (site: FleetSite) => (site.lastConnection ? `${site.lastConnection.appName} ${site.lastConnection.appVersion}` : '–');

const HEALTH_WORDS: Record<Health, string> = { green: 'healthy', amber: 'needs a look', red: 'silent or never connected' };
const dot = (health: Health) => html`<span class="dot ${health}" title="${HEALTH_WORDS[health]}"></span>`;

export function loginView(options: { error?: string; next?: string }): Html {
  return html`<form class="login" method="post" action="/console/login">
<h1>Sign in</h1>
${options.error ? html`<div class="error" role="alert">${options.error}</div>` : ''}
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
${options.next ? html`<input type="hidden" name="next" value="${options.next}">` : ''}
<button type="submit">Sign in</button>
<p class="note">The same token the admin API takes as its bearer credential.</p></form>`;
}

export function fleetView(options: { sites: readonly FleetSite[]; now: Date; silentAfterDays: number; next?: string; quarantined?: number }): Html {
  const { sites, now } = options;
  const health = sites.map((site) => healthOf(site, now));
  const tally = (h: Health) => health.filter((x) => x === h).length;
  const waiting = sites.reduce((sum, site) => sum + site.recordsWaiting, 0);
  const rows = sites.map(
    (site, i) => html`<tr class="${health[i] === 'red' ? 'red' : ''}" data-site="${site.siteId}" data-health="${health[i]!}">
<td>${dot(health[i]!)}<a href="/console/sites/${site.siteId}">${site.name}</a></td><td>${site.code}</td><td>${site.kind}</td>
<td title="${site.lastConnection?.at ?? ''}">${ago(site.lastConnection?.at, now)}</td>
<td>${software(site)}</td>
<td>${site.initialisationStatus}</td><td class="n">${count(site.recordsWaiting)}</td><td class="n">${count(site.refusedLastDay)}</td></tr>`,
  );
  return html`<h1>Fleet</h1>
<div class="tiles"><div class="tile"><b>${sites.length}</b>sites on this page</div><div class="tile"><b>${tally('green')}</b>${dot('green')}healthy</div>
<div class="tile"><b>${tally('amber')}</b>${dot('amber')}need a look</div><div class="tile"><b>${tally('red')}</b>${dot('red')}silent over ${options.silentAfterDays} d or never seen</div>
<div class="tile"><b>${count(waiting)}</b>records waiting</div></div>
<table id="fleet"><thead><tr><th>Site</th><th>Code</th><th>Kind</th><th>Last connection</th><th>Software</th><th>Initialisation</th><th class="n">Waiting</th><th class="n">Refused (1 d)</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="8" class="note">No remote sites are configured.</td></tr>`}</tbody></table>
${options.next ? html`<p><a href="/console?page=${encodeURIComponent(options.next)}">Next sites →</a></p>` : ''}
<p class="note">Green: connected within a day. Amber: quiet for over a day, refused records in the last day, or not initialised. Red: silent over ${options.silentAfterDays} days, or never connected.</p>`;
}

export function siteView(options: {
  site: FleetSite;
  now: Date;
  stores: ReadonlyArray<{ id: string; code: string; name: string; type: string }>;
  quarantined: readonly QuarantineEntry[];
  actions: QuarantineActions;
}): Html {
  const { site, now } = options;
  const health = healthOf(site, now);
  const when = (iso: string | null | undefined) => (iso ? html`${iso} <span class="note">(${ago(iso, now)})</span>` : 'never');
  return html`<h1>${dot(health)}${site.name} <span class="note">site ${site.siteId} · ${site.code} · ${site.kind}</span></h1>
<dl id="site-detail"><dt>Health</dt><dd>${HEALTH_WORDS[health]}</dd>
<dt>Last connection</dt><dd>${when(site.lastConnection?.at)}</dd>
<dt>Software</dt><dd>${software(site)}${site.lastConnection ? html` <span class="note">(sync API ${site.lastConnection.syncApiVersion})</span>` : ''}</dd>
<dt>Hardware id</dt><dd>${site.lastConnection?.hardwareId || '–'}${site.boundHardwareId ? html` <span class="note">(bound to ${site.boundHardwareId})</span>` : ''}</dd>
<dt>Last push</dt><dd>${when(site.lastPushAt)}</dd><dt>Last pull</dt><dd>${when(site.lastPullAt)}</dd>
<dt>Initialisation</dt><dd>${site.initialisationStatus}${site.lastInitialisedAt ? html`, started ${when(site.lastInitialisedAt)}` : ''}</dd>
<dt>Records waiting</dt><dd>${count(site.recordsWaiting)}</dd><dt>Refused in the last day</dt><dd>${count(site.refusedLastDay)}</dd></dl>
<h2>Stores on this site</h2>
<table><thead><tr><th>Code</th><th>Name</th><th>Id</th><th>Held as</th></tr></thead><tbody>
${options.stores.length ? options.stores.map((store) => html`<tr><td>${store.code}</td><td>${store.name}</td><td>${store.id}</td><td>${store.type}</td></tr>`) : html`<tr><td colspan="4" class="note">None.</td></tr>`}
</tbody></table>
<h2>Open quarantined records</h2>
${quarantineTable(options.quarantined, options.actions)}
${options.quarantined.length ? html`<p><a href="/console/quarantine?site=${site.siteId}">All of this site's quarantined records →</a></p>` : ''}`;
}

export interface QuarantineActions {
  readonly csrfToken: string;
  readonly canReplay: boolean;
  readonly canResolve: boolean;
  /** Where the page returns after an action. */
  readonly returnTo: string;
}

const closedNote = (record: QuarantineEntry) =>
  html`<span class="note">${record.closure ?? 'closed'}${record.closedBy ? ` by ${record.closedBy}` : ''}${record.closedAt ? ` ${record.closedAt.slice(0, 16).replace('T', ' ')}` : ''}${record.resolution ? html`<br>${record.resolution}` : ''}</span>`;

function quarantineTable(records: readonly QuarantineEntry[], actions: QuarantineActions): Html {
  if (records.length === 0) return html`<p class="note" id="quarantine-empty">No quarantined records.</p>`;
  const hidden = (record: QuarantineEntry) =>
    html`${csrfField(actions.csrfToken)}<input type="hidden" name="siteId" value="${record.siteId}"><input type="hidden" name="changeId" value="${record.changeId}"><input type="hidden" name="returnTo" value="${actions.returnTo}">`;
  const rows = records.map(
    (record) => html`<tr data-change="${record.changeId}" data-site="${record.siteId}" data-state="${isClosed(record) ? 'closed' : 'open'}"><td><a href="/console/sites/${record.siteId}">${record.siteId}</a></td>
<td title="${record.receivedAt}">${record.receivedAt.slice(0, 16).replace('T', ' ')}</td><td>${record.tableName}<br><span class="note">${record.recordId}</span></td><td>${record.action}</td>
<td><b>${record.reason}</b><br>${record.message}</td><td><details><summary>record</summary><pre>${JSON.stringify(record.raw, null, 1)}</pre></details></td>
<td>${isClosed(record) ? closedNote(record) : html`${actions.canReplay ? html`<form class="inline" method="post" action="/console/quarantine/replay">${hidden(record)}<button type="submit">Replay</button></form>` : ''}
${actions.canResolve ? html`<form class="inline" method="post" action="/console/quarantine/resolve">${hidden(record)}<input name="reason" placeholder="reason" required maxlength="500" size="12"><button type="submit">Resolve</button></form>` : ''}`}</td></tr>`,
  );
  return html`<table id="quarantine"><thead><tr><th>Site</th><th>Received</th><th>Table / record</th><th>Action</th><th>Reason</th><th>Pushed</th><th>Actions</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export type QuarantineState = 'open' | 'closed' | 'all';

export function quarantineView(options: { records: readonly QuarantineEntry[]; siteId?: number; state: QuarantineState; next?: string; actions: QuarantineActions }): Html {
  const filter = `${options.siteId === undefined ? '' : `site=${options.siteId}&`}state=${options.state}&`;
  const states = (['open', 'closed', 'all'] as const).map((state) => html`<option value="${state}" ${state === options.state ? 'selected' : ''}>${state}</option>`);
  return html`<h1>Quarantine</h1>
<p class="note">Records sites pushed that the server refused. Replay decides one again under today's configuration (accepted: stored, sent on and closed; refused: left open with its new reason); resolve closes it with your note. Both are written to the audit log.</p>
<form method="get" action="/console/quarantine" class="inline"><label>Site id <input name="site" size="5" inputmode="numeric" value="${options.siteId ?? ''}"></label>
<label>Entries <select name="state">${states}</select></label><button type="submit">Show</button></form>
<p></p>${quarantineTable(options.records, options.actions)}
${options.next ? html`<p><a href="/console/quarantine?${filter}after=${encodeURIComponent(options.next)}">Next page →</a></p>` : ''}`;
}

export interface ReportsModel {
  readonly stores: ReadonlyArray<{ id: string; code: string; name: string }>;
  readonly storeIds: readonly string[];
  readonly itemId?: string;
  /** Stock on hand one row per location (its id; none for stock kept in no location). */
  readonly byLocation: boolean;
  /** Item names by id, where the central copy holds the item. */
  readonly itemNames: ReadonlyMap<string, string>;
  readonly usage: readonly UsageRow[];
  /** Whether stores were left out of the usage read (past MAX_USAGE_ROWS figures). */
  readonly usageStoresCut: boolean;
  /** The first lines of stock on hand (at most MAX_STOCK_ROWS). */
  readonly stock: readonly StockOnHandRow[];
  /** Whether there are more lines than shown. */
  readonly moreStock: boolean;
  readonly value: StockValueReport;
}

/** Stock lines shown on the page (more: narrow by item or stores). */
export const MAX_STOCK_ROWS = 200;
/** Usage rows (item, store, month) read for the chart, about; whole stores are read. */
export const MAX_USAGE_ROWS = 5_000;
const money = (value: number) => value.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function reportsView(model: ReportsModel | undefined): Html {
  if (!model) return html`<h1>Reports</h1><p class="note" id="reports-unavailable">The central reports are not available on this deployment.</p>`;
  const storeName = new Map(model.stores.map((store) => [store.id, `${store.code} ${store.name}`]));
  const months = [...new Set(model.usage.map((row) => row.month))].sort();
  const byStore = new Map<string, number[]>();
  for (const row of model.usage) {
    const values = byStore.get(row.storeId) ?? months.map(() => 0);
    values[months.indexOf(row.month)]! += row.units;
    byStore.set(row.storeId, values);
  }
  const series = [...byStore].map(([storeId, values]) => ({ label: storeName.get(storeId) ?? storeId, values }));
  const options = model.stores.map((store) => html`<option value="${store.id}" ${model.storeIds.includes(store.id) ? 'selected' : ''}>${store.code} ${store.name}</option>`);
  return html`<h1>Reports</h1>
<form method="get" action="/console/reports" class="inline"><label>Item id <input name="item" value="${model.itemId ?? ''}" placeholder="every item"></label>
<label>Stores <select name="store" multiple size="4">${options}</select></label>
<label><input type="checkbox" name="locations" ${model.byLocation ? 'checked' : ''}> stock per location</label><button type="submit">Show</button></form>
<h2>Monthly usage</h2>
${months.length ? barChart({ title: `Usage per month${model.itemId ? ` of ${model.itemNames.get(model.itemId) ?? `item ${model.itemId}`}` : ', every item'}, per store (units)`, categories: months, series, unit: 'units' }) : html`<p class="note" id="usage-empty">No usage recorded.</p>`}
${model.usageStoresCut ? html`<p class="note" id="usage-more">Not every store is charted (${series.length} shown): choose stores or an item to see the others, or read all of it from the admin API (<code>GET /admin/v1/reports/monthly-usage</code>).</p>` : ''}
<h2>Stock value</h2>
<div class="tiles"><div class="tile" id="stock-value"><b>${money(model.value.value)}</b>${count(model.value.units)} units on hand, ${model.storeIds.length ? 'stores shown' : 'every store'}</div>
${model.value.stores.map((row) => html`<div class="tile"><b>${money(row.value)}</b>${storeName.get(row.storeId) ?? row.storeId}</div>`)}</div>
<h2>Stock on hand</h2>
<table id="stock"><thead><tr><th>Store</th>${model.byLocation ? html`<th>Location</th>` : ''}<th>Item</th><th class="n">Units</th><th class="n">Value</th></tr></thead><tbody>
${model.stock.map((row) => html`<tr><td>${storeName.get(row.storeId) ?? row.storeId}</td>${model.byLocation ? html`<td>${row.locationId || html`<span class="note">none</span>`}</td>` : ''}<td>${model.itemNames.get(row.itemId) ?? row.itemId}${model.itemNames.has(row.itemId) ? html` <span class="note">${row.itemId}</span>` : ''}</td><td class="n">${count(row.units)}</td><td class="n">${money(row.value)}</td></tr>`)}
${model.stock.length === 0 ? html`<tr><td colspan="${model.byLocation ? 5 : 4}" class="note">No stock on hand.</td></tr>` : ''}</tbody></table>
${model.moreStock ? html`<p class="note" id="stock-more">The first ${model.stock.length} lines; choose an item or stores to narrow it, or read it all from the admin API (<code>GET /admin/v1/reports/stock-on-hand</code>, JSON or CSV, a page at a time).</p>` : ''}`;
}

export function errorView(message: string): Html {
  return html`<h1>Something went wrong</h1><div class="error" role="alert">${message}</div><p><a href="/console">Back to the fleet</a></p>`;
}
