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
