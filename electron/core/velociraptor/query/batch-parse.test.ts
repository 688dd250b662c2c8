import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRowsBuffer } from './batch-parse';
import { parseRows } from './json';

const pad = 'x'.repeat(200);

describe('parseRowsBuffer', () => {
  it('matches JSON.parse on big batches cut into slices', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({
      i,
      pad,
      s: 'a},{"b":1',
      nested: [{ a: i }, { b: [{ c: 'x' }] }],
    }));
    const text = JSON.stringify(rows);
    expect(text.length).toBeGreaterThan(200_000);
    expect(parseRowsBuffer(Buffer.from(text))).toEqual(rows);
  });

  it('falls back to one parse when a cut lands inside a nested array', () => {
    // Rows whose nested arrays of objects are longer than a slice: every cut is nested.
    const rows = Array.from({ length: 3 }, (_, i) => ({
      i,
      list: Array.from({ length: 800 }, (_, j) => ({ j, pad })),
    }));
    expect(parseRowsBuffer(Buffer.from(JSON.stringify(rows)))).toEqual(rows);
  });

  it('keeps big integers exact in any slice and handles multi-byte UTF-8', () => {
    const parts = Array.from(
      { length: 1500 },
      (_, i) =>
        `{"i":${i},"u":"żółw ✓ 😀","pad":"${pad}","big":${i === 1234 ? '18446744073709551615' : String(i)}}`,
    );
    const rows = parseRowsBuffer(Buffer.from(`[${parts.join(',')}]`));
    expect(rows).toHaveLength(1500);
    expect(rows[1234]?.big).toBe(18446744073709551615n);
    expect(rows[1233]?.big).toBe(1233);
    expect(rows[7]?.u).toBe('żółw ✓ 😀');
  });

  it('agrees with JSON.parse for arbitrary arrays of objects (property)', () => {
    const row = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
    fc.assert(
      fc.property(fc.array(row, { minLength: 0, maxLength: 400 }), (rows) => {
        const withPad = rows.map((r, i) => ({ ...r, ['~pad']: `${pad}${i}` }));
        const text = JSON.stringify(withPad);
        const expected = JSON.parse(text) as unknown[];
        const unsafe = /(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""'));
        fc.pre(!unsafe);
        expect(parseRowsBuffer(Buffer.from(text))).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('agrees with the exact reference parser on rows with big integers (property)', () => {
    const big = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n });
    const row = fc.record({
      n: big,
      s: fc.string({ maxLength: 12 }),
      m: fc.array(big, { maxLength: 3 }),
      k: fc.dictionary(fc.string({ maxLength: 4 }), big, { maxKeys: 3 }),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 500 }), (rows) => {
        const text = `[${rows
          .map(
            (r, i) =>
              `{"n":${r.n},"s":${JSON.stringify(r.s)},"m":[${r.m.join(',')}],"k":{${Object.entries(r.k)
                .map(([k, v]) => `${JSON.stringify(k)}:${v}`)
                .join(',')}},"p":"${pad}${i}"}`,
          )
          .join(',')}]`;
        expect(parseRowsBuffer(Buffer.from(text))).toEqual(parseRows(text));
      }),
      { numRuns: 30 },
    );
  });

  it('reports malformed batches', () => {
    expect(() => parseRowsBuffer(Buffer.from('[{"a":1},{"b":'))).toThrow();
  });
});
