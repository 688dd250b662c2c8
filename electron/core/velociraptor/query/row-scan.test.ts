import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../../shared/errors';
import { parseRowRange } from './batch-parse';
import { parseRows } from './json';
import { scanRows } from './row-scan';

// Strings made of the bytes a scanner can get wrong: quotes, backslashes, brackets, separators,
// multi-byte UTF-8 and control characters (which JSON escapes).
const hostileChar = fc.constantFrom(
  '"',
  '\\',
  '\\\\',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '},{"',
  '"}',
  'a',
  ' ',
  '\n',
  '\u0000',
  'é',
  '😀',
  '\u2028',
);
const hostileString = fc.array(hostileChar, { maxLength: 12 }).map((parts) => parts.join(''));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(hostileString, tie('v'), { maxKeys: 4 }),
  ),
})).v;
// Arrays as Velociraptor sends them (objects), and any JSON array, compact or indented.
const batch = fc.record({
  items: fc.oneof(
    fc.array(fc.dictionary(hostileString, value, { maxKeys: 5 }), { maxLength: 30 }),
    fc.array(value, { maxLength: 30 }),
  ),
  indent: fc.constantFrom(0, 1, 2, '\t', ' \n'),
});
const text = (b: { items: unknown[]; indent: number | string }): string =>
  JSON.stringify(b.items, null, b.indent);

function failsAsBatchError(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (e) {
    if (!isAppError(e, 'INTERNAL') || !/not valid JSON/.test(e.message)) throw e;
    return true;
  }
}

describe('scanRows', () => {
  it('counts exactly what JSON.parse finds, for nested values and hostile strings (property)', () => {
    fc.assert(
      fc.property(batch, (b) => {
        const t = text(b);
        expect(scanRows(Buffer.from(t)).count).toBe((JSON.parse(t) as unknown[]).length);
      }),
      { numRuns: 600 },
    );
  });

  it('finds each element between its delimiters, and any run of rows parses to the same values (property)', () => {
    fc.assert(
      fc.property(batch, fc.nat(), fc.nat(), (b, x, y) => {
        const t = text(b);
        const buf = Buffer.from(t);
        // The exact reference parser: doubles beyond 2^53 print as integer literals and stay text here.
        const expected = parseRows(t, 'string');
        const { count, delims } = scanRows(buf);
        expect(delims).toHaveLength(count + 1);
        for (let k = 0; k < count; k++)
          expect(parseRows(`[${buf.toString('utf8', delims[k]! + 1, delims[k + 1])}]`, 'string')).toEqual([
            expected[k],
          ]);
        const a = count ? x % (count + 1) : 0;
        const e = a + (count ? y % (count + 1 - a) : 0);
        expect(parseRowRange(buf, delims, a, e, 'string')).toEqual(expected.slice(a, e));
        expect(parseRowRange(buf, delims, 0, count, 'string')).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('finds the rows of batches bigger than a parse slice, and keeps big integers exact', () => {
    const parts = Array.from(
      { length: 3000 },
      (_, i) =>
        `{"i":${i},"s":"},{\\"x\\":[1,{\\"y\\":2}]","n":[{"a":[${i},{"b":"]"}]}],"big":${i === 2500 ? '18446744073709551615' : String(i)},"pad":"${'p'.repeat(60)}"}`,
    );
    const buf = Buffer.from(`[${parts.join(',')}]`);
    const { count, delims } = scanRows(buf);
    expect(count).toBe(3000);
    const rows = parseRowRange(buf, delims, 0, count, 'bigint');
    expect(rows).toEqual(parseRows(buf.toString()));
    expect(rows[2500]?.big).toBe(18446744073709551615n);
    expect(parseRowRange(buf, delims, 2500, 2501, 'string')[0]?.big).toBe('18446744073709551615');
    expect(buf.toString()).toBe(`[${parts.join(',')}]`); // parsing swaps delimiter bytes and restores them
  });

  it('counts empty arrays and objects, whitespace and scalars', () => {
    const cases: Array<[string, number]> = [
      ['[]', 0],
      [' [ ] ', 0],
      ['[{}]', 1],
      ['[{},{},[]]', 3],
      ['[ 1 , "a" , null , [ ] , { } ]\n', 5],
      ['[[[[]]],[[],[]]]', 2],
      ['["\\\\",  "\\"" , "\\\\\\""]', 3],
    ];
    for (const [t, n] of cases) expect(scanRows(Buffer.from(t)).count, t).toBe(n);
  });

  it('rejects structurally broken batches with the stream error', () => {
    for (const t of [
      '',
      ' ',
      '{}',
      '[',
      '[1,',
      '[1,]',
      '[,1]',
      '[1,,2]',
      '["abc]',
      '["a\\"]',
      '[{]',
      '[{"a":[}]',
      '[}',
      '[1]x',
      '[1]]',
      '"[1]"',
    ]) {
      expect(
        failsAsBatchError(() => scanRows(Buffer.from(t))),
        t,
      ).toBe(true);
    }
  });

  it('a batch the scan accepts but JSON refuses fails when parsed, with the same error', () => {
    for (const t of ['[tru]', '[1 2]', '[{"a":01}]', '[{"a" 1}]', '["\\x"]', '[{"a":1,}]', '[\u0001]']) {
      const buf = Buffer.from(t);
      const { count, delims } = scanRows(buf);
      expect(
        failsAsBatchError(() => parseRowRange(buf, delims, 0, count)),
        t,
      ).toBe(true);
    }
  });

  it('scan + parse succeeds exactly when JSON.parse does, with the same rows (property, corrupted batches)', () => {
    const corrupt = fc.record({
      b: batch,
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
      cut: fc.boolean(),
    });
    fc.assert(
      fc.property(corrupt, ({ b, at, byte, cut }) => {
        const good = Buffer.from(text(b));
        const i = at % good.length;
        const buf = cut ? good.subarray(0, i) : Buffer.from(good);
        if (!cut) buf[i] = byte;
        let expected: unknown;
        let parses = true;
        try {
          JSON.parse(buf.toString('utf8'));
          expected = parseRows(buf.toString('utf8'), 'string');
        } catch {
          parses = false;
        }
        if (parses && !Array.isArray(expected)) parses = false;
        const ours = (): unknown[] => {
          const { count, delims } = scanRows(buf);
          return parseRowRange(buf, delims, 0, count, 'string');
        };
        if (parses) expect(ours()).toEqual(expected);
        else expect(failsAsBatchError(ours)).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });
});
