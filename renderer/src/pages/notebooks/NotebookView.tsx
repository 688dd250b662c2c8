/** One notebook: Markdown and VQL cells, saved to the data dir (debounced), exportable. */
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
import { useEffect, useRef, useState } from 'react';
import type { Target } from '../../../../shared/contracts/connections';
import type { Cell, Notebook } from '../../../../shared/contracts/notebooks';
import { useApi } from '../../api/index';
import { callKey, useCall, useLoad } from '../../api/use-call';
import { SafeMarkdown } from '../../components/safe/SafeMarkdown';
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

export function NotebookView(props: { id: string; target: Target }) {
  const api = useApi();
  const loaded = useCall('notebooks:get', { id: props.id });
  // Local edits replace the loaded notebook; they are saved (debounced) below.
  const [edited, setNb] = useState<Notebook | null>(null);
  const nb = edited ?? loaded.value ?? null;
  const error = loaded.error;
  const dirty = useRef(false);

  // Completions come from the connected server; fetched once per server and handed to Monaco.
  const completions = useLoad(callKey('vql:completions', props.target), () =>
    Promise.all([api.call('vql:completions', { target: props.target }), loadCompletionSetter()]),
  ).value;
  useEffect(() => {
    if (!completions) return;
    const [r, set] = completions;
    set(r.items);
  }, [completions]);

  useEffect(() => {
    if (!nb || !dirty.current) return;
    const t = setTimeout(() => {
      dirty.current = false;
      api
        .call('notebooks:save', { id: nb.id, title: nb.title, cells: nb.cells })
        .catch((e: unknown) =>
          notifications.show({ color: 'red', title: 'Notebook not saved', message: describeError(e) }),
        );
    }, 600);
    return () => clearTimeout(t);
  }, [api, nb]);

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
  const exportAs = (format: 'markdown' | 'json') =>
    api.call('notebooks:export', { id: nb.id, format }).then(
      (r) => {
        const a = document.createElement('a');
        a.href = URL.createObjectURL(
          new Blob([r.text], { type: format === 'json' ? 'application/json' : 'text/markdown' }),
        );
        a.download = r.fileName;
        a.click();
      },
      (e: unknown) => notifications.show({ color: 'red', message: describeError(e) }),
    );

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
            <Button variant="default" leftSection={<IconDownload size={14} />}>
              Export
            </Button>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Item onClick={() => void exportAs('markdown')}>Markdown report</Menu.Item>
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
            <VqlCell id={c.id} source={c.source} target={props.target} onChange={(v) => setCell(i, v)} />
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
