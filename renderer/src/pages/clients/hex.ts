/**
 * Hex dump rows for the VFS hex view: offsets, hex bytes and an ASCII column. The ASCII column keeps
 * only printable ASCII (0x20–0x7e) and shows every other byte as '.', and the view renders it as
 * plain text: endpoint files are hostile, nothing in them is ever interpreted.
 */

export const ROW_BYTES = 16;
/** Bytes fetched and shown per page (256 rows). */
export const PAGE_BYTES = 4096;

export interface HexRow {
  offset: number;
  offsetText: string;
  /** Two hex digits per byte, a wider gap after the eighth. */
  hex: string;
  ascii: string;
}

export function hexOffset(n: number): string {
  return n.toString(16).padStart(8, '0');
}

export function asciiOf(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '.';
  return s;
}

export function hexOf(bytes: Uint8Array): string {
  const parts: string[] = [];
  bytes.forEach((b, i) => parts.push((i === 8 ? ' ' : '') + b.toString(16).padStart(2, '0')));
  return parts.join(' ');
}

export function hexRows(bytes: Uint8Array, baseOffset: number, width = ROW_BYTES): HexRow[] {
  const rows: HexRow[] = [];
  for (let i = 0; i < bytes.length; i += width) {
    const slice = bytes.subarray(i, i + width);
    rows.push({
      offset: baseOffset + i,
      offsetText: hexOffset(baseOffset + i),
      hex: hexOf(slice),
      ascii: asciiOf(slice),
    });
  }
  return rows;
}

/** base64 (as the contract carries ranges) → bytes. */
export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * An offset typed by the responder: decimal (4096), hex with 0x (0x1000) or hex with an h suffix
 * (1000h). null when it is not a whole non-negative number.
 */
export function parseOffset(text: string): number | null {
  const t = text.trim().replace(/[_,\s]/g, '');
  let n: number;
  if (/^0x[0-9a-f]+$/i.test(t)) n = parseInt(t.slice(2), 16);
  else if (/^[0-9a-f]+h$/i.test(t)) n = parseInt(t.slice(0, -1), 16);
  else if (/^\d+$/.test(t)) n = Number(t);
  else return null;
  return Number.isSafeInteger(n) ? n : null;
}

/** The page start that shows `offset` (pages are aligned to PAGE_BYTES). */
export function pageOf(offset: number, size: number): number {
  const last = size > 0 ? Math.floor((size - 1) / PAGE_BYTES) * PAGE_BYTES : 0;
  return Math.min(Math.floor(offset / PAGE_BYTES) * PAGE_BYTES, last);
}
