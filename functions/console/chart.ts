/**
 * A grouped bar chart drawn on the server as inline SVG: one group per category (a month), one
 * bar per series (a store), a legend, and a labelled value axis. No script, scales with the page.
 */
import { html, type Html } from './html';

export interface Series {
  readonly label: string;
  /** One value per category, in the categories' order. */
  readonly values: readonly number[];
}

const COLOURS = ['#1971c2', '#e8590c', '#2f9e44', '#9c36b5', '#c2255c', '#0c8599', '#f59f00', '#5c940d'];

/** 1, 2 or 5 times a power of ten: an axis step a person reads at a glance. */
function niceStep(max: number, ticks: number): number {
  const rough = max / ticks;
  const power = 10 ** Math.floor(Math.log10(rough));
  return ([1, 2, 5, 10].find((m) => m * power >= rough) ?? 10) * power;
}

export function barChart(options: { title: string; categories: readonly string[]; series: readonly Series[]; unit?: string }): Html {
  const { categories, series } = options;
  const width = 760;
  const height = 280;
  const pad = { left: 56, right: 12, top: 28, bottom: 42 };
  const plotWidth = width - pad.left - pad.right;
  const plotHeight = height - pad.top - pad.bottom;
  const max = Math.max(0, ...series.flatMap((s) => s.values));
  const step = max > 0 ? niceStep(max, 5) : 1;
  const top = Math.max(step, Math.ceil(max / step) * step);
  const y = (value: number) => pad.top + plotHeight - (value / top) * plotHeight;
  const group = plotWidth / Math.max(1, categories.length);
  const bar = (group * 0.8) / Math.max(1, series.length);

  const grid = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step).map(
    (value) => html`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(value)}" y2="${y(value)}" stroke="#e4e7eb"/><text x="${pad.left - 6}" y="${y(value) + 4}" text-anchor="end">${value.toLocaleString('en')}</text>`,
  );
  const bars = series.flatMap((s, si) =>
    s.values.map((value, ci) => {
      const x = pad.left + ci * group + group * 0.1 + si * bar;
      return html`<rect x="${x.toFixed(1)}" y="${y(value).toFixed(1)}" width="${Math.max(1, bar - 1).toFixed(1)}" height="${(pad.top + plotHeight - y(value)).toFixed(1)}" fill="${COLOURS[si % COLOURS.length]!}"><title>${s.label}, ${categories[ci] ?? ''}: ${value.toLocaleString('en')}${options.unit ? ` ${options.unit}` : ''}</title></rect>`;
    }),
  );
  const labels = categories.map((category, ci) => html`<text x="${(pad.left + ci * group + group / 2).toFixed(1)}" y="${height - pad.bottom + 16}" text-anchor="middle">${category}</text>`);
  const legend = series.map(
    (s, si) => html`<rect x="${pad.left + si * 150}" y="${height - 14}" width="10" height="10" fill="${COLOURS[si % COLOURS.length]!}"/><text x="${pad.left + si * 150 + 14}" y="${height - 5}">${s.label}</text>`,
  );
  return html`<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${options.title}" style="background:#fff;max-width:${width}px;box-shadow:0 1px 2px #0001">
<text x="${pad.left}" y="16" style="font-weight:600">${options.title}</text>${grid}${bars}${labels}${legend}
<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(0)}" y2="${y(0)}" stroke="#829ab1"/></svg>`;
}
