/**
 * Row output for the CLI and exports: JSON array, JSON lines, CSV. Big integers stay exact.
 * CSV cells go through shared/csv (spreadsheet formula injection neutralised in text cells).
 * JSON lines can be cut straight from a batch's bytes (`rawLines`): the server's own row text,
 * never parsed, so every value is exactly what the server sent.
 */
import { csvField, csvLine, quoteField } from '../../../../shared/csv';
import type { JsonValue, Row } from '../query/json';
import { stringifyExact } from '../query/json';
import type { RawRows } from '../query/stream';
import { stripTerminalControls } from './terminal';

export type OutputFormat = 'json' | 'jsonl' | 'csv';

export interface FormatOptions {
  /** Remove terminal control characters from CSV text (the CLI does unless `--raw`). */
  stripControls?: boolean;
}

/** One CSV cell for a JSON value: text (and nested JSON) neutralised, numbers and booleans as they are. */
export function csvCell(v: JsonValue | undefined, options: FormatOptions = {}): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return quoteField(String(v));
  const text = typeof v === 'string' ? v : stringifyExact(v);
  return csvField(options.stripControls ? stripTerminalControls(text) : text);
}

const COMMA = 0x2c;
const NEWLINE = 0x0a;

function isJsonSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * The rows of a raw batch as JSON lines: each element's bytes between its delimiters (trimmed of
 * JSON whitespace), a newline after each. One copy of the bytes, no parsing.
 */
export function rawLines(raw: RawRows): Buffer {
  const { bytes, count, delims } = raw;
  if (count === 0) return Buffer.alloc(0);
  const first = (delims[0] as number) + 1;
  const last = delims[count] as number;
  // Compact batches (what Velociraptor sends): the elements are separated by bare commas, so the
  // lines are the array's inside with each top-level comma turned into a newline.
  let compact = !isJsonSpace(bytes[first]) && !isJsonSpace(bytes[last - 1]);
  for (let k = 1; compact && k < count; k++) {
    const d = delims[k] as number;
    compact = bytes[d] === COMMA && !isJsonSpace(bytes[d - 1]) && !isJsonSpace(bytes[d + 1]);
  }
  if (compact) {
    const out = Buffer.allocUnsafe(last - first + 1);
    bytes.copy(out, 0, first, last);
    for (let k = 1; k < count; k++) out[(delims[k] as number) - first] = NEWLINE;
    out[out.length - 1] = NEWLINE;
    return out;
  }
  const parts: Buffer[] = [];
  const nl = Buffer.from('\n');
  for (let k = 0; k < count; k++) {
    let a = (delims[k] as number) + 1;
    let b = delims[k + 1] as number;
    while (a < b && isJsonSpace(bytes[a])) a++;
    while (b > a && isJsonSpace(bytes[b - 1])) b--;
    parts.push(bytes.subarray(a, b), nl);
  }
  return Buffer.concat(parts);
}

/** Incremental writer: feed row batches, get text chunks to write. */
export class RowFormatter {
  private count = 0;
  private columns: string[] | undefined;
  private queryId = -1;

  constructor(
    private readonly format: OutputFormat,
    private readonly options: FormatOptions = {},
  ) {}

  /**
   * Nothing: a JSON array opens with its first row (or in end()), so a query that fails before any
   * row leaves no partial array behind.
   */
  start(): string {
    return '';
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
        const header = this.options.stripControls ? this.columns.map(stripTerminalControls) : this.columns;
        out += csvLine(header) + '\r\n';
      }
      const cols = this.columns;
      for (const r of rows) out += cols.map((c) => csvCell(r[c], this.options)).join(',') + '\r\n';
      this.count += rows.length;
      return out;
    }
    for (const r of rows) {
      const text = stringifyExact(r);
      out += this.format === 'jsonl' ? `${text}\n` : `${this.count === 0 ? '[\n ' : ',\n '}${text}`;
      this.count++;
    }
    return out;
  }

  end(): string {
    return this.format === 'json' ? (this.count ? '\n]\n' : '[]\n') : '';
  }
}
