/**
 * The virtualized result grid. Rows live in the core (a result set); this component asks for the
 * pages of the rows on screen only, so a million-row result costs the renderer a few hundred rows.
 * Sorting and filtering run in the core over the whole set. Cells are plain text (React escapes
 * them), so endpoint data can never become markup here.
 *
 * Rendering: the toolbar and the scrolled body are separate memoized components; the rows are a
 * fixed pool of DOM elements outside React (row-pool.ts) that a scroll event rewrites slot by slot
 * (textContent only, no mount/unmount, no React render), with fixed-height arithmetic instead of
 * per-row measurement (grid-layout.ts) and only the columns in view. Pages are asked for centre first,
 * plus the next page in the scroll direction, a few at a time; far pages are dropped.
 */
import { ActionIcon, Badge, Button, Checkbox, Group, Menu, Text, TextInput, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import {
  IconArrowDown,
  IconArrowUp,
  IconColumns,
  IconCopy,
  IconDownload,
  IconSearch,
} from '@tabler/icons-react';
import {
  memo,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
  type CSSProperties,
} from 'react';
import type { SortSpec } from '../../../../shared/contracts/vql';
import { useApi } from '../../api/index';
import css from './grid.module.css';
import { COL_W, ROW_H, rowWindow, wantedPages } from './grid-layout';
import { PLACEHOLDER, RowPool } from './row-pool';
import { gridCounts, PAGE, WindowCache } from './window-cache';
import { describeError } from '../../../../shared/errors';

/** Window requests in flight at once: a fast scroll asks for where it is now, not for every page it passed. */
const MAX_INFLIGHT = 3;
/** Pages kept (200 rows each); the farthest from the view go first. */
const MAX_PAGES = 40;

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
  const range = useRef({ first: 0, last: PAGE - 1, dir: 0, count: 0 });
  const shownId = useRef<string | null>(null);
  const counts = gridCounts({ filtered: filter !== '', matched, total, streamTotal: props.total });

  // `request` is called from answers to earlier requests; the ref always holds the current one.
  const requestRef = useRef<() => void>(() => undefined);
  const fetchPages = useCallback(
    (list: number[]) => {
      for (const p of list) {
        const ticket = cache.current.start(p);
        api.call('results:window', { resultId: props.resultId, offset: p * PAGE, limit: PAGE, view }).then(
          (w) => {
            if (!cache.current.put(p, w.rows, ticket)) return;
            const { first, last } = range.current;
            cache.current.evict(MAX_PAGES, Math.floor((first + last) / 2 / PAGE));
            setColumns((old) => (old.length === w.columns.length ? old : w.columns));
            setMatched(w.matched);
            setTotal(w.total);
            repaint();
            requestRef.current();
          },
          (e: unknown) => {
            cache.current.fail(p, ticket);
            notifications.show({
              color: 'red',
              title: 'Rows could not be loaded',
              message: describeError(e),
            });
          },
        );
      }
    },
    [api, props.resultId, view],
  );

  /** Asks for the pages the rendered rows need (then the next one in the scroll direction), a few at a time. */
  const request = useCallback(() => {
    const c = cache.current;
    const { first, last, dir, count } = range.current;
    const want: number[] = [];
    for (const p of wantedPages(first, last, count, dir)) {
      if (c.pending + want.length >= MAX_INFLIGHT) break;
      // Rows of the page the view needs: up to `last` for pages in range, the whole page ahead of it.
      const upTo = Math.min(
        count - 1,
        p * PAGE > last || (p + 1) * PAGE <= first ? (p + 1) * PAGE - 1 : last,
      );
      if (c.needs(p, upTo)) want.push(p);
    }
    if (want.length) fetchPages(want);
  }, [fetchPages]);
  useEffect(() => {
    requestRef.current = request;
  }, [request]);

  // A new result or a new view: start over from the first page.
  useEffect(() => {
    cache.current.clear();
    if (shownId.current !== props.resultId) {
      shownId.current = props.resultId;
      setMatched(0);
      setTotal(0);
    }
    setSelected(null);
    repaint();
    fetchPages([0]);
    request();
  }, [props.resultId, view, fetchPages, request]);

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
    if (view.sort || view.filter) {
      cache.current.clear();
      repaint();
    } else cache.current.dropPartial();
    request();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only on growth; scrolling is handled by onRange
  }, [props.version]);

  // The body reports the rows it renders (on scroll, resize and count changes).
  const onRange = useCallback((first: number, last: number, dir: number, count: number) => {
    range.current = { first, last, dir, count };
    if (count > 0) requestRef.current();
  }, []);

  const shown = useMemo(() => columns.filter((c) => !hidden.has(c)), [columns, hidden]);
  const idx = useMemo(() => shown.map((c) => columns.indexOf(c)), [shown, columns]);

  const copyRow = useCallback(
    (i: number) => {
      const r = cache.current.row(i);
      if (!r) return;
      const text = idx.map((j) => r[j] ?? '').join('\t');
      navigator.clipboard.writeText(text).then(
        () => notifications.show({ message: 'Row copied as tab-separated text.' }),
        (e: unknown) => notifications.show({ color: 'red', message: `Copy failed: ${describeError(e)}` }),
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
          notifications.show({
            message: `Exported ${r.rows.toLocaleString()} rows as ${format.toUpperCase()}.`,
          });
        },
        (e: unknown) =>
          notifications.show({ color: 'red', title: 'Export failed', message: describeError(e) }),
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
    setSort((s) =>
      s?.column === c ? (s.desc ? null : { column: c, desc: true }) : { column: c, desc: false },
    );
  }, []);

  const countText = filter
    ? `${counts.rows.toLocaleString()} of ${counts.total.toLocaleString()}`
    : counts.total.toLocaleString();

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
        <ActionIcon
          variant="default"
          aria-label="Copy row"
          disabled={p.selected === null}
          onClick={() => p.selected !== null && p.onCopy(p.selected)}
        >
          <IconCopy size={14} />
        </ActionIcon>
      </Tooltip>
      <Button
        size="xs"
        variant="default"
        leftSection={<IconDownload size={14} />}
        onClick={() => p.onExport('csv')}
        data-testid="export-csv"
      >
        CSV
      </Button>
      <Button
        size="xs"
        variant="default"
        leftSection={<IconDownload size={14} />}
        onClick={() => p.onExport('json')}
      >
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
  onRange: (first: number, last: number, dir: number, count: number) => void;
  cache: WindowCache;
  /** Bumped when a page arrived: the rows read the cache again. */
  pages: number;
  height: number;
}

/**
 * The scroller, header and body. React renders the frame only; the rows are a RowPool of DOM elements
 * written on scroll events (no React render per scroll), see row-pool.ts.
 */
const GridBody = memo(function GridBody(p: BodyProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const layerRef = useRef<HTMLDivElement>(null);
  const pool = useRef<RowPool | null>(null);
  const { onRange } = p;
  const input = useMemo(
    () => ({ count: p.count, idx: p.idx, cache: p.cache, selected: p.selected }),
    [p.count, p.idx, p.cache, p.selected],
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

  // New count, columns, selection or a page arrived: the pool repaints what changed.
  useLayoutEffect(() => {
    pool.current?.update(input);
  }, [input, p.pages]);

  const width = Math.max(p.shown.length * COL_W, 300);
  const sized = useMemo(() => ({ width, '--grid-row-w': `${width}px` }) as CSSProperties, [width]);
  const bodyH = rowWindow(0, 0, p.count).bodyH;

  const { count, selected, onSelect, onCopy } = p;
  const onKey = useCallback(
    (e: React.KeyboardEvent<HTMLDivElement>) => {
      if (count === 0) return;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const next = Math.min(count - 1, Math.max(0, (selected ?? -1) + (e.key === 'ArrowDown' ? 1 : -1)));
        onSelect(next);
        const top = pool.current?.scrollTopFor(next);
        if (top !== undefined && top !== e.currentTarget.scrollTop) e.currentTarget.scrollTop = top;
      } else if ((e.ctrlKey || e.metaKey) && e.key === 'c' && selected !== null) {
        e.preventDefault();
        onCopy(selected);
      }
    },
    [count, selected, onSelect, onCopy],
  );

  // One handler for every row: the row index is on the row element.
  const onClick = useCallback(
    (e: React.MouseEvent) => {
      const row = e.target instanceof Element ? e.target.closest('[data-row]') : null;
      const i = row ? Number(row.getAttribute('data-row')) : NaN;
      if (Number.isInteger(i) && i >= 0) onSelect(i);
    },
    [onSelect],
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
      className={css.scroller}
      style={{ height: p.height }}
    >
      <GridHeader shown={p.shown} sort={p.sort} onSort={p.onSort} style={sized} />
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

/** Full cell text as a tooltip, set on hover only (a `title` on every cell costs every render). */
function showTitle(e: React.MouseEvent) {
  const t = e.target;
  if (t instanceof HTMLElement && t.getAttribute('role') === 'gridcell') {
    const text = t.textContent;
    if (t.title !== text) t.title = text === PLACEHOLDER ? '' : text;
  }
}

const GridHeader = memo(function GridHeader(p: {
  shown: string[];
  sort: SortSpec | null;
  onSort: (c: string) => void;
  style: CSSProperties;
}) {
  return (
    <div role="row" className={css.header} style={p.style}>
      {p.shown.map((c, k) => (
        <div
          key={c}
          role="columnheader"
          aria-colindex={k + 1}
          tabIndex={0}
          aria-sort={p.sort?.column === c ? (p.sort.desc ? 'descending' : 'ascending') : 'none'}
          onClick={() => p.onSort(c)}
          onKeyDown={(e) => e.key === 'Enter' && p.onSort(c)}
          className={css.colhead}
          title={`Sort by ${c}`}
        >
          {c}{' '}
          {p.sort?.column === c ? (
            p.sort.desc ? (
              <IconArrowDown size={12} />
            ) : (
              <IconArrowUp size={12} />
            )
          ) : null}
        </div>
      ))}
    </div>
  );
});
