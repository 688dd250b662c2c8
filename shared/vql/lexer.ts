/**
 * The one VQL lexer. It splits text exactly as Velociraptor's engine (vfilter) does, because the
 * read-only gate must see the same tokens the server will run: vfilter builds its lexer from an
 * ordered list of rules and, at each position, takes the FIRST rule that matches (not the longest).
 * The rules, in vfilter's order:
 *
 *   whitespace     [ \t\n\f\r]+               (RE2's \s: no \v, no Unicode spaces)
 *   /* … *\/        block comment, only when closed
 *   -- …  // …     line comments, from ANY token start to the end of the line (the engine's `^`
 *                  anchors at the rest of the input, so `x --y` is `x` and a comment)
 *   keywords       EXPLAIN SELECT WHERE AND OR FROM NOT AS IN LIMIT NULL DESC GROUP␣BY ORDER␣BY
 *                  TRUE FALSE LET; case-insensitive (with Unicode folding: ſ is s, K is k), ASCII
 *                  word boundary after. ASC is not a keyword.
 *   || | && …      `|+` and `&&` (alternative OR / AND)
 *   number         -?(0x[0-9a-fA-F]+ | \d*\.?\d+([eE][-+]?\d+)?)   — a leading '-' belongs to it
 *   ident          [a-zA-Z_][a-zA-Z0-9_]* or `anything but a backtick`
 *   -ident         the same with a leading '-' (a negated symbol: `-label(…)` calls label)
 *   operators      <> != <= >= => =~ - + : * / % , . ( ) = < > { } [ ]
 *   '''…'''        raw string
 *   '…' "…"        strings; a backslash escapes any character, newlines allowed
 *
 * Anything else (`;`, `!`, `==` is two `=`, non-ASCII outside strings) is a lexer error on the
 * server, so it is one here. Written by hand (no regular expressions on the input) so it runs in
 * linear time on any text and agrees with Go's RE2 rules character for character.
 *
 * Tolerant mode (for text being typed: completion, formatting) never throws: a string, comment or
 * backtick name left open runs to the end of the text and is marked `unterminated`, and a
 * character the engine would refuse becomes an `invalid` token.
 *
 * No Node, no DOM: the renderer, the core and the simulator all import this file.
 */

export type VqlTokenKind =
  'whitespace' | 'comment' | 'keyword' | 'ident' | 'number' | 'string' | 'op' | 'invalid';

export interface VqlToken {
  kind: VqlTokenKind;
  /** The exact source text. */
  text: string;
  /**
   * keyword: its canonical spelling (`SELECT`, `GROUP BY`); ident: the name as the engine sees it
   * (backticks and the negating '-' removed); string: the decoded value; otherwise the text.
   */
  value: string;
  start: number;
  end: number;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
  /** An ident written `-name` (vfilter's SymbolIdent: the value is negated). */
  negated?: boolean;
  /** An ident written in backticks. */
  quoted?: boolean;
  /** Tolerant mode: the text ends inside this string, comment or backtick name. */
  unterminated?: boolean;
}

export interface LexOptions {
  /** Never throw: open strings/comments run to the end, refused characters become `invalid` tokens. */
  tolerant?: boolean;
  /** Keep whitespace and comment tokens (the engine drops them). */
  trivia?: boolean;
}

export class VqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${line}:${column}: ${message}`);
    this.name = 'VqlSyntaxError';
  }
}

/** The keywords in the engine's rule order (the two-word ones allow any whitespace between). */
const KEYWORDS = [
  'EXPLAIN',
  'SELECT',
  'WHERE',
  'AND',
  'OR',
  'FROM',
  'NOT',
  'AS',
  'IN',
  'LIMIT',
  'NULL',
  'DESC',
  'GROUP BY',
  'ORDER BY',
  'TRUE',
  'FALSE',
  'LET',
] as const;
export type VqlKeyword = (typeof KEYWORDS)[number];

const TWO_CHAR_OPS = ['<>', '!=', '<=', '>=', '=>', '=~'];
const ONE_CHAR_OPS = new Set([...'-+:*/%,.()=<>{}[]']);

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isHex = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdentPart = (c: number): boolean => isIdentStart(c) || isDigit(c);
/** RE2's \w for \b: ASCII only. */
const isWord = isIdentPart;

/** Does `ch` match ASCII letter `upper` case-insensitively, as Go's (?i) folds it? */
function foldsTo(ch: string, upper: string): boolean {
  if (ch.toUpperCase() === upper && ch.length === 1 && ch.charCodeAt(0) < 128) return true;
  // Go's simple case folding puts ſ (U+017F) with s and the Kelvin sign (U+212A) with k.
  return (upper === 'S' && ch === '\u017f') || (upper === 'K' && ch === '\u212a');
}

/** Keywords by their first letter (upper case), each split into its words, in rule order. */
const KEYWORDS_BY_INITIAL = new Map<string, Array<{ word: VqlKeyword; parts: string[] }>>();
for (const word of KEYWORDS) {
  const list = KEYWORDS_BY_INITIAL.get(word[0] ?? '') ?? [];
  list.push({ word, parts: word.split(' ') });
  KEYWORDS_BY_INITIAL.set(word[0] ?? '', list);
}

/** The length of the keyword made of `parts` at `i`, or 0. */
function keywordAt(src: string, i: number, parts: readonly string[]): number {
  // \b before: the match starts the rest of the input, so its first character must be a word character.
  if (!isWord(src.charCodeAt(i))) return 0;
  let j = i;
  for (let p = 0; p < parts.length; p++) {
    if (p > 0) {
      const ws = j;
      while (j < src.length && isSpace(src.charCodeAt(j))) j++;
      if (j === ws) return 0;
    }
    for (const letter of parts[p] ?? '') {
      if (j >= src.length || !foldsTo(src[j] ?? '', letter)) return 0;
      j++;
    }
  }
  // \b after: RE2's boundary is ASCII, so a final ſ (not a word character) needs a word character next.
  if (isWord(src.charCodeAt(j - 1)) === isWord(src.charCodeAt(j))) return 0;
  return j - i;
}

/** The keyword at `i` (the first in rule order that matches) and its length. */
function keywordMatch(src: string, i: number): { word: VqlKeyword; length: number } | undefined {
  const c = src.charCodeAt(i);
  // Keywords start with an ASCII letter (ſ and K never start one: \b needs an ASCII word character).
  if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return undefined;
  for (const k of KEYWORDS_BY_INITIAL.get(String.fromCharCode(c & ~32)) ?? []) {
    const length = keywordAt(src, i, k.parts);
    if (length > 0) return { word: k.word, length };
  }
  return undefined;
}

/** The length of a number at `i` (vfilter's Number rule, leftmost-first), or 0. */
function numberAt(src: string, i: number): number {
  let j = i;
  if (src[j] === '-') j++;
  if (src[j] === '0' && src[j + 1] === 'x' && isHex(src.charCodeAt(j + 2))) {
    j += 2;
    while (j < src.length && isHex(src.charCodeAt(j))) j++;
    return j - i;
  }
  // \d*\.?\d+ : digits, then an optional '.', then at least one digit (backtracking when needed).
  const d0 = j;
  while (j < src.length && isDigit(src.charCodeAt(j))) j++;
  const digits = j - d0;
  if (src[j] === '.' && isDigit(src.charCodeAt(j + 1))) {
    j++;
    while (j < src.length && isDigit(src.charCodeAt(j))) j++;
  } else if (digits === 0) return 0;
  // ([eE][-+]?\d+)?
  if (src[j] === 'e' || src[j] === 'E') {
    let k = j + 1;
    if (src[k] === '+' || src[k] === '-') k++;
    if (isDigit(src.charCodeAt(k))) {
      while (k < src.length && isDigit(src.charCodeAt(k))) k++;
      j = k;
    }
  }
  return j - i;
}

/** The end of a quoted string starting at `i` (quote `q`), or -1 when it is not closed. */
function stringEnd(src: string, i: number, q: string): number {
  let j = i + 1;
  while (j < src.length) {
    const c = src[j];
    if (c === '\\') {
      if (j + 1 >= src.length) return -1;
      j += 2;
      continue;
    }
    if (c === q) return j + 1;
    j++;
  }
  return -1;
}

function utf8(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return out;
}

/** UTF-8 bytes to text; an invalid sequence becomes U+FFFD (as Go does when the bytes are printed). */
function fromUtf8(b: number[]): string {
  let out = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i] ?? 0;
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    const need = c >> 5 === 6 ? 1 : c >> 4 === 14 ? 2 : c >> 3 === 30 ? 3 : 0;
    let cp = c & (0x3f >> need);
    let ok = need > 0 && i + need < b.length;
    for (let k = 1; ok && k <= need; k++) {
      const n = b[i + k] ?? 0;
      ok = n >> 6 === 2;
      cp = (cp << 6) | (n & 63);
    }
    const min = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000;
    if (!ok || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      out += '\ufffd';
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

const HEX = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;

/**
 * A string literal's value as vfilter's Unquote computes it: '''raw''' as is; otherwise byte-wise
 * escapes (\n \r \t \xHH, any other escaped character stands for itself), including its quirks (an
 * escape cut off by the end stops decoding; an invalid \x copies a byte from the output position).
 */
export function unquoteString(text: string): string {
  if (text.startsWith("'''") && text.endsWith("'''") && text.length >= 6) return text.slice(3, -3);
  const q = text[0];
  if (q !== '"' && q !== "'") return text;
  const input = utf8(text.slice(1, -1));
  const out: number[] = [];
  const end = input.length - 1;
  let i = 0;
  while (i <= end) {
    const c = input[i] ?? 0;
    if (c !== 92) {
      out.push(c);
      i++;
      continue;
    }
    if (i >= end) break;
    const e = input[i + 1] ?? 0;
    if (e === 120 || e === 88) {
      if (i > end - 3) break;
      const hi = HEX(input[i + 2] ?? 0);
      const lo = HEX(input[i + 3] ?? 0);
      if (hi < 0 || lo < 0) {
        // vfilter copies in[j] (the output index) here: a bug kept for fidelity.
        out.push(input[out.length] ?? 0);
        i++;
      } else {
        out.push((hi << 4) | lo);
        i += 4;
      }
      continue;
    }
    out.push(e === 114 ? 13 : e === 110 ? 10 : e === 116 ? 9 : e);
    i += 2;
  }
  return fromUtf8(out);
}

/** A backtick name as vfilter's SplitIdent sees it: the backticks dropped, nothing decoded. */
function identValue(text: string): string {
  return text.startsWith('`') ? text.slice(1, text.endsWith('`') ? -1 : undefined) : text;
}

/** Tokenizes VQL. Strict (default): throws VqlSyntaxError where the engine's lexer fails. */
export function lexVql(source: string, options: LexOptions = {}): VqlToken[] {
  const tolerant = options.tolerant ?? false;
  const trivia = options.trivia ?? false;
  const tokens: VqlToken[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  // Where a search for a closing */ or ''' found none: later searches cannot either (keeps it linear).
  let noBlockCloseFrom = Infinity;
  let noRawCloseFrom = Infinity;
  const find = (what: string, from: number, noneFrom: number): number =>
    from >= noneFrom ? -1 : source.indexOf(what, from);

  const push = (kind: VqlTokenKind, end: number, extra: Partial<VqlToken> = {}): void => {
    const text = source.slice(i, end);
    const tok: VqlToken = {
      kind,
      text,
      value: extra.value ?? text,
      start: i,
      end,
      line,
      column: i - lineStart + 1,
    };
    if (extra.negated) tok.negated = true;
    if (extra.quoted) tok.quoted = true;
    if (extra.unterminated) tok.unterminated = true;
    if (trivia || (kind !== 'whitespace' && kind !== 'comment')) tokens.push(tok);
    for (let k = i; k < end; k++) {
      if (source.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
    i = end;
  };
  const fail = (what: string): never => {
    const sample = [...source.slice(i)].slice(0, 16).join('');
    throw new VqlSyntaxError(
      `${what} ${JSON.stringify(sample + (source.length - i > 16 ? '...' : ''))}`,
      line,
      i - lineStart + 1,
    );
  };

  while (i < source.length) {
    const c = source.charCodeAt(i);
    const ch = source[i] ?? '';
    const next = source[i + 1];

    if (isSpace(c)) {
      let j = i + 1;
      while (j < source.length && isSpace(source.charCodeAt(j))) j++;
      push('whitespace', j);
      continue;
    }
    if (ch === '/' && next === '*') {
      const close = find('*/', i + 2, noBlockCloseFrom);
      if (close < 0) noBlockCloseFrom = Math.min(noBlockCloseFrom, i + 2);
      if (close >= 0) {
        push('comment', close + 2);
        continue;
      }
      if (tolerant) {
        push('comment', source.length, { unterminated: true });
        continue;
      }
      // Not closed: the engine reads '/' and '*' as operators.
    }
    if ((ch === '-' && next === '-') || (ch === '/' && next === '/')) {
      const nl = source.indexOf('\n', i);
      push('comment', nl < 0 ? source.length : nl);
      continue;
    }
    const kw = keywordMatch(source, i);
    if (kw) {
      push('keyword', i + kw.length, { value: kw.word });
      continue;
    }
    if (ch === '|') {
      let j = i + 1;
      while (source[j] === '|') j++;
      push('op', j, { value: '||' });
      continue;
    }
    if (ch === '&' && next === '&') {
      push('op', i + 2);
      continue;
    }
    const n = numberAt(source, i);
    if (n > 0) {
      push('number', i + n);
      continue;
    }
    const neg = ch === '-' ? 1 : 0;
    const at = i + neg;
    if (isIdentStart(source.charCodeAt(at))) {
      let j = at + 1;
      while (j < source.length && isIdentPart(source.charCodeAt(j))) j++;
      push('ident', j, { value: source.slice(at, j), ...(neg ? { negated: true } : {}) });
      continue;
    }
    if (source[at] === '`') {
      const close = source.indexOf('`', at + 1);
      if (close > at + 1) {
        const text = source.slice(at, close + 1);
        push('ident', close + 1, {
          value: identValue(text),
          quoted: true,
          ...(neg ? { negated: true } : {}),
        });
        continue;
      }
      if (close < 0 && tolerant) {
        push('ident', source.length, {
          value: identValue(source.slice(at)),
          quoted: true,
          unterminated: true,
          ...(neg ? { negated: true } : {}),
        });
        continue;
      }
      // `` (empty) or unclosed: not a name; '-' may still be an operator below.
    }
    const two = source.slice(i, i + 2);
    if (TWO_CHAR_OPS.includes(two)) {
      push('op', i + 2);
      continue;
    }
    if (ONE_CHAR_OPS.has(ch)) {
      push('op', i + 1);
      continue;
    }
    if (source.startsWith("'''", i)) {
      const close = find("'''", i + 3, noRawCloseFrom);
      if (close < 0) noRawCloseFrom = Math.min(noRawCloseFrom, i + 3);
      if (close >= 0) {
        push('string', close + 3, { value: source.slice(i + 3, close) });
        continue;
      }
      if (tolerant) {
        push('string', source.length, { value: source.slice(i + 3), unterminated: true });
        continue;
      }
      // Not closed: the engine reads '' (an empty string) and goes on from the third quote.
    }
    if (ch === "'" || ch === '"') {
      const end = stringEnd(source, i, ch);
      if (end > 0) {
        push('string', end, { value: unquoteString(source.slice(i, end)) });
        continue;
      }
      if (tolerant) {
        push('string', source.length, {
          value: unquoteString(source.slice(i) + ch),
          unterminated: true,
        });
        continue;
      }
    }
    if (tolerant) {
      push('invalid', i + (ch.length || 1));
      continue;
    }
    fail('lexer: invalid input text');
  }
  return tokens;
}

/** True for a keyword token spelling `word` (canonical upper case, e.g. 'GROUP BY'). */
export function isKeyword(t: VqlToken | undefined, word: VqlKeyword): boolean {
  return t?.kind === 'keyword' && t.value === word;
}

/** True for an operator token `op`. */
export function isOp(t: VqlToken | undefined, op: string): boolean {
  return t?.kind === 'op' && t.value === op;
}
