/** CSV answers (RFC 4180, CRLF lines) for reports an operator opens in a spreadsheet. */

export type CsvValue = string | number | boolean | null | undefined;

/** A cell; text a spreadsheet would run as a formula gets a leading quote. */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Columns by name and how each row gives its value. */
export type CsvColumns<Row> = ReadonlyArray<readonly [string, (row: Row) => CsvValue]>;

export function csvText<Row>(columns: CsvColumns<Row>, rows: readonly Row[], withHeader = true): string {
  const lines = rows.map((row) => columns.map(([, value]) => csvCell(value(row))).join(','));
  if (withHeader) lines.unshift(columns.map(([name]) => csvCell(name)).join(','));
  return lines.map((line) => `${line}\r\n`).join('');
}

/** Whether the caller asked for CSV: `?format=csv`, or an Accept header preferring text/csv. */
export function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format.toLowerCase() === 'csv';
  return /(^|,)\s*text\/csv\b/i.test(accept ?? '');
}
