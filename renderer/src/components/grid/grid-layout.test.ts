import { describe, expect, it } from 'vitest';
import {
  BASE_STEP,
  cellsPerRow,
  columnOffsets,
  colWindow,
  fitWidth,
  FIT_MAX_W,
  MIN_COL_W,
  MAX_BODY_H,
  OVERSCAN,
  poolSize,
  ROW_H,
  rowWindow,
  scrollTopFor,
  slotOf,
  wantedPages,
} from './grid-layout';
import { PAGE } from './window-cache';

const VIEW = 330; // a 360 px scroller: 2 px border, 28 px header

describe('row window', () => {
  it('shows the rows under the scroll offset plus overscan, without measuring rows', () => {
    const w = rowWindow(0, VIEW, 1_000_000);
    expect(w).toMatchObject({
      first: 0,
      visibleFirst: 0,
      visibleLast: 11,
      last: 11 + OVERSCAN,
      bodyH: 28_000_000,
      base: 0,
      layerY: 0,
    });
    const s = rowWindow(100 * ROW_H + 10, VIEW, 1_000_000);
    expect(s).toMatchObject({
      visibleFirst: 100,
      visibleLast: 112,
      first: 100 - OVERSCAN,
      last: 112 + OVERSCAN,
    });
  });

  it('stops at the last row and handles short and empty results', () => {
    expect(rowWindow(0, VIEW, 3)).toMatchObject({ first: 0, last: 2, bodyH: 3 * ROW_H });
    expect(rowWindow(9_999_999, VIEW, 20)).toMatchObject({ last: 19, visibleLast: 19 });
    expect(rowWindow(0, VIEW, 0)).toMatchObject({ first: 0, last: -1, bodyH: 0 });
  });

  it('moves the base row in steps so rows keep their positions between steps', () => {
    const a = rowWindow(1_500 * ROW_H, VIEW, 1_000_000);
    expect(a.base).toBe(BASE_STEP);
    expect(a.layerY).toBe(BASE_STEP * ROW_H);
    const b = rowWindow(1_510 * ROW_H, VIEW, 1_000_000);
    expect(b.base).toBe(a.base);
    expect(b.layerY).toBe(a.layerY);
  });

  it('maps results taller than the largest body onto it, first to last row', () => {
    const count = 5_000_000;
    const top = rowWindow(0, VIEW, count);
    expect(top.bodyH).toBe(MAX_BODY_H);
    expect(top.visibleFirst).toBe(0);
    const end = rowWindow(MAX_BODY_H - VIEW, VIEW, count);
    expect(end.visibleLast).toBe(count - 1);
    const mid = rowWindow((MAX_BODY_H - VIEW) / 2, VIEW, count);
    expect(Math.abs(mid.visibleFirst - count / 2)).toBeLessThan(20);
    // The visible first row sits at the top of the view: body y of row i = layerY + (i - base) * ROW_H.
    const y = mid.layerY + (mid.visibleFirst - mid.base) * ROW_H;
    expect(y).toBeLessThanOrEqual((MAX_BODY_H - VIEW) / 2);
    expect(y).toBeGreaterThan((MAX_BODY_H - VIEW) / 2 - ROW_H);
  });
});

describe('scrollTopFor', () => {
  it('leaves a visible row alone and scrolls the least to show one outside', () => {
    expect(scrollTopFor(5, 0, VIEW, 1000)).toBe(0);
    expect(scrollTopFor(20, 0, VIEW, 1000)).toBe(21 * ROW_H - VIEW);
    expect(scrollTopFor(3, 50 * ROW_H, VIEW, 1000)).toBe(3 * ROW_H);
  });
  it('maps back onto a scaled body', () => {
    const count = 5_000_000;
    const t = scrollTopFor(count - 1, 0, VIEW, count);
    expect(rowWindow(t, VIEW, count).visibleLast).toBe(count - 1);
    const m = scrollTopFor(2_000_000, 0, VIEW, count);
    const w = rowWindow(m, VIEW, count);
    expect(w.visibleFirst).toBeLessThanOrEqual(2_000_000);
    expect(w.visibleLast).toBeGreaterThanOrEqual(2_000_000);
  });
});

describe('slots', () => {
  it('gives the rendered rows distinct slots and keeps a row in its slot while it stays rendered', () => {
    const n = poolSize(VIEW);
    for (const top of [0, 7 * ROW_H + 3, 123_456 * ROW_H + 27]) {
      const w = rowWindow(top, VIEW, 1_000_000);
      expect(w.last - w.first + 1).toBeLessThanOrEqual(n);
      const slots = new Set<number>();
      for (let i = w.first; i <= w.last; i++) slots.add(slotOf(i, n));
      expect(slots.size).toBe(w.last - w.first + 1);
    }
    // Scrolling by k rows: the rows still in range keep their slots, k slots are rewritten.
    const a = rowWindow(1_000 * ROW_H, VIEW, 1_000_000);
    const b = rowWindow(1_008 * ROW_H, VIEW, 1_000_000);
    const before = new Map<number, number>();
    for (let i = a.first; i <= a.last; i++) before.set(slotOf(i, n), i);
    let rewritten = 0;
    for (let i = b.first; i <= b.last; i++) if (before.get(slotOf(i, n)) !== i) rewritten++;
    expect(rewritten).toBe(8);
  });
  it('keeps a slot on rows of one parity (stripe classes stay put)', () => {
    for (const h of [0, 300, 330, 331, 1000]) {
      const n = poolSize(h);
      expect(n % 2).toBe(0);
      expect(slotOf(1_001, n) % 2).toBe(1);
      expect(slotOf(1_000 + n, n)).toBe(slotOf(1_000, n));
    }
  });
});

describe('column window', () => {
  const even = columnOffsets(Array.from({ length: 40 }, () => 200));
  it('renders the columns in view plus one either side', () => {
    expect(colWindow(0, 900, even)).toEqual({ from: 0, to: 5 });
    expect(colWindow(10 * 200 + 50, 900, even)).toEqual({ from: 9, to: 15 });
    expect(colWindow(0, 900, columnOffsets([200, 200, 200]))).toEqual({ from: 0, to: 2 });
    expect(colWindow(0, 900, columnOffsets([]))).toEqual({ from: 0, to: -1 });
  });
  it('follows columns of their own widths', () => {
    const offsets = columnOffsets([60, 400, 80, 80, 300, 60]);
    expect(offsets).toEqual([0, 60, 460, 540, 620, 920, 980]);
    // 470..770 shows columns 2..4; one more either side.
    expect(colWindow(470, 300, offsets)).toEqual({ from: 1, to: 5 });
    expect(colWindow(0, 50, offsets)).toEqual({ from: 0, to: 1 });
  });
  it('has enough cells per row for any window', () => {
    for (const widths of [
      [200],
      [200, 200, 200],
      [56, 480, 56, 56, 90, 300, 56, 56, 56, 120],
      Array(40).fill(75),
    ])
      for (const left of [0, 33, 950, 4_321]) {
        const w = colWindow(left, 900, columnOffsets(widths as number[]));
        expect(w.to - w.from + 1).toBeLessThanOrEqual(cellsPerRow(900, widths as number[]));
      }
  });
  it('sizes a column to its header and most of its values, not to one outlier', () => {
    const pids = Array.from({ length: 50 }, (_, i) => String(1000 + i));
    const lines = Array.from(
      { length: 50 },
      () => 'C:\\Windows\\System32\\svchost.exe -k netsvcs -p -s Schedule',
    );
    const pid = fitWidth('Pid', [...pids, 'x'.repeat(300)]);
    const cmd = fitWidth('CommandLine', lines);
    expect(pid).toBeLessThan(90);
    expect(cmd).toBeGreaterThan(3 * pid);
    expect(fitWidth('X', [])).toBe(MIN_COL_W);
    expect(fitWidth('X', ['y'.repeat(1000)])).toBe(FIT_MAX_W);
    expect(fitWidth('X', ['y'.repeat(1000)], 900)).toBeGreaterThan(FIT_MAX_W);
  });
});

describe('wanted pages', () => {
  it('asks for the page under the middle first, then the other pages in range', () => {
    expect(wantedPages(190, 215, 1_000_000, 0)).toEqual([1, 0]);
    expect(wantedPages(10, 30, 1_000_000, 0)).toEqual([0]);
  });
  it('adds the next page in the scroll direction, never past either end', () => {
    expect(wantedPages(410, 430, 1_000_000, 1)).toEqual([2, 3]);
    expect(wantedPages(410, 430, 1_000_000, -1)).toEqual([2, 1]);
    expect(wantedPages(0, 20, 1_000_000, -1)).toEqual([0]);
    expect(wantedPages(PAGE * 4 + 10, PAGE * 4 + 30, PAGE * 5, 1)).toEqual([4]);
    expect(wantedPages(0, -1, 0, 1)).toEqual([]);
  });
});
