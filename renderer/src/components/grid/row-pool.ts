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
  colWindow,
  poolSize,
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
  /** The input whose widths the cells have. */
  sized: PoolInput | null;
}

export interface PoolInput {
  count: number;
  /** For each shown column, its index in the row's cell array. */
  idx: number[];
  /** For each shown column, its width (px), and the columns' left edges (columnOffsets). */
  widths: number[];
  offsets: number[];
  /** For each shown column, how its text is shown (times, sizes; null: as it is). */
  format: Array<((text: string) => string) | null>;
  /** For each shown column, whether its cells are links (a client id opens the client). */
  links: boolean[];
  rowH: number;
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

  /** New data (count, columns, widths, formats, pages, selection): repaint what changed. */
  update(input: PoolInput): void {
    const old = this.input;
    const columnsChanged =
      input.idx !== old.idx ||
      input.widths !== old.widths ||
      input.format !== old.format ||
      input.links !== old.links;
    this.input = input;
    if (
      input.rowH !== old.rowH ||
      (columnsChanged && cellsPerRow(this.viewW, input.widths) !== this.cellCount)
    )
      this.build();
    else this.paint(columnsChanged);
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
    if (
      poolSize(h, undefined, this.input.rowH) !== this.slots.length ||
      cellsPerRow(w, this.input.widths) !== this.cellCount
    )
      this.build();
    else this.paint(false);
  }

  /** The scrollTop that brings row i into view (the current one if it shows already). */
  scrollTopFor(i: number): number {
    return scrollTopFor(i, this.top, this.viewH, this.input.count, this.input.rowH);
  }

  private build(): void {
    const n = poolSize(this.viewH, undefined, this.input.rowH);
    const c = cellsPerRow(this.viewW, this.input.widths);
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
      this.slots.push({
        el,
        cells,
        texts,
        row: -1,
        data: undefined,
        cls: '',
        from: -1,
        to: -1,
        base: -1,
        sized: null,
      });
    }
    this.layer.replaceChildren(...rows);
    this.paint(true);
  }

  private paint(force: boolean): void {
    const { count, cache, selected, offsets, rowH } = this.input;
    const w = rowWindow(this.top, this.viewH, count, undefined, rowH);
    const cols = colWindow(this.left, this.viewW, offsets);
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
        s.base !== w.base ||
        reshaped(s.sized, this.input)
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
    const input = this.input;
    const { idx, widths, offsets, format, links, rowH } = input;
    if (s.row !== i || s.base !== base || s.sized?.rowH !== rowH) {
      s.el.style.transform = `translateY(${(i - base) * rowH}px)`;
      s.base = base;
    }
    if (s.row !== i) {
      s.el.setAttribute('data-row', String(i));
      s.el.setAttribute('aria-rowindex', String(i + 1));
      if (s.row === -1) s.el.hidden = false;
      s.row = i;
    }
    const resized = s.sized === null || s.sized.widths !== widths || s.sized.links !== links;
    if (s.from !== from || s.to !== to || resized) {
      if (s.from !== from || resized) s.el.style.paddingLeft = from ? `${offsets[from]}px` : '';
      for (let k = 0; k < s.cells.length; k++) {
        const col = from + k;
        const cell = s.cells[k]!;
        cell.hidden = col > to;
        if (col > to) continue;
        cell.setAttribute('aria-colindex', String(col + 1));
        cell.style.width = `${widths[col]}px`;
        cell.className = links[col] ? `${css.cell} ${css.link}` : (css.cell ?? '');
      }
      s.from = from;
      s.to = to;
    }
    s.sized = input;
    s.data = data;
    for (let k = 0; k < s.texts.length; k++) {
      const col = from + k;
      if (col > to) continue;
      const raw = data ? (data[idx[col]!] ?? '') : PLACEHOLDER;
      const f = data ? format[col] : null;
      const text = f ? f(raw) : raw;
      const t = s.texts[k]!;
      if (t.data !== text) t.data = text;
    }
  }
}

/** Whether what a slot's cells were written with (columns, widths, formats, links, height) changed. */
function reshaped(a: PoolInput | null, b: PoolInput): boolean {
  return (
    a === null ||
    a.idx !== b.idx ||
    a.widths !== b.widths ||
    a.format !== b.format ||
    a.links !== b.links ||
    a.rowH !== b.rowH
  );
}

function rowClass(i: number, selected: boolean): string {
  if (selected) return `${css.row} ${css.selected}`;
  return i % 2 ? `${css.row} ${css.odd}` : (css.row ?? '');
}
