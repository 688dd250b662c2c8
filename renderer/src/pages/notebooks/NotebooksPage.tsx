/**
 * Notebooks: one per investigation, kept on this machine with their cells' last runs and first rows,
 * so they open and read with no server connected (running a cell needs one). Create, open, rename,
 * duplicate, delete.
 */
import {
  ActionIcon,
  Alert,
  Button,
  Card,
  Group,
  Menu,
  Modal,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCopy, IconDots, IconNotebook, IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import type { NotebookSummary } from '../../../../shared/contracts/notebooks';
import { describeError } from '../../../../shared/errors';
import { useApi } from '../../api/index';
import { useCall } from '../../api/use-call';
import { AreaEmptyState } from '../../app/AreaEmptyState';
import { go, useQueryParam } from '../../app/router';
import { useConnections } from '../../components/investigation/target-store';
import { TimeText } from '../../components/investigation/Time';
import { NotebookView } from './NotebookView';

type Action = { kind: 'rename' | 'delete'; notebook: NotebookSummary };

function NotebookList() {
  const api = useApi();
  const list = useCall('notebooks:list', {});
  const [title, setTitle] = useState('');
  const [action, setAction] = useState<Action | null>(null);
  const [newTitle, setNewTitle] = useState('');
  const fail = (title: string) => (e: unknown) =>
    notifications.show({ color: 'red', title, message: describeError(e) });
  const create = () =>
    api
      .call('notebooks:create', { title: title.trim() || 'Untitled investigation' })
      .then((nb) => go('/notebooks', { id: nb.id }), fail('The notebook was not created'));
  const duplicate = (n: NotebookSummary) =>
    api.call('notebooks:duplicate', { id: n.id }).then((copy) => {
      notifications.show({ message: `“${copy.title}” created with the saved results.` });
      list.reload();
    }, fail('The notebook was not duplicated'));
  const confirm = () => {
    if (!action) return;
    const n = action.notebook;
    const done =
      action.kind === 'rename'
        ? api.call('notebooks:rename', { id: n.id, title: newTitle.trim() }).then(() => undefined)
        : api.call('notebooks:delete', { id: n.id }).then(() => undefined);
    done.then(
      () => {
        setAction(null);
        list.reload();
      },
      fail(action.kind === 'rename' ? 'The notebook was not renamed' : 'The notebook was not deleted'),
    );
  };
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
      {list.error ? <Text c="red">{list.error}</Text> : null}
      {list.value && list.value.length === 0 ? (
        <AreaEmptyState icon={<IconNotebook size={28} />} title="No notebooks yet">
          A notebook holds the VQL queries, results and notes of one investigation, saved on this machine.
          Create one above; Ctrl+Enter runs the VQL cell you are in.
        </AreaEmptyState>
      ) : null}
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        {list.value?.map((n) => (
          <Card
            key={n.id}
            withBorder
            style={{ cursor: 'pointer' }}
            onClick={() => go('/notebooks', { id: n.id })}
            tabIndex={0}
            onKeyDown={(e) =>
              e.target === e.currentTarget && e.key === 'Enter' && go('/notebooks', { id: n.id })
            }
            data-testid={`notebook-card-${n.id}`}
          >
            <Group justify="space-between" wrap="nowrap" align="flex-start">
              <Text fw={700}>{n.title}</Text>
              <Menu position="bottom-end">
                <Menu.Target>
                  <ActionIcon
                    variant="subtle"
                    aria-label={`Actions for ${n.title}`}
                    onClick={(e) => e.stopPropagation()}
                    data-testid="notebook-actions"
                  >
                    <IconDots size={16} />
                  </ActionIcon>
                </Menu.Target>
                <Menu.Dropdown onClick={(e) => e.stopPropagation()}>
                  <Menu.Item
                    leftSection={<IconPencil size={14} />}
                    onClick={() => {
                      setNewTitle(n.title);
                      setAction({ kind: 'rename', notebook: n });
                    }}
                  >
                    Rename…
                  </Menu.Item>
                  <Menu.Item leftSection={<IconCopy size={14} />} onClick={() => void duplicate(n)}>
                    Duplicate
                  </Menu.Item>
                  <Menu.Item
                    color="red"
                    leftSection={<IconTrash size={14} />}
                    onClick={() => setAction({ kind: 'delete', notebook: n })}
                  >
                    Delete…
                  </Menu.Item>
                </Menu.Dropdown>
              </Menu>
            </Group>
            <Text size="sm" c="dimmed">
              {n.cells} cell{n.cells === 1 ? '' : 's'} · <TimeText ms={Date.parse(n.updatedAt)} />
            </Text>
          </Card>
        ))}
      </SimpleGrid>
      <Modal
        opened={action !== null}
        onClose={() => setAction(null)}
        title={action?.kind === 'rename' ? 'Rename the notebook' : 'Delete the notebook?'}
      >
        {action?.kind === 'rename' ? (
          <TextInput
            label="Title"
            value={newTitle}
            onChange={(e) => setNewTitle(e.currentTarget.value)}
            onKeyDown={(e) => e.key === 'Enter' && newTitle.trim() && confirm()}
            data-autofocus
            data-testid="rename-title"
          />
        ) : (
          <Text size="sm">
            “{action?.notebook.title}” and the results saved with it are deleted from this machine. The
            queries stay on the servers only as far as they logged them.
          </Text>
        )}
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => setAction(null)}>
            Cancel
          </Button>
          <Button
            color={action?.kind === 'delete' ? 'red' : undefined}
            disabled={action?.kind === 'rename' && !newTitle.trim()}
            onClick={confirm}
            data-testid="notebook-confirm"
          >
            {action?.kind === 'rename' ? 'Rename' : 'Delete'}
          </Button>
        </Group>
      </Modal>
    </Stack>
  );
}

export function NotebooksPage() {
  const { list } = useConnections();
  const target = list?.active ?? null;
  const id = useQueryParam('id');
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Notebooks</Title>
      </Group>
      {list && !target ? (
        <Alert color="gray" data-testid="notebooks-offline">
          No server is connected: notebooks and the results saved with them open as they were; running a cell
          needs a server.{' '}
          <Button size="compact-xs" variant="subtle" onClick={() => go('/connections')}>
            Connect one
          </Button>
        </Alert>
      ) : null}
      {id ? <NotebookView key={id} id={id} target={target} /> : <NotebookList />}
    </Stack>
  );
}
