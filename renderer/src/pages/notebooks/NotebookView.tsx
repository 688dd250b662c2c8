/**
 * One notebook: Markdown and VQL cells, saved to the data dir (debounced; at once before a cell runs,
 * so the core can record the run with it), each VQL cell with its last run and saved rows, readable
 * with no server. Exports a Markdown or HTML report for a case file, or the notebook file.
 */
import {
  ActionIcon,
  Button,
  Card,
  Group,
  Menu,
  Stack,
  Text,
  Textarea,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  IconArrowDown,
  IconArrowUp,
  IconCode,
  IconDownload,
  IconMarkdown,
  IconPencil,
  IconTrash,
} from '@tabler/icons-react';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Target } from '../../../../shared/contracts/connections';
import type { Cell, CellRun, Notebook } from '../../../../shared/contracts/notebooks';
import { useApi } from '../../api/index';
import { callKey, useCall, useLoad } from '../../api/use-call';
import { SafeMarkdown } from '../../components/safe/SafeMarkdown';
import { reportHtml } from './report-html';
import { loadCompletionSetter } from '../../vql/LazyVqlEditor';
import { VqlCell } from './VqlCell';
import { describeError } from '../../../../shared/errors';

function MarkdownCell(props: { id: string; source: string; onChange: (v: string) => void }) {
  const [editing, setEditing] = useState(false);
  return editing ? (
    <Stack gap={4}>
      <Textarea
        autosize
        minRows={3}
        value={props.source}
        onChange={(e) => props.onChange(e.currentTarget.value)}
        aria-label="Markdown"
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
      />
      <Group>
        <Button size="xs" variant="default" onClick={() => setEditing(false)}>
          Done
        </Button>
      </Group>
    </Stack>
  ) : (
    <div onDoubleClick={() => setEditing(true)} data-testid={`markdown-${props.id}`}>
      <SafeMarkdown source={props.source || '*Empty Markdown cell — double-click to edit.*'} />
      <Button
        size="xs"
        variant="subtle"
        leftSection={<IconPencil size={14} />}
        onClick={() => setEditing(true)}
      >
        Edit
      </Button>
    </div>
  );
}

let counter = 0;
const newId = () => `c${Date.now().toString(36)}${(counter++).toString(36)}`;

export function NotebookView(props: { id: string; target: Target | null }) {
  const api = useApi();
  const loaded = useCall('notebooks:get', { id: props.id });
  // Local edits replace the loaded notebook; they are saved (debounced) below.
  const [edited, setNb] = useState<Notebook | null>(null);
  const nb = edited ?? loaded.value ?? null;
  const error = loaded.error;
  const dirty = useRef(false);

  // Completions come from the connected server; fetched once per server and handed to Monaco.
  const target = props.target;
  const completions = useLoad(target ? callKey('vql:completions', target) : null, () =>
    Promise.all([api.call('vql:completions', { target: target as Target }), loadCompletionSetter()]),
  ).value;
  useEffect(() => {
    if (!completions) return;
    const [r, set] = completions;
    set(r.items);
  }, [completions]);

  const latest = useRef(nb);
  useEffect(() => {
    latest.current = nb;
  }, [nb]);
  /** Saves the edits not saved yet, now. */
  const flush = useCallback(async () => {
    const cur = latest.current;
    if (!cur || !dirty.current) return;
    dirty.current = false;
    try {
      await api.call('notebooks:save', { id: cur.id, title: cur.title, cells: cur.cells });
    } catch (e) {
      notifications.show({ color: 'red', title: 'Notebook not saved', message: describeError(e) });
    }
  }, [api]);
  useEffect(() => {
    if (!nb || !dirty.current) return;
    const t = setTimeout(() => void flush(), 600);
    return () => clearTimeout(t);
  }, [nb, flush]);
  // What the core recorded about a run: shown at once, and already saved by the core.
  const onRecorded = useCallback((cellId: string, run: CellRun) => {
    const cur = latest.current;
    if (!cur) return;
    setNb({ ...cur, cells: cur.cells.map((c) => (c.id === cellId ? { ...c, run } : c)) });
  }, []);

  if (error) return <Text c="red">{error}</Text>;
  if (!nb) return <Text c="dimmed">Loading…</Text>;

  const update = (cells: Cell[], title = nb.title) => {
    dirty.current = true;
    setNb({ ...nb, cells, title });
  };
  const setCell = (i: number, source: string) =>
    update(nb.cells.map((c, j) => (j === i ? { ...c, source } : c)));
  const move = (i: number, d: number) => {
    const cells = [...nb.cells];
    const [c] = cells.splice(i, 1);
    if (c) cells.splice(i + d, 0, c);
    update(cells);
  };
  const add = (kind: Cell['kind']) =>
    update([
      ...nb.cells,
      { id: newId(), kind, source: kind === 'vql' ? 'SELECT * FROM clients() LIMIT 10' : '' },
    ]);
  const exportAs = async (format: 'markdown' | 'html' | 'json') => {
    try {
      await flush();
      const r = await api.call('notebooks:export', {
        id: nb.id,
        format: format === 'json' ? 'json' : 'markdown',
      });
      const [name, text, type] =
        format === 'html'
          ? [r.fileName.replace(/\.md$/, '.html'), reportHtml(nb.title, r.text), 'text/html']
          : [r.fileName, r.text, format === 'json' ? 'application/json' : 'text/markdown'];
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([text], { type }));
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (e) {
      notifications.show({ color: 'red', title: 'The report was not written', message: describeError(e) });
    }
  };

  return (
    <Stack data-testid="notebook-view">
      <Group justify="space-between">
        <TextInput
          value={nb.title}
          onChange={(e) => update(nb.cells, e.currentTarget.value)}
          aria-label="Notebook title"
          size="md"
          w={420}
        />
        <Menu>
          <Menu.Target>
            <Button variant="default" leftSection={<IconDownload size={14} />} data-testid="notebook-export">
              Export
            </Button>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Item onClick={() => void exportAs('markdown')} data-testid="export-markdown">
              Markdown report
            </Menu.Item>
            <Menu.Item onClick={() => void exportAs('html')} data-testid="export-html">
              HTML report
            </Menu.Item>
            <Menu.Item onClick={() => void exportAs('json')}>Notebook file (JSON)</Menu.Item>
          </Menu.Dropdown>
        </Menu>
      </Group>
      {nb.cells.map((c, i) => (
        <Card key={c.id} withBorder p="sm">
          <Group justify="flex-end" gap={4} mb={4}>
            <Text size="xs" c="dimmed" mr="auto">
              {c.kind === 'vql' ? 'VQL' : 'Markdown'}
            </Text>
            <Tooltip label="Move up">
              <ActionIcon
                variant="subtle"
                aria-label="Move cell up"
                disabled={i === 0}
                onClick={() => move(i, -1)}
              >
                <IconArrowUp size={14} />
              </ActionIcon>
            </Tooltip>
            <Tooltip label="Move down">
              <ActionIcon
                variant="subtle"
                aria-label="Move cell down"
                disabled={i === nb.cells.length - 1}
                onClick={() => move(i, 1)}
              >
                <IconArrowDown size={14} />
              </ActionIcon>
            </Tooltip>
            <Tooltip label="Delete cell">
              <ActionIcon
                variant="subtle"
                color="red"
                aria-label="Delete cell"
                onClick={() => update(nb.cells.filter((x) => x.id !== c.id))}
              >
                <IconTrash size={14} />
              </ActionIcon>
            </Tooltip>
          </Group>
          {c.kind === 'vql' ? (
            <VqlCell
              id={c.id}
              notebookId={nb.id}
              source={c.source}
              run={c.run}
              target={target}
              onChange={(v) => setCell(i, v)}
              prepare={flush}
              onRecorded={onRecorded}
            />
          ) : (
            <MarkdownCell id={c.id} source={c.source} onChange={(v) => setCell(i, v)} />
          )}
        </Card>
      ))}
      <Group>
        <Button
          variant="default"
          leftSection={<IconCode size={14} />}
          onClick={() => add('vql')}
          data-testid="add-vql"
        >
          Add VQL cell
        </Button>
        <Button variant="default" leftSection={<IconMarkdown size={14} />} onClick={() => add('markdown')}>
          Add Markdown cell
        </Button>
      </Group>
    </Stack>
  );
}
