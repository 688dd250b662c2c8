/**
 * Exact row count of a `Response` batch (a JSON array) without parsing it: a scan of the bytes that
 * tracks nesting and jumps through strings with `Buffer.indexOf` of the quote byte (a quote preceded
 * by an odd run of backslashes is escaped). It also records where each top-level element starts and
 * ends, so a consumer can later parse any run of rows on its own (batch-parse.ts `parseRowRange`).
 * Measured on the simulator's bulk rows (313 kB, 1,000 rows): 0.2–0.4 ms a batch, against 1.2–1.6 ms
 * for parsing the same batch into objects.
 *
 * Structure is checked (one top-level array, matching brackets, terminated strings, no empty element,
 * nothing after the array); tokens between the structural bytes are not (`[tru]` counts one row). Such
 * batches fail when they are parsed, with the same error; for valid JSON the count is always exact.
 */
import { invalidBatch } from './batch-parse';

export interface RowBounds {
  /** Top-level elements of the array. */
  count: number;
  /**
   * count + 1 offsets: `delims[k]` is the `[` or `,` before element k, `delims[count]` the closing `]`.
   * Element k is the text strictly between `delims[k]` and `delims[k + 1]`.
   */
  delims: Uint32Array;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

const PROBLEMS = [
  'the batch is not a JSON array',
  'unterminated string',
  "unexpected '}' closing the array",
  'empty element',
  'data after the array',
  'mismatched bracket',
  'the array is not closed',
];

// Out of line: error text in the scan loop made it too big for V8 to inline Buffer#indexOf (4x slower).
function bad(problem: number, at: number): Error {
  return invalidBatch(new Error(`${PROBLEMS[problem] ?? 'malformed'} at byte ${at}`));
}

export function scanRows(buf: Buffer): RowBounds {
  const n = buf.length;
  let i = 0;
  while (i < n && isSpace(buf[i] as number)) i++;
  if (buf[i] !== OPEN_ARR) throw bad(0, i);
  let delims: Uint32Array<ArrayBuffer> = new Uint32Array(Math.max(16, n >>> 7));
  delims[0] = i;
  let count = 0;
  // Brackets open below the top-level array, by depth (to check that closers match).
  let stack: Uint8Array<ArrayBuffer> = new Uint8Array(32);
  let depth = 1;
  let seen = false; // a value since the last top-level delimiter
  for (i++; i < n; i++) {
    const c = buf[i] as number;
    if (c === QUOTE) {
      // Jump to the next quote; one preceded by an odd run of backslashes is escaped.
      const open = i;
      for (;;) {
        i = buf.indexOf(QUOTE, i + 1);
        if (i < 0) throw bad(1, open);
        let k = i - 1;
        while (buf[k] === BACKSLASH) k--;
        if (((i - 1 - k) & 1) === 0) break;
      }
      if (depth === 1) seen = true;
    } else if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (depth === 1) seen = true;
      if (depth === stack.length) stack = growBytes(stack);
      stack[depth++] = c;
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      if (depth === 1) {
        if (c !== CLOSE_ARR) throw bad(2, i);
        if (!seen && count > 0) throw bad(3, i);
        if (seen) count++;
        if (count === delims.length) delims = grow(delims);
        delims[count] = i;
        for (i++; i < n; i++) if (!isSpace(buf[i] as number)) throw bad(4, i);
        return { count, delims: delims.slice(0, count + 1) };
      }
      if (stack[--depth] !== c - 2) throw bad(5, i);
    } else if (c === COMMA) {
      if (depth === 1) {
        if (!seen) throw bad(3, i);
        count++;
        if (count === delims.length) delims = grow(delims);
        delims[count] = i;
        seen = false;
      }
    } else if (depth === 1 && !isSpace(c)) seen = true;
  }
  throw bad(6, n);
}

function growBytes(a: Uint8Array): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(a.length * 2);
  b.set(a);
  return b;
}

function grow(a: Uint32Array): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}
