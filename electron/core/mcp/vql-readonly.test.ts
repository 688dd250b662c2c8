import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../shared/errors';
import { READ_ONLY_CORPUS } from './testing/readonly-corpus';
import { VELOCIRAPTOR_FUNCTIONS, VELOCIRAPTOR_PLUGINS, VQL_CODE_ARGS } from './vql-catalog';
import { assertReadOnlyVql, checkReadOnlyVql, READ_ONLY_FUNCTIONS, READ_ONLY_PLUGINS } from './vql-readonly';

describe('read-only VQL gate: the bypass corpus', () => {
  it('has at least 40 cases, both verdicts, unique names', () => {
    expect(READ_ONLY_CORPUS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(READ_ONLY_CORPUS.map((c) => c.name)).size).toBe(READ_ONLY_CORPUS.length);
    expect(READ_ONLY_CORPUS.filter((c) => c.verdict === 'refused').length).toBeGreaterThanOrEqual(40);
  });

  it.each(READ_ONLY_CORPUS.map((c) => [c.verdict, c.name, c] as const))('%s: %s', (_v, _n, c) => {
    const v = checkReadOnlyVql(c.query);
    if (c.verdict === 'allowed') {
      expect(v.reasons).toEqual([]);
      expect(v.ok).toBe(true);
    } else {
      expect(v.ok).toBe(false);
      expect(v.reasons.length).toBeGreaterThan(0);
      expect(() => assertReadOnlyVql(c.query)).toThrow();
    }
  });
});

describe('read-only VQL gate', () => {
  it('allows only names that exist in Velociraptor, each for its own kind', () => {
    for (const p of READ_ONLY_PLUGINS) expect(VELOCIRAPTOR_PLUGINS.has(p), p).toBe(true);
    for (const f of READ_ONLY_FUNCTIONS) expect(VELOCIRAPTOR_FUNCTIONS.has(f), f).toBe(true);
  });

  it('refuses every VQL-compiling argument of every allowed call', () => {
    const cases = [
      ...Object.entries(VQL_CODE_ARGS.plugin)
        .filter(([n]) => READ_ONLY_PLUGINS.has(n))
        .flatMap(([n, args]) => args.map((a) => `SELECT * FROM ${n}(${a}='x=>1')`)),
      ...Object.entries(VQL_CODE_ARGS.function)
        .filter(([n]) => READ_ONLY_FUNCTIONS.has(n))
        .flatMap(([n, args]) => args.map((a) => `SELECT ${n}(${a}='x=>1') FROM scope()`)),
    ];
    expect(cases.length).toBeGreaterThan(0);
    for (const q of cases) expect(checkReadOnlyVql(q).ok, q).toBe(false);
  });

  it('resolves each call by kind: plugins in FROM, functions elsewhere', () => {
    expect(checkReadOnlyVql('SELECT count() AS N FROM flows(client_id=X) WHERE now() > 0').calls).toEqual([
      'function:count',
      'plugin:flows',
      'function:now',
    ]);
    // `if` is both; `scope` is an allowed plugin but not an allowed function.
    expect(
      checkReadOnlyVql(
        'SELECT if(condition=TRUE, then=1) AS A FROM if(condition=TRUE, then={SELECT 1 FROM scope()})',
      ).ok,
    ).toBe(true);
    expect(checkReadOnlyVql('SELECT scope() AS S FROM scope()').ok).toBe(false);
  });

  it('stays linear on deeply nested input', () => {
    const q = `SELECT ${'dict(a='.repeat(3000)}1${')'.repeat(3000)} AS A FROM scope()`;
    expect(checkReadOnlyVql(q).ok).toBe(true);
  });

  it('throws POLICY_FORBIDDEN naming the offender', () => {
    try {
      assertReadOnlyVql("SELECT collect_client(client_id='C.1') FROM scope()");
      expect.unreachable();
    } catch (e) {
      expect(isAppError(e, 'POLICY_FORBIDDEN')).toBe(true);
      expect((e as Error).message).toContain('collect_client');
    }
  });
});
