import { describe, expect, it } from 'vitest';
import { BULK_SEED, POOL_ROWS, bulkBatch, bulkRows } from './bulk-rows';
import type { Row } from './vql/values';

const distinct = (rows: readonly Row[], column: string): number => new Set(rows.map((r) => r[column])).size;

describe('simulator_bulk_rows data', () => {
  it('varies every column as a hunt over many hosts would', () => {
    const rows = bulkRows(0, 10_000);
    // Lower bounds a process listing from many hosts clears easily; uniform rows (one name, one user,
    // one time, one hash) fail every one of them.
    expect(distinct(rows, 'Hostname')).toBeGreaterThanOrEqual(100);
    expect(distinct(rows, 'Pid')).toBeGreaterThanOrEqual(5_000);
    expect(distinct(rows, 'Name')).toBeGreaterThanOrEqual(20);
    expect(distinct(rows, 'CommandLine')).toBeGreaterThanOrEqual(1_000);
    expect(distinct(rows, 'Username')).toBeGreaterThanOrEqual(15);
    expect(distinct(rows, 'CreateTime')).toBeGreaterThanOrEqual(5_000);
    expect(distinct(rows, 'SHA256')).toBeGreaterThanOrEqual(60);
    // Plausible values: paths with spaces kept whole, non-ASCII user names, times in ISO form.
    expect(rows.some((r) => String(r.CommandLine).includes('"C:\\Program Files\\'))).toBe(true);
    expect(rows.some((r) => /[^\x20-\x7e]/.test(String(r.Username)))).toBe(true);
    for (const r of rows.slice(0, 200)) {
      expect(r.CreateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(r.SHA256).toMatch(/^[0-9a-f]{64}$/);
      expect(Number(r.Pid) % 4).toBe(0);
    }
  });

  it('gives the same rows for the same seed, other rows for another seed', () => {
    expect(bulkRows(0, 2_000, 7)).toEqual(bulkRows(0, 2_000, 7));
    expect(bulkRows(0, 2_000)).toEqual(bulkRows(0, 2_000, BULK_SEED));
    const other = bulkRows(0, 2_000, 8);
    const same = bulkRows(0, 2_000, 7).filter((r, i) => r.CommandLine === other[i]?.CommandLine).length;
    expect(same).toBeLessThan(200);
  });

  it('batches are the stream cut at any size, repeating after the pool', () => {
    const want = bulkRows(0, 3_000);
    const cut = (size: number): unknown[] =>
      Array.from(
        { length: Math.ceil(3_000 / size) },
        (_, k) => JSON.parse(bulkBatch(Math.min(size, 3_000 - k * size), k).json) as unknown[],
      ).flat();
    // Only the last batch may be shorter: its index times the full size is where it starts.
    expect(JSON.parse(bulkBatch(1000, 0).json)).toEqual(want.slice(0, 1000));
    expect(cut(1000)).toEqual(want);
    expect(JSON.parse(bulkBatch(50, 3).json)).toEqual(want.slice(150, 200));
    expect(JSON.parse(bulkBatch(1000, POOL_ROWS / 1000).json)).toEqual(want.slice(0, 1000));
    const b = bulkBatch(1000, 5);
    expect(b.rowCount).toBe(1000);
    expect(b.rows()).toEqual(JSON.parse(b.json));
    expect(b.columns).toEqual(Object.keys(want[0] ?? {}));
  });
});
