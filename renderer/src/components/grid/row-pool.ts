/**
 * The grid body's rows, outside React: a fixed pool of row elements, each with a fixed number of cell
 * elements holding one Text node. A scroll event rewrites only the slots whose row changed (row i lives
 * in slot i % pool, see slotOf), by setting the Text node's data: cells are plain text, never markup,
 * so endpoint data cannot become HTML. Nothing here reads layout: the scroll offsets come from the
 * scroll event, the view size from a ResizeObserver.
 */
import css from './grid.module.css';
import {
  cellsPerRow,
  COL_W,
  colWindow,
  poolSize,
  ROW_H,
  rowWindow,
  scrollTopFor,
  slotOf,
  type RowWindow,
} from './grid-layout';
import type { WindowCache } from './window-cache';

/** Text of a row whose page has not arrived yet. */
export const PLACEHOLDER = '…';

interface Slot {
  el: HTMLDivElement;
  cells: HTMLDivElement[];
  texts: Text[];
  /** Row shown (-1: none, the slot is hidden). */
  row: number;
  /** Cell array the text was written from (undefined: placeholder). */
  data: string[] | undefined;
  cls: string;
  /** Columns shown: the first cell's and the last one's. */
  from: number;
  to: number;
  base: number;
}

export interface PoolInput {
  count: number;
  /** For each shown column, its index in the row's cell array. */
  idx: number[];
  cache: WindowCache;
  selected: number | null;
}

export class RowPool {
  private slots: Slot[] = [];
  private cellCount = 0;
  private top = 0;
  private left = 0;
  private viewH: number;
  private viewW: number;
  private input: PoolInput;
  private win: RowWindow | null = null;
  private layerY = NaN;
  private dir = 0;
  private rangeCount = -1;

  constructor(
    private readonly layer: HTMLElement,
    view: { h: number; w: number },
    input: PoolInput,
    /** Called when the rendered rows (or the count) change: first, last, direction (+1 down, -1 up). */
    private readonly onRange: (first: number, last: number, dir: number, count: number) => void,
  ) {
    this.viewH = view.h;
    this.viewW = view.w;
    this.input = input;
    this.build();
  }

  /** New data (count, columns, pages, selection): repaint what changed. */
  update(input: PoolInput): void {
    const columnsChanged = input.idx !== this.input.idx;
    this.input = input;
    if (columnsChanged && cellsPerRow(this.viewW, input.idx.length) !== this.cellCount) this.build();
    this.paint(columnsChanged);
  }

  /** The scroller scrolled (values from the scroll event's target: no layout is forced after writes). */
  scrolled(top: number, left: number): void {
    this.top = top;
    this.left = left;
    this.paint(false);
  }

  /** The view was resized (ResizeObserver). */
  resized(h: number, w: number): void {
    if (h === this.viewH && w === this.viewW) return;
    this.viewH = h;
    this.viewW = w;
    if (poolSize(h) !== this.slots.length || cellsPerRow(w, this.input.idx.length) !== this.cellCount)
      this.build();
    else this.paint(false);
  }

  /** The scrollTop that brings row i into view (the current one if it shows already). */
  scrollTopFor(i: number): number {
    return scrollTopFor(i, this.top, this.viewH, this.input.count);
  }

  private build(): void {
    const n = poolSize(this.viewH);
    const c = cellsPerRow(this.viewW, this.input.idx.length);
    const doc = this.layer.ownerDocument;
    this.slots = [];
    this.cellCount = c;
    const rows: HTMLDivElement[] = [];
    for (let s = 0; s < n; s++) {
      const el = doc.createElement('div');
      el.setAttribute('role', 'row');
      el.hidden = true;
      const cells: HTMLDivElement[] = [];
      const texts: Text[] = [];
      for (let k = 0; k < c; k++) {
        const cell = doc.createElement('div');
        cell.setAttribute('role', 'gridcell');
        cell.className = css.cell ?? '';
        const t = doc.createTextNode('');
        cell.appendChild(t);
        el.appendChild(cell);
        cells.push(cell);
        texts.push(t);
      }
      rows.push(el);
      this.slots.push({ el, cells, texts, row: -1, data: undefined, cls: '', from: -1, to: -1, base: -1 });
    }
    this.layer.replaceChildren(...rows);
    this.paint(true);
  }

  private paint(force: boolean): void {
    const { count, idx, cache, selected } = this.input;
    const w = rowWindow(this.top, this.viewH, count);
    const cols = colWindow(this.left, this.viewW, idx.length);
    if (w.layerY !== this.layerY) {
      this.layerY = w.layerY;
      this.layer.style.transform = `translateY(${w.layerY}px)`;
    }
    const n = this.slots.length;
    for (let i = w.first; i <= w.last; i++) {
      const s = this.slots[slotOf(i, n)];
      if (!s) continue;
      const data = cache.row(i);
      if (
        force ||
        s.row !== i ||
        s.data !== data ||
        s.from !== cols.from ||
        s.to !== cols.to ||
        s.base !== w.base
      )
        this.write(s, i, data, w.base, cols.from, cols.to);
      const cls = rowClass(i, i === selected);
      if (cls !== s.cls) {
        s.cls = cls;
        s.el.className = cls;
        s.el.setAttribute('aria-selected', String(i === selected));
      }
    }
    // Slots left over (fewer rows than the pool): hidden, out of the accessibility tree.
    if (w.last - w.first + 1 < n)
      for (const s of this.slots)
        if (s.row !== -1 && (s.row < w.first || s.row > w.last)) {
          s.row = -1;
          s.data = undefined;
          s.el.hidden = true;
          s.el.removeAttribute('data-row');
          s.el.removeAttribute('aria-rowindex');
        }
    const old = this.win;
    this.win = w;
    if (!old || old.first !== w.first || old.last !== w.last || count !== this.rangeCount || force) {
      if (old && w.first !== old.first) this.dir = Math.sign(w.first - old.first);
      this.rangeCount = count;
      this.onRange(w.first, w.last, this.dir, count);
    }
  }

  private write(
    s: Slot,
    i: number,
    data: string[] | undefined,
    base: number,
    from: number,
    to: number,
  ): void {
    const { idx } = this.input;
    if (s.row !== i || s.base !== base) {
      s.el.style.transform = `translateY(${(i - base) * ROW_H}px)`;
      s.base = base;
    }
    if (s.row !== i) {
      s.el.setAttribute('data-row', String(i));
      s.el.setAttribute('aria-rowindex', String(i + 1));
      if (s.row === -1) s.el.hidden = false;
      s.row = i;
    }
    if (s.from !== from || s.to !== to) {
      if (s.from !== from) s.el.style.paddingLeft = from ? `${from * COL_W}px` : '';
      for (let k = 0; k < s.cells.length; k++) {
        const col = from + k;
        const cell = s.cells[k]!;
        cell.hidden = col > to;
        cell.setAttribute('aria-colindex', String(col + 1));
      }
      s.from = from;
      s.to = to;
    }
    s.data = data;
    for (let k = 0; k < s.texts.length; k++) {
      const col = from + k;
      if (col > to) continue;
      const text = data ? (data[idx[col]!] ?? '') : PLACEHOLDER;
      const t = s.texts[k]!;
      if (t.data !== text) t.data = text;
    }
  }
}

function rowClass(i: number, selected: boolean): string {
  if (selected) return `${css.row} ${css.selected}`;
  return i % 2 ? `${css.row} ${css.odd}` : (css.row ?? '');
}
