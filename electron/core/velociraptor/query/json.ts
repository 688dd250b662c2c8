/**
 * Exact JSON for Velociraptor rows. uint64 fields can exceed 2^53, and Node 20's JSON.parse has no
 * reviver source text, so a reviver could not recover them anyway (and costs ~4×). Instead:
 * a cheap pre-check looks for a digit run that could be an unsafe integer (17+ digits, or 16
 * digits starting with 9: everything below 9·10^15 is safe, which keeps µs timestamps on the
 * fast path); only then a tokenizing regex quotes the unsafe integer literals outside strings
 * with a per-process marker, JSON.parse runs natively, and a walk turns marked strings into
 * BigInt (or decimal strings).
 */
import { randomBytes } from 'node:crypto';

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };
export type Row = Record<string, JsonValue>;
export type BigIntMode = 'bigint' | 'string';

const MAYBE_UNSAFE = /\d{17}|9\d{15}/;
// A JSON string, or an integer literal of 16+ digits not part of a fraction/exponent.
// The string branch is the unrolled form: it does not grow the backtrack stack per character.
const TOKEN = /"[^"\\]*(?:\\.[^"\\]*)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g;
// Random so that no string inside the data can collide with it by chance or design.
const MARK = `\u0001bi${randomBytes(6).toString('hex')}:`;
// The marker as it must appear inside JSON text (control characters are escaped there).
const MARK_IN_JSON = JSON.stringify(MARK).slice(1, -1);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function mayHaveUnsafeIntegers(text: string): boolean {
  return MAYBE_UNSAFE.test(text);
}

function isUnsafe(literal: string): boolean {
  const v = BigInt(literal);
  return v > MAX_SAFE || v < -MAX_SAFE;
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
  if (!mayHaveUnsafeIntegers(text)) return JSON.parse(text) as JsonValue;
  let found = false;
  const rewritten = text.replace(TOKEN, (tok) => {
    if (tok.charCodeAt(0) === 34 /* " */ || !isUnsafe(tok)) return tok;
    found = true;
    return `"${MARK_IN_JSON}${tok}"`;
  });
  const parsed: unknown = JSON.parse(rewritten);
  return found ? revive(parsed, mode) : (parsed as JsonValue);
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
