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

  clear(): void {
    this.pages.clear();
    this.inflight.clear();
  }

  /** Drops pages that were read short (they may have more rows now). */
  dropPartial(): void {
    for (const [k, p] of this.pages) if (!p.full) this.pages.delete(k);
  }

  row(i: number): string[] | undefined {
    return this.pages.get(Math.floor(i / PAGE))?.rows[i % PAGE];
  }

  /** Page numbers covering [first, last] that are neither cached nor being fetched. */
  missing(first: number, last: number): number[] {
    const out: number[] = [];
    for (let p = Math.floor(first / PAGE); p <= Math.floor(last / PAGE); p++) if (!this.pages.has(p) && !this.inflight.has(p)) out.push(p);
    return out;
  }

  start(p: number): void {
    this.inflight.add(p);
  }

  put(p: number, rows: string[][]): void {
    this.inflight.delete(p);
    this.pages.set(p, { rows, full: rows.length === PAGE });
  }

  fail(p: number): void {
    this.inflight.delete(p);
  }
}
