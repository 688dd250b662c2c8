/**
 * A conservative VQL formatter: keywords upper-cased and the main clauses on their own lines.
 * Strings and comments are copied untouched, so formatting can never change a query's meaning.
 */
const KEYWORDS = [
  'SELECT',
  'FROM',
  'WHERE',
  'LET',
  'LIMIT',
  'ORDER BY',
  'GROUP BY',
  'AND',
  'OR',
  'NOT',
  'AS',
  'DESC',
  'IN',
  'IF',
];
const BREAK_BEFORE = new Set(['FROM', 'WHERE', 'LIMIT', 'ORDER BY', 'GROUP BY', 'LET']);

export function formatVql(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      const stop = end < 0 ? text.length : end + 3;
      out += text.slice(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (text.startsWith('--', i) || text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      out += text.slice(i, stop);
      i = stop;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop);
      i = stop;
    } else if (/[A-Za-z_]/.test(c) && !/[A-Za-z0-9_.]/.test(text[i - 1] ?? ' ')) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(\s+BY\b)?/i.exec(text.slice(i))!;
      const word = m[0];
      const norm = word.replace(/\s+/g, ' ').toUpperCase();
      const isCall = /^\s*\(/.test(text.slice(i + word.length));
      if (KEYWORDS.includes(norm) && !isCall) {
        if (BREAK_BEFORE.has(norm) && out.trim() !== '' && !/\n\s*$/.test(out))
          out = out.replace(/[ \t]+$/, '') + '\n';
        out += norm;
      } else out += word;
      i += word.length;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
