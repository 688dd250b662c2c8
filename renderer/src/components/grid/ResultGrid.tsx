/**
 * The virtualized result grid. Rows live in the core (a result set); this component asks for the
 * pages of the rows on screen only, so a million-row result costs the renderer a few hundred rows.
 * Sorting and filtering run in the core over the whole set. Cells are plain text (React escapes
 * them), so endpoint data can never become markup here.
 *
 * Reading results: columns are sized to their content (a Pid is narrow, a CommandLine wide), resized
 * by dragging a header's edge or fitted by double-clicking it, reordered by dragging a header, hidden
 * from the Columns menu — and remembered per artifact (`layoutKey`, column-layout.ts). Times follow
 * the app's time rule and sizes read as KiB/MiB with the exact value on hover (cell-format.ts). A
 * click or Enter opens the row's detail beside the grid (DetailPanel.tsx); Wrap shows long values on
 * three lines; a hunt's results lead with the host and a client id opens its client.
 *
 * Rendering: the toolbar and the scrolled body (GridBody.tsx) are separate memoized components; the rows
 * are a fixed pool of DOM elements outside React (row-pool.ts) that a scroll event rewrites slot by slot,
 * with fixed-height arithmetic instead of per-row measurement (grid-layout.ts) and only the columns in
 * view. Pages are asked for centre first, plus the next page in the scroll direction, a few at a time;
 * far pages are dropped.
 */
import { ActionIcon, Badge, Button, Checkbox, Group, Menu, TextInput, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconColumns, IconCopy, IconDownload, IconSearch, IconTextWrap } from '@tabler/icons-react';
import { memo, useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { SortSpec } from '../../../../shared/contracts/vql';
import { useApi } from '../../api/index';
import { go } from '../../app/router';
import { countOf } from '../../app/words';
import { useTimeZone } from '../investigation/time';
import { columnKinds, displayText, type ColumnKind } from './cell-format';
import { arrangeColumns, loadLayout, moveColumn, saveLayout, type ColumnLayout } from './column-layout';
import { DetailPanel, type DetailField } from './DetailPanel';
import { GridBody } from './GridBody';
import { fitWidth, ROW_H, wantedPages, WRAP_ROW_H } from './grid-layout';
import { gridCounts, PAGE, WindowCache } from './window-cache';
import { describeError } from '../../../../shared/errors';

/** Window requests in flight at once: a fast scroll asks for where it is now, not for every page it passed. */
const MAX_INFLIGHT = 3;
/** Pages kept (200 rows each); the farthest from the view go first. */
const MAX_PAGES = 40;
/** Widest a double-click fit makes a column (a drag may go further). */
const FIT_ON_DEMAND_W = 900;
/** A client id: its cells open the client. */
const CLIENT_ID = /^C\.[0-9a-f]{4,}$/i;

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
  /** What the column layout is remembered by: the artifact (source) name; default, the column set. */
  layoutKey?: string | undefined;
  /** Columns shown first unless the responder arranged them (a hunt's results: the host). */
  lead?: readonly string[] | undefined;
  /** The exported file's name without extension (host_artifact_flow); default results-<time>. */
  exportName?: string | undefined;
  height?: number;
  testId?: string;
}

export const ResultGrid = memo(function ResultGrid(props: ResultGridProps) {
  const api = useApi();
  const cache = useRef(new WindowCache());
  const [pages, repaint] = useReducer((n: number) => n + 1, 0);
  const [columns, setColumns] = useState<string[]>([]);
  /** The first page in arrival order: decides column kinds and content widths. */
  const [sample, setSample] = useState<string[][] | null>(null);
  const [matched, setMatched] = useState(0);
  const [total, setTotal] = useState(0);
  const [sort, setSort] = useState<SortSpec | null>(null);
  const [filterText, setFilterText] = useState('');
  const [filter] = useDebouncedValue(filterText, 250);
  const [selected, setSelected] = useState<number | null>(null);
  const [detail, setDetail] = useState<{ row: number; column: string | null } | null>(null);
  const zone = useTimeZone();
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
            // The sample grows with the first page while the set streams (an early answer may be empty).
            if (p === 0 && !view.sort && !view.filter)
              setSample((old) => (old && old.length >= w.rows.length ? old : w.rows));
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
      setSample(null);
    }
    setSelected(null);
    setDetail(null);
    repaint();
    fetchPages([0]);
    request();
  }, [props.resultId, view, fetchPages, request]);

  // The first rows came with the stream: paint them without a window round trip.
  useEffect(() => {
    if (!props.first?.length || view.sort || view.filter) return;
    if (cache.current.put(0, props.first)) {
      if (props.columns) setColumns(props.columns);
      setSample((old) => (old && old.length >= (props.first?.length ?? 0) ? old : (props.first ?? null)));
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

  // Column layout: remembered per artifact, or per column set for ad-hoc VQL.
  const layoutKey =
    props.layoutKey ?? (columns.length ? `columns:${[...columns].sort().join(',')}` : undefined);
  const [held, setHeld] = useState<{ key: string | undefined; layout: ColumnLayout } | null>(null);
  const layout = useMemo(
    () => (held && held.key === layoutKey ? held.layout : loadLayout(layoutKey)),
    [held, layoutKey],
  );
  const setLayout = useCallback(
    (change: (l: ColumnLayout) => ColumnLayout) => {
      const next = change(layout);
      setHeld({ key: layoutKey, layout: next });
      saveLayout(layoutKey, next);
    },
    [layout, layoutKey],
  );

  const ordered = useMemo(() => arrangeColumns(columns, layout, props.lead), [columns, layout, props.lead]);
  const hidden = useMemo(() => new Set(layout.hidden), [layout.hidden]);
  const shown = useMemo(() => ordered.filter((c) => !hidden.has(c)), [ordered, hidden]);
  const idx = useMemo(() => shown.map((c) => columns.indexOf(c)), [shown, columns]);
  const kindOf = useMemo(() => {
    const kinds = columnKinds(columns, sample ?? []);
    return new Map(columns.map((c, j) => [c, kinds[j] ?? 'text']));
  }, [columns, sample]);
  const kinds = useMemo<ColumnKind[]>(() => shown.map((c) => kindOf.get(c) ?? 'text'), [shown, kindOf]);
  const autoWidth = useMemo(() => {
    const rows = sample ?? [];
    return new Map(
      columns.map((c, j) => {
        const kind = kindOf.get(c) ?? 'text';
        return [
          c,
          fitWidth(
            c,
            rows.map((r) => displayText(kind, r[j] ?? '', zone)),
          ),
        ];
      }),
    );
  }, [columns, sample, kindOf, zone]);
  const widths = useMemo(
    () => shown.map((c) => layout.widths[c] ?? autoWidth.get(c) ?? 120),
    [shown, layout.widths, autoWidth],
  );
  const format = useMemo(
    () => kinds.map((k) => (k === 'text' ? null : (t: string) => displayText(k, t, zone))),
    [kinds, zone],
  );
  const links = useMemo(() => shown.map((c) => c === 'ClientId'), [shown]);

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
      api
        .call('results:export', {
          resultId: props.resultId,
          format,
          columns: shown,
          view,
          ...(props.exportName ? { name: props.exportName } : {}),
        })
        .then(
          (r) => {
            const blob = new Blob([r.text], { type: format === 'csv' ? 'text/csv' : 'application/x-ndjson' });
            const a = document.createElement('a');
            a.href = URL.createObjectURL(blob);
            a.download = r.fileName;
            a.click();
            setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
            notifications.show({
              message: `Exported ${countOf(r.rows, 'row')} as ${format.toUpperCase()} (${r.fileName}).`,
            });
          },
          (e: unknown) =>
            notifications.show({ color: 'red', title: 'Export failed', message: describeError(e) }),
        );
    },
    [api, props.resultId, props.exportName, shown, view],
  );

  const onToggle = useCallback(
    (c: string) =>
      setLayout((l) => ({
        ...l,
        hidden: l.hidden.includes(c) ? l.hidden.filter((x) => x !== c) : [...l.hidden, c],
      })),
    [setLayout],
  );
  const onWrap = useCallback(() => setLayout((l) => ({ ...l, wrap: !l.wrap })), [setLayout]);
  const onSort = useCallback((c: string) => {
    setSort((s) =>
      s?.column === c ? (s.desc ? null : { column: c, desc: true }) : { column: c, desc: false },
    );
  }, []);
  const onResize = useCallback(
    (c: string, width: number) => setLayout((l) => ({ ...l, widths: { ...l.widths, [c]: width } })),
    [setLayout],
  );
  const onFit = useCallback(
    (c: string) => {
      const j = columns.indexOf(c);
      const kind = kindOf.get(c) ?? 'text';
      const values = cache.current.loadedRows(2000).map((r) => displayText(kind, r[j] ?? '', zone));
      onResize(c, fitWidth(c, values, FIT_ON_DEMAND_W));
    },
    [columns, kindOf, zone, onResize],
  );
  const onMove = useCallback(
    (c: string, before: string | null) => setLayout((l) => ({ ...l, order: moveColumn(ordered, c, before) })),
    [setLayout, ordered],
  );
  const onOpen = useCallback(
    (i: number, col: number | null) => {
      setSelected(i);
      setDetail({ row: i, column: col === null ? null : (shown[col] ?? null) });
    },
    [shown],
  );
  const rootRef = useRef<HTMLDivElement>(null);
  // Closing (Escape in the grid or the panel, the close button) hands the keyboard back to the grid.
  const onCloseDetail = useCallback(() => {
    setDetail(null);
    rootRef.current?.querySelector<HTMLElement>('[role="grid"]')?.focus();
  }, []);
  const onLink = useCallback(
    (i: number, col: number) => {
      const id = cache.current.row(i)?.[idx[col] ?? -1] ?? '';
      if (CLIENT_ID.test(id)) go('/clients', { client: id });
      else onOpen(i, col);
    },
    [idx, onOpen],
  );
  // Arrow keys move the selection: an open detail follows it.
  const onSelect = useCallback((i: number) => {
    setSelected(i);
    setDetail((d) => (d ? { ...d, row: i } : d));
  }, []);

  const countText = filter
    ? `${counts.rows.toLocaleString()} of ${counts.total.toLocaleString()}`
    : counts.total.toLocaleString();
  const height = props.height ?? 360;
  const detailRow = detail ? cache.current.row(detail.row) : undefined;
  const fields: DetailField[] | null = detailRow
    ? ordered.map((c) => ({
        name: c,
        text: detailRow[columns.indexOf(c)] ?? '',
        kind: kindOf.get(c) ?? 'text',
      }))
    : null;

  return (
    <div ref={rootRef} data-testid={props.testId ?? 'result-grid'}>
      <GridToolbar
        filterText={filterText}
        onFilter={setFilterText}
        countText={countText}
        count={counts.rows}
        columns={ordered}
        hidden={hidden}
        onToggle={onToggle}
        wrap={layout.wrap}
        onWrap={onWrap}
        selected={selected}
        onCopy={copyRow}
        onExport={exportAs}
      />
      <div style={{ display: 'flex', gap: 8, alignItems: 'flex-start' }}>
        <GridBody
          count={counts.rows}
          filtered={filter !== ''}
          shown={shown}
          idx={idx}
          widths={widths}
          kinds={kinds}
          format={format}
          links={links}
          rowH={layout.wrap ? WRAP_ROW_H : ROW_H}
          wrap={layout.wrap}
          sort={sort}
          onSort={onSort}
          onResize={onResize}
          onFit={onFit}
          onMove={onMove}
          selected={selected}
          onSelect={onSelect}
          onOpen={onOpen}
          onCloseDetail={onCloseDetail}
          onLink={onLink}
          onCopy={copyRow}
          onRange={onRange}
          cache={cache.current}
          pages={pages}
          height={height}
        />
        {detail && fields ? (
          <DetailPanel
            row={detail.row}
            fields={fields}
            active={detail.column}
            zone={zone}
            height={height}
            onClose={onCloseDetail}
          />
        ) : null}
      </div>
    </div>
  );
});

const GridToolbar = memo(function GridToolbar(p: {
  filterText: string;
  onFilter: (v: string) => void;
  countText: string;
  count: number;
  columns: string[];
  hidden: Set<string>;
  onToggle: (c: string) => void;
  wrap: boolean;
  onWrap: () => void;
  selected: number | null;
  onCopy: (i: number) => void;
  onExport: (f: 'csv' | 'json') => void;
}) {
  return (
    <Group gap="xs" mb={4} wrap="wrap">
      <TextInput
        size="xs"
        leftSection={<IconSearch size={14} />}
        placeholder="Filter rows"
        aria-label="Filter rows"
        value={p.filterText}
        onChange={(e) => p.onFilter(e.currentTarget.value)}
        w={220}
      />
      <Badge variant="light" data-testid="grid-count" style={{ flex: 'none', overflow: 'visible' }}>
        {p.countText} {p.count === 1 ? 'row' : 'rows'}
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
      <Tooltip label="Show long values on three lines">
        <Button
          size="xs"
          variant={p.wrap ? 'filled' : 'default'}
          leftSection={<IconTextWrap size={14} />}
          onClick={p.onWrap}
          aria-pressed={p.wrap}
          data-testid="grid-wrap"
        >
          Wrap
        </Button>
      </Tooltip>
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
