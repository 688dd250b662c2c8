/**
 * A raw batch's values split by column, made once when the batch arrives (its bytes are at hand then),
 * so a sort reads one column's bytes instead of restoring the whole compressed batch and searching
 * every row for the column: restoring was 43 % of a first sort of a million rows, the search 24 %.
 *
 * A column's copy is its values' JSON text exactly as the server sent it, one line per row
 * (`\n`-joined: a JSON value written on one line holds no raw newline; a row lacking the column has an
 * empty line, as `""` is two bytes), kept brotli-compressed like the batch (see result-store.ts). One
 * walk per row copies every value as it finds its end; the last of a repeated key wins, as with
 * JSON.parse. A batch gets no copies (and keeps the sort's search of its bytes) when a row is no object,
 * a nested value spans lines or the bytes are not JSON.
 *
 * Columns whose values are long (command lines, hashes: see LONG) are not copied: they are most of a
 * batch's bytes. Measured on the simulator's bulk rows (1M rows; 6 of 8 columns copied): the copies
 * cost 0.8 s of CPU when the rows arrive and 15 MB (the batches themselves 34 MB); a first sort of a
 * copied column then costs 0.4–0.6 s of CPU instead of 1.0–1.6 s.
 */
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';
import {
  BACKSLASH,
  CLOSE_ARR,
  CLOSE_OBJ,
  COLON,
  COMMA,
  OPEN_ARR,
  OPEN_OBJ,
  QUOTE,
  skipSpaces,
  stringEnd,
  valueEnd,
} from './raw-scan';

const NEWLINE = 0x0a;

/** A column's lines, brotli-compressed when `packedFrom` > 0 (the original length). */
export interface PackedLines {
  readonly bytes: Buffer;
  readonly packedFrom: number;
}

/**
 * A batch's column copies by column name: a column no row of the batch has is absent; null for a
 * column not copied (long values: see LONG; or values that compress too little to be held twice).
 */
export type ColumnCopy = ReadonlyMap<string, PackedLines | null>;

/** Kept plain when compression saves less than this share. */
const MIN_SAVING = 0.3;
/** Plain lines are kept up to this many bytes a row (Pids, short names); longer ones are not copied. */
const PLAIN_PER_ROW = 24;
/**
 * Columns whose lines pass this many bytes a row are not copied (command lines, hashes, paths): they
 * hold most of a batch's bytes, so copying them would cost most of what the batch costs again, when
 * the rows arrive and in memory; a sort of such a column reads the batches. Checked from the 32nd row
 * on, so a long column stops being copied early.
 */
const LONG = 48;

/** One column's lines being written: `rows` lines so far, the last one starting at `line`. */
interface Lines {
  out: Buffer;
  pos: number;
  rows: number;
  line: number;
  /** Too long to copy (LONG): its values are skipped. */
  long: boolean;
}

/** The key of the k-th place in a row, as the previous row had it there. */
interface Place {
  at: number;
  len: number;
  lines: Lines;
}

/**
 * Buffers the lines are written into, reused from batch to batch (the lines are copied out when
 * packed): a batch's columns would otherwise cost a dozen allocations and the collector's work. They
 * hold about what the largest batch's copied columns took.
 */
const scratch: Buffer[] = [];

function grow(l: Lines, need: number): void {
  if (l.pos + need <= l.out.length) return;
  const out = Buffer.allocUnsafeSlow(Math.max(l.out.length * 2, l.pos + need));
  l.out.copy(out, 0, 0, l.pos);
  const k = scratch.indexOf(l.out);
  if (k >= 0) scratch[k] = out;
  l.out = out;
}

/** Ends `l` with empty lines up to `rows` (rows lacking the column). */
function padTo(l: Lines, rows: number): void {
  grow(l, rows - l.rows);
  while (l.rows < rows) {
    l.out[l.pos++] = NEWLINE;
    l.rows++;
  }
}

function isDelimiter(b: number): boolean {
  return (
    b === COMMA ||
    b === CLOSE_OBJ ||
    b === CLOSE_ARR ||
    b === 0x20 ||
    b === NEWLINE ||
    b === 0x0d ||
    b === 0x09
  );
}

/**
 * Each column's lines, in one walk of the rows that copies every value as it finds its end (the
 * bytes are read once, in JavaScript, with no native call per value). Null when a row is no object,
 * a nested value spans lines or the bytes are not JSON. The lines are valid until the next call.
 */
function splitLines(buf: Buffer, delims: Uint32Array, count: number): Map<string, Lines> | null {
  const byName = new Map<string, Lines>();
  // Rows of a batch mostly repeat the keys in the same order: the k-th key is compared with the
  // bytes of the previous row's k-th key before it is decoded.
  const places: Place[] = [];
  for (let r = 0; r < count; r++) {
    const to = delims[r + 1] as number;
    let i = skipSpaces(buf, (delims[r] as number) + 1, to);
    if (buf[i] !== OPEN_OBJ) return null;
    i = skipSpaces(buf, i + 1, to);
    if (buf[i] === CLOSE_OBJ) continue;
    for (let k = 0; ; k++) {
      if (buf[i] !== QUOTE) return null;
      const ks = i + 1;
      let place = places[k];
      let ke: number;
      if (
        place &&
        ks + place.len < to &&
        buf[ks + place.len] === QUOTE &&
        sameBytes(buf, place.at, ks, place.len)
      )
        ke = ks + place.len;
      else {
        ke = stringEnd(buf, i);
        if (ke < 0 || ke >= to) return null;
        const name = decodeKey(buf, ks, ke);
        if (name === null) return null;
        let lines = byName.get(name);
        if (!lines) {
          const n = byName.size;
          scratch[n] ??= Buffer.allocUnsafeSlow(Math.max(4096, count * 16));
          lines = { out: scratch[n], pos: 0, rows: 0, line: 0, long: false };
          byName.set(name, lines);
        }
        place = { at: ks, len: ke - ks, lines };
        places[k] = place;
      }
      i = skipSpaces(buf, ke + 1, to);
      if (buf[i] !== COLON) return null;
      const vs = skipSpaces(buf, i + 1, to);
      const l = place.lines;
      const c = buf[vs] as number;
      let j = vs;
      if (l.long) {
        j = c === QUOTE ? stringEnd(buf, vs) + 1 : valueEnd(buf, vs, to);
        if (j <= vs || j > to) return null;
      } else {
        if (l.rows === r + 1) {
          // The key again in the same row: the last one wins, as with JSON.parse.
          l.pos = l.line;
          l.rows = r;
        } else padTo(l, r);
        grow(l, to - vs + 1);
        l.line = l.pos;
        const out = l.out;
        let p = l.pos;
        if (c === QUOTE) {
          out[p++] = QUOTE;
          for (j++; j < to; j++) {
            const b = buf[j] as number;
            out[p++] = b;
            if (b <= BACKSLASH) {
              if (b === QUOTE) break;
              // A raw control character is not JSON (the batch fails when parsed) and would break the lines.
              if (b < 0x20) return null;
              if (b === BACKSLASH) {
                const x = buf[++j] as number;
                if (x < 0x20) return null;
                out[p++] = x;
              }
            }
          }
          if (j >= to) return null;
          j++;
        } else if (c === OPEN_OBJ || c === OPEN_ARR) {
          // A nested value: its text on one line (JSON's spaces between tokens may include newlines).
          const e = valueEnd(buf, vs, to);
          for (; j < e; j++) {
            const b = buf[j] as number;
            if (b === NEWLINE || b === 0x0d) return null;
            out[p++] = b;
          }
        } else {
          while (j < to && !isDelimiter(buf[j] as number)) out[p++] = buf[j++] as number;
          if (j === vs) return null;
        }
        out[p++] = NEWLINE;
        l.pos = p;
        l.rows = r + 1;
        if (p > LONG * Math.max(32, r + 1)) l.long = true;
      }
      i = skipSpaces(buf, j, to);
      if (buf[i] === CLOSE_OBJ) break;
      if (buf[i] !== COMMA) return null;
      i = skipSpaces(buf, i + 1, to);
    }
  }
  for (const l of byName.values()) if (!l.long) padTo(l, count);
  return byName;
}

/** buf[a, a + len) equals buf[b, b + len). */
function sameBytes(buf: Buffer, a: number, b: number, len: number): boolean {
  for (let q = 0; q < len; q++) if (buf[a + q] !== buf[b + q]) return false;
  return true;
}

/** The key buf[ks, ke) (between its quotes) as a string; null when it is not valid JSON text. */
function decodeKey(buf: Buffer, ks: number, ke: number): string | null {
  for (let q = ks; q < ke; q++)
    if (buf[q] === BACKSLASH) {
      try {
        return JSON.parse(buf.toString('utf8', ks - 1, ke + 1)) as string;
      } catch {
        return null;
      }
    }
  return buf.toString('utf8', ks, ke);
}

/** `lines` compressed, or plain when that saves little and they are short, or null. */
function pack(lines: Buffer, count: number): PackedLines | null {
  const packed = brotliCompressSync(lines, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: 0,
      [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
      [zlib.BROTLI_PARAM_SIZE_HINT]: lines.length,
      [zlib.BROTLI_PARAM_LGWIN]: 18,
    },
  });
  if (packed.length > lines.length * (1 - MIN_SAVING))
    return lines.length <= count * PLAIN_PER_ROW ? { bytes: Buffer.from(lines), packedFrom: 0 } : null;
  // zlib may hand back a slice of a larger output chunk: keep only the bytes.
  return { bytes: Buffer.from(packed), packedFrom: lines.length };
}

/**
 * Each column's lines (not compressed; null for a long column), or null when the batch does not get
 * copies. The buffers are reused: valid until the next call.
 */
export function columnLines(
  buf: Buffer,
  delims: Uint32Array,
  count: number,
): Map<string, Buffer | null> | null {
  const split = splitLines(buf, delims, count);
  if (!split) return null;
  return new Map([...split].map(([name, l]) => [name, l.long ? null : l.out.subarray(0, l.pos)]));
}

/** The batch's column copies, or null when the batch does not get them (see the module comment). */
export function copyColumns(buf: Buffer, delims: Uint32Array, count: number): ColumnCopy | null {
  const split = columnLines(buf, delims, count);
  if (!split) return null;
  const out = new Map<string, PackedLines | null>();
  for (const [name, lines] of split) out.set(name, lines && pack(lines, count));
  return out;
}

/** A column copy's lines, restored. */
export function unpackLines(c: PackedLines): Buffer {
  return c.packedFrom ? brotliDecompressSync(c.bytes, { chunkSize: Math.max(1024, c.packedFrom) }) : c.bytes;
}

/** Bytes a batch's copies hold. */
export function copyBytes(copy: ColumnCopy): number {
  let n = 0;
  for (const c of copy.values()) n += c?.bytes.length ?? 0;
  return n;
}
