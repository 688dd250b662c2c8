import { Button, Card, Group, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconNotebook, IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useApi } from '../../api/index';
import { useCall } from '../../api/use-call';
import { go, useQueryParam } from '../../app/router';
import { AreaEmptyState } from '../../app/AreaEmptyState';
import { RequireServer } from '../../components/investigation/ServerSwitcher';
import { useTarget } from '../../components/investigation/target-store';
import { TimeText } from '../../components/investigation/Time';
import { NotebookView } from './NotebookView';
import { describeError } from '../../../../shared/errors';

function NotebookList() {
  const api = useApi();
  const { value: list, error } = useCall('notebooks:list', {});
  const [title, setTitle] = useState('');
  const create = () =>
    api.call('notebooks:create', { title: title.trim() || 'Untitled investigation' }).then(
      (nb) => go('/notebooks', { id: nb.id }),
      (e: unknown) => notifications.show({ color: 'red', message: describeError(e) }),
    );
  return (
    <Stack>
      <Group>
        <TextInput
          placeholder="Notebook title, e.g. INC-2041 lateral movement"
          value={title}
          onChange={(e) => setTitle(e.currentTarget.value)}
          w={380}
          aria-label="New notebook title"
        />
        <Button leftSection={<IconPlus size={14} />} onClick={() => void create()} data-testid="new-notebook">
          New notebook
        </Button>
      </Group>
      {error ? <Text c="red">{error}</Text> : null}
      {list && list.length === 0 ? (
        <AreaEmptyState icon={<IconNotebook size={28} />} title="No notebooks yet">
          A notebook holds VQL queries and Markdown notes for one investigation, saved on this machine. Create
          one above; Ctrl+Enter runs a VQL cell.
        </AreaEmptyState>
      ) : null}
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        {list?.map((n) => (
          <Card
            key={n.id}
            withBorder
            style={{ cursor: 'pointer' }}
            onClick={() => go('/notebooks', { id: n.id })}
            tabIndex={0}
            onKeyDown={(e) => e.key === 'Enter' && go('/notebooks', { id: n.id })}
          >
            <Text fw={700}>{n.title}</Text>
            <Text size="sm" c="dimmed">
              {n.cells} cells · <TimeText ms={Date.parse(n.updatedAt)} />
            </Text>
          </Card>
        ))}
      </SimpleGrid>
    </Stack>
  );
}

export function NotebooksPage() {
  const target = useTarget();
  const id = useQueryParam('id');
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Notebooks</Title>
      </Group>
      <RequireServer what="Notebook queries">
        {target ? id ? <NotebookView key={id} id={id} target={target} /> : <NotebookList /> : null}
      </RequireServer>
    </Stack>
  );
}
