/**
 * The virtualized result grid. Rows live in the core (a result set); this component asks for the
 * pages of the rows on screen only, so a million-row result costs the renderer a few hundred rows.
 * Sorting and filtering run in the core over the whole set. Cells are plain text (React escapes
 * them), so endpoint data can never become markup here.
 *
 * Rendering: the toolbar and the scrolled body are separate memoized components, so a scroll event
 * re-renders the body only; rows are memoized on their cached cell array (stable while the page is
 * held), positioned by transform at a fixed height, styled by classes (grid.module.css).
 */
import { ActionIcon, Badge, Button, Checkbox, Group, Menu, Text, TextInput, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconArrowDown, IconArrowUp, IconColumns, IconCopy, IconDownload, IconSearch } from '@tabler/icons-react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useMemo, useReducer, useRef, useState, type CSSProperties } from 'react';
import type { SortSpec } from '../../../../shared/contracts/vql';
import { useApi } from '../../api/index';
import { errorText } from '../investigation/errors';
import css from './grid.module.css';
import { gridCounts, PAGE, WindowCache } from './window-cache';

const ROW_H = 28;
const COL_W = 200;
const OVERSCAN = 4;

export interface ResultGridProps {
  resultId: string;
  /** Bumped by the owner whenever the result set grew (streaming). */
  version: number;
  /** Rows in the set as the owner's stream reported them (the count follows it, final count included). */
  total?: number;
  /** Cell text of the first rows in arrival order, when the owner got it with the stream. */
  first?: string[][] | undefined;
  /** The columns of `first`. */
  columns?: string[] | undefined;
  height?: number;
  testId?: string;
}

export const ResultGrid = memo(function ResultGrid(props: ResultGridProps) {
  const api = useApi();
  const cache = useRef(new WindowCache());
  const [pages, repaint] = useReducer((n: number) => n + 1, 0);
  const [columns, setColumns] = useState<string[]>([]);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [matched, setMatched] = useState(0);
  const [total, setTotal] = useState(0);
  const [sort, setSort] = useState<SortSpec | null>(null);
  const [filterText, setFilterText] = useState('');
  const [filter] = useDebouncedValue(filterText, 250);
  const [selected, setSelected] = useState<number | null>(null);
  const view = useMemo(() => ({ sort, filter }), [sort, filter]);
  const range = useRef({ first: 0, last: PAGE - 1 });
  const shownId = useRef<string | null>(null);
  const counts = gridCounts({ filtered: filter !== '', matched, total, streamTotal: props.total });

  const fetchPages = useCallback(
    (list: number[]) => {
      for (const p of list) {
        const ticket = cache.current.start(p);
        api.call('results:window', { resultId: props.resultId, offset: p * PAGE, limit: PAGE, view }).then(
          (w) => {
            if (!cache.current.put(p, w.rows, ticket)) return;
            setColumns((old) => (old.length === w.columns.length ? old : w.columns));
            setMatched(w.matched);
            setTotal(w.total);
            repaint();
          },
          (e: unknown) => {
            cache.current.fail(p, ticket);
            notifications.show({ color: 'red', title: 'Rows could not be loaded', message: errorText(e) });
          },
        );
      }
    },
    [api, props.resultId, view],
  );

  // A new result or a new view: start over from the first page.
  useEffect(() => {
    cache.current.clear();
    if (shownId.current !== props.resultId) {
      shownId.current = props.resultId;
      setMatched(0);
      setTotal(0);
    }
    setSelected(null);
    fetchPages([0]);
  }, [props.resultId, view, fetchPages]);

  // The first rows came with the stream: paint them without a window round trip.
  useEffect(() => {
    if (!props.first?.length || view.sort || view.filter) return;
    if (cache.current.put(0, props.first)) {
      if (props.columns) setColumns(props.columns);
      repaint();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when the stream brings them
  }, [props.first]);

  // More rows arrived: sorted/filtered views are recomputed in the core, so refetch what is shown.
  useEffect(() => {
    if (props.version === 0) return;
    if (view.sort || view.filter) cache.current.clear();
    else cache.current.dropPartial();
    const { first, last } = range.current;
    fetchPages(cache.current.missing(first, Math.max(last, 0)));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only on growth; scrolling is handled by onRange
  }, [props.version]);

  const onRange = useCallback(
    (first: number, last: number, count: number) => {
      range.current = { first, last };
      if (count === 0) return;
      const m = cache.current.missing(first, Math.min(last, count - 1));
      if (m.length) fetchPages(m);
    },
    [fetchPages],
  );

  const shown = useMemo(() => columns.filter((c) => !hidden.has(c)), [columns, hidden]);
  const idx = useMemo(() => shown.map((c) => columns.indexOf(c)), [shown, columns]);

  const copyRow = useCallback(
    (i: number) => {
      const r = cache.current.row(i);
      if (!r) return;
      const text = idx.map((j) => r[j] ?? '').join('\t');
      navigator.clipboard.writeText(text).then(
        () => notifications.show({ message: 'Row copied as tab-separated text.' }),
        (e: unknown) => notifications.show({ color: 'red', message: `Copy failed: ${errorText(e)}` }),
      );
    },
    [idx],
  );

  const exportAs = useCallback(
    (format: 'csv' | 'json') => {
      api.call('results:export', { resultId: props.resultId, format, columns: shown, view }).then(
        (r) => {
          const blob = new Blob([r.text], { type: format === 'csv' ? 'text/csv' : 'application/x-ndjson' });
          const a = document.createElement('a');
          a.href = URL.createObjectURL(blob);
          a.download = r.fileName;
          a.click();
          setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
          notifications.show({ message: `Exported ${r.rows.toLocaleString()} rows as ${format.toUpperCase()}.` });
        },
        (e: unknown) => notifications.show({ color: 'red', title: 'Export failed', message: errorText(e) }),
      );
    },
    [api, props.resultId, shown, view],
  );

  const onToggle = useCallback((c: string) => {
    setHidden((old) => {
      const h = new Set(old);
      if (h.has(c)) h.delete(c);
      else h.add(c);
      return h;
    });
  }, []);
  const onSort = useCallback((c: string) => {
    setSort((s) => (s?.column === c ? (s.desc ? null : { column: c, desc: true }) : { column: c, desc: false }));
  }, []);

  const countText = filter ? `${counts.rows.toLocaleString()} of ${counts.total.toLocaleString()}` : counts.total.toLocaleString();

  return (
    <div data-testid={props.testId ?? 'result-grid'}>
      <GridToolbar
        filterText={filterText}
        onFilter={setFilterText}
        countText={countText}
        columns={columns}
        hidden={hidden}
        onToggle={onToggle}
        selected={selected}
        onCopy={copyRow}
        onExport={exportAs}
      />
      <GridBody
        count={counts.rows}
        filtered={filter !== ''}
        shown={shown}
        idx={idx}
        sort={sort}
        onSort={onSort}
        selected={selected}
        onSelect={setSelected}
        onCopy={copyRow}
        onRange={onRange}
        cache={cache.current}
        pages={pages}
        height={props.height ?? 360}
      />
    </div>
  );
});

const GridToolbar = memo(function GridToolbar(p: {
  filterText: string;
  onFilter: (v: string) => void;
  countText: string;
  columns: string[];
  hidden: Set<string>;
  onToggle: (c: string) => void;
  selected: number | null;
  onCopy: (i: number) => void;
  onExport: (f: 'csv' | 'json') => void;
}) {
  return (
    <Group gap="xs" mb={4} wrap="nowrap">
      <TextInput
        size="xs"
        leftSection={<IconSearch size={14} />}
        placeholder="Filter rows"
        aria-label="Filter rows"
        value={p.filterText}
        onChange={(e) => p.onFilter(e.currentTarget.value)}
        w={220}
      />
      <Badge variant="light" data-testid="grid-count">
        {p.countText} rows
      </Badge>
      <Menu closeOnItemClick={false}>
        <Menu.Target>
          <Button size="xs" variant="default" leftSection={<IconColumns size={14} />}>
            Columns
          </Button>
        </Menu.Target>
        <Menu.Dropdown mah={320} style={{ overflowY: 'auto' }}>
          {p.columns.map((c) => (
            <Menu.Item key={c}>
              <Checkbox size="xs" label={c} checked={!p.hidden.has(c)} onChange={() => p.onToggle(c)} />
            </Menu.Item>
          ))}
        </Menu.Dropdown>
      </Menu>
      <Tooltip label="Copy the selected row (Ctrl+C)">
        <ActionIcon variant="default" aria-label="Copy row" disabled={p.selected === null} onClick={() => p.selected !== null && p.onCopy(p.selected)}>
          <IconCopy size={14} />
        </ActionIcon>
      </Tooltip>
      <Button size="xs" variant="default" leftSection={<IconDownload size={14} />} onClick={() => p.onExport('csv')} data-testid="export-csv">
        CSV
      </Button>
      <Button size="xs" variant="default" leftSection={<IconDownload size={14} />} onClick={() => p.onExport('json')}>
        JSON
      </Button>
    </Group>
  );
});

interface BodyProps {
  count: number;
  filtered: boolean;
  shown: string[];
  idx: number[];
  sort: SortSpec | null;
  onSort: (c: string) => void;
  selected: number | null;
  onSelect: (i: number) => void;
  onCopy: (i: number) => void;
  onRange: (first: number, last: number, count: number) => void;
  cache: WindowCache;
  /** Bumped when a page arrived: the rows read the cache again. */
  pages: number;
  height: number;
}

const GridBody = memo(function GridBody(p: BodyProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: p.count, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_H, overscan: OVERSCAN });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? Math.min(p.count, PAGE) - 1;
  const { onRange, count } = p;
  useEffect(() => onRange(first, last, count), [first, last, count, onRange]);

  const width = Math.max(p.shown.length * COL_W, 300);
  const sized = useMemo(() => ({ width, '--grid-row-w': `${width}px` }) as CSSProperties, [width]);

  const onKey = (e: React.KeyboardEvent) => {
    if (p.count === 0) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = Math.min(p.count - 1, Math.max(0, (p.selected ?? -1) + (e.key === 'ArrowDown' ? 1 : -1)));
      p.onSelect(next);
      virtualizer.scrollToIndex(next);
    } else if ((e.ctrlKey || e.metaKey) && e.key === 'c' && p.selected !== null) {
      e.preventDefault();
      p.onCopy(p.selected);
    }
  };

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
      className={css.scroller}
      style={{ height: p.height }}
    >
      <GridHeader shown={p.shown} sort={p.sort} onSort={p.onSort} style={sized} />
      {p.count === 0 ? (
        <Text c="dimmed" p="sm" size="sm">
          {p.filtered ? 'No rows match the filter.' : 'No rows.'}
        </Text>
      ) : (
        <div className={css.body} style={{ ...sized, height: virtualizer.getTotalSize() }}>
          {items.map((v) => (
            <GridRow key={v.index} index={v.index} start={v.start} cells={p.cache.row(v.index)} idx={p.idx} selected={p.selected === v.index} onSelect={p.onSelect} />
          ))}
        </div>
      )}
    </div>
  );
});

/** Full cell text as a tooltip, set on hover only (a `title` on every cell costs every render). */
function showTitle(e: React.MouseEvent) {
  const t = e.target;
  if (t instanceof HTMLElement && t.getAttribute('role') === 'gridcell') {
    const text = t.textContent;
    if (t.title !== text) t.title = text === '…' ? '' : text;
  }
}

const GridHeader = memo(function GridHeader(p: { shown: string[]; sort: SortSpec | null; onSort: (c: string) => void; style: CSSProperties }) {
  return (
    <div role="row" className={css.header} style={p.style}>
      {p.shown.map((c) => (
        <div
          key={c}
          role="columnheader"
          tabIndex={0}
          aria-sort={p.sort?.column === c ? (p.sort.desc ? 'descending' : 'ascending') : 'none'}
          onClick={() => p.onSort(c)}
          onKeyDown={(e) => e.key === 'Enter' && p.onSort(c)}
          className={css.colhead}
          title={`Sort by ${c}`}
        >
          {c} {p.sort?.column === c ? p.sort.desc ? <IconArrowDown size={12} /> : <IconArrowUp size={12} /> : null}
        </div>
      ))}
    </div>
  );
});

const GridRow = memo(function GridRow(p: { index: number; start: number; cells: string[] | undefined; idx: number[]; selected: boolean; onSelect: (i: number) => void }) {
  const cls = p.selected ? `${css.row} ${css.selected}` : p.index % 2 ? `${css.row} ${css.odd}` : css.row;
  return (
    <div role="row" aria-rowindex={p.index + 1} aria-selected={p.selected} data-row={p.index} onClick={() => p.onSelect(p.index)} className={cls} style={{ transform: `translateY(${p.start}px)` }}>
      {p.idx.map((j, k) => (
        <div key={k} role="gridcell" className={css.cell}>
          {p.cells ? p.cells[j] : '…'}
        </div>
      ))}
    </div>
  );
});
