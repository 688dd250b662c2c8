import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonExact, parseRows, stringifyExact } from './json';

describe('parseJsonExact', () => {
  it('keeps integers above 2^53 exact as BigInt', () => {
    const rows = parseRows('[{"a":18446744073709551615,"b":-9223372036854775808,"c":1}]');
    expect(rows[0]?.a).toBe(18446744073709551615n);
    expect(rows[0]?.b).toBe(-9223372036854775808n);
    expect(rows[0]?.c).toBe(1);
  });

  it('can return big integers as decimal strings', () => {
    expect(parseRows('[{"a":9007199254740993}]', 'string')[0]?.a).toBe('9007199254740993');
  });

  it('leaves safe 16-digit numbers (µs timestamps) and floats as numbers', () => {
    const text =
      '[{"t":1764000000000000,"f":1.2345678901234567890,"e":12345678901234567e3,"s":9007199254740991}]';
    const row = parseRows(text)[0];
    expect(row?.t).toBe(1764000000000000);
    expect(row?.f).toBe(1.2345678901234567);
    expect(row?.e).toBe(12345678901234567e3);
    expect(row?.s).toBe(9007199254740991);
  });

  it('does not touch digit runs inside strings, including escaped quotes', () => {
    const text =
      '[{"h":"99999999999999999999","q":"say \\"18446744073709551615\\" now","n":18446744073709551615}]';
    const row = parseRows(text)[0];
    expect(row?.h).toBe('99999999999999999999');
    expect(row?.q).toBe('say "18446744073709551615" now');
    expect(row?.n).toBe(18446744073709551615n);
  });

  it('uses the full tokenizer when a look-alike sits inside a string', () => {
    const text = '[{"s":"a:18446744073709551615,b","n":18446744073709551614}]';
    const row = parseRows(text)[0];
    expect(row?.s).toBe('a:18446744073709551615,b');
    expect(row?.n).toBe(18446744073709551614n);
  });

  it('is exact when an exponent-form number and a string look-alike coincide', () => {
    const row = parseRows('[{"s":"a:18446744073709551615,b","f":1e20}]')[0];
    expect(row?.s).toBe('a:18446744073709551615,b');
    expect(row?.f).toBe(1e20);
  });

  it('stays exact when integer-like keys reorder an object', () => {
    const row = parseRows('[{"b":18446744073709551614,"1":18446744073709551615}]')[0];
    expect(row?.b).toBe(18446744073709551614n);
    expect(row?.['1']).toBe(18446744073709551615n);
  });

  it('stays exact with duplicate keys', () => {
    expect(parseRows('[{"a":18446744073709551614,"a":18446744073709551615}]')[0]?.a).toBe(
      18446744073709551615n,
    );
  });

  it('nested arrays and objects are revived', () => {
    const v = parseJsonExact('{"x":[{"y":[12345678901234567890]}]}') as { x: { y: bigint[] }[] };
    expect(v.x[0]?.y[0]).toBe(12345678901234567890n);
  });

  it('agrees with JSON.parse whenever all integers are safe (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = JSON.stringify(v);
        const unsafe = (x: unknown): boolean =>
          typeof x === 'number'
            ? Number.isInteger(x) && !Number.isSafeInteger(x)
            : typeof x === 'object' && x !== null && Object.values(x).some(unsafe);
        fc.pre(!unsafe(JSON.parse(text)));
        expect(parseJsonExact(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips arbitrary 64-bit integers exactly (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }), fc.string(), (n, s) => {
        const text = `[{"n":${n.toString()},"s":${JSON.stringify(s)}}]`;
        const row = parseRows(text)[0];
        const expected =
          n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER) ? n : Number(n);
        expect(row?.n).toBe(expected);
        expect(row?.s).toBe(s);
        expect(stringifyExact(row)).toBe(`{"n":${n.toString()},"s":${JSON.stringify(s)}}`);
      }),
      { numRuns: 400 },
    );
  });

  it('stringifyExact writes bare digits and leaves look-alike strings quoted', () => {
    expect(stringifyExact({ a: 18446744073709551615n, b: '\u0001bi:1' })).toBe(
      '{"a":18446744073709551615,"b":"\\u0001bi:1"}',
    );
  });
});
