import { describe, expect, it } from 'vitest';
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
});
