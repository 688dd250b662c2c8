import { describe, expect, it } from 'vitest';
import { csvField, csvLine, neutraliseCell, quoteField } from './csv';

describe('CSV formula neutralisation', () => {
  it('prefixes cells that spreadsheets would evaluate', () => {
    for (const bad of ['=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1'])
      expect(neutraliseCell(bad)).toBe(`'${bad}`);
    for (const ok of ['hello', '1', 'a=b', '', ' =x']) expect(neutraliseCell(ok)).toBe(ok);
  });
  it('quotes separators, quotes and newlines after neutralising', () => {
    expect(csvField("=cmd|' /C calc'!A0")).toBe("'=cmd|' /C calc'!A0");
    expect(csvField('a,"b"\nc')).toBe('"a,""b""\nc"');
    expect(csvLine(['=1', 'x,y'])).toBe(`'=1,"x,y"`);
  });
  it('quotes without neutralising for non-text values', () => {
    expect(quoteField('-5')).toBe('-5');
    expect(quoteField('a,b')).toBe('"a,b"');
  });
});
