/**
 * CSV for endpoint data. Spreadsheet apps execute cells that start with = + - @ (and tab/CR
 * variants), so such cells get a leading apostrophe: the text stays readable and inert.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseCell(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

export function csvField(text: string): string {
  const safe = neutraliseCell(text);
  return /[",\r\n]/.test(safe) || safe !== safe.trim() ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(cells: readonly string[]): string {
  return cells.map(csvField).join(',');
}
