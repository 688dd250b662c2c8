import { describe, expect, it } from 'vitest';
import { lexVql, unquoteString, VqlSyntaxError, type VqlToken } from './lexer';

const kinds = (src: string, opts = {}) => lexVql(src, opts).map((t) => `${t.kind}:${t.value}`);
const words = (src: string) => lexVql(src).map((t) => t.value);

// The cases marked (real) were run on Velociraptor 0.77.2 and behaved as asserted there.
describe('the VQL lexer follows the engine', () => {
  it('splits a query into keywords, names, operators and literals', () => {
    expect(kinds("SELECT Name, len(list=[1, 2]) AS N FROM clients() WHERE Os =~ 'win'")).toEqual([
      'keyword:SELECT',
      'ident:Name',
      'op:,',
      'ident:len',
      'op:(',
      'ident:list',
      'op:=',
      'op:[',
      'number:1',
      'op:,',
      'number:2',
      'op:]',
      'op:)',
      'keyword:AS',
      'ident:N',
      'keyword:FROM',
      'ident:clients',
      'op:(',
      'op:)',
      'keyword:WHERE',
      'ident:Os',
      'op:=~',
      'string:win',
    ]);
  });

  it('starts a -- or // comment at any token, not only at the start of a line (real)', () => {
    expect(words('SELECT 1 AS A FROM scope() --WHERE FALSE')).toEqual([
      'SELECT',
      '1',
      'AS',
      'A',
      'FROM',
      'scope',
      '(',
      ')',
    ]);
    expect(words('SELECT x//y\nFROM info()')).toEqual(['SELECT', 'x', 'FROM', 'info', '(', ')']);
    expect(lexVql('a -- b\nc', { trivia: true }).map((t) => t.kind)).toEqual([
      'ident',
      'whitespace',
      'comment',
      'whitespace',
      'ident',
    ]);
  });

  it('reads /* only when closed; an open one is two operators (real: "unexpected token /")', () => {
    expect(words('a /* b */ c')).toEqual(['a', 'c']);
    expect(words('a /* b')).toEqual(['a', '/', '*', 'b']);
  });

  it('matches keywords case-insensitively with Go folding and an ASCII word boundary (real)', () => {
    expect(kinds('select Group  By order\nby asc')).toEqual([
      'keyword:SELECT',
      'keyword:GROUP BY',
      'keyword:ORDER BY',
      'ident:asc',
    ]);
    // ſ folds to s, but is not an ASCII word character: "Aſx" is AS then x; "ſELECT" fails.
    expect(kinds('1 Aſx')).toEqual(['number:1', 'keyword:AS', 'ident:x']);
    expect(() => lexVql('ſELECT 1')).toThrow(VqlSyntaxError);
    expect(kinds('SELECTED FROM_x')).toEqual(['ident:SELECTED', 'ident:FROM_x']);
  });

  it('reads names: plain, `quoted`, and -negated (real: -len(list=[1,2]) is -2)', () => {
    const [a, b, c, d] = lexVql('`la bel` -label -`x.y` a.b') as [VqlToken, VqlToken, VqlToken, VqlToken];
    expect([a.value, a.quoted]).toEqual(['la bel', true]);
    expect([b.value, b.negated]).toEqual(['label', true]);
    expect([c.value, c.negated, c.quoted]).toEqual(['x.y', true, true]);
    expect(d.value).toBe('a');
    expect(() => lexVql('``')).toThrow(/invalid input/);
  });

  it('gives a leading minus to numbers and reads them leftmost-first', () => {
    expect(words('-5 0x1F -0x2 1.5.3 .5 1e3 1e 2.x')).toEqual([
      '-5',
      '0x1F',
      '-0x2',
      '1.5',
      '.3',
      '.5',
      '1e3',
      '1',
      'e',
      '2',
      '.',
      'x',
    ]);
    expect(words('a-1')).toEqual(['a', '-1']);
    expect(words('a - 1')).toEqual(['a', '-', '1']);
  });

  it('reads the engine operators, and || | && as OR / AND (real)', () => {
    expect(words('<> != <= >= => =~ % : == || | &&')).toEqual([
      '<>',
      '!=',
      '<=',
      '>=',
      '=>',
      '=~',
      '%',
      ':',
      '=',
      '=',
      '||',
      '||',
      '&&',
    ]);
  });

  it('refuses what the engine refuses: ; ! non-ASCII outside strings, \\v (real for ;)', () => {
    for (const bad of ['SELECT 1 FROM scope(); SELECT 2', 'a ! b', 'é', 'a\vb', "'open", '"open\\"'])
      expect(() => lexVql(bad), bad).toThrow(VqlSyntaxError);
    expect(() => lexVql('SELECT 1\n  ; x')).toThrow(/^2:3: lexer: invalid input text "; x"$/);
  });

  it('decodes strings as vfilter Unquote does (real: \\x41 is A, \\" a quote)', () => {
    expect(words(`'a\\x41b' "q\\"x" 'it\\'s' 'l1\\nl2' '\\q' '''raw \\n'''`)).toEqual([
      'aAb',
      'q"x',
      "it's",
      'l1\nl2',
      'q',
      'raw \\n',
    ]);
    expect(unquoteString("'ab\\x4'")).toBe('ab');
    expect(unquoteString("'\\xe2\\x82\\xac'")).toBe('€');
    expect(words("'multi\nline'")).toEqual(['multi\nline']);
  });

  it("reads an unclosed ''' as an empty string then a quote (real: invalid input after '')", () => {
    expect(() => lexVql("SELECT '''abc AS A")).toThrow(/1:10: lexer: invalid input text/);
    expect(words("'''x' y")).toEqual(['', 'x', 'y']);
  });

  it('keeps positions: line, column, offsets', () => {
    const toks = lexVql("SELECT\n  'a'\n, b");
    expect(toks.map((t) => [t.line, t.column, t.start, t.end])).toEqual([
      [1, 1, 0, 6],
      [2, 3, 9, 12],
      [3, 1, 13, 14],
      [3, 3, 15, 16],
    ]);
  });
});

describe('tolerant mode (partial text)', () => {
  it('never throws and marks what the text ends inside', () => {
    const last = (s: string) => lexVql(s, { tolerant: true, trivia: true }).at(-1);
    expect(last("SELECT 'abc")).toMatchObject({ kind: 'string', value: 'abc', unterminated: true });
    expect(last("x '''ab")).toMatchObject({ kind: 'string', value: 'ab', unterminated: true });
    expect(last('x /* c')).toMatchObject({ kind: 'comment', unterminated: true });
    expect(last('x `na')).toMatchObject({ kind: 'ident', value: 'na', unterminated: true });
    expect(last('x -- c')).toMatchObject({ kind: 'comment' });
    expect(kinds('a ; é', { tolerant: true })).toEqual(['ident:a', 'invalid:;', 'invalid:é']);
  });

  it('is linear on long hostile input', () => {
    const text = "'".repeat(50_000) + '/*'.repeat(50_000) + '`'.repeat(50_000);
    expect(lexVql(text, { tolerant: true }).length).toBeGreaterThan(0);
    // Strict: every unclosed /* falls back to two operators; the search for */ is not repeated.
    expect(lexVql('/* '.repeat(200_000)).length).toBe(400_000);
  });
});
