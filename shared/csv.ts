/**
 * CSV text for endpoint data (CLI output and result-view exports). Pure: no Node, no DOM.
 * Spreadsheet apps execute cells that start with = + - @ (and tab/CR variants), and result rows carry
 * attacker-controlled strings, so such text cells get a leading apostrophe: readable and inert.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** Prefixes text a spreadsheet would evaluate with an apostrophe; other text is returned unchanged. */
export function neutraliseCell(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** RFC 4180 quoting only (no neutralisation): for text that is not attacker-chosen, such as numbers. */
export function quoteField(text: string): string {
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One text cell: neutralised, then quoted when it holds separators, quotes, newlines or edge whitespace. */
export function csvField(text: string): string {
  return quoteField(neutraliseCell(text));
}

/** One row of text cells, without a line terminator. */
export function csvLine(cells: readonly string[]): string {
  return cells.map(csvField).join(',');
}

export interface CsvOptions {
  /** The header and the cells of each line, in order (default: the first row's keys). */
  columns?: readonly string[];
  /** Text of a cell that is not a string (default: JSON; null and undefined are empty). */
  cellText?: (v: unknown) => string;
  /** Neutralise formula-like text cells (files a person opens in a spreadsheet); off for data a program reads. */
  neutralise?: boolean;
  /** Line terminator (default '\n'). */
  newline?: string;
}

function defaultCellText(v: unknown): string {
  return typeof v === 'bigint' ? v.toString() : (JSON.stringify(v) ?? '');
}

/** A whole CSV document: a header line and one line per row, each ended by `newline`; '' for no rows and no columns. */
export function toCsv(rows: ReadonlyArray<Readonly<Record<string, unknown>>>, opts: CsvOptions = {}): string {
  const columns = opts.columns ?? Object.keys(rows[0] ?? {});
  if (columns.length === 0) return '';
  const nl = opts.newline ?? '\n';
  const field = opts.neutralise ? csvField : quoteField;
  const text = (v: unknown): string =>
    typeof v === 'string' ? v : v === null || v === undefined ? '' : (opts.cellText ?? defaultCellText)(v);
  const lines = [
    columns.map(field).join(','),
    ...rows.map((r) => columns.map((c) => field(text(r[c]))).join(',')),
  ];
  return lines.join(nl) + nl;
}
