import { describe, expect, it } from 'vitest';
import { completionContext } from './completion-context';

describe('VQL completion context', () => {
  it('offers plugins after FROM, with the typed prefix', () => {
    expect(completionContext('SELECT * FROM ')).toEqual({ kind: 'plugin', prefix: '' });
    expect(completionContext('select * from cli')).toEqual({ kind: 'plugin', prefix: 'cli' });
    expect(completionContext('SELECT *\nFROM\n  fl')).toEqual({ kind: 'plugin', prefix: 'fl' });
  });

  it('offers the arguments of the innermost open call, minus those already given', () => {
    expect(completionContext('SELECT * FROM clients(')).toEqual({
      kind: 'argument',
      callee: 'clients',
      prefix: '',
      used: [],
    });
    expect(completionContext('SELECT * FROM flows(client_id="C.1", fl')).toEqual({
      kind: 'argument',
      callee: 'flows',
      prefix: 'fl',
      used: ['client_id'],
    });
    expect(completionContext('SELECT format(format="%v", args=[x]) FROM source(artifact="X", ')).toEqual({
      kind: 'argument',
      callee: 'source',
      prefix: '',
      used: ['artifact'],
    });
  });

  it('returns to the outer call once an inner call is closed', () => {
    expect(completionContext('SELECT * FROM collect_client(client_id=get(item=x, member="a"), ')).toEqual({
      kind: 'argument',
      callee: 'collect_client',
      prefix: '',
      used: ['client_id'],
    });
  });

  it('does not complete inside strings or comments', () => {
    expect(completionContext('SELECT * FROM clients(search="host:')).toEqual({ kind: 'none' });
    expect(completionContext("SELECT '''multi\nline FROM ")).toEqual({ kind: 'none' });
    expect(completionContext('-- SELECT * FROM ')).toEqual({ kind: 'none' });
    expect(completionContext('/* FROM ')).toEqual({ kind: 'none' });
    // The engine starts a -- comment at any token, so the rest of this line is a comment.
    expect(completionContext('SELECT x -- FROM ')).toEqual({ kind: 'none' });
  });

  it('treats a closed string as code again (escaped quotes included)', () => {
    expect(completionContext('SELECT "a\\"b" AS x FROM ')).toEqual({ kind: 'plugin', prefix: '' });
  });

  it('offers artifacts after Artifact.', () => {
    expect(completionContext('SELECT * FROM Artifact.Windows.Sys')).toEqual({
      kind: 'artifact',
      prefix: 'Windows.Sys',
    });
  });

  it('offers functions in expressions, and not argument names after a comparison', () => {
    expect(completionContext('SELECT upc')).toEqual({ kind: 'expression', prefix: 'upc' });
    expect(completionContext('SELECT * FROM clients() WHERE os =~ "win" AND ')).toEqual({
      kind: 'expression',
      prefix: '',
    });
    expect(completionContext('SELECT * FROM clients(search=x) WHERE a = ')).toEqual({
      kind: 'expression',
      prefix: '',
    });
  });
});
