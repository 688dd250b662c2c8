/**
 * Rows from a `Response` buffer (a JSON array of objects) without building one big string: the
 * buffer is cut at `},{"` — a byte sequence that cannot occur inside a JSON string (its quote
 * would be escaped) — into slices of ~32 kB, and each slice is parsed on its own. A cut inside a
 * nested array leaves some slice unbalanced, which makes its parse fail; then the whole batch is
 * parsed in one piece. Integers beyond 2^53: a delimiter-led scan says whether a 16+ digit number
 * token exists at all; only then a walk over the parsed values finds imprecise ones, and only that
 * slice gets the exact treatment (json.ts). A plain /\d{16}/ scan cost 60% of JSON.parse.
 */
import { AppError } from '../../../../shared/errors';
import { reparseExact, type BigIntMode, type JsonValue, type Row } from './json';

/** The error every path reports for a batch that is not valid JSON (stream, scan, later parse). */
export function invalidBatch(cause: unknown): AppError {
  return new AppError('INTERNAL', 'The server sent a result batch that is not valid JSON.', { cause });
}

const SEP = Buffer.from('},{"');
const SLICE = 32 * 1024;
const MAX = Number.MAX_SAFE_INTEGER;

function hasUnsafe(v: JsonValue): boolean {
  if (typeof v === 'number') return (v > MAX || v < -MAX) && Number.isInteger(v);
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) {
    for (const x of v) if (hasUnsafe(x)) return true;
    return false;
  }
  for (const k in v) if (hasUnsafe(v[k] as JsonValue)) return true;
  return false;
}

function rowsHaveUnsafe(rows: Row[]): boolean {
  for (let i = 0; i < rows.length; i++) {
    // Batches are arrays of row objects, but any JSON array is valid: a scalar is checked itself.
    const row = rows[i] as JsonValue;
    if (typeof row !== 'object' || row === null) {
      if (hasUnsafe(row)) return true;
      continue;
    }
    const values = Object.values(row);
    for (let j = 0; j < values.length; j++) {
      const v = values[j] as JsonValue;
      if (typeof v === 'number') {
        if ((v > MAX || v < -MAX) && Number.isInteger(v)) return true;
      } else if (typeof v === 'object' && v !== null && hasUnsafe(v)) return true;
    }
  }
  return false;
}

// A number token of 16+ digits right after a JSON delimiter. Without one, no integer literal in the
// text can be unsafe, and the walk is skipped (the walk cost ~30% of JSON.parse in the stream
// profile; this scan, led by a 3-character class, costs a few percent).
const MAYBE_BIG = /[:,[]\s*-?\d{16}/;

function parseSlice(text: string, mode: BigIntMode): Row[] {
  const rows = JSON.parse(text) as Row[];
  if (!MAYBE_BIG.test(text)) return rows;
  // The in-place patch counts for itself; -1 sends a failed patch straight to the full tokenizer.
  return rowsHaveUnsafe(rows) ? (reparseExact(text, -1, mode, rows) as Row[]) : rows;
}

const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]

/**
 * The text of buf[from..to) as a JSON array: the delimiter bytes around the slice (',' or '[' before,
 * ',' or ']' after) are swapped for brackets while it is decoded, so no string concatenation (and no
 * second copy) is needed. The buffer is ours (a decoded message) and is restored before returning.
 */
function sliceAsArray(buf: Buffer, from: number, to: number): string {
  const before = buf[from - 1] as number;
  const after = buf[to] as number;
  buf[from - 1] = OPEN;
  buf[to] = CLOSE;
  try {
    return buf.toString('utf8', from - 1, to + 1);
  } finally {
    buf[from - 1] = before;
    buf[to] = after;
  }
}

export function parseRowsBuffer(buf: Buffer, mode: BigIntMode = 'bigint'): Row[] {
  const n = buf.length;
  if (n === 0) return [];
  if (n <= 2 * SLICE || buf[0] !== OPEN) return parseSlice(buf.toString('utf8'), mode);
  const out: Row[] = [];
  try {
    let start = 1; // after '['
    let cut = buf.indexOf(SEP, SLICE);
    while (cut !== -1) {
      pushAll(out, parseSlice(sliceAsArray(buf, start, cut + 1), mode));
      start = cut + 2;
      cut = n - start > 2 * SLICE ? buf.indexOf(SEP, start + SLICE) : -1;
    }
    pushAll(out, parseSlice(buf.toString('utf8', start - 1, n).replace(/^,/, '['), mode));
    return out;
  } catch {
    // A cut inside a nested value (or a malformed batch): parse whole, which also reports errors.
    return parseSlice(buf.toString('utf8'), mode);
  }
}

function pushAll(out: Row[], rows: Row[]): void {
  for (let i = 0; i < rows.length; i++) out.push(rows[i] as Row);
}

/**
 * Rows a..b-1 of a batch whose top-level delimiters a scan found (row-scan.ts `scanRows`: `delims[k]`
 * is the `[` or `,` before row k). Cut exactly at row boundaries into ~32 kB slices, so no slice can
 * fail for being cut inside a nested value and no whole-batch string is built. Big integers stay exact
 * as in `parseRowsBuffer`. A malformed batch throws `invalidBatch`.
 */
export function parseRowRange(
  buf: Buffer,
  delims: Uint32Array,
  a: number,
  b: number,
  mode: BigIntMode = 'bigint',
): Row[] {
  const out: Row[] = [];
  try {
    let i = a;
    while (i < b) {
      // The furthest j (at least i + 1) whose slice stays within SLICE bytes.
      let lo = i + 1;
      let hi = b;
      const limit = (delims[i] as number) + SLICE;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if ((delims[mid] as number) <= limit) lo = mid;
        else hi = mid - 1;
      }
      const rows = parseSlice(sliceAsArray(buf, (delims[i] as number) + 1, delims[lo] as number), mode);
      if (rows.length !== lo - i) throw new Error(`expected ${lo - i} rows, parsed ${rows.length}`);
      pushAll(out, rows);
      i = lo;
    }
  } catch (e) {
    throw invalidBatch(e);
  }
  return out;
}
