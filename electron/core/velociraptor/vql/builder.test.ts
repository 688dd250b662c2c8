import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../../shared/errors';
import {
  artifactName,
  build,
  clientId,
  flowId,
  huntId,
  int,
  json,
  jsonArray,
  labels,
  orgId,
  str,
  userQuery,
  validateId,
  vql,
  type IdKind,
  type VqlInterpolation,
} from './builder';

/** Hostile inputs: quoting, comments, statement breaks, LET, unicode tricks, escapes. */
export const INJECTION_CORPUS = [
  "'",
  '"',
  "' OR 1=1 --",
  "x') FROM scope() SELECT * FROM info() --",
  '"; SELECT * FROM info(); --',
  '*/ SELECT * FROM info() /*',
  '/* comment */',
  '// line comment',
  '-- sql comment',
  'a\nLET x <= SELECT * FROM execve(argv=["id"])\nSELECT * FROM x',
  'LET x = 1',
  '\r\nSELECT 1 FROM scope()',
  "'+info()+'",
  '"+info()+"',
  '\\',
  "\\'",
  '\\"',
  '${MrArg0}',
  'MrArg0',
  '`backtick`',
  '{{template}}',
  '\u0000',
  '\u2028\u2029',
  '\u202e',
  'ＳＥＬＥＣＴ',
  '😀',
  '%s%s%n',
  ')',
  '])',
  'dict(a=1)',
  ';',
  '  ',
  '',
];

const KINDS: Array<[IdKind, (v: string) => VqlInterpolation]> = [
  ['clientId', clientId],
  ['flowId', flowId],
  ['huntId', huntId],
  ['artifact', artifactName],
  ['orgId', orgId],
];

function textOf(value: string): { vql: string; env: Record<string, string> } {
  return build(
    vql`LET a = ${str(value)} SELECT * FROM clients(search=${str(value)}) WHERE labels =~ ${str(value)} AND x = ${json({ v: value })} AND y IN ${jsonArray([value, value])}`,
  );
}

describe('VQL builder', () => {
  it('puts values in env and references them by name', () => {
    const q = build(
      vql`SELECT * FROM flows(client_id=${clientId('C.1234567890abcdef')}, flow_id=${flowId('F.CN9OB8B3TQ4PS')}) LIMIT ${int(5)}`,
    );
    expect(q.vql).toBe('SELECT * FROM flows(client_id=MrArg0, flow_id=MrArg1) LIMIT 5');
    expect(q.env).toEqual({ MrArg0: 'C.1234567890abcdef', MrArg1: 'F.CN9OB8B3TQ4PS' });
  });

  it('decodes structured values with parse_json', () => {
    const q = build(
      vql`SELECT collect_client(client_id=${clientId('server')}, artifacts=${jsonArray(['A.B'])}, spec=${json({ 'A.B': { P: '1' } })}) FROM scope()`,
    );
    expect(q.vql).toBe(
      'SELECT collect_client(client_id=MrArg0, artifacts=parse_json_array(data=MrArg1), spec=parse_json(data=MrArg2)) FROM scope()',
    );
    expect(JSON.parse(q.env.MrArg1 ?? '')).toEqual(['A.B']);
    expect(JSON.parse(q.env.MrArg2 ?? '')).toEqual({ 'A.B': { P: '1' } });
  });

  it('query text never depends on a hostile value (corpus)', () => {
    const reference = textOf('benign').vql;
    for (const hostile of INJECTION_CORPUS) {
      const q = textOf(hostile);
      expect(q.vql).toBe(reference);
      expect(q.env.MrArg0).toBe(hostile);
      expect(JSON.parse(q.env.MrArg3 ?? '')).toEqual({ v: hostile });
      expect(JSON.parse(q.env.MrArg4 ?? '')).toEqual([hostile, hostile]);
    }
  });

  it('query text never depends on any value (property)', () => {
    const reference = textOf('benign').vql;
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom(...INJECTION_CORPUS)),
        (v) => {
          const q = textOf(v);
          return q.vql === reference && q.env.MrArg1 === v;
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects every corpus entry with syntax characters as an identifier', () => {
    // Word-like entries (e.g. "MrArg0") are valid shapes and harmless: they still travel via env.
    for (const hostile of INJECTION_CORPUS.filter((h) => !/^[A-Za-z0-9]+$/.test(h))) {
      for (const [kind, make] of KINDS) {
        let code = 'none';
        try {
          make(hostile);
        } catch (e) {
          code = isAppError(e) ? e.code : 'other';
        }
        expect(code, `${kind} ${JSON.stringify(hostile)}`).toBe('INVALID_ARGUMENT');
      }
      if (hostile.trim() !== '' && /['"\\;()/*$`{}]|\p{Cc}/u.test(hostile))
        expect(() => labels([hostile])).toThrow();
    }
  });

  it('identifiers accepted by a pattern contain no VQL syntax characters (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS.map((k) => k[0]), 'label' as const),
        fc.string({ unit: 'binary', maxLength: 30 }),
        (kind, v) => {
          let ok = true;
          try {
            validateId(kind, v);
          } catch {
            ok = false;
          }
          return !ok || !/['"\\;()/*=$`[\]{},]|\p{Cc}/u.test(v);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('accepts real identifier shapes', () => {
    expect(() => clientId('C.1b2c3d4e5f607182')).not.toThrow();
    expect(() => clientId('server')).not.toThrow();
    expect(() => flowId('F.CN9OB8B3TQ4PS.H')).not.toThrow();
    expect(() => huntId('H.CN9OB8B3TQ4PS')).not.toThrow();
    expect(() => artifactName('Windows.Remediation.Quarantine')).not.toThrow();
    expect(() => orgId('O123')).not.toThrow();
    expect(() => labels(['Quarantine', 'group:finance'])).not.toThrow();
  });

  it('refuses raw strings interpolated around the type system', () => {
    const sneaky = "'; SELECT * FROM info() --" as unknown as VqlInterpolation;
    expect(() => vql`SELECT ${sneaky} FROM scope()`).toThrow(/raw value/);
    expect(() => int(1.5)).toThrow();
    expect(() => int(Number.NaN)).toThrow();
  });

  it('userQuery validates env names and keeps text as typed', () => {
    expect(userQuery('SELECT 1 FROM scope()', { Host: 'x' })).toEqual({
      vql: 'SELECT 1 FROM scope()',
      env: { Host: 'x' },
    });
    expect(() => userQuery('SELECT 1 FROM scope()', { 'bad name': 'x' })).toThrow();
    expect(() => userQuery('  ')).toThrow();
  });
});
