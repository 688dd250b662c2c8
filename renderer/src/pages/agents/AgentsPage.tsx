/**
 * Agents: the pushes the app ran or runs (newest first; a run a dead process left `running` is marked
 * interrupted, to resume), the wizard for a new one (opened for a server by `/agents?server=NAME`), the live table of the one chosen, the kits, and
 * the enrolment check (stand-alone, or for a push's hosts from its row).
 * Test ids: `page-agents` (the shell's), `agents-new`, `agents-runs`, `agents-run-row-<id>`
 * (data-state), `agents-run-check-<id>`, `agents-tab-<runs|kits|enrolment>`.
 */
import { Alert, Badge, Button, Group, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus, IconUserCheck } from '@tabler/icons-react';
import { useState } from 'react';
import type { RunListItem } from '../../../../shared/contracts/agents';
import { describeError } from '../../../../shared/errors';
import { useApi } from '../../api/index';
import { useCall } from '../../api/use-call';
import { go, useQueryParam } from '../../app/router';
import { AgentWizard } from './AgentWizard';
import { EnrollmentCheck, type CheckDone } from './EnrollmentCheck';
import { KitsPanel } from './KitsPanel';
import { RunView } from './RunView';

export function AgentsPage() {
  const api = useApi();
  // `/agents?server=NAME` (a deployment's result, "push agents"): the wizard opens for that server.
  const preset = useQueryParam('server');
  const [wizard, setWizard] = useState(preset !== undefined);
  const [checked, setChecked] = useState<CheckDone>();
  const [checking, setChecking] = useState<string>();
  const [selected, setSelected] = useState<string>();
  const [tab, setTab] = useState<string | null>('runs');
  const runs = useCall(
    'agents:list',
    {},
    { poll: { everyMs: 3000, until: (l) => !l.runs.some((r) => r.state === 'running' && !r.interrupted) } },
  );

  // A push's hosts, by the client id it learned where it has one (exact), else by host name.
  const checkRun = (r: RunListItem) => {
    if (!r.server) return;
    const target = r.server;
    setChecking(r.id);
    api
      .call('agents:run', { id: r.id })
      .then(async (run) => {
        const hosts = [...new Set(run.hosts.map((h) => h.clientId ?? h.host))].slice(0, 500);
        const { hosts: results } = await api.call('agents:check-enrollment', { target, hosts });
        setChecked({ key: Date.now(), target, hosts, results });
        setTab('enrolment');
      })
      .catch((e: unknown) =>
        notifications.show({ color: 'red', title: 'Enrolment check failed', message: describeError(e) }),
      )
      .finally(() => setChecking(undefined));
  };

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
          <Tabs.Tab value="enrolment" data-testid="agents-tab-enrolment">
            Enrolment check
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
                    <Table.Th />
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
                        <Table.Td>
                          <Button
                            size="compact-xs"
                            variant="subtle"
                            leftSection={<IconUserCheck size={14} />}
                            disabled={!r.server}
                            loading={checking === r.id}
                            onClick={(e) => {
                              e.stopPropagation();
                              checkRun(r);
                            }}
                            data-testid={`agents-run-check-${r.id}`}
                          >
                            Check enrolment
                          </Button>
                        </Table.Td>
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
        <Tabs.Panel value="enrolment" pt="md">
          <EnrollmentCheck key={checked?.key} done={checked} />
        </Tabs.Panel>
      </Tabs>
      <AgentWizard
        opened={wizard}
        server={preset}
        onClose={() => {
          setWizard(false);
          if (preset !== undefined) go('/agents');
        }}
        onStarted={(id) => {
          setWizard(false);
          if (preset !== undefined) go('/agents');
          setSelected(id);
          setTab('runs');
          runs.reload();
        }}
      />
    </Stack>
  );
}
