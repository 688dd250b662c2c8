/**
 * VQL tokenizer: identifiers (and `backtick` identifiers), numbers, '…' / "…" strings with escapes,
 * '''…''' raw strings, operators, and comments (`--`, `//`, `/* … *\/`) skipped.
 */
export type TokenKind = 'ident' | 'number' | 'string' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Decoded value for strings and numbers. */
  value: string | number;
  line: number;
  column: number;
  start: number;
  end: number;
}

export class VqlSyntaxError extends Error {}

const OPERATORS = [
  '<=',
  '>=',
  '!=',
  '=~',
  '==',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  '.',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  ';',
  ':',
];

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '0': '\0',
};

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const at = (start: number): { line: number; column: number } => ({ line, column: start - lineStart + 1 });
  const fail = (start: number, message: string): never => {
    const p = at(start);
    throw new VqlSyntaxError(`${p.line}:${p.column}: ${message}`);
  };
  const advanceLines = (from: number, to: number): void => {
    for (let k = from; k < to; k++) {
      if (source[k] === '\n') {
        line++;
        lineStart = k + 1;
      }
    }
  };

  while (i < source.length) {
    const c = source[i] ?? '';
    if (/\s/.test(c)) {
      advanceLines(i, i + 1);
      i++;
      continue;
    }
    if ((c === '-' && source[i + 1] === '-') || (c === '/' && source[i + 1] === '/')) {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const close = source.indexOf('*/', i + 2);
      if (close < 0) fail(i, 'unterminated comment');
      advanceLines(i, close + 2);
      i = close + 2;
      continue;
    }
    const start = i;
    const pos = at(start);
    if (/[A-Za-z_$]/.test(c)) {
      while (i < source.length && /[A-Za-z0-9_$]/.test(source[i] ?? '')) i++;
      const text = source.slice(start, i);
      tokens.push({ kind: 'ident', text, value: text, ...pos, start, end: i });
      continue;
    }
    if (c === '`') {
      const close = source.indexOf('`', i + 1);
      if (close < 0) fail(i, 'unterminated `identifier`');
      const name = source.slice(i + 1, close);
      i = close + 1;
      tokens.push({ kind: 'ident', text: source.slice(start, i), value: name, ...pos, start, end: i });
      continue;
    }
    if (/[0-9]/.test(c)) {
      let m = /^0x[0-9a-fA-F]+/.exec(source.slice(i));
      m ??= /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i));
      const text = m?.[0] ?? c;
      i += text.length;
      tokens.push({ kind: 'number', text, value: Number(text), ...pos, start, end: i });
      continue;
    }
    if (c === "'" && source.startsWith("'''", i)) {
      const close = source.indexOf("'''", i + 3);
      if (close < 0) fail(i, 'unterminated string');
      const value = source.slice(i + 3, close);
      advanceLines(i, close + 3);
      i = close + 3;
      tokens.push({ kind: 'string', text: source.slice(start, i), value, ...pos, start, end: i });
      continue;
    }
    if (c === "'" || c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= source.length) fail(start, 'unterminated string');
        const d = source[i] ?? '';
        if (d === c) {
          i++;
          break;
        }
        if (d === '\\') {
          const e = source[i + 1] ?? '';
          if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(source.slice(i + 2, i + 4))) {
            value += String.fromCharCode(parseInt(source.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          value += ESCAPES[e] ?? '\\' + e;
          i += 2;
          continue;
        }
        if (d === '\n') {
          line++;
          lineStart = i + 1;
        }
        value += d;
        i++;
      }
      tokens.push({ kind: 'string', text: source.slice(start, i), value, ...pos, start, end: i });
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (!op) fail(i, `invalid input text "${source.slice(i, i + 10)}"`);
    i += (op ?? '').length;
    tokens.push({ kind: 'op', text: op ?? '', value: op ?? '', ...pos, start, end: i });
  }
  tokens.push({ kind: 'eof', text: '', value: '', ...at(i), start: i, end: i });
  return tokens;
}
