import { describe, expect, it } from 'vitest';
import { gridCounts, PAGE, WindowCache } from './window-cache';

const rows = (n: number, tag = 'r') => Array.from({ length: n }, (_, i) => [`${tag}${i}`]);

describe('grid window cache', () => {
  it('keeps a seeded page against a late, shorter answer, and takes a longer one', () => {
    const c = new WindowCache();
    const ticket = c.start(0); // the window asked for when the set was still empty
    expect(c.put(0, rows(50, 'seed'))).toBe(true); // the first rows came with the stream
    expect(c.put(0, [], ticket)).toBe(false);
    expect(c.row(0)).toEqual(['seed0']);
    expect(c.missing(0, 10)).toEqual([]);
    c.dropPartial(); // more rows arrived: the short page is fetched again
    expect(c.missing(0, 10)).toEqual([0]);
    expect(c.put(0, rows(PAGE), c.start(0))).toBe(true);
    expect(c.row(PAGE - 1)).toEqual([`r${PAGE - 1}`]);
  });

  it('drops answers to requests made before a clear', () => {
    const c = new WindowCache();
    const old = c.start(3);
    c.clear();
    expect(c.put(3, rows(PAGE), old)).toBe(false);
    expect(c.missing(3 * PAGE, 3 * PAGE)).toEqual([3]);
  });
});

describe('grid window cache, short pages', () => {
  it('asks again for a short page when the range needs rows past it (the count grew)', () => {
    const c = new WindowCache();
    c.put(0, rows(50));
    expect(c.missing(0, 49)).toEqual([]);
    expect(c.missing(0, 120)).toEqual([0]);
  });
});

describe('grid counts', () => {
  it('takes the stream total when it is ahead of the last window answer (the final count after done)', () => {
    expect(gridCounts({ filtered: false, matched: 5_000, total: 5_000, streamTotal: 1_000_000 })).toEqual({
      rows: 1_000_000,
      total: 1_000_000,
    });
  });
  it('works without a stream (flow and hunt results)', () => {
    expect(gridCounts({ filtered: false, matched: 80, total: 80, streamTotal: undefined })).toEqual({
      rows: 80,
      total: 80,
    });
  });
  it('shows the matched rows of a filter out of the total', () => {
    expect(gridCounts({ filtered: true, matched: 12, total: 900, streamTotal: 1_000 })).toEqual({
      rows: 12,
      total: 1_000,
    });
  });
});

describe('grid window cache, bounded', () => {
  it('keeps the pages nearest the view and drops the farthest', () => {
    const c = new WindowCache();
    for (const p of [0, 1, 2, 50, 51, 400]) c.put(p, rows(PAGE));
    c.evict(3, 50);
    expect([0, 1, 2, 50, 51, 400].filter((p) => c.row(p * PAGE) !== undefined)).toEqual([2, 50, 51]);
  });
  it('counts requests in flight and does not ask twice for a page', () => {
    const c = new WindowCache();
    const t = c.start(4);
    expect(c.pending).toBe(1);
    expect(c.needs(4, 4 * PAGE + 10)).toBe(false);
    c.put(4, rows(PAGE), t);
    expect(c.pending).toBe(0);
    expect(c.needs(4, 5 * PAGE - 1)).toBe(false);
    expect(c.needs(5, 5 * PAGE)).toBe(true);
  });
});
