/**
 * Reading what a sort or a filter needs from a raw batch (the JSON array bytes the server sent, with
 * the row delimiters row-scan.ts found) without parsing its rows into objects: parsing is most of what
 * a sort or filter of a million kept rows cost (result-store.ts keeps rows as bytes).
 *
 * - `topLevelValue`, `flatRows` and the token helpers: where one column's value sits in a row (a walk
 *   of the row's top-level keys that jumps through strings with `Buffer.indexOf`; nested values are
 *   skipped by bracket depth; the last occurrence of a key wins, as with JSON.parse), used by
 *   sort-keys.ts `ColumnKeys.addBatch`, which finds a flat row's value with one search.
 * - `filterCandidates`: the rows whose bytes hold a filter text outside a key name, found by a native
 *   search of the bytes (`finder`). Candidates are then checked exactly on the parsed row; a row
 *   this misses must not match, so it is used only for needles whose JSON form is the text itself
 *   (`rawNeedle`: printable ASCII without quote, backslash or the characters JSON encoders may escape).
 */

// JSON's structural bytes (column-copy.ts reads them too).
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COLON = 0x3a;
export const COMMA = 0x2c;
export const OPEN_OBJ = 0x7b;
export const CLOSE_OBJ = 0x7d;
export const OPEN_ARR = 0x5b;
export const CLOSE_ARR = 0x5d;

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The closing quote of the string opened at `open` (a quote after an odd run of backslashes is escaped); -1 if none. */
export function stringEnd(buf: Buffer, open: number): number {
  let i = open;
  for (;;) {
    i = buf.indexOf(QUOTE, i + 1);
    if (i < 0) return -1;
    let k = i - 1;
    while (buf[k] === BACKSLASH) k--;
    if (((i - 1 - k) & 1) === 0) return i;
  }
}

/** The end (exclusive) of the value starting at `i` (no leading space), bounded by `end`. */
export function valueEnd(buf: Buffer, i: number, end: number): number {
  const c = buf[i];
  if (c === QUOTE) {
    const q = stringEnd(buf, i);
    return q < 0 || q >= end ? end : q + 1;
  }
  if (c === OPEN_OBJ || c === OPEN_ARR) {
    let depth = 0;
    for (let j = i; j < end; j++) {
      const b = buf[j];
      if (b === QUOTE) {
        j = stringEnd(buf, j);
        if (j < 0 || j >= end) return end;
      } else if (b === OPEN_OBJ || b === OPEN_ARR) depth++;
      else if (b === CLOSE_OBJ || b === CLOSE_ARR) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return end;
  }
  // A number or a literal: up to the next delimiter.
  let j = i;
  while (j < end) {
    const b = buf[j];
    if (b === COMMA || b === CLOSE_OBJ || b === CLOSE_ARR || isSpace(b)) break;
    j++;
  }
  return j;
}

/**
 * The value range [start, end) of top-level key `key` (its JSON text without quotes, as bytes) in the
 * row between `from` and `to` (exclusive), or null when the row has no such key (or is no object).
 * `keyText` is the key as a string, compared when the raw key holds escapes.
 */
export function topLevelValue(
  buf: Buffer,
  from: number,
  to: number,
  key: Buffer,
  keyText: string,
): [number, number] | null {
  let i = from;
  while (i < to && isSpace(buf[i])) i++;
  if (buf[i] !== OPEN_OBJ) return null;
  i++;
  let found: [number, number] | null = null;
  for (;;) {
    while (i < to && isSpace(buf[i])) i++;
    if (i >= to || buf[i] !== QUOTE) return found;
    const ks = i + 1;
    const ke = stringEnd(buf, i);
    if (ke < 0 || ke >= to) return found;
    i = ke + 1;
    while (i < to && isSpace(buf[i])) i++;
    if (buf[i] !== COLON) return found;
    i++;
    while (i < to && isSpace(buf[i])) i++;
    const vs = i;
    const ve = valueEnd(buf, i, to);
    if (
      sameBytes(buf, ks, ke, key) ||
      (hasBackslash(buf, ks, ke) && decodeKey(buf, ks - 1, ke + 1) === keyText)
    )
      found = [vs, ve];
    i = ve;
    while (i < to && isSpace(buf[i])) i++;
    if (buf[i] !== COMMA) return found;
    i++;
  }
}

/** buf[from, to) equals `key` (a loop: Buffer#compare's argument checks cost more than short keys). */
function sameBytes(buf: Buffer, from: number, to: number, key: Buffer): boolean {
  if (to - from !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (buf[from + k] !== key[k]) return false;
  return true;
}

function hasBackslash(buf: Buffer, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (buf[k] === BACKSLASH) return true;
  return false;
}

function decodeKey(buf: Buffer, open: number, end: number): string | undefined {
  try {
    return JSON.parse(buf.toString('utf8', open, end)) as string;
  } catch {
    return undefined;
  }
}

/**
 * 1 for each row holding no `{` or `[` besides its opening brace (found with indexOf, not a byte loop).
 * The same for every column and filter of a batch: callers keep it.
 */
export function flatRows(buf: Buffer, delims: Uint32Array, count: number): Uint8Array {
  const braces = new Uint16Array(count);
  const start = (delims[0] as number) + 1;
  const end = delims[count] as number;
  for (const b of [OPEN_OBJ, OPEN_ARR]) {
    let r = 0;
    for (let at = buf.indexOf(b, start); at >= 0 && at < end; at = buf.indexOf(b, at + 1)) {
      while (r < count && (delims[r + 1] as number) < at) r++;
      if (r < count && braces[r]! < 0xffff) braces[r] = braces[r]! + (b === OPEN_OBJ ? 1 : 2);
    }
  }
  const flat = new Uint8Array(count);
  for (let r = 0; r < count; r++) flat[r] = braces[r] === 1 ? 1 : 0;
  return flat;
}

/** The byte before `at` (spaces skipped, not before `from`) is `{` or `,`: the quote at `at` opens a token. */
export function opensToken(buf: Buffer, from: number, at: number): boolean {
  let k = at - 1;
  while (k >= from && isSpace(buf[k])) k--;
  return k >= from && (buf[k] === OPEN_OBJ || buf[k] === COMMA);
}

export function skipSpaces(buf: Buffer, i: number, to: number): number {
  while (i < to && isSpace(buf[i])) i++;
  return i;
}

/**
 * The filter text as it appears in the JSON bytes, or null when that cannot be relied on: only
 * printable ASCII without `"` and `\` (escaped in JSON) or `<`, `>`, `&`, `'` (escaped by some
 * encoders, Go's among them). Lower-cased, as the filter is case-insensitive.
 */
export function rawNeedle(filter: string): string | null {
  const f = filter.toLowerCase();
  if (f === '' || !/^[\x20-\x7e]+$/.test(f) || /["\\<>&']/.test(f)) return null;
  return f;
}

/** The first occurrence of the needle at or after a byte offset, or -1. */
type Find = (from: number) => number;

/**
 * A case-insensitive search for `needle` (from rawNeedle) in `buf`. A needle with a run of two or more
 * characters that have no case ("-042", "\\", "1.2") searches the raw bytes for that run and checks the
 * rest around each hit; otherwise the batch is lower-cased once (a latin1 string, so offsets stay
 * byte offsets: lower-casing never makes ASCII out of other bytes).
 */
export function finder(buf: Buffer, needle: string): Find {
  let best = '';
  for (const run of needle.split(/[a-z]+/)) if (run.length > best.length) best = run;
  if (best.length < 2 && best.length < needle.length) {
    const lower = buf.toString('latin1').toLowerCase();
    return (from) => lower.indexOf(needle, from);
  }
  const anchor = Buffer.from(best, 'latin1');
  const offset = needle.indexOf(best);
  const want = Buffer.from(needle, 'latin1');
  return (from) => {
    for (let a = buf.indexOf(anchor, from + offset); a >= 0; a = buf.indexOf(anchor, a + 1)) {
      const start = a - offset;
      if (start >= from && caseInsensitiveAt(buf, start, want)) return start;
    }
    return -1;
  };
}

function caseInsensitiveAt(buf: Buffer, at: number, want: Buffer): boolean {
  if (at + want.length > buf.length) return false;
  for (let k = 0; k < want.length; k++) {
    const c = buf[at + k] as number;
    if ((c >= 0x41 && c <= 0x5a ? c + 32 : c) !== want[k]) return false;
  }
  return true;
}

/** What the bytes say about a row and a filter. */
export interface Candidates {
  /** Rows that match for sure: the needle is in a string without escapes (its text is its bytes). */
  sure: number[];
  /** Rows that may match: check them on the parsed row (a number's text, an escape, a literal). */
  check: number[];
}

/**
 * The rows (ascending) whose bytes hold `needle` (from rawNeedle) somewhere other than inside a column
 * name, plus rows the bytes cannot rule out: those holding a `\\uXXXX` escape of a character the
 * needle has, a `\\/` when it has a slash, or a character whose lower case is ASCII (U+0130 İ,
 * U+212A K) when it has that letter. Every other row cannot match.
 */
export function filterCandidates(
  buf: Buffer,
  delims: Uint32Array,
  count: number,
  needle: string,
  flat: Uint8Array = flatRows(buf, delims, count),
): Candidates {
  const find = finder(buf, needle);
  const sure: number[] = [];
  const check = new Set<number>();
  let at = find((delims[0] as number) + 1);
  let row = 0;
  while (at >= 0 && row < count) {
    // The row holding `at`: offsets only grow, so walk forward.
    while (row < count && (delims[row + 1] as number) <= at) row++;
    if (row >= count) break;
    const end = delims[row + 1] as number;
    const from = (delims[row] as number) + 1;
    const m = flat[row] ? flatValueMatch(buf, find, from, end, at) : valueMatch(buf, find, from, end, at);
    if (m === SURE) sure.push(row);
    else if (m === CHECK) check.add(row);
    at = find(end);
  }
  for (const pos of unreadable(buf, needle)) {
    const r = rowAt(delims, count, pos);
    if (r >= 0) check.add(r);
  }
  const isSure = new Set(sure);
  return { sure, check: [...check].filter((r) => !isSure.has(r)).sort((a, b) => a - b) };
}

const NO = 0;
const SURE = 1;
const CHECK = 2;

/**
 * valueMatch for a row with no nested value: every unescaped quote opens or closes a top-level token,
 * so the walk jumps from string to string.
 */
function flatValueMatch(buf: Buffer, find: Find, from: number, to: number, first: number): number {
  let at = first;
  let i = from;
  while (at >= 0 && at < to) {
    const open = buf.indexOf(QUOTE, i);
    if (open < 0 || open >= to || at < open) return CHECK; // outside every string
    const close = stringEnd(buf, open);
    if (close < 0 || close >= to) return CHECK;
    if (at < close) {
      const j = skipSpaces(buf, close + 1, to);
      if (buf[j] !== COLON) return hasBackslash(buf, open, close) ? CHECK : SURE;
      at = find(close + 1); // a column name
    }
    i = close + 1;
  }
  return NO;
}

/** UTF-8 of U+0130 and U+212A, whose lower case is ASCII ("i̇", "k"). */
const DOTTED_I = Buffer.from([0xc4, 0xb0]);
const KELVIN = Buffer.from([0xe2, 0x84, 0xaa]);

/** Byte offsets of text the raw search cannot judge (see filterCandidates). */
function unreadable(buf: Buffer, needle: string): number[] {
  const out: number[] = [];
  for (let at = buf.indexOf('\\u'); at >= 0; at = buf.indexOf('\\u', at + 2)) {
    let k = at - 1;
    while (buf[k] === BACKSLASH) k--;
    if (((at - 1 - k) & 1) === 1) continue; // an escaped backslash followed by "u"
    const code = parseInt(buf.toString('latin1', at + 2, at + 6), 16);
    if (code >= 0x20 && code < 0x7f && needle.includes(String.fromCharCode(code).toLowerCase())) out.push(at);
    else if ((code === 0x130 && needle.includes('i')) || (code === 0x212a && needle.includes('k')))
      out.push(at);
  }
  // `\/` is a legal escape of "/" (Go and JavaScript do not write it, other encoders may).
  if (needle.includes('/'))
    for (let at = buf.indexOf('\\/'); at >= 0; at = buf.indexOf('\\/', at + 2)) {
      let k = at - 1;
      while (buf[k] === BACKSLASH) k--;
      if (((at - 1 - k) & 1) === 0) out.push(at);
    }
  if (needle.includes('i'))
    for (let at = buf.indexOf(DOTTED_I); at >= 0; at = buf.indexOf(DOTTED_I, at + 1)) out.push(at);
  if (needle.includes('k'))
    for (let at = buf.indexOf(KELVIN); at >= 0; at = buf.indexOf(KELVIN, at + 1)) out.push(at);
  return out;
}

/** The row holding byte `pos`, or -1. */
function rowAt(delims: Uint32Array, count: number, pos: number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((delims[mid] as number) < pos) lo = mid;
    else hi = mid - 1;
  }
  return lo < count && (delims[lo] as number) < pos && pos < (delims[lo + 1] as number) ? lo : -1;
}

/**
 * Whether the row [from, to) holds the needle outside a column name (a string followed by `:` directly
 * inside the row's object), given its first occurrence at `first`: SURE in a string without escapes
 * (at any depth: a nested object's keys and strings are part of its cell's compact JSON text), CHECK
 * outside strings or in one with escapes, NO otherwise.
 */
function valueMatch(buf: Buffer, find: Find, from: number, to: number, first: number): number {
  let at = first;
  let depth = 0;
  for (let i = from; i < to && at >= 0 && at < to; i++) {
    if (at < i) return CHECK; // the occurrence started outside every string
    const c = buf[i];
    if (c === QUOTE) {
      const close = stringEnd(buf, i);
      if (close < 0 || close >= to) return CHECK;
      if (at < close) {
        const j = skipSpaces(buf, close + 1, to);
        if (depth !== 1 || buf[j] !== COLON) return hasBackslash(buf, i, close) ? CHECK : SURE;
        at = find(close + 1);
      }
      i = close;
    } else if (c === OPEN_OBJ || c === OPEN_ARR) depth++;
    else if (c === CLOSE_OBJ || c === CLOSE_ARR) depth--;
  }
  return at >= 0 && at < to ? CHECK : NO;
}
