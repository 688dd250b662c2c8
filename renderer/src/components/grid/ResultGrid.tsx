/**
 * The virtualized result grid. Rows live in the core (a result set); this component asks for the
 * pages of the rows on screen only, so a million-row result costs the renderer a few hundred rows.
 * Sorting and filtering run in the core over the whole set. Cells are plain text (React escapes
 * them), so endpoint data can never become markup here.
 */
import { ActionIcon, Badge, Button, Checkbox, Group, Menu, Text, TextInput, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconArrowDown, IconArrowUp, IconColumns, IconCopy, IconDownload, IconSearch } from '@tabler/icons-react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { SortSpec } from '../../../../shared/contracts/vql';
import { useApi } from '../../api/index';
import { errorText } from '../investigation/errors';
import { PAGE, WindowCache } from './window-cache';

const ROW_H = 28;
const COL_W = 200;

export interface ResultGridProps {
  resultId: string;
  /** Bumped by the owner whenever the result set grew (streaming). */
  version: number;
  height?: number;
  testId?: string;
}

export function ResultGrid(props: ResultGridProps) {
  const api = useApi();
  const cache = useRef(new WindowCache());
  const [, repaint] = useReducer((n: number) => n + 1, 0);
  const [columns, setColumns] = useState<string[]>([]);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [matched, setMatched] = useState(0);
  const [total, setTotal] = useState(0);
  const [sort, setSort] = useState<SortSpec | null>(null);
  const [filterText, setFilterText] = useState('');
  const [filter] = useDebouncedValue(filterText, 250);
  const [selected, setSelected] = useState<number | null>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const view = useMemo(() => ({ sort, filter }), [sort, filter]);

  // eslint-disable-next-line react-hooks/incompatible-library -- nothing here relies on the compiler memoizing the virtualizer
  const virtualizer = useVirtualizer({ count: matched, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_H, overscan: 20 });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? Math.min(matched, PAGE) - 1;

  const fetchPages = useCallback(
    (pages: number[]) => {
      for (const p of pages) {
        cache.current.start(p);
        api.call('results:window', { resultId: props.resultId, offset: p * PAGE, limit: PAGE, view }).then(
          (w) => {
            cache.current.put(p, w.rows);
            setColumns((old) => (old.length === w.columns.length ? old : w.columns));
            setMatched(w.matched);
            setTotal(w.total);
            repaint();
          },
          (e: unknown) => {
            cache.current.fail(p);
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
    setSelected(null);
    fetchPages([0]);
  }, [props.resultId, view, fetchPages]);

  // More rows arrived: sorted/filtered views are recomputed in the core, so refetch what is shown.
  useEffect(() => {
    if (props.version === 0) return;
    if (view.sort || view.filter) cache.current.clear();
    else cache.current.dropPartial();
    fetchPages(cache.current.missing(first, Math.max(last, 0)));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only on growth; scrolling is handled below
  }, [props.version]);

  useEffect(() => {
    if (matched === 0) return;
    const m = cache.current.missing(first, Math.min(last, matched - 1));
    if (m.length) fetchPages(m);
  }, [first, last, matched, fetchPages]);

  const shown = columns.filter((c) => !hidden.has(c));
  const idx = shown.map((c) => columns.indexOf(c));
  const width = Math.max(shown.length * COL_W, 300);

  const copyRow = (i: number) => {
    const r = cache.current.row(i);
    if (!r) return;
    const text = idx.map((j) => r[j] ?? '').join('\t');
    navigator.clipboard.writeText(text).then(
      () => notifications.show({ message: 'Row copied as tab-separated text.' }),
      (e: unknown) => notifications.show({ color: 'red', message: `Copy failed: ${errorText(e)}` }),
    );
  };

  const exportAs = (format: 'csv' | 'json') => {
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
  };

  const onKey = (e: React.KeyboardEvent) => {
    if (matched === 0) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = Math.min(matched - 1, Math.max(0, (selected ?? -1) + (e.key === 'ArrowDown' ? 1 : -1)));
      setSelected(next);
      virtualizer.scrollToIndex(next);
    } else if ((e.ctrlKey || e.metaKey) && e.key === 'c' && selected !== null) {
      e.preventDefault();
      copyRow(selected);
    }
  };

  return (
    <div data-testid={props.testId ?? 'result-grid'}>
      <Group gap="xs" mb={4} wrap="nowrap">
        <TextInput
          size="xs"
          leftSection={<IconSearch size={14} />}
          placeholder="Filter rows"
          aria-label="Filter rows"
          value={filterText}
          onChange={(e) => setFilterText(e.currentTarget.value)}
          w={220}
        />
        <Badge variant="light" data-testid="grid-count">
          {filter ? `${matched.toLocaleString()} of ${total.toLocaleString()}` : total.toLocaleString()} rows
        </Badge>
        <Menu closeOnItemClick={false}>
          <Menu.Target>
            <Button size="xs" variant="default" leftSection={<IconColumns size={14} />}>
              Columns
            </Button>
          </Menu.Target>
          <Menu.Dropdown mah={320} style={{ overflowY: 'auto' }}>
            {columns.map((c) => (
              <Menu.Item key={c}>
                <Checkbox
                  size="xs"
                  label={c}
                  checked={!hidden.has(c)}
                  onChange={() => {
                    const h = new Set(hidden);
                    if (h.has(c)) h.delete(c);
                    else h.add(c);
                    setHidden(h);
                  }}
                />
              </Menu.Item>
            ))}
          </Menu.Dropdown>
        </Menu>
        <Tooltip label="Copy the selected row (Ctrl+C)">
          <ActionIcon variant="default" aria-label="Copy row" disabled={selected === null} onClick={() => selected !== null && copyRow(selected)}>
            <IconCopy size={14} />
          </ActionIcon>
        </Tooltip>
        <Button size="xs" variant="default" leftSection={<IconDownload size={14} />} onClick={() => exportAs('csv')} data-testid="export-csv">
          CSV
        </Button>
        <Button size="xs" variant="default" leftSection={<IconDownload size={14} />} onClick={() => exportAs('json')}>
          JSON
        </Button>
      </Group>
      <div
        ref={scrollRef}
        role="grid"
        aria-rowcount={matched}
        aria-colcount={shown.length}
        tabIndex={0}
        onKeyDown={onKey}
        data-testid="grid-scroll"
        style={{ height: props.height ?? 360, overflow: 'auto', border: '1px solid var(--mantine-color-default-border)', borderRadius: 4, fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 }}
      >
        <div role="row" style={{ position: 'sticky', top: 0, zIndex: 1, display: 'flex', width, background: 'var(--mantine-color-body)', borderBottom: '1px solid var(--mantine-color-default-border)' }}>
          {shown.map((c) => (
            <div
              key={c}
              role="columnheader"
              tabIndex={0}
              aria-sort={sort?.column === c ? (sort.desc ? 'descending' : 'ascending') : 'none'}
              onClick={() => setSort(sort?.column === c ? (sort.desc ? null : { column: c, desc: true }) : { column: c, desc: false })}
              onKeyDown={(e) => e.key === 'Enter' && setSort(sort?.column === c ? (sort.desc ? null : { column: c, desc: true }) : { column: c, desc: false })}
              style={{ width: COL_W, flex: 'none', padding: '4px 8px', fontWeight: 600, cursor: 'pointer', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}
              title={`Sort by ${c}`}
            >
              {c} {sort?.column === c ? sort.desc ? <IconArrowDown size={12} /> : <IconArrowUp size={12} /> : null}
            </div>
          ))}
        </div>
        {matched === 0 ? (
          <Text c="dimmed" p="sm" size="sm">
            {filter ? 'No rows match the filter.' : 'No rows.'}
          </Text>
        ) : (
          <div style={{ height: virtualizer.getTotalSize(), width, position: 'relative' }}>
            {items.map((v) => {
              const r = cache.current.row(v.index);
              return (
                <div
                  key={v.key}
                  role="row"
                  aria-rowindex={v.index + 1}
                  aria-selected={selected === v.index}
                  data-row={v.index}
                  onClick={() => setSelected(v.index)}
                  style={{
                    position: 'absolute',
                    top: 0,
                    left: 0,
                    height: ROW_H,
                    width,
                    transform: `translateY(${v.start}px)`,
                    display: 'flex',
                    background: selected === v.index ? 'var(--mantine-primary-color-light)' : v.index % 2 ? 'var(--mantine-color-default-hover)' : undefined,
                  }}
                >
                  {idx.map((j, k) => (
                    <div key={k} role="gridcell" title={r?.[j]} style={{ width: COL_W, flex: 'none', padding: '4px 8px', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                      {r ? r[j] : '…'}
                    </div>
                  ))}
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}
