import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../../shared/contracts/vql';
import { scanRows } from '../velociraptor/query/row-scan';
import { ResultSet } from './result-store';
import { coalesce, RunProgress } from './run-stream';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const line = (i: number): LogLine => ({ timeMs: i, level: 'INFO', message: `line ${i}` });

/** A fake result set: rows are counted, cell text is the row number. */
function fakeSet() {
  const set = {
    rows: [] as number[],
    columns: [] as string[],
    get size() {
      return set.rows.length;
    },
    window: (offset: number, limit: number) => ({
      rows: set.rows.slice(offset, offset + limit).map((r) => [String(r)]),
    }),
  };
  return set;
}

type Item = { log: number } | { rows: number };

async function* source(items: Item[], gapMs: number): AsyncGenerator<Item> {
  for (const it of items) {
    if (gapMs) await sleep(gapMs);
    yield it;
  }
}

describe('run progress coalescing', () => {
  it('merges a flood into few events, loses no log line, and sends the first rows at once with their text', async () => {
    const set = fakeSet();
    const progress = new RunProgress(set, 3);
    const items: Item[] = [];
    for (let i = 0; i < 300; i++) items.push({ log: i }, { rows: 10 });
    const absorb = (it: Item) => {
      if ('log' in it) {
        progress.log(line(it.log));
        return false;
      }
      const first = set.rows.length === 0;
      for (let i = 0; i < it.rows; i++) set.rows.push(set.rows.length);
      if (first) set.columns.push('n');
      return first;
    };
    const t0 = Date.now();
    const events = [];
    for await (const ev of coalesce(source(items, 0), absorb, () => progress.flush(), 50))
      events.push({ ...ev, at: Date.now() - t0 });
    const final = progress.flush(true);
    expect(final?.total).toBe(3000);
    expect(final?.logs).toBeUndefined();
    // Every line, in order, exactly once.
    expect(events.flatMap((e) => e.logs ?? []).map((l) => l.timeMs)).toEqual(
      items.filter((i) => 'log' in i).map((i) => i.log),
    );
    // The first event with rows has the first rows' text (capped) and comes without waiting for the interval.
    const firstRows = events.find((e) => e.total > 0);
    expect(firstRows?.first).toEqual([['0'], ['1'], ['2']]);
    expect(events.filter((e) => e.first).length).toBe(1);
    // A synchronous flood: far fewer events than items.
    expect(events.length).toBeLessThan(10);
    expect(events.at(-1)?.total).toBe(3000);
  });

  it('flushes on a timer when the source goes quiet, and spaces events by the interval', async () => {
    const set = fakeSet();
    const progress = new RunProgress(set);
    const items: Item[] = Array.from({ length: 20 }, (_, i) => ({ log: i }));
    const gen = coalesce(
      (async function* () {
        yield* source(items, 10);
        await sleep(400); // quiet: pending lines must not wait for the end
        yield { log: 99 };
      })(),
      (it: Item) => {
        if ('log' in it) progress.log(line(it.log));
        return false;
      },
      () => progress.flush(),
      60,
    );
    const times: number[] = [];
    const batches: number[][] = [];
    const t0 = Date.now();
    for await (const ev of gen) {
      times.push(Date.now() - t0);
      batches.push((ev.logs ?? []).map((l) => l.timeMs));
    }
    expect(batches.flat()).toEqual([...items.map((_, i) => i), 99]);
    // Lines 0-19 went out during the quiet period (timer), not together with the next item.
    expect(batches.at(-1)).toEqual([99]);
    expect(batches.length).toBeGreaterThan(2);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(50);
  });

  it('delivers pending lines before passing on the source error', async () => {
    const progress = new RunProgress(fakeSet());
    const got: string[] = [];
    const failing = (async function* () {
      yield 1;
      yield 2;
      throw new Error('boom');
    })();
    const run = async () => {
      for await (const ev of coalesce(
        failing,
        (n: number) => (progress.log(line(n)), false),
        () => progress.flush(),
        10_000,
      ))
        got.push(...(ev.logs ?? []).map((l) => l.message));
    };
    await expect(run()).rejects.toThrow('boom');
    expect(got).toEqual(['line 1', 'line 2']);
  });

  it('says nothing when nothing changed, and always something when final', () => {
    const progress = new RunProgress(fakeSet());
    expect(progress.flush()?.total).toBe(0);
    expect(progress.flush()).toBeNull();
    expect(progress.flush(true)).toMatchObject({ type: 'rows', total: 0 });
  });

  it('the first rows event names the columns its rows brought (read before the columns are copied)', () => {
    const set = new ResultSet('r', 'o');
    const bytes = Buffer.from(JSON.stringify([{ a: 1 }, { a: 2, late: 'x' }]));
    set.pushRaw({ bytes, ...scanRows(bytes) }, ['a']); // Velociraptor's Columns: the first row's keys only
    const ev = new RunProgress(set).flush();
    expect(ev?.columns).toEqual(['a', 'late']);
    expect(ev?.first).toEqual([
      ['1', ''],
      ['2', 'x'],
    ]);
  });
});
