import '@mantine/charts/styles.css';
/**
 * A hunt's live dashboard: stats over the hunt's whole life (from the server's flow records, polled),
 * clients table (a row opens that client's flow), results grid, start / stop (confirmed), zip export.
 */
import { LineChart } from '@mantine/charts';
import {
  Badge,
  Button,
  Card,
  Code,
  Group,
  Modal,
  Progress,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import type { DownloadProgress } from '../../../../shared/contracts/clients';
import type { Target } from '../../../../shared/contracts/connections';
import type { HuntFlow, HuntSummary } from '../../../../shared/contracts/hunts';
import { useApi } from '../../api/index';
import { downloadName, handToBrowser } from '../../api/save-file';
import { useAppInfo } from '../../app/app-info-context';
import { go } from '../../app/router';
import { countOf } from '../../app/words';
import { callKey, useLoad } from '../../api/use-call';
import { ResultGrid } from '../../components/grid/ResultGrid';
import { formatTime, useTimeZone, zoneText } from '../../components/investigation/time';
import { TimeText } from '../../components/investigation/Time';
import { describeError } from '../../../../shared/errors';
import { huntTimeline } from './hunt-timeline';

/** A hunt's rows come from many hosts: which one comes first (hunt_results adds Fqdn and ClientId). */
const HOST_FIRST = ['Fqdn', 'ClientId'];

export function HuntDashboard(props: { target: Target; huntId: string }) {
  const api = useApi();
  const z = useTimeZone();
  const [results, setResults] = useState<{ source: string; id: string } | null>(null);
  const { target, huntId } = props;

  const polled = useLoad(
    callKey('hunts:get', { target, huntId }),
    // The chart ends at the moment of the poll that brought these records.
    () =>
      Promise.all([
        api.call('hunts:get', { target, huntId }),
        api.call('hunts:flows', { target, huntId }),
      ]).then(([h, f]) => [h, f, Date.now()] as const),
    { poll: { everyMs: 2000 } },
  );
  const [confirmStop, setConfirmStop] = useState(false);
  const [exp, setExp] = useState<DownloadProgress | null>(null);
  const browserMode = useAppInfo()?.mode === 'browser';
  const [polledHunt, flows, polledAt] = polled.value ?? [null, [] as HuntFlow[], 0];
  const [acted, setHunt] = useState<HuntSummary | null>(null);
  // An action's answer shows until the next poll brings the server's view.
  const hunt = acted && acted.huntId === polledHunt?.huntId && polled.loading ? acted : polledHunt;
  const error = polledHunt ? null : polled.error;

  const loadResults = (source: string) =>
    api.call('hunts:results', { target, huntId, source }).then(
      (r) => setResults({ source, id: r.resultId }),
      (e: unknown) => notifications.show({ color: 'red', message: describeError(e) }),
    );

  const act = (action: 'hunts:start' | 'hunts:stop') =>
    api.call(action, { target, huntId }).then(
      (r) => {
        if (hunt) setHunt({ ...hunt, state: r.state });
        polled.reload();
      },
      (e: unknown) =>
        notifications.show({ color: 'red', title: 'Hunt not changed', message: describeError(e) }),
    );

  const exportZip = () => {
    setExp({ received: 0, total: 0, done: false });
    api.stream(
      'hunts:export',
      { target, huntId },
      {
        data: (p) => {
          setExp(p);
          if (browserMode && p.done && p.savedTo)
            handToBrowser(api, p.savedTo, downloadName([huntId, ...(hunt?.artifacts ?? [])], '.zip')).catch(
              (e: unknown) =>
                notifications.show({
                  color: 'red',
                  title: 'The browser did not get the zip',
                  message: describeError(e),
                }),
            );
        },
        error: (e) => {
          setExp(null);
          notifications.show({ color: 'red', title: 'Export failed', message: describeError(e) });
        },
      },
    );
  };

  if (error) return <Text c="red">{error}</Text>;
  if (!hunt) return <Text c="dimmed">Loading hunt…</Text>;
  const s = hunt.stats;
  // Long hunts show the date too; every label follows the UTC/Local switch.
  const series = huntTimeline(hunt.startedMs || hunt.createdMs, flows, polledAt).map((p, _i, all) => {
    const long = all.length > 1 && all[all.length - 1]!.ms - all[0]!.ms > 86_400_000;
    const label = formatTime(p.ms, z);
    return { ...p, time: long ? label.slice(5, 16) : label.slice(11, 19) };
  });
  return (
    <Stack data-testid="hunt-dashboard">
      <Group justify="space-between">
        <Group>
          <Title order={3}>{hunt.description}</Title>
          <Badge
            data-testid="hunt-state"
            color={hunt.state === 'RUNNING' ? 'green' : hunt.state === 'PAUSED' ? 'yellow' : 'gray'}
          >
            {hunt.state}
          </Badge>
        </Group>
        <Group>
          {hunt.state !== 'RUNNING' && hunt.state !== 'ARCHIVED' ? (
            <Button onClick={() => void act('hunts:start')} data-testid="hunt-start">
              Start
            </Button>
          ) : null}
          {hunt.state === 'RUNNING' ? (
            <Button color="red" variant="light" onClick={() => setConfirmStop(true)} data-testid="hunt-stop">
              Stop…
            </Button>
          ) : null}
          <Button
            variant="default"
            onClick={exportZip}
            loading={exp !== null && !exp.done}
            data-testid="hunt-export"
          >
            Export zip
          </Button>
        </Group>
      </Group>
      <Text size="sm" c="dimmed">
        <code>{hunt.huntId}</code> · {hunt.artifacts.join(', ')} · created <TimeText ms={hunt.createdMs} /> by{' '}
        {hunt.creator} · expires <TimeText ms={hunt.expiresMs} />
      </Text>
      {exp?.done ? (
        <Text size="sm" data-testid="hunt-export-done">
          Saved to <Code>{exp.savedTo}</Code> ({exp.received.toLocaleString()} bytes, sha256{' '}
          <Code>{exp.sha256}</Code>)
        </Text>
      ) : null}
      <Modal opened={confirmStop} onClose={() => setConfirmStop(false)} title={`Stop hunt ${hunt.huntId}?`}>
        <Stack>
          <Text size="sm">
            Clients that have not picked up “{hunt.description}” will not run it; collections already running
            finish. Start resumes it.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirmStop(false)}>
              Cancel
            </Button>
            <Button
              color="red"
              onClick={() => {
                setConfirmStop(false);
                void act('hunts:stop');
              }}
              data-testid="hunt-stop-confirm"
            >
              Stop hunt
            </Button>
          </Group>
        </Stack>
      </Modal>
      <SimpleGrid cols={4}>
        {[
          ['Scheduled', s.scheduled, 'stat-scheduled'],
          ['Finished', s.completed, 'stat-finished'],
          ['With results', s.withResults, 'stat-with-results'],
          ['Errors', s.errors, 'stat-errors'],
        ].map(([label, v, id]) => (
          <Card key={String(id)} withBorder>
            <Text size="xs" c="dimmed">
              {label}
            </Text>
            <Text fw={700} size="xl" data-testid={String(id)}>
              {v}
            </Text>
          </Card>
        ))}
      </SimpleGrid>
      <Progress value={s.scheduled ? (100 * s.completed) / s.scheduled : 0} aria-label="Clients finished" />
      <Card withBorder>
        <LineChart
          h={200}
          data-testid="hunt-chart"
          data={series}
          dataKey="time"
          xAxisLabel={`${series.length && series[series.length - 1]!.ms - series[0]!.ms > 86_400_000 ? 'Date and time' : `${formatTime(polledAt, z).slice(0, 10)}, time`} (${zoneText(polledAt, z)})`}
          withLegend
          series={[
            { name: 'scheduled', color: 'blue.6' },
            { name: 'finished', color: 'green.6' },
            { name: 'withResults', label: 'with results', color: 'teal.6' },
            { name: 'errors', color: 'red.6' },
          ]}
        />
      </Card>
      <Tabs defaultValue="clients">
        <Tabs.List>
          <Tabs.Tab value="clients">Clients ({flows.length})</Tabs.Tab>
          <Tabs.Tab value="results">Results</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="clients" pt="sm">
          {flows.length === 0 ? (
            <Text c="dimmed">
              {hunt.state === 'PAUSED'
                ? 'No client was scheduled: the hunt is paused. Press Start.'
                : 'Clients appear here as they pick up the hunt.'}
            </Text>
          ) : null}
          <Table data-testid="hunt-clients">
            <Table.Tbody>
              {flows.slice(0, 500).map((f) => (
                <Table.Tr
                  key={f.clientId}
                  tabIndex={0}
                  style={{ cursor: 'pointer' }}
                  title={`Open ${f.hostname || f.clientId}'s collection ${f.flowId}`}
                  data-testid={`hunt-client-${f.clientId}`}
                  onClick={() => go('/clients', { client: f.clientId, tab: 'flows', flow: f.flowId })}
                  onKeyDown={(e) =>
                    e.key === 'Enter' && go('/clients', { client: f.clientId, tab: 'flows', flow: f.flowId })
                  }
                >
                  <Table.Td>{f.hostname}</Table.Td>
                  <Table.Td>
                    <code>{f.clientId}</code>
                  </Table.Td>
                  <Table.Td>
                    <code>{f.flowId}</code>
                  </Table.Td>
                  <Table.Td>
                    <Badge
                      size="sm"
                      color={f.state === 'FINISHED' ? 'green' : f.state === 'ERROR' ? 'red' : 'blue'}
                    >
                      {f.state}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{countOf(f.rows, 'row')}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Tabs.Panel>
        <Tabs.Panel value="results" pt="sm">
          <Group mb="xs">
            {/* Artifacts with named sources are read per source (Artifact/Source). */}
            {hunt.sources.map((a) => (
              <Button
                key={a}
                size="xs"
                variant={results?.source === a ? 'filled' : 'default'}
                onClick={() => void loadResults(a)}
              >
                {a}
              </Button>
            ))}
          </Group>
          {results ? (
            <ResultGrid
              key={results.id}
              resultId={results.id}
              version={0}
              testId="hunt-results"
              layoutKey={`hunt:${results.source}`}
              lead={HOST_FIRST}
              exportName={`${huntId}_${results.source}`}
            />
          ) : (
            <Text c="dimmed">
              Choose an artifact to load the rows all clients returned so far; export them as CSV or JSON from
              the grid.
            </Text>
          )}
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
