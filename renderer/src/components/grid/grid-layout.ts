/**
 * Pure geometry of the result grid: which rows and columns a scroll position shows, which pooled DOM
 * row (slot) shows a row, where rows sit, and which pages to ask for next. No DOM here (unit-tested).
 *
 * Rows have a fixed height, so the visible range is arithmetic (no per-row measurement: a million-row
 * count costs nothing). The body is at most MAX_BODY_H tall; a longer result is mapped onto it
 * proportionally (the scrollbar spans all rows, rows still move pixel by pixel between jumps).
 */
import { PAGE } from './window-cache';

export const ROW_H = 28;
/** Row height when long values wrap (three lines of 12 px text). */
export const WRAP_ROW_H = 64;
/** Column widths: a new column is sized to its content between these; a drag may go wider. */
export const MIN_COL_W = 56;
export const FIT_MAX_W = 480;
export const MAX_COL_W = 1600;
/** Width of one character of the grid's 12 px monospace font, and a cell's padding and sort arrow. */
const CHAR_W = 7.25;
const CELL_PAD = 16;
const HEAD_EXTRA = 20;
/** Rows rendered above and below the visible ones. */
export const OVERSCAN = 4;
/** Columns rendered left and right of the visible ones. */
export const OVERSCAN_COLS = 1;
/** Tallest body the grid lays out (Chromium clamps layout sizes at ~33.5M px). */
export const MAX_BODY_H = 30_000_000;
/** Rows are positioned relative to a base row that moves in steps of this many rows. */
export const BASE_STEP = 1_000;

export interface RowWindow {
  /** First and last row rendered (overscan included); last < first when there are no rows. */
  first: number;
  last: number;
  /** First and last row at least partly visible. */
  visibleFirst: number;
  visibleLast: number;
  /** Height of the body element. */
  bodyH: number;
  /** Rows are placed at (i - base) * ROW_H inside a layer translated by layerY. */
  base: number;
  layerY: number;
}

/**
 * The rows' own offset (row i at i * ROW_H) at the top of the view for a scroll offset of the body:
 * equal unless the body is scaled, then mapped proportionally.
 */
function virtualOffset(top: number, count: number, viewH: number, rowH: number): number {
  const full = count * rowH;
  const bodyH = Math.min(full, MAX_BODY_H);
  const maxScroll = Math.max(0, bodyH - viewH);
  return full === bodyH || maxScroll === 0 ? top : (top * (full - viewH)) / maxScroll;
}

/**
 * The rows a scroller shows. `scrollTop` is the body's scroll offset, `viewH` the height under the
 * sticky header.
 */
export function rowWindow(
  scrollTop: number,
  viewH: number,
  count: number,
  overscan = OVERSCAN,
  rowH = ROW_H,
): RowWindow {
  const full = count * rowH;
  const bodyH = Math.min(full, MAX_BODY_H);
  if (count <= 0)
    return { first: 0, last: -1, visibleFirst: 0, visibleLast: -1, bodyH: 0, base: 0, layerY: 0 };
  const maxScroll = Math.max(0, bodyH - viewH);
  const top = Math.min(Math.max(0, scrollTop), maxScroll);
  const virtualTop = virtualOffset(top, count, viewH, rowH);
  const visibleFirst = Math.min(count - 1, Math.floor(virtualTop / rowH));
  const visibleLast = Math.min(count - 1, Math.max(visibleFirst, Math.ceil((virtualTop + viewH) / rowH) - 1));
  const first = Math.max(0, visibleFirst - overscan);
  const last = Math.min(count - 1, visibleLast + overscan);
  const base = Math.floor(first / BASE_STEP) * BASE_STEP;
  // Row i sits at body y = i * rowH - virtualTop + top; relative to the base row that is layerY.
  const layerY = base * rowH - virtualTop + top;
  return { first, last, visibleFirst, visibleLast, bodyH, base, layerY };
}

/** The scrollTop that shows row `i` fully, moving as little as possible (unchanged if it shows already). */
export function scrollTopFor(
  i: number,
  scrollTop: number,
  viewH: number,
  count: number,
  rowH = ROW_H,
): number {
  const full = count * rowH;
  const bodyH = Math.min(full, MAX_BODY_H);
  const maxScroll = Math.max(0, bodyH - viewH);
  // Virtual offset wanted, then mapped back onto the (possibly scaled) body.
  const rowTop = i * rowH;
  const virtualTop = virtualOffset(scrollTop, count, viewH, rowH);
  let want = virtualTop;
  if (rowTop < virtualTop) want = rowTop;
  else if (rowTop + rowH > virtualTop + viewH) want = rowTop + rowH - viewH;
  else return scrollTop;
  const toScroll = full === bodyH || full - viewH <= 0 ? want : (want * maxScroll) / (full - viewH);
  return Math.min(Math.max(0, toScroll), maxScroll);
}

/**
 * Number of pooled row elements for a view height: every row that can be partly visible, plus overscan,
 * rounded up to an even number so a slot always shows rows of the same parity (its odd/even stripe
 * class never changes while scrolling: no style recalculation for it).
 */
export function poolSize(viewH: number, overscan = OVERSCAN, rowH = ROW_H): number {
  const n = Math.ceil(Math.max(0, viewH) / rowH) + 1 + 2 * overscan;
  return n + (n % 2);
}

/**
 * The pooled element that shows row `i`. Consecutive rows land in distinct slots (the rendered range is
 * never longer than the pool), and a row keeps its slot while it stays in range: scrolling by k rows
 * rewrites k slots, the others keep their text and position.
 */
export function slotOf(i: number, pool: number): number {
  return i % pool;
}

export interface ColWindow {
  /** First and last column rendered; to < from when there are none. */
  from: number;
  to: number;
}

/** Left edge of each column and, last, the total width: offsets[k] = widths[0] + ... + widths[k-1]. */
export function columnOffsets(widths: readonly number[]): number[] {
  const out = new Array<number>(widths.length + 1);
  out[0] = 0;
  for (let k = 0; k < widths.length; k++) out[k + 1] = (out[k] as number) + (widths[k] as number);
  return out;
}

/** The column under x (offsets from columnOffsets; x past the end gives the last column). */
function columnAt(offsets: readonly number[], x: number): number {
  let lo = 0;
  let hi = offsets.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((offsets[mid] as number) <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Columns a horizontal scroll position shows, plus OVERSCAN_COLS either side. */
export function colWindow(
  scrollLeft: number,
  viewW: number,
  offsets: readonly number[],
  overscan = OVERSCAN_COLS,
): ColWindow {
  const cols = offsets.length - 1;
  if (cols <= 0) return { from: 0, to: -1 };
  const left = Math.max(0, scrollLeft);
  const from = Math.max(0, columnAt(offsets, left) - overscan);
  const to = Math.min(cols - 1, columnAt(offsets, left + Math.max(0, viewW - 1)) + overscan);
  return { from, to: Math.max(from, to) };
}

/**
 * Cells a pooled row needs so any column window fits: the most columns a view can show (the narrowest
 * ones side by side), plus overscan; all columns when they are few.
 */
export function cellsPerRow(viewW: number, widths: readonly number[], overscan = OVERSCAN_COLS): number {
  const sorted = [...widths].sort((a, b) => a - b);
  let fit = 0;
  let sum = 0;
  while (fit < sorted.length && sum < Math.max(0, viewW)) sum += sorted[fit++] as number;
  return Math.min(widths.length, fit + 1 + 2 * overscan);
}

/**
 * A column's width for its header and sample values: wide enough for the header and most values
 * (the 90th percentile of their length, so one long outlier does not widen a Pid column), between
 * MIN_COL_W and `max`.
 */
export function fitWidth(header: string, values: readonly string[], max = FIT_MAX_W): number {
  const lengths = values.map((v) => Math.min(v.length, 400)).sort((a, b) => a - b);
  const p90 = lengths.length
    ? (lengths[Math.min(lengths.length - 1, Math.floor(lengths.length * 0.9))] as number)
    : 0;
  const chars = Math.max(p90 * CHAR_W + CELL_PAD, header.length * CHAR_W + CELL_PAD + HEAD_EXTRA);
  return Math.round(Math.min(max, Math.max(MIN_COL_W, chars)));
}

/**
 * Pages to ask for, most wanted first: those covering the rendered rows (the one under the middle of
 * the view first), then the next page in the scroll direction (`dir` > 0 down, < 0 up, 0 none) so a
 * steady scroll finds its rows fetched.
 */
export function wantedPages(first: number, last: number, count: number, dir: number): number[] {
  if (count <= 0 || last < first) return [];
  const lo = Math.floor(first / PAGE);
  const hi = Math.floor(Math.min(last, count - 1) / PAGE);
  const mid = Math.floor((first + last) / 2 / PAGE);
  const out = [mid];
  for (let p = lo; p <= hi; p++) if (p !== mid) out.push(p);
  const lastPage = Math.floor((count - 1) / PAGE);
  if (dir > 0 && hi + 1 <= lastPage) out.push(hi + 1);
  else if (dir < 0 && lo - 1 >= 0) out.push(lo - 1);
  return out;
}
