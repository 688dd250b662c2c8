import { Badge, Button, Group, Progress, Stack, Table, Text, Title } from '@mantine/core';
import { IconPlus, IconTarget } from '@tabler/icons-react';
import { useState } from 'react';
import type { Target } from '../../../../shared/contracts/connections';
import { usePoll } from '../../api/use-call';
import { go, useQueryParam } from '../../app/router';
import { AreaEmptyState } from '../../app/AreaEmptyState';
import { RequireServer } from '../../components/investigation/ServerSwitcher';
import { useTarget } from '../../components/investigation/target-store';
import { TimeText } from '../../components/investigation/Time';
import { HuntDashboard } from './HuntDashboard';
import { HuntWizard } from './HuntWizard';

function HuntList(props: { target: Target }) {
  const { value: hunts, error } = usePoll('hunts:list', { target: props.target }, { everyMs: 5000 });
  const [wizard, setWizard] = useState(false);
  return (
    <Stack>
      <Group>
        <Button leftSection={<IconPlus size={14} />} onClick={() => setWizard(true)} data-testid="new-hunt">
          New hunt
        </Button>
      </Group>
      {error ? <Text c="red">{error}</Text> : null}
      {hunts && hunts.length === 0 ? (
        <AreaEmptyState icon={<IconTarget size={28} />} title="No hunts on this server">
          A hunt runs artifacts on every matching client, including ones that come online later. Press “New
          hunt” to choose artifacts and clients.
        </AreaEmptyState>
      ) : null}
      {hunts && hunts.length > 0 ? (
        <Table highlightOnHover data-testid="hunt-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>State</Table.Th>
              <Table.Th>Description</Table.Th>
              <Table.Th>Artifacts</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th w={220}>Progress</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {hunts.map((h) => (
              <Table.Tr
                key={h.huntId}
                style={{ cursor: 'pointer' }}
                tabIndex={0}
                onClick={() => go('/hunts', { hunt: h.huntId })}
                onKeyDown={(e) => e.key === 'Enter' && go('/hunts', { hunt: h.huntId })}
              >
                <Table.Td>
                  <Badge color={h.state === 'RUNNING' ? 'green' : h.state === 'PAUSED' ? 'yellow' : 'gray'}>
                    {h.state}
                  </Badge>
                </Table.Td>
                <Table.Td>{h.description}</Table.Td>
                <Table.Td>{h.artifacts.join(', ')}</Table.Td>
                <Table.Td>
                  <TimeText ms={h.createdMs} />
                </Table.Td>
                <Table.Td>
                  <Progress.Root
                    size="lg"
                    aria-label={`${h.stats.completed} of ${h.stats.scheduled} finished`}
                  >
                    <Progress.Section
                      value={
                        h.stats.scheduled
                          ? (100 * (h.stats.completed - h.stats.errors)) / h.stats.scheduled
                          : 0
                      }
                      color="green"
                    />
                    <Progress.Section
                      value={h.stats.scheduled ? (100 * h.stats.errors) / h.stats.scheduled : 0}
                      color="red"
                    />
                  </Progress.Root>
                  <Text size="xs" c="dimmed">
                    {h.stats.completed}/{h.stats.scheduled} finished · {h.stats.withResults} with results ·{' '}
                    {h.stats.errors} errors
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      <HuntWizard
        target={props.target}
        opened={wizard}
        onClose={() => setWizard(false)}
        onCreated={(id) => go('/hunts', { hunt: id })}
      />
    </Stack>
  );
}

export function HuntsPage() {
  const target = useTarget();
  const id = useQueryParam('hunt');
  return (
    <Stack>
      <Group justify="space-between">
        <Group>
          <Title order={2}>Hunts</Title>
          {id ? (
            <Button variant="subtle" size="xs" onClick={() => go('/hunts')}>
              All hunts
            </Button>
          ) : null}
        </Group>
      </Group>
      <RequireServer what="Hunts">
        {target ? (
          id ? (
            <HuntDashboard key={id} target={target} huntId={id} />
          ) : (
            <HuntList target={target} />
          )
        ) : null}
      </RequireServer>
    </Stack>
  );
}
