/**
 * Row output for the CLI and exports: JSON array, JSON lines, CSV. Big integers stay exact.
 * CSV neutralises spreadsheet formula injection: a text cell starting with = + - @ (or tab / CR)
 * gets a leading apostrophe, since result rows carry attacker-controlled strings.
 */
import type { JsonValue, Row } from '../query/json';
import { stringifyExact } from '../query/json';

export type OutputFormat = 'json' | 'jsonl' | 'csv';

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(v: JsonValue | undefined): string {
  let text: string;
  if (v === undefined || v === null) text = '';
  else if (typeof v === 'string') text = FORMULA_START.test(v) ? `'${v}` : v;
  else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') text = String(v);
  else {
    const json = stringifyExact(v);
    text = FORMULA_START.test(json) ? `'${json}` : json;
  }
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: Array<JsonValue | undefined>): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

/** Incremental writer: feed row batches, get text chunks to write. */
export class RowFormatter {
  private count = 0;
  private columns: string[] | undefined;
  private queryId = -1;

  constructor(private readonly format: OutputFormat) {}

  start(): string {
    return this.format === 'json' ? '[' : '';
  }

  rows(rows: Row[], columns: string[], queryId: number): string {
    let out = '';
    if (this.format === 'csv') {
      if (rows.length === 0) return '';
      if (!this.columns || queryId !== this.queryId) {
        // A new statement may have other columns: a blank line and a new header.
        if (this.columns) out += '\r\n';
        this.columns = columns.length ? columns : Object.keys(rows[0] ?? {});
        this.queryId = queryId;
        out += this.columns.map((c) => csvCell(c)).join(',') + '\r\n';
      }
      const cols = this.columns;
      for (const r of rows) out += csvLine(cols.map((c) => r[c]));
      this.count += rows.length;
      return out;
    }
    for (const r of rows) {
      const text = stringifyExact(r);
      out += this.format === 'jsonl' ? `${text}\n` : `${this.count === 0 ? '\n ' : ',\n '}${text}`;
      this.count++;
    }
    return out;
  }

  end(): string {
    return this.format === 'json' ? (this.count ? '\n]\n' : ']\n') : '';
  }
}
