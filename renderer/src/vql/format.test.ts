import { describe, expect, it } from 'vitest';
import { lexVql } from '../../../shared/vql/lexer';
import { formatVql } from './format';

describe('formatVql', () => {
  it('upper-cases keywords and breaks main clauses onto lines', () => {
    expect(formatVql('select * from clients() where os = "windows" limit 5')).toBe(
      'SELECT * \nFROM clients() \nWHERE os = "windows" \nLIMIT 5'.replace(/ \n/g, '\n'),
    );
  });
  it('never touches strings or comments', () => {
    const q = 'SELECT \'select from where\' AS x, "limit" FROM scope() -- from where\n';
    expect(formatVql(q)).toBe('SELECT \'select from where\' AS x, "limit"\nFROM scope() -- from where\n');
  });
  it('keeps function calls named like keywords and member access', () => {
    expect(formatVql('select if(condition=x, then=1) as y, a.from from scope()')).toBe(
      'SELECT if(condition=x, then=1) AS y, a.from\nFROM scope()',
    );
  });
  it('knows a -- comment can start mid-line, as the engine reads it', () => {
    expect(formatVql('select a -- from b\nfrom x')).toBe('SELECT a -- from b\nFROM x');
  });
  it('changes no token but the spelling of keywords', () => {
    for (const q of [
      "select a, b.c as d from flows(client_id=C) where x =~ '(?i)from' group   by e order by f desc limit 3",
      'let x = select * from info() select * from x',
      "select '''raw from''' from scope() /* from */ where NOT a",
    ]) {
      const norm = (s: string) => lexVql(s).map((t) => t.value);
      expect(norm(formatVql(q))).toEqual(norm(q));
    }
  });
});
