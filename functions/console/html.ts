/**
 * The console's HTML: escaping, the page frame with its small inline stylesheet, and a few
 * pieces every view uses. Everything is rendered on the server; the pages carry no script.
 */

/** Text for an HTML text node or a quoted attribute. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A template tag that escapes every interpolated value unless it is already `Html`. */
export class Html {
  constructor(readonly text: string) {}
  toString() {
    return this.text;
  }
}

type Part = Html | string | number | undefined | null | false | readonly Part[];

const render = (part: Part): string =>
  part === undefined || part === null || part === false ? '' : part instanceof Html ? part.text : Array.isArray(part) ? part.map(render).join('') : escapeHtml(part);

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  return new Html(strings.reduce((out, s, i) => out + s + (i < values.length ? render(values[i]!) : ''), ''));
}

export const raw = (text: string) => new Html(text);

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2933;background:#f5f7fa}
header{display:flex;gap:1.2rem;align-items:center;padding:.6rem 1.2rem;background:#243b53;color:#fff}
header a{color:#d9e2ec;text-decoration:none}header a.on,header a:hover{color:#fff;text-decoration:underline}
header strong{margin-right:1rem}header form{margin-left:auto}
main{padding:1rem 1.2rem;max-width:1200px}h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;background:#fff;width:100%;box-shadow:0 1px 2px #0001}
th,td{padding:.4rem .6rem;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top}
th{background:#f0f4f8;font-weight:600;font-size:.85rem}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.tiles{display:flex;gap:.8rem;flex-wrap:wrap;margin-bottom:1rem}.tile{background:#fff;padding:.6rem 1rem;min-width:9rem;box-shadow:0 1px 2px #0001}
.tile b{display:block;font-size:1.4rem}.dot{display:inline-block;width:.8rem;height:.8rem;border-radius:50%;margin-right:.4rem;vertical-align:-1px}
.green{background:#2f9e44}.amber{background:#f08c00}.red{background:#e03131}tr.red td{background:#fff5f5}
.note{color:#52606d}.error{background:#fff5f5;border-left:4px solid #e03131;padding:.6rem 1rem;margin-bottom:1rem}
.ok{background:#ebfbee;border-left:4px solid #2f9e44;padding:.6rem 1rem;margin-bottom:1rem}.warn{background:#fff9db;border-left:4px solid #f08c00;padding:.6rem 1rem;margin-bottom:1rem}
button{font:inherit;padding:.25rem .7rem;border:1px solid #829ab1;background:#fff;border-radius:3px;cursor:pointer}button:hover{background:#f0f4f8}
input,select{font:inherit;padding:.25rem .4rem;border:1px solid #9fb3c8;border-radius:3px}
form.inline{display:inline-flex;gap:.3rem;margin:0;align-items:flex-end}pre{white-space:pre-wrap;word-break:break-all;max-width:28rem;margin:0;font-size:.8rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;background:#fff;padding:.8rem 1rem;box-shadow:0 1px 2px #0001}dt{font-weight:600}dd{margin:0}
.login{max-width:24rem;margin:4rem auto;background:#fff;padding:1.5rem;box-shadow:0 1px 3px #0002}.login input{width:100%;margin:.4rem 0 1rem}
svg text{font:11px system-ui,sans-serif;fill:#334e68}
`;

export interface Frame {
  readonly title: string;
  /** Which menu entry is lit. */
  readonly section?: 'fleet' | 'quarantine' | 'reports';
  /** The session's CSRF token, for the sign-out form; without it the menu is not shown. */
  readonly csrfToken?: string;
  readonly flash?: { readonly kind: 'ok' | 'warn'; readonly text: string };
}

export function page(frame: Frame, body: Html): string {
  const link = (href: string, section: Frame['section'], label: string) => html`<a href="${href}" class="${frame.section === section ? 'on' : ''}">${label}</a>`;
  const menu = frame.csrfToken
    ? html`<header><strong>Central sync console</strong>${link('/console', 'fleet', 'Fleet')}${link('/console/quarantine', 'quarantine', 'Quarantine')}${link('/console/reports', 'reports', 'Reports')}
<form method="post" action="/console/logout">${csrfField(frame.csrfToken)}<button type="submit">Sign out</button></form></header>`
    : html`<header><strong>Central sync console</strong></header>`;
  const flash = frame.flash ? html`<div class="${frame.flash.kind}" role="status">${frame.flash.text}</div>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(frame.title)} · Central sync console</title><style>${STYLE}</style></head><body>${menu}<main>${flash}${body}</main></body></html>`;
}

export const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}">`;

/** "3 h ago", "12 d ago": how long since `iso`, as an operator reads it. */
export function ago(iso: string | null | undefined, now: Date): string {
  if (!iso) return 'never';
  const seconds = Math.round((now.getTime() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return iso;
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

export const count = (n: number | undefined) => (n === undefined ? '–' : n.toLocaleString('en'));
