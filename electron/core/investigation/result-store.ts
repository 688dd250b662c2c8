/**
 * Result sets behind the grids, kept in the core so the renderer holds only the rows it paints.
 * Rows are stored as the parsed objects the query produced; cell text is made only for the window
 * asked for. A view (sort + filter) is an index array computed once per (set size, sort, filter)
 * and reused while the user scrolls.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../../shared/errors';
import { cellText } from './cell-text';
import { csvLine } from '../../../shared/csv';

type Row = Record<string, unknown>;

export interface View {
  sort: { column: string; desc: boolean } | null;
  filter: string;
}

interface CachedView {
  key: string;
  size: number;
  index: Uint32Array | null;
}

export class ResultSet {
  readonly rows: Row[] = [];
  readonly columns: string[] = [];
  private readonly known = new Set<string>();
  complete = false;
  private cached: CachedView | undefined;

  constructor(
    readonly id: string,
    readonly owner: string,
  ) {}

  push(rows: readonly Row[], columns: readonly string[]): void {
    for (const c of columns) this.addColumn(c);
    for (const r of rows) {
      this.rows.push(r);
      // Every row's keys: a later row may carry a column the first ones lacked (a Set lookup each).
      for (const k in r) if (!this.known.has(k)) this.addColumn(k);
    }
  }

  private addColumn(c: string): void {
    if (!this.known.has(c)) {
      this.known.add(c);
      this.columns.push(c);
    }
  }

  /** Indices of rows in view order, or null for "all rows in arrival order". */
  viewIndex(view: View): Uint32Array | null {
    const filter = view.filter.trim().toLowerCase();
    if (!view.sort && !filter) return null;
    const key = JSON.stringify([view.sort, filter]);
    if (this.cached && this.cached.key === key && this.cached.size === this.rows.length) return this.cached.index;
    let idx: number[] = [];
    if (filter) {
      for (let i = 0; i < this.rows.length; i++) {
        const r = this.rows[i]!;
        for (const c of this.columns) {
          if (cellText(r[c]).toLowerCase().includes(filter)) {
            idx.push(i);
            break;
          }
        }
      }
    } else idx = Array.from({ length: this.rows.length }, (_, i) => i);
    const sort = view.sort;
    if (sort) {
      const keys = new Map<number, string | number>();
      for (const i of idx) keys.set(i, sortKey(this.rows[i]![sort.column]));
      const dir = sort.desc ? -1 : 1;
      idx.sort((a, b) => dir * compare(keys.get(a)!, keys.get(b)!) || a - b);
    }
    const index = Uint32Array.from(idx);
    this.cached = { key, size: this.rows.length, index };
    return index;
  }

  window(offset: number, limit: number, view: View): { matched: number; rows: string[][] } {
    const index = this.viewIndex(view);
    const matched = index ? index.length : this.rows.length;
    const out: string[][] = [];
    const end = Math.min(matched, offset + limit);
    for (let i = offset; i < end; i++) {
      const r = this.rows[index ? index[i]! : i]!;
      out.push(this.columns.map((c) => cellText(r[c])));
    }
    return { matched, rows: out };
  }

  exportText(format: 'csv' | 'json', columns: readonly string[] | undefined, view: View): { text: string; rows: number } {
    const cols = columns?.length ? columns.filter((c) => this.known.has(c)) : this.columns;
    const index = this.viewIndex(view);
    const n = index ? index.length : this.rows.length;
    const parts: string[] = [];
    if (format === 'csv') parts.push(csvLine(cols));
    for (let i = 0; i < n; i++) {
      const r = this.rows[index ? index[i]! : i]!;
      if (format === 'csv') parts.push(csvLine(cols.map((c) => cellText(r[c]))));
      else parts.push(cellText(Object.fromEntries(cols.map((c) => [c, r[c]]))));
    }
    return { text: parts.join('\n') + '\n', rows: n };
  }
}

function sortKey(v: unknown): string | number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return cellText(v).toLowerCase();
}

function compare(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Result sets by id. A caller may hold a few; the oldest go when the cap is reached. */
export class ResultStore {
  private readonly sets = new Map<string, ResultSet>();
  constructor(private readonly maxSets = 24) {}

  create(owner: string): ResultSet {
    const set = new ResultSet(randomUUID(), owner);
    this.sets.set(set.id, set);
    while (this.sets.size > this.maxSets) {
      const oldest = this.sets.keys().next().value;
      if (oldest === undefined) break;
      this.sets.delete(oldest);
    }
    return set;
  }

  get(id: string): ResultSet {
    const s = this.sets.get(id);
    if (!s) throw new AppError('NOT_FOUND', 'These results are no longer held (too many result sets were opened since). Run the cell or open the results again.');
    return s;
  }

  release(id: string): boolean {
    return this.sets.delete(id);
  }

  releaseOwner(owner: string): void {
    for (const [id, s] of this.sets) if (s.owner === owner) this.sets.delete(id);
  }
}
