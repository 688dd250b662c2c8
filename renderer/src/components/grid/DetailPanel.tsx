/**
 * The row detail panel beside the grid: every field of one row with its full text, JSON values
 * pretty-printed and foldable (native <details>, so folding works by keyboard too), times and sizes
 * as the grid shows them with the data's own value, and copy buttons. Values are React text nodes:
 * endpoint data never becomes markup.
 */
import {
  ActionIcon,
  CloseButton,
  CopyButton,
  Group,
  Paper,
  ScrollArea,
  Stack,
  Text,
  Tooltip,
} from '@mantine/core';
import { IconCheck, IconCopy } from '@tabler/icons-react';
import { memo, type ReactNode } from 'react';
import { displayText, type ColumnKind } from './cell-format';

export interface DetailField {
  name: string;
  text: string;
  kind: ColumnKind;
}

function Copy({ value, label }: { value: string; label: string }) {
  return (
    <CopyButton value={value} timeout={1200}>
      {({ copied, copy }) => (
        <Tooltip label={copied ? 'Copied' : label}>
          <ActionIcon size="sm" variant="subtle" onClick={copy} aria-label={label}>
            {copied ? <IconCheck size={14} /> : <IconCopy size={14} />}
          </ActionIcon>
        </Tooltip>
      )}
    </CopyButton>
  );
}

/** JSON text as a parsed object or array, or undefined when it is neither. */
function jsonOf(text: string): object | undefined {
  const t = text.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

const MONO = { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } as const;

/** One JSON value, objects and arrays as foldable branches (open to two levels). */
function JsonNode({ name, value, depth }: { name?: string; value: unknown; depth: number }): ReactNode {
  const label = name === undefined ? null : <span style={{ fontWeight: 600 }}>{name}: </span>;
  if (value !== null && typeof value === 'object') {
    const entries: Array<readonly [string, unknown]> = Array.isArray(value)
      ? (value as unknown[]).map((v, i) => [String(i), v] as const)
      : Object.entries(value as Record<string, unknown>);
    const open = Array.isArray(value) ? '[' : '{';
    const close = Array.isArray(value) ? ']' : '}';
    return (
      <details open={depth < 2} style={{ marginLeft: depth ? 12 : 0 }}>
        <summary style={{ cursor: 'pointer', ...MONO }}>
          {label}
          {open}
          {entries.length} {Array.isArray(value) ? 'items' : 'keys'}
          {close}
        </summary>
        {entries.map(([k, v]) => (
          <JsonNode key={k} name={k} value={v} depth={depth + 1} />
        ))}
      </details>
    );
  }
  return (
    <div style={{ marginLeft: depth ? 12 : 0, whiteSpace: 'pre-wrap', wordBreak: 'break-all', ...MONO }}>
      {label}
      {JSON.stringify(value)}
    </div>
  );
}

export const DetailPanel = memo(function DetailPanel(props: {
  row: number;
  fields: DetailField[];
  /** The field the responder clicked: shown first and marked. */
  active: string | null;
  zone: 'utc' | 'local';
  height: number;
  onClose: () => void;
}) {
  const record = Object.fromEntries(props.fields.map((f) => [f.name, jsonOf(f.text) ?? f.text]));
  const ordered = props.active
    ? [
        ...props.fields.filter((f) => f.name === props.active),
        ...props.fields.filter((f) => f.name !== props.active),
      ]
    : props.fields;
  return (
    <Paper
      withBorder
      p="xs"
      w={380}
      h={props.height}
      data-testid="grid-detail"
      aria-label={`Row ${props.row + 1}`}
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        e.stopPropagation();
        props.onClose();
      }}
    >
      <Group justify="space-between" mb={4} wrap="nowrap">
        <Text size="sm" fw={600}>
          Row {(props.row + 1).toLocaleString()}
        </Text>
        <Group gap={2} wrap="nowrap">
          <Copy value={JSON.stringify(record, null, 2)} label="Copy row as JSON" />
          <CloseButton size="sm" aria-label="Close the row detail (Escape)" onClick={props.onClose} />
        </Group>
      </Group>
      <ScrollArea h={props.height - 48} type="auto">
        <Stack gap={6}>
          {ordered.map((f) => {
            const json = jsonOf(f.text);
            const shown = displayText(f.kind, f.text, props.zone);
            return (
              <div
                key={f.name}
                data-testid={`detail-field-${f.name}`}
                style={
                  f.name === props.active
                    ? { borderLeft: '3px solid var(--mantine-primary-color-filled)', paddingLeft: 6 }
                    : { paddingLeft: 9 }
                }
              >
                <Group gap={4} justify="space-between" wrap="nowrap">
                  <Text size="xs" fw={700} c="dimmed">
                    {f.name}
                  </Text>
                  <Copy value={f.text} label={`Copy ${f.name}`} />
                </Group>
                {json ? (
                  <JsonNode value={json} depth={0} />
                ) : (
                  <div style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all', ...MONO }}>
                    {f.text === '' ? (
                      <Text span size="xs" c="dimmed">
                        (empty)
                      </Text>
                    ) : (
                      shown
                    )}
                    {shown !== f.text ? (
                      <Text size="xs" c="dimmed" style={MONO}>
                        {f.kind === 'size' ? `${Number(f.text).toLocaleString('en-US')} bytes` : f.text}
                      </Text>
                    ) : null}
                  </div>
                )}
              </div>
            );
          })}
        </Stack>
      </ScrollArea>
    </Paper>
  );
});
