/**
 * A conservative VQL formatter: keywords upper-cased and the main clauses on their own lines.
 * It works on the tokens of the one VQL lexer (shared/vql/lexer, tolerant of partial text), so
 * strings, comments and names are copied untouched and formatting can never change a query's meaning.
 */
import { lexVql, type VqlToken } from '../../../shared/vql/lexer';

const BREAK_BEFORE = new Set(['FROM', 'WHERE', 'LIMIT', 'ORDER BY', 'GROUP BY', 'LET']);

function significant(t: VqlToken): boolean {
  return t.kind !== 'whitespace' && t.kind !== 'comment';
}

export function formatVql(text: string): string {
  const tokens = lexVql(text, { tolerant: true, trivia: true });
  const nextSignificant: Array<VqlToken | undefined> = [];
  for (let i = tokens.length - 1, seen: VqlToken | undefined; i >= 0; i--) {
    nextSignificant[i] = seen;
    const t = tokens[i] as VqlToken;
    if (significant(t)) seen = t;
  }
  let out = '';
  let prev: VqlToken | undefined;
  tokens.forEach((t, i) => {
    const next = nextSignificant[i];
    // A keyword after '.' is a member name, and one before '(' a call: copied as written.
    const keep = t.kind !== 'keyword' || prev?.value === '.' || next?.value === '(';
    if (keep) out += t.text;
    else {
      if (BREAK_BEFORE.has(t.value) && out.trim() !== '' && !/\n\s*$/.test(out))
        out = out.replace(/[ \t]+$/, '') + '\n';
      out += t.value;
    }
    if (significant(t)) prev = t;
  });
  return out;
}
