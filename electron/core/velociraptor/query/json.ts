/**
 * Exact JSON for Velociraptor rows. uint64 fields can exceed 2^53, and Node 20's JSON.parse has no
 * reviver source text, so a reviver could not recover them anyway (and costs ~4×). Instead:
 * JSON.parse runs natively, a walk counts integers that lost precision (cheap: ~5% of the parse),
 * and only when there are some is the text re-parsed with those literals quoted under a
 * per-process marker; a second walk turns the marked strings into BigInt (or decimal strings).
 * Finding the literals: a candidate regex (a 16+ digit integer between JSON delimiters) is tried
 * first; it is accepted when its count equals the walk's count, the result parses, and nothing
 * imprecise is left. Otherwise a full tokenizer that skips strings decides.
 */
import { randomBytes } from 'node:crypto';

export type JsonValue =
  null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };
export type Row = Record<string, JsonValue>;
export type BigIntMode = 'bigint' | 'string';

// A 16+ digit integer literal standing between JSON delimiters (compact or spaced). It starts with
// the delimiter, not the digits: scanning for a 3-character class is several times faster than
// trying a 16-digit run at every digit.
const CANDIDATE = /([:,[]\s*)(-?\d{16,})(?=\s*[,}\]])/g;
// A JSON string, or an integer literal of 16+ digits not part of a fraction/exponent.
// The string branch is the unrolled form: it does not grow the backtrack stack per character.
const TOKEN = /"[^"\\]*(?:\\.[^"\\]*)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g;
// Random so that no string inside the data can collide with it by chance or design.
const MARK = `\u0001bi${randomBytes(6).toString('hex')}:`;
// The marker as it must appear inside JSON text (control characters are escaped there).
const MARK_IN_JSON = JSON.stringify(MARK).slice(1, -1);

function isUnsafeNumber(v: number): boolean {
  return (v > Number.MAX_SAFE_INTEGER || v < -Number.MAX_SAFE_INTEGER) && Number.isInteger(v);
}

/** How many numbers in a parsed value are integers beyond ±(2^53−1). */
export function countUnsafe(v: unknown): number {
  if (typeof v === 'number') return isUnsafeNumber(v) ? 1 : 0;
  if (typeof v !== 'object' || v === null) return 0;
  let n = 0;
  const values = Array.isArray(v) ? (v as unknown[]) : Object.values(v);
  for (let i = 0; i < values.length; i++) n += countUnsafe(values[i]);
  return n;
}

function isUnsafe(literal: string): boolean {
  // By length and text: JSON integers have no leading zeros, so no BigInt is needed to compare.
  const digits = literal.charCodeAt(0) === 45 /* - */ ? literal.slice(1) : literal;
  if (digits.length !== 16) return digits.length > 16;
  return digits > '9007199254740991';
}

function revive(value: unknown, mode: BigIntMode): JsonValue {
  if (typeof value === 'string') {
    if (!value.startsWith(MARK)) return value;
    const digits = value.slice(MARK.length);
    return mode === 'bigint' ? BigInt(digits) : digits;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i], mode);
    return value as JsonValue[];
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const k of Object.keys(obj)) obj[k] = revive(obj[k], mode);
    return obj as Record<string, JsonValue>;
  }
  return value as JsonValue;
}

/** Parses JSON keeping integers beyond ±(2^53−1) exact. */
export function parseJsonExact(text: string, mode: BigIntMode = 'bigint'): JsonValue {
  const parsed = JSON.parse(text) as JsonValue;
  const unsafe = countUnsafe(parsed);
  return unsafe === 0 ? parsed : reparseExact(text, unsafe, mode, parsed);
}

const INDEX_KEY = /^(?:0|[1-9]\d*)$/;

/**
 * Fastest exact path: no second parse. The unsafe literals found by CANDIDATE, in text order, are
 * matched to the imprecise numbers met by a walk of the parsed value in document order. The walk
 * order equals text order unless an object has integer-like keys (V8 puts those first — and only
 * first, so checking each object's first key is enough). Every imprecise number must meet a literal
 * that rounds to it, and every literal must be used; otherwise the caller re-parses. Mutates
 * `parsed`.
 */
function patchInPlace(text: string, parsed: JsonValue, mode: BigIntMode): boolean {
  const lits: string[] = [];
  for (const m of text.matchAll(CANDIDATE)) {
    const lit = m[2] as string;
    if (isUnsafe(lit)) lits.push(lit);
  }
  if (lits.length === 0) return false;
  let i = 0;
  let ok = true;
  // Returns the replacement for an imprecise number, or undefined (and ok=false) on a mismatch.
  const exact = (v: number): JsonValue | undefined => {
    const lit = lits[i++];
    if (lit === undefined || Number(lit) !== v) {
      ok = false;
      return undefined;
    }
    return mode === 'bigint' ? BigInt(lit) : lit;
  };
  // Primitives are handled inline: a call per value cost more than the check itself.
  const visit = (v: JsonValue[] | { [key: string]: JsonValue }): void => {
    if (Array.isArray(v)) {
      for (let k = 0; k < v.length && ok; k++) {
        const x = v[k];
        if (typeof x === 'number') {
          if (isUnsafeNumber(x)) v[k] = exact(x) ?? x;
        } else if (typeof x === 'object' && x !== null && typeof x !== 'bigint') visit(x);
      }
      return;
    }
    const keys = Object.keys(v);
    if (keys.length > 0 && INDEX_KEY.test(keys[0] ?? '')) {
      ok = false;
      return;
    }
    for (let k = 0; k < keys.length && ok; k++) {
      const key = keys[k] as string;
      const x = v[key];
      if (typeof x === 'number') {
        if (isUnsafeNumber(x)) v[key] = exact(x) ?? x;
      } else if (typeof x === 'object' && x !== null) visit(x);
    }
  };
  if (typeof parsed === 'object' && parsed !== null && typeof parsed !== 'bigint') visit(parsed);
  else return false;
  return ok && i === lits.length;
}

/**
 * Second pass for text whose plain parse had `unsafe` imprecise integers (-1: not counted, which
 * skips the regex-replace try). With `parsed` (that plain parse, which may be mutated) it first
 * tries to patch it without parsing again.
 */
export function reparseExact(text: string, unsafe: number, mode: BigIntMode, parsed?: JsonValue): JsonValue {
  if (parsed !== undefined && patchInPlace(text, parsed, mode)) return parsed;
  let hits = 0;
  const quick = text.replace(CANDIDATE, (whole, lead: string, lit: string) => {
    if (!isUnsafe(lit)) return whole;
    hits++;
    return `${lead}"${MARK_IN_JSON}${lit}"`;
  });
  if (hits === unsafe) {
    // A look-alike inside a string would have split that string (a syntax error), and a missed
    // literal (e.g. 1e20) would still be imprecise: either way the full tokenizer decides.
    try {
      const v = revive(JSON.parse(quick), mode);
      if (countUnsafe(v) === 0) return v;
    } catch {
      /* fall through */
    }
  }
  const full = text.replace(TOKEN, (tok) =>
    tok.charCodeAt(0) === 34 /* " */ || !isUnsafe(tok) ? tok : `"${MARK_IN_JSON}${tok}"`,
  );
  return revive(JSON.parse(full), mode);
}

/** A Velociraptor `Response`: a JSON array of row objects. */
export function parseRows(text: string, mode: BigIntMode = 'bigint'): Row[] {
  if (text === '' || text === '[]') return [];
  const v = parseJsonExact(text, mode);
  if (!Array.isArray(v)) throw new TypeError('Response is not a JSON array');
  return v as Row[];
}

/** JSON text for values that may hold BigInt: big integers come out as bare digits, exactly. */
export function stringifyExact(value: unknown, space?: number): string {
  // Most values hold no BigInt: plain JSON.stringify (no replacer call per value, several times
  // faster) serialises them, and throws a TypeError only when a BigInt is in there.
  try {
    return JSON.stringify(value, undefined, space);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
  }
  let hasBig = false;
  const text = JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v !== 'bigint') return v;
      hasBig = true;
      return `${MARK}${v.toString()}`;
    },
    space,
  );
  if (!hasBig) return text;
  // JSON.stringify escapes \u0001 as the 6 characters \u0001; match that exact form.
  const escaped = MARK_IN_JSON.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  return text.replace(new RegExp(`"${escaped}(-?\\d+)"`, 'g'), '$1');
}
