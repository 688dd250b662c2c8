import '@mantine/charts/styles.css';
/** A hunt's live dashboard: stats over time (polled), clients table, results grid, start/stop. */
import { LineChart } from '@mantine/charts';
import {
  Badge,
  Button,
  Card,
  Group,
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
import type { Target } from '../../../../shared/contracts/connections';
import type { HuntFlow, HuntSummary } from '../../../../shared/contracts/hunts';
import { useApi } from '../../api/index';
import { countOf } from '../../app/words';
import { callKey, useLoad } from '../../api/use-call';
import { ResultGrid } from '../../components/grid/ResultGrid';
import { formatTime, useTimeZone } from '../../components/investigation/time';
import { TimeText } from '../../components/investigation/Time';
import { describeError } from '../../../../shared/errors';

/** A hunt's rows come from many hosts: which one comes first (hunt_results adds Fqdn and ClientId). */
const HOST_FIRST = ['Fqdn', 'ClientId'];

interface Point {
  time: string;
  scheduled: number;
  finished: number;
  withResults: number;
  errors: number;
}

export function HuntDashboard(props: { target: Target; huntId: string }) {
  const api = useApi();
  const z = useTimeZone();
  const [series, setSeries] = useState<Point[]>([]);
  const [results, setResults] = useState<{ source: string; id: string } | null>(null);
  const { target, huntId } = props;

  const polled = useLoad(
    callKey('hunts:get', { target, huntId }),
    () =>
      Promise.all([api.call('hunts:get', { target, huntId }), api.call('hunts:flows', { target, huntId })]),
    {
      poll: { everyMs: 2000 },
      onValue: ([h]) =>
        setSeries((s) => [
          ...s.slice(-119),
          {
            time: formatTime(Date.now(), z).slice(11, 19),
            scheduled: h.stats.scheduled,
            finished: h.stats.completed,
            withResults: h.stats.withResults,
            errors: h.stats.errors,
          },
        ]),
    },
  );
  const [polledHunt, flows] = polled.value ?? [null, [] as HuntFlow[]];
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

  if (error) return <Text c="red">{error}</Text>;
  if (!hunt) return <Text c="dimmed">Loading hunt…</Text>;
  const s = hunt.stats;
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
            <Button
              color="red"
              variant="light"
              onClick={() => void act('hunts:stop')}
              data-testid="hunt-stop"
            >
              Stop
            </Button>
          ) : null}
        </Group>
      </Group>
      <Text size="sm" c="dimmed">
        <code>{hunt.huntId}</code> · {hunt.artifacts.join(', ')} · created <TimeText ms={hunt.createdMs} /> by{' '}
        {hunt.creator} · expires <TimeText ms={hunt.expiresMs} />
      </Text>
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
          data={series}
          dataKey="time"
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
                <Table.Tr key={f.clientId}>
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
