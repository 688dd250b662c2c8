import { describe, expect, it } from 'vitest';
import { asciiOf, fromBase64, hexOf, hexRows, pageOf, parseOffset, PAGE_BYTES } from './hex';

describe('hex view rows', () => {
  it('formats offsets, hex bytes (gap after eight) and ASCII', () => {
    const bytes = new TextEncoder().encode('Simulated content of /notes.txt');
    const rows = hexRows(bytes, 0x1000);
    expect(rows.map((r) => r.offsetText)).toEqual(['00001000', '00001010']);
    expect(rows[0]?.hex).toBe('53 69 6d 75 6c 61 74 65  64 20 63 6f 6e 74 65 6e');
    expect(rows[0]?.ascii).toBe('Simulated conten');
    expect(rows[1]?.ascii).toBe('t of /notes.txt');
    expect(rows[1]?.offset).toBe(0x1010);
  });

  it('shows every byte outside printable ASCII as a dot, so control and high bytes cannot shape the text', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const ascii = asciiOf(all);
    expect(ascii).toHaveLength(256);
    expect(ascii.slice(0, 32)).toBe('.'.repeat(32));
    expect(ascii.slice(0x20, 0x7f)).toBe(
      Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i)).join(''),
    );
    expect(ascii.slice(0x7f)).toBe('.'.repeat(129));
    // Bidi overrides, NUL, ESC sequences: all dots.
    expect(asciiOf(new TextEncoder().encode('\u202e\u0000\u001b[31m'))).toBe('.....[31m');
    // Markup stays the same characters; the view puts them in a text node, never HTML.
    expect(asciiOf(new TextEncoder().encode('<img src=x onerror=alert(1)>'))).toBe(
      '<img src=x onerror=alert(1)>',
    );
    expect(hexOf(Uint8Array.of(0, 255))).toBe('00 ff');
  });

  it('decodes base64 ranges to the exact bytes', () => {
    expect([...fromBase64('AP8QgA==')]).toEqual([0, 255, 16, 128]);
    expect(fromBase64('')).toHaveLength(0);
  });

  it('parses offsets in decimal and hex and pages them', () => {
    expect(parseOffset('4096')).toBe(4096);
    expect(parseOffset('0x1000')).toBe(4096);
    expect(parseOffset('1000h')).toBe(4096);
    expect(parseOffset(' 1_024 ')).toBe(1024);
    expect(parseOffset('-5')).toBeNull();
    expect(parseOffset('0x')).toBeNull();
    expect(parseOffset('abc')).toBeNull();
    expect(pageOf(5000, 100_000)).toBe(PAGE_BYTES);
    expect(pageOf(99_999_999, 10_000)).toBe(8192);
    expect(pageOf(0, 0)).toBe(0);
  });
});
