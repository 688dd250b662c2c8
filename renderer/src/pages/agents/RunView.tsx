/**
 * One push, live: its state bar, the hosts in each state over time, and the table of hosts (state,
 * progress, attempts, platform, client id, the reason a host failed). Polled from the core's journal
 * (`agents:run`, every second while it runs), so it shows the same whether the page started the run or
 * came back to it. Cancel, resume (an interrupted or cancelled run; failed hosts again when asked) and
 * the summary CSV (browser mode: handed to the browser as a download).
 * Test ids: `agent-run` (data-state), `run-statebar`, `run-hosts`, `run-host-<key>` (data-state),
 * `run-cancel`, `run-resume`, `run-retry-failed`, `run-export`.
 */
import '@mantine/charts/styles.css';
import { AreaChart } from '@mantine/charts';
import { Alert, Badge, Button, Group, Progress, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconFileDownload, IconPlayerPlay, IconPlayerStop, IconRefresh } from '@tabler/icons-react';
import { useState } from 'react';
import { describeError } from '../../../../shared/errors';
import { useApi } from '../../api/index';
import { handToBrowser } from '../../api/save-file';
import { useCall } from '../../api/use-call';
import { useAppInfo } from '../../app/app-info-context';
import {
  orderedHosts,
  runActions,
  stateSegments,
  STATE_COLORS,
  withPoint,
  type CountsPoint,
} from './run-view';

export function RunView({ id, onChanged }: { id: string; onChanged: () => void }) {
  const api = useApi();
  const browserMode = useAppInfo()?.mode === 'browser';
  const [history, setHistory] = useState<CountsPoint[]>([]);
  const [busy, setBusy] = useState<string>();
  const run = useCall(
    'agents:run',
    { id },
    {
      poll: { everyMs: 1000, until: (r) => r.state !== 'running' || r.interrupted },
      // One chart point per answer that changed the counts.
      onValue: (r) => setHistory((h) => withPoint(h, r, Date.now())),
    },
  );
  const value = run.value;

  if (!value)
    return run.error ? <Alert color="red">{run.error}</Alert> : <Text c="dimmed">Loading the push…</Text>;
  const actions = runActions(value);
  const c = value.counts;
  const act = (what: string, go: () => Promise<unknown>) => {
    setBusy(what);
    go()
      .then(() => {
        run.reload();
        onChanged();
      })
      .catch((e: unknown) =>
        notifications.show({ color: 'red', title: `${what} failed`, message: describeError(e) }),
      )
      .finally(() => setBusy(undefined));
  };
  const exportCsv = () =>
    act('Export', async () => {
      const saved = await api.call('agents:export-csv', { id });
      if (browserMode) await handToBrowser(api, saved.savedTo, saved.name);
      notifications.show({ title: 'Summary saved', message: `${saved.rows} hosts → ${saved.savedTo}` });
    });

  return (
    <Stack data-testid="agent-run" data-state={value.interrupted ? 'interrupted' : value.state}>
      <Group justify="space-between">
        <div>
          <Title order={4}>{value.name}</Title>
          <Text size="sm" c="dimmed">
            {value.channel === 'ssh' ? 'SSH' : 'WinRM'}, {value.concurrency} at once —{' '}
            <b data-testid="run-state">{value.interrupted ? 'interrupted' : value.state}</b>: {c.enrolled}{' '}
            enrolled, {c.failed} failed, {c.active} in progress, {c.queued} queued
            {c.cancelled ? `, ${c.cancelled} cancelled` : ''} of {c.total}
          </Text>
        </div>
        <Group gap="xs">
          {actions.cancel ? (
            <Button
              color="red"
              variant="light"
              leftSection={<IconPlayerStop size={16} />}
              loading={busy === 'Cancel'}
              onClick={() => act('Cancel', () => api.call('agents:cancel', { id }))}
              data-testid="run-cancel"
            >
              Cancel
            </Button>
          ) : null}
          {actions.resume ? (
            <Button
              leftSection={<IconPlayerPlay size={16} />}
              loading={busy === 'Resume'}
              onClick={() => act('Resume', () => api.call('agents:resume', { id, retryFailed: false }))}
              data-testid="run-resume"
            >
              Resume
            </Button>
          ) : null}
          {actions.retryFailed ? (
            <Button
              variant="default"
              leftSection={<IconRefresh size={16} />}
              loading={busy === 'Retry'}
              onClick={() => act('Retry', () => api.call('agents:resume', { id, retryFailed: true }))}
              data-testid="run-retry-failed"
            >
              Retry failed hosts
            </Button>
          ) : null}
          <Button
            variant="default"
            leftSection={<IconFileDownload size={16} />}
            loading={busy === 'Export'}
            onClick={exportCsv}
            data-testid="run-export"
          >
            Export CSV
          </Button>
        </Group>
      </Group>

      <Progress.Root size={18} data-testid="run-statebar">
        {stateSegments(value.hosts).map((s) => (
          <Tooltip key={s.state} label={`${s.state}: ${s.count}`}>
            <Progress.Section
              value={(100 * s.count) / Math.max(1, c.total)}
              color={STATE_COLORS[s.state]}
              data-state={s.state}
            >
              <Progress.Label>{s.count}</Progress.Label>
            </Progress.Section>
          </Tooltip>
        ))}
      </Progress.Root>

      {history.length > 1 ? (
        <AreaChart
          h={140}
          data={history}
          dataKey="t"
          type="stacked"
          withDots={false}
          xAxisLabel="seconds"
          // Time, not categories: points come when the counts change, not at a fixed pace.
          xAxisProps={{ type: 'number', domain: ['dataMin', 'dataMax'] }}
          series={[
            { name: 'enrolled', color: 'green.6' },
            { name: 'failed', color: 'red.6' },
            { name: 'active', color: 'blue.6' },
            { name: 'queued', color: 'gray.5' },
          ]}
          data-testid="run-chart"
        />
      ) : null}

      <Table striped withTableBorder data-testid="run-hosts">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Host</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th>Progress</Table.Th>
            <Table.Th>Tries</Table.Th>
            <Table.Th>Platform</Table.Th>
            <Table.Th>Client / reason</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {orderedHosts(value.hosts)
            .slice(0, 1000)
            .map((h) => (
              <Table.Tr key={h.key} data-testid={`run-host-${h.key}`} data-state={h.state}>
                <Table.Td>{h.key}</Table.Td>
                <Table.Td>
                  <Badge color={STATE_COLORS[h.state]} variant="light" data-testid="run-host-state">
                    {h.state}
                  </Badge>
                </Table.Td>
                <Table.Td style={{ minWidth: 120 }}>
                  {h.progress !== undefined && h.state !== 'enrolled' && h.state !== 'failed' ? (
                    <Progress value={h.progress * 100} size="sm" />
                  ) : null}
                  {h.message && h.state !== 'enrolled' && h.state !== 'failed' ? (
                    <Text size="xs" c="dimmed">
                      {h.message}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td>{h.attempts}</Table.Td>
                <Table.Td>
                  <Text size="xs">{h.platform ?? ''}</Text>
                </Table.Td>
                <Table.Td>
                  {h.error ? (
                    <Text size="xs" c="red" data-testid="run-host-error">
                      {h.error.code}: {h.error.message}
                    </Text>
                  ) : (
                    <Text size="xs" ff="monospace">
                      {h.clientId ?? ''}
                    </Text>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
        </Table.Tbody>
      </Table>
      {value.hosts.length > 1000 ? (
        <Text size="xs" c="dimmed">
          The first 1000 hosts are shown (failed and busy first); the CSV lists all {value.hosts.length}.
        </Text>
      ) : null}
    </Stack>
  );
}
