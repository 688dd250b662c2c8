/** Artifact search with descriptions; multi-select; the chosen ones are listed first. */
import { Badge, Checkbox, Group, Loader, Paper, ScrollArea, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconSearch } from '@tabler/icons-react';
import { useState } from 'react';
import type { Target } from '../../../../shared/contracts/connections';
import type { ArtifactSummary } from '../../../../shared/contracts/collections';
import { useCall } from '../../api/use-call';

export function ArtifactPicker(props: {
  target: Target;
  selected: ArtifactSummary[];
  onChange(next: ArtifactSummary[]): void;
  kind?: 'CLIENT' | 'SERVER';
}) {
  const [q, setQ] = useState('');
  const [dq] = useDebouncedValue(q, 200);
  const { value: list, error } = useCall(
    'artifacts:list',
    { target: props.target, search: dq, kind: props.kind ?? 'CLIENT' },
    { keepPrevious: true },
  );
  const chosen = new Set(props.selected.map((a) => a.name));
  const toggle = (a: ArtifactSummary) =>
    props.onChange(
      chosen.has(a.name) ? props.selected.filter((x) => x.name !== a.name) : [...props.selected, a],
    );
  return (
    <Stack gap="xs">
      <TextInput
        leftSection={<IconSearch size={14} />}
        placeholder="Search artifacts by name or description (e.g. pslist, netstat, yara)"
        aria-label="Search artifacts"
        value={q}
        onChange={(e) => setQ(e.currentTarget.value)}
        data-autofocus
      />
      {props.selected.length ? (
        <Group gap={4}>
          {props.selected.map((a) => (
            <Badge key={a.name} variant="filled" style={{ textTransform: 'none' }}>
              {a.name}
            </Badge>
          ))}
        </Group>
      ) : null}
      {error ? (
        <Text c="red" size="sm">
          {error}
        </Text>
      ) : null}
      {!list ? <Loader size="sm" /> : null}
      <ScrollArea h={320}>
        <Stack gap={4}>
          {list?.map((a) => (
            <Paper
              key={a.name}
              withBorder
              p="xs"
              data-testid={`artifact-${a.name}`}
              style={{ cursor: 'pointer' }}
              onClick={() => toggle(a)}
            >
              <Group wrap="nowrap" align="flex-start">
                <Checkbox
                  aria-label={`Select ${a.name}`}
                  checked={chosen.has(a.name)}
                  onChange={() => toggle(a)}
                  onClick={(e) => e.stopPropagation()}
                />
                <div>
                  <Text size="sm" fw={600}>
                    {a.name}
                  </Text>
                  <Text size="xs" c="dimmed" lineClamp={2}>
                    {a.description}
                  </Text>
                </div>
              </Group>
            </Paper>
          ))}
          {list && list.length === 0 ? (
            <Text c="dimmed" size="sm">
              No artifact matches “{dq}”. Try part of a name such as “Pslist”.
            </Text>
          ) : null}
        </Stack>
      </ScrollArea>
    </Stack>
  );
}
