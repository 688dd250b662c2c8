/**
 * Pages of rows fetched from the core's result set. Only pages the user can see are asked for;
 * a page that was short (the result was still growing) is fetched again when more rows arrive.
 */
export const PAGE = 200;

export interface Page {
  rows: string[][];
  /** Rows the set had when this page was read; a short page is stale once the set grows. */
  full: boolean;
}

export class WindowCache {
  private pages = new Map<number, Page>();
  private inflight = new Set<number>();
  /** Bumped by clear(): answers to requests made before it are dropped. */
  private generation = 0;

  clear(): void {
    this.pages.clear();
    this.inflight.clear();
    this.generation++;
  }

  /** Drops pages that were read short (they may have more rows now). */
  dropPartial(): void {
    for (const [k, p] of this.pages) if (!p.full) this.pages.delete(k);
  }

  row(i: number): string[] | undefined {
    return this.pages.get(Math.floor(i / PAGE))?.rows[i % PAGE];
  }

  /** Up to `max` of the rows held (any pages), e.g. to fit a column to the values loaded. */
  loadedRows(max: number): string[][] {
    const out: string[][] = [];
    for (const p of this.pages.values()) {
      for (const r of p.rows) {
        if (out.length >= max) return out;
        out.push(r);
      }
    }
    return out;
  }

  /**
   * Page numbers covering [first, last] that are not being fetched and not cached, or cached short
   * of rows the range needs (read before the set grew; `last` is bounded by the known count).
   */
  missing(first: number, last: number): number[] {
    const out: number[] = [];
    for (let p = Math.floor(first / PAGE); p <= Math.floor(last / PAGE); p++)
      if (this.needs(p, last)) out.push(p);
    return out;
  }

  /** Whether page `p` must be fetched to show rows up to `last` (not in flight, not cached, or cached short). */
  needs(p: number, last: number): boolean {
    if (this.inflight.has(p)) return false;
    const page = this.pages.get(p);
    return !page || (!page.full && p * PAGE + page.rows.length <= last);
  }

  /** Requests in flight (answers of requests made before a clear are not counted). */
  get pending(): number {
    return this.inflight.size;
  }

  /** Keeps at most `max` pages: drops those farthest from page `around` (jumps through a big result leave many). */
  evict(max: number, around: number): void {
    if (this.pages.size <= max) return;
    const far = [...this.pages.keys()].sort((a, b) => Math.abs(b - around) - Math.abs(a - around));
    for (const k of far.slice(0, this.pages.size - max)) this.pages.delete(k);
  }

  /** Marks a page as being fetched; pass the returned ticket to put() or fail(). */
  start(p: number): number {
    this.inflight.add(p);
    return this.generation;
  }

  /**
   * Stores a page. Ignored when the cache was cleared since the request (another result or view), or
   * when it holds more rows of that page already (a late answer read before the set grew, e.g. after
   * the first page came with the stream). Returns whether the page was taken.
   */
  put(p: number, rows: string[][], ticket = this.generation): boolean {
    if (ticket !== this.generation) return false;
    this.inflight.delete(p);
    const old = this.pages.get(p);
    if (old && old.rows.length > rows.length) return false;
    this.pages.set(p, { rows, full: rows.length === PAGE });
    return true;
  }

  fail(p: number, ticket = this.generation): void {
    if (ticket === this.generation) this.inflight.delete(p);
  }
}

/**
 * The row count a grid shows. Unfiltered, every row of the set is shown: the count is the larger of
 * what the owner's stream reported (`streamTotal`, it knows first, including the final count at the
 * end) and the last window answer. Filtered, only the core knows how many match: the answer's count.
 */
export function gridCounts(a: {
  filtered: boolean;
  matched: number;
  total: number;
  streamTotal: number | undefined;
}): { rows: number; total: number } {
  const total = Math.max(a.total, a.streamTotal ?? 0);
  return { rows: a.filtered ? a.matched : total, total };
}
