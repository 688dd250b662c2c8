/**
 * The grid's scroller, header and body. React renders the frame only; the rows are a RowPool of DOM
 * elements written on scroll events (no React render per scroll), see row-pool.ts. The header sorts
 * (click, Enter), resizes (drag its right edge; double-click fits the values loaded), and reorders
 * (drag a header onto another; Alt+Left/Right on a focused header).
 */
import { Text } from '@mantine/core';
import { IconArrowDown, IconArrowUp } from '@tabler/icons-react';
import {
  memo,
  useCallback,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type CSSProperties,
  type KeyboardEvent,
  type MouseEvent,
  type PointerEvent,
} from 'react';
import type { SortSpec } from '../../../../shared/contracts/vql';
import { hoverText, type ColumnKind } from './cell-format';
import css from './grid.module.css';
import { columnOffsets, MAX_COL_W, MIN_COL_W, ROW_H, rowWindow } from './grid-layout';
import { PLACEHOLDER, RowPool } from './row-pool';
import type { WindowCache } from './window-cache';

export interface BodyProps {
  count: number;
  filtered: boolean;
  shown: string[];
  idx: number[];
  widths: number[];
  kinds: ColumnKind[];
  format: Array<((text: string) => string) | null>;
  links: boolean[];
  rowH: number;
  wrap: boolean;
  sort: SortSpec | null;
  onSort: (c: string) => void;
  onResize: (c: string, width: number) => void;
  onFit: (c: string) => void;
  onMove: (c: string, before: string | null) => void;
  selected: number | null;
  onSelect: (i: number) => void;
  /** A cell was clicked or Enter pressed: open the detail of that row (column index, or null). */
  onOpen: (i: number, col: number | null) => void;
  onCloseDetail: () => void;
  onLink: (i: number, col: number) => void;
  onCopy: (i: number) => void;
  onRange: (first: number, last: number, dir: number, count: number) => void;
  cache: WindowCache;
  /** Bumped when a page arrived: the rows read the cache again. */
  pages: number;
  height: number;
}

export const GridBody = memo(function GridBody(p: BodyProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const layerRef = useRef<HTMLDivElement>(null);
  const pool = useRef<RowPool | null>(null);
  const { onRange } = p;
  const offsets = useMemo(() => columnOffsets(p.widths), [p.widths]);
  const input = useMemo(
    () => ({
      count: p.count,
      idx: p.idx,
      widths: p.widths,
      offsets,
      format: p.format,
      links: p.links,
      rowH: p.rowH,
      cache: p.cache,
      selected: p.selected,
    }),
    [p.count, p.idx, p.widths, offsets, p.format, p.links, p.rowH, p.cache, p.selected],
  );

  // The pool lives as long as the body; it hears of scrolls and resizes directly.
  useLayoutEffect(() => {
    const sc = scrollRef.current;
    const layer = layerRef.current;
    if (!sc || !layer) return;
    const rp = new RowPool(layer, { h: sc.clientHeight - ROW_H, w: sc.clientWidth }, input, onRange);
    pool.current = rp;
    const onScroll = () => rp.scrolled(sc.scrollTop, sc.scrollLeft);
    sc.addEventListener('scroll', onScroll, { passive: true });
    const ro = new ResizeObserver(() => rp.resized(sc.clientHeight - ROW_H, sc.clientWidth));
    ro.observe(sc);
    return () => {
      sc.removeEventListener('scroll', onScroll);
      ro.disconnect();
      pool.current = null;
      layer.replaceChildren();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- created once; update() below feeds it
  }, [onRange]);

  // New count, columns, widths, selection or a page arrived: the pool repaints what changed.
  useLayoutEffect(() => {
    pool.current?.update(input);
  }, [input, p.pages]);

  const width = Math.max(offsets[offsets.length - 1] ?? 0, 300);
  const sized = useMemo(
    () => ({ width, '--grid-row-w': `${width}px`, '--grid-row-h': `${p.rowH}px` }) as CSSProperties,
    [width, p.rowH],
  );
  const bodyH = rowWindow(0, 0, p.count, undefined, p.rowH).bodyH;

  const { count, selected, onSelect, onCopy, onOpen, onCloseDetail, onLink, links } = p;
  const onKey = useCallback(
    (e: KeyboardEvent<HTMLDivElement>) => {
      if (e.target !== e.currentTarget) return; // keys on a header are the header's
      if (e.key === 'Escape') {
        onCloseDetail();
        return;
      }
      if (count === 0) return;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const next = Math.min(count - 1, Math.max(0, (selected ?? -1) + (e.key === 'ArrowDown' ? 1 : -1)));
        onSelect(next);
        const top = pool.current?.scrollTopFor(next);
        if (top !== undefined && top !== e.currentTarget.scrollTop) e.currentTarget.scrollTop = top;
      } else if (e.key === 'Enter' && selected !== null) {
        e.preventDefault();
        onOpen(selected, null);
      } else if ((e.ctrlKey || e.metaKey) && e.key === 'c' && selected !== null) {
        e.preventDefault();
        onCopy(selected);
      }
    },
    [count, selected, onSelect, onCopy, onOpen, onCloseDetail],
  );

  // One handler for every row: the row index is on the row element, the column on the cell.
  const onClick = useCallback(
    (e: MouseEvent) => {
      const t = e.target instanceof Element ? e.target : null;
      const row = t?.closest('[data-row]');
      const i = row ? Number(row.getAttribute('data-row')) : NaN;
      if (!Number.isInteger(i) || i < 0) return;
      const cell = t?.closest('[role="gridcell"]');
      const col = cell ? Number(cell.getAttribute('aria-colindex')) - 1 : NaN;
      onSelect(i);
      if (Number.isInteger(col) && links[col]) onLink(i, col);
      else onOpen(i, Number.isInteger(col) ? col : null);
    },
    [onSelect, onOpen, onLink, links],
  );

  // Full value as a tooltip, set on hover only (a `title` on every cell costs every render): the data's
  // own text (a time's value, a size's exact bytes), not what the cell shows.
  const { cache, idx, kinds } = p;
  const showTitle = useCallback(
    (e: MouseEvent) => {
      const t = e.target;
      if (!(t instanceof HTMLElement) || t.getAttribute('role') !== 'gridcell') return;
      const i = Number(t.parentElement?.getAttribute('data-row'));
      const col = Number(t.getAttribute('aria-colindex')) - 1;
      const raw = cache.row(i)?.[idx[col] ?? -1];
      const text = raw === undefined ? '' : hoverText(kinds[col] ?? 'text', raw);
      if (t.title !== text) t.title = text === PLACEHOLDER ? '' : text;
    },
    [cache, idx, kinds],
  );

  return (
    <div
      ref={scrollRef}
      role="grid"
      aria-rowcount={p.count}
      aria-colcount={p.shown.length}
      tabIndex={0}
      onKeyDown={onKey}
      onMouseOver={showTitle}
      data-testid="grid-scroll"
      className={`${css.scroller} ${p.wrap ? css.wrap : ''}`}
      style={{ height: p.height, flex: 1, minWidth: 0 }}
    >
      <GridHeader
        shown={p.shown}
        widths={p.widths}
        sort={p.sort}
        onSort={p.onSort}
        onResize={p.onResize}
        onFit={p.onFit}
        onMove={p.onMove}
        style={sized}
      />
      {p.count === 0 ? (
        <Text c="dimmed" p="sm" size="sm">
          {p.filtered ? 'No rows match the filter.' : 'No rows.'}
        </Text>
      ) : null}
      <div className={css.body} style={{ ...sized, height: bodyH }} onClick={onClick}>
        <div ref={layerRef} className={css.layer} />
      </div>
    </div>
  );
});

const GridHeader = memo(function GridHeader(p: {
  shown: string[];
  widths: number[];
  sort: SortSpec | null;
  onSort: (c: string) => void;
  onResize: (c: string, width: number) => void;
  onFit: (c: string) => void;
  onMove: (c: string, before: string | null) => void;
  style: CSSProperties;
}) {
  const [dropOn, setDropOn] = useState<string | null>(null);
  const dragged = useRef<string | null>(null);
  // A drag of the resize handle: live widths go straight to the column (onResize), the grid keeps them.
  const startResize = (c: string, startW: number) => (e: PointerEvent<HTMLDivElement>) => {
    e.preventDefault();
    e.stopPropagation();
    const x0 = e.clientX;
    const el = e.currentTarget;
    el.setPointerCapture(e.pointerId);
    const move = (ev: globalThis.PointerEvent) =>
      p.onResize(c, Math.round(Math.min(MAX_COL_W, Math.max(MIN_COL_W, startW + ev.clientX - x0))));
    const up = () => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
  };
  const onKey = (c: string, k: number) => (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Enter') p.onSort(c);
    else if (e.altKey && e.key === 'ArrowLeft' && k > 0) p.onMove(c, p.shown[k - 1] ?? null);
    else if (e.altKey && e.key === 'ArrowRight' && k < p.shown.length - 1)
      p.onMove(c, p.shown[k + 2] ?? null);
  };
  return (
    <div role="row" className={css.header} style={p.style}>
      {p.shown.map((c, k) => (
        <div
          key={c}
          role="columnheader"
          aria-colindex={k + 1}
          tabIndex={0}
          draggable
          aria-sort={p.sort?.column === c ? (p.sort.desc ? 'descending' : 'ascending') : 'none'}
          onClick={() => p.onSort(c)}
          onKeyDown={onKey(c, k)}
          onDragStart={(e) => {
            dragged.current = c;
            e.dataTransfer.effectAllowed = 'move';
            e.dataTransfer.setData('text/plain', c);
          }}
          onDragOver={(e) => {
            if (!dragged.current || dragged.current === c) return;
            e.preventDefault();
            if (dropOn !== c) setDropOn(c);
          }}
          onDragLeave={() => setDropOn((d) => (d === c ? null : d))}
          onDrop={(e) => {
            e.preventDefault();
            const from = dragged.current;
            dragged.current = null;
            setDropOn(null);
            if (from && from !== c) p.onMove(from, c);
          }}
          onDragEnd={() => {
            dragged.current = null;
            setDropOn(null);
          }}
          className={`${css.colhead} ${dropOn === c ? css.dropBefore : ''}`}
          style={{ width: p.widths[k] }}
          title={`Sort by ${c}. Drag to move; drag the right edge to resize, double-click it to fit.`}
          data-testid={`colhead-${c}`}
        >
          {c}{' '}
          {p.sort?.column === c ? (
            p.sort.desc ? (
              <IconArrowDown size={12} />
            ) : (
              <IconArrowUp size={12} />
            )
          ) : null}
          <div
            className={css.resizer}
            role="separator"
            aria-orientation="vertical"
            aria-label={`Resize ${c}`}
            data-testid={`resize-${c}`}
            onPointerDown={startResize(c, p.widths[k] ?? MIN_COL_W)}
            onClick={(e) => e.stopPropagation()}
            onDoubleClick={(e) => {
              e.stopPropagation();
              p.onFit(c);
            }}
          />
        </div>
      ))}
    </div>
  );
});
