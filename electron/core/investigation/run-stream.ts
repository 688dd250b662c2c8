/**
 * The VQL run stream's progress events, coalesced. A query sends a log line and a batch of rows many
 * times a second (1,000 rows a batch: a million rows is a thousand log lines); each event costs the
 * renderer a render, so the core merges them into at most one `rows` event per interval carrying the
 * row count and every log line since the previous one. A timer flushes when the source goes quiet, so
 * a log line never waits for the next batch, and everything pending is flushed before the source ends
 * or fails.
 */
import type { LogLine, RunEvent } from '../../../shared/contracts/vql';

export type ProgressEvent = Extract<RunEvent, { type: 'rows' }>;

/** Coalesced progress events at most every ~125 ms (~8 a second). */
export const PROGRESS_MS = 125;
/** Rows of cell text sent with the first progress event that has rows: the grid's first page. */
export const FIRST_ROWS = 200;

interface ProgressSource {
  /** Rows held so far. */
  readonly size: number;
  readonly columns: readonly string[];
  window(offset: number, limit: number, view: { sort: null; filter: string }): { rows: string[][] };
}

/** What the next progress event says: pending log lines, and the set's count when it changed. */
export class RunProgress {
  private logs: LogLine[] = [];
  private sentTotal = -1;
  private sentColumns = -1;
  private firstSent = false;

  constructor(
    private readonly set: ProgressSource,
    private readonly firstRows = FIRST_ROWS,
  ) {}

  log(line: LogLine): void {
    this.logs.push(line);
  }

  /** The event to send now, or null when nothing changed (`final` always gives one). */
  flush(final = false): ProgressEvent | null {
    const total = this.set.size;
    if (
      !final &&
      this.logs.length === 0 &&
      total === this.sentTotal &&
      this.set.columns.length === this.sentColumns
    )
      return null;
    // The first rows are read before the columns are copied: reading them may add columns.
    let first: string[][] | undefined;
    if (!this.firstSent && total > 0) {
      this.firstSent = true;
      first = this.set.window(0, this.firstRows, { sort: null, filter: '' }).rows;
    }
    const ev: ProgressEvent = { type: 'rows', total, columns: [...this.set.columns] };
    if (this.logs.length) {
      ev.logs = this.logs;
      this.logs = [];
    }
    if (first) ev.first = first;
    this.sentTotal = total;
    this.sentColumns = this.set.columns.length;
    return ev;
  }
}

/**
 * Pulls `source`, handing each item to `absorb`, and yields `flush()` at most every `intervalMs`
 * (immediately when `absorb` returns true, e.g. for the first rows). Whatever is pending is flushed
 * before the source's end or error is passed on.
 */
export async function* coalesce<T, E>(
  source: AsyncIterable<T>,
  absorb: (item: T) => boolean,
  flush: () => E | null,
  intervalMs = PROGRESS_MS,
  now: () => number = Date.now,
): AsyncGenerator<E> {
  const it = source[Symbol.asyncIterator]();
  let last = -Infinity;
  let dirty = false;
  let urgent = false;
  let finished = false;
  const pull = () => {
    const p = it.next();
    p.catch(() => undefined); // handled where it is awaited; this only silences an early exit
    return p;
  };
  let next = pull();
  try {
    for (;;) {
      let r: IteratorResult<T> | 'tick';
      try {
        if (dirty) {
          const wait = urgent ? 0 : last + intervalMs - now();
          if (wait <= 0) {
            dirty = urgent = false;
            last = now();
            const ev = flush();
            if (ev !== null) yield ev;
            continue;
          }
          let timer: ReturnType<typeof setTimeout> | undefined;
          const tick = new Promise<'tick'>((res) => (timer = setTimeout(() => res('tick'), wait)));
          r = await Promise.race([next, tick]);
          clearTimeout(timer);
        } else r = await next;
      } catch (e) {
        finished = true;
        if (dirty) {
          const ev = flush();
          if (ev !== null) yield ev;
        }
        throw e;
      }
      if (r === 'tick') continue;
      if (r.done) break;
      if (absorb(r.value)) urgent = true;
      dirty = true;
      next = pull();
    }
    finished = true;
    if (dirty) {
      const ev = flush();
      if (ev !== null) yield ev;
    }
  } finally {
    // The consumer stopped early (cancel): close the source without waiting on a pending pull.
    if (!finished) void it.return?.()?.catch(() => undefined);
  }
}
