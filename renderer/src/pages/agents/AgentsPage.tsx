/**
 * Agents: the pushes the app ran or runs (newest first; a run a dead process left `running` is marked
 * interrupted, to resume), the wizard for a new one, the live table of the one chosen, and the kits.
 * Test ids: `page-agents` (the shell's), `agents-new`, `agents-runs`, `agents-run-row-<id>`
 * (data-state), `agents-tab-<runs|kits>`.
 */
import { Alert, Badge, Button, Group, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useCall } from '../../api/use-call';
import { AgentWizard } from './AgentWizard';
import { KitsPanel } from './KitsPanel';
import { RunView } from './RunView';

export function AgentsPage() {
  const [wizard, setWizard] = useState(false);
  const [selected, setSelected] = useState<string>();
  const [tab, setTab] = useState<string | null>('runs');
  const runs = useCall(
    'agents:list',
    {},
    { poll: { everyMs: 3000, until: (l) => !l.runs.some((r) => r.state === 'running' && !r.interrupted) } },
  );

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Agents</Title>
        <Button leftSection={<IconPlus size={16} />} onClick={() => setWizard(true)} data-testid="agents-new">
          Push agents
        </Button>
      </Group>
      <Tabs value={tab} onChange={setTab}>
        <Tabs.List>
          <Tabs.Tab value="runs" data-testid="agents-tab-runs">
            Pushes
          </Tabs.Tab>
          <Tabs.Tab value="kits" data-testid="agents-tab-kits">
            Kits
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="runs" pt="md">
          <Stack>
            {runs.error ? <Alert color="red">{runs.error}</Alert> : null}
            {runs.value?.problems.length ? (
              <Alert color="yellow">
                {runs.value.problems.map((p) => (
                  <Text key={p.id} size="sm">
                    {p.id}: {p.message}
                  </Text>
                ))}
              </Alert>
            ) : null}
            {runs.value && !runs.value.runs.length ? (
              <Text c="dimmed">
                No push yet. Push agents to hosts over SSH or WinRM, or build a kit for hosts you cannot
                reach.
              </Text>
            ) : null}
            {runs.value?.runs.length ? (
              <Table highlightOnHover withTableBorder data-testid="agents-runs">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Push</Table.Th>
                    <Table.Th>Channel</Table.Th>
                    <Table.Th>State</Table.Th>
                    <Table.Th>Enrolled</Table.Th>
                    <Table.Th>Failed</Table.Th>
                    <Table.Th>Hosts</Table.Th>
                    <Table.Th>Started</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {runs.value.runs.map((r) => {
                    const state = r.interrupted ? 'interrupted' : r.state;
                    return (
                      <Table.Tr
                        key={r.id}
                        style={{ cursor: 'pointer' }}
                        bg={selected === r.id ? 'var(--mantine-color-blue-light)' : undefined}
                        onClick={() => setSelected(r.id)}
                        data-testid={`agents-run-row-${r.id}`}
                        data-state={state}
                      >
                        <Table.Td>{r.name}</Table.Td>
                        <Table.Td>{r.channel === 'ssh' ? 'SSH' : 'WinRM'}</Table.Td>
                        <Table.Td>
                          <Badge
                            variant="light"
                            color={
                              state === 'finished'
                                ? r.counts.failed
                                  ? 'orange'
                                  : 'green'
                                : state === 'running'
                                  ? 'blue'
                                  : 'red'
                            }
                          >
                            {state}
                          </Badge>
                        </Table.Td>
                        <Table.Td>{r.counts.enrolled}</Table.Td>
                        <Table.Td>{r.counts.failed}</Table.Td>
                        <Table.Td>{r.counts.total}</Table.Td>
                        <Table.Td>{new Date(r.createdAt).toLocaleString()}</Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            ) : null}
            {selected ? <RunView key={selected} id={selected} onChanged={runs.reload} /> : null}
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="kits" pt="md">
          <KitsPanel />
        </Tabs.Panel>
      </Tabs>
      <AgentWizard
        opened={wizard}
        onClose={() => setWizard(false)}
        onStarted={(id) => {
          setWizard(false);
          setSelected(id);
          setTab('runs');
          runs.reload();
        }}
      />
    </Stack>
  );
}
