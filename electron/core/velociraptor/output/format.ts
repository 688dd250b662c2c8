/**
 * Row output for the CLI and exports: JSON array, JSON lines, CSV. Big integers stay exact.
 * CSV cells go through shared/csv (spreadsheet formula injection neutralised in text cells).
 */
import { csvField, csvLine, quoteField } from '../../../../shared/csv';
import type { JsonValue, Row } from '../query/json';
import { stringifyExact } from '../query/json';

export type OutputFormat = 'json' | 'jsonl' | 'csv';

/** One CSV cell for a JSON value: text (and nested JSON) neutralised, numbers and booleans as they are. */
export function csvCell(v: JsonValue | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return csvField(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return quoteField(String(v));
  return csvField(stringifyExact(v));
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
        out += csvLine(this.columns) + '\r\n';
      }
      const cols = this.columns;
      for (const r of rows) out += cols.map((c) => csvCell(r[c])).join(',') + '\r\n';
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
