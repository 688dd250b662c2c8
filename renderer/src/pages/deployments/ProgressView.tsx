/**
 * The live progress of a deployment or an operation: an overall bar, each step with its own bar,
 * duration and error, a timeline of the steps (how long each took reads better as bars than as
 * numbers), the streamed log, and the resources as the journal recorded them.
 * Test ids: `progress-step-<id>` (data-state), `progress-log`, `progress-timeline`, `progress-resources`.
 */
import {
  Badge,
  Box,
  Code,
  Group,
  Progress,
  ScrollArea,
  SegmentedControl,
  Stack,
  Table,
  Text,
  ThemeIcon,
  Tooltip,
} from '@mantine/core';
import {
  IconAlertTriangle,
  IconCheck,
  IconClock,
  IconLoader2,
  IconPlayerSkipForward,
  IconX,
} from '@tabler/icons-react';
import { useEffect, useRef, useState } from 'react';
import type { StepState } from '../../../../shared/deploy';
import { formatClock, useTimeZone } from '../../components/investigation/time';
import { overallFraction, timeline, type ProgressModel, type StepView } from './progress-model';

const STEP_COLORS: Record<StepState, string> = {
  pending: 'gray',
  running: 'blue',
  done: 'green',
  failed: 'red',
  skipped: 'gray',
};

function StepIcon({ state }: { state: StepState }) {
  const icon = {
    pending: <IconClock size={14} />,
    running: <IconLoader2 size={14} />,
    done: <IconCheck size={14} />,
    failed: <IconX size={14} />,
    skipped: <IconPlayerSkipForward size={14} />,
  }[state];
  return (
    <ThemeIcon
      size="sm"
      radius="xl"
      color={STEP_COLORS[state]}
      variant={state === 'pending' ? 'light' : 'filled'}
    >
      {icon}
    </ThemeIcon>
  );
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

function StepRow({ step, now }: { step: StepView; now: number }) {
  const elapsed =
    step.ms ?? (step.startedAt !== undefined ? (step.endedAt ?? now) - step.startedAt : undefined);
  const percent = step.state === 'done' ? 100 : Math.round((step.fraction ?? 0) * 100);
  return (
    <Box data-testid={`progress-step-${step.id}`} data-state={step.state}>
      <Group justify="space-between" wrap="nowrap" gap="xs">
        <Group gap="xs" wrap="nowrap">
          <StepIcon state={step.state} />
          <Text size="sm" fw={step.state === 'running' ? 600 : 400}>
            {step.title}
          </Text>
        </Group>
        <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
          {step.message && step.state === 'running' ? `${step.message} · ` : ''}
          {elapsed !== undefined ? seconds(elapsed) : ''}
        </Text>
      </Group>
      {step.state === 'running' || step.state === 'done' ? (
        <Progress
          mt={4}
          size="xs"
          value={step.state === 'running' && step.fraction === undefined ? 100 : percent}
          striped={step.state === 'running'}
          animated={step.state === 'running' && step.fraction === undefined}
          color={STEP_COLORS[step.state]}
          aria-label={`${step.title}: ${step.state === 'running' && step.fraction === undefined ? 'in progress' : `${percent}%`}`}
        />
      ) : null}
      {step.error ? (
        <Text size="xs" c="red" mt={4} data-testid="progress-step-error">
          {`${step.error.message} (${step.error.code})`}
        </Text>
      ) : null}
    </Box>
  );
}

/** Step durations as bars on one time axis. */
function Timeline({ model, now }: { model: ProgressModel; now: number }) {
  const bars = timeline(model, now);
  if (!bars.length) return null;
  const span = Math.max(1, ...bars.map((b) => b.to));
  return (
    <Stack gap={4} data-testid="progress-timeline" aria-label="Timeline of the steps">
      {bars.map((b) => (
        <Group key={b.id} gap="xs" wrap="nowrap">
          <Text size="xs" w={220} truncate="end" title={b.title}>
            {b.title}
          </Text>
          <Box style={{ position: 'relative', flex: 1, height: 12 }}>
            <Tooltip label={`${b.title}: ${seconds(b.to - b.from)}`}>
              <Box
                style={{
                  position: 'absolute',
                  left: `${(b.from / span) * 100}%`,
                  width: `max(2px, ${((b.to - b.from) / span) * 100}%)`,
                  top: 0,
                  bottom: 0,
                  borderRadius: 3,
                  background: `var(--mantine-color-${STEP_COLORS[b.state]}-6)`,
                }}
              />
            </Tooltip>
          </Box>
          <Text size="xs" c="dimmed" w={48} ta="right">
            {seconds(b.to - b.from)}
          </Text>
        </Group>
      ))}
      <Text size="xs" c="dimmed" ta="right">{`total ${seconds(span)}`}</Text>
    </Stack>
  );
}

const LEVEL_COLORS = { info: undefined, warn: 'orange', error: 'red' } as const;

function LogView({ model }: { model: ProgressModel }) {
  // Log lines show the time of day; the zone follows the app's UTC/Local switch like every moment.
  const zone = useTimeZone();
  const viewport = useRef<HTMLDivElement>(null);
  const last = model.logs.at(-1)?.seq;
  useEffect(() => {
    // Follow the tail as lines stream in.
    viewport.current?.scrollTo({ top: viewport.current.scrollHeight });
  }, [last]);
  return (
    <ScrollArea h={220} viewportRef={viewport} type="auto" data-testid="progress-log">
      <Code block style={{ whiteSpace: 'pre-wrap', minHeight: 200 }}>
        {model.droppedLogs ? `… ${model.droppedLogs} earlier lines not shown\n` : ''}
        {model.logs.length === 0 ? 'No log lines yet.' : null}
        {model.logs.map((l) => (
          <Text
            key={l.seq}
            span
            size="xs"
            ff="monospace"
            c={LEVEL_COLORS[l.level]}
            style={{ display: 'block' }}
          >
            {`${formatClock(l.at, zone)} [${l.step}] ${l.line}`}
          </Text>
        ))}
      </Code>
    </ScrollArea>
  );
}

function Resources({ model }: { model: ProgressModel }) {
  if (!model.resources.length)
    return (
      <Text size="sm" c="dimmed">
        Nothing created yet.
      </Text>
    );
  return (
    <Table fz="xs" data-testid="progress-resources">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Resource</Table.Th>
          <Table.Th>Kind</Table.Th>
          <Table.Th>Id</Table.Th>
          <Table.Th>State</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {model.resources.map((r) => (
          <Table.Tr key={`${r.ref.kind}:${r.ref.id}`}>
            <Table.Td>{r.ref.title}</Table.Td>
            <Table.Td>{r.ref.kind}</Table.Td>
            <Table.Td>
              <Text size="xs" ff="monospace" truncate="end" maw={260} title={r.ref.id}>
                {r.ref.id}
              </Text>
            </Table.Td>
            <Table.Td>
              <Badge size="xs" variant="light" color={r.state === 'created' ? 'green' : 'gray'}>
                {r.state}
              </Badge>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function ProgressView({ model, running }: { model: ProgressModel; running: boolean }) {
  const [now, setNow] = useState(() => Date.now());
  const [view, setView] = useState<'log' | 'timeline' | 'resources'>('log');
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [running]);
  const overall = Math.round(overallFraction(model) * 100);
  const warnings = model.logs.filter((l) => l.level === 'warn').length;
  return (
    <Stack gap="sm" data-testid="progress-view">
      <Group justify="space-between">
        <Group gap="xs">
          <Text size="sm" fw={500}>
            {running ? 'Working' : 'Finished'}
          </Text>
          {model.phase ? (
            <Badge variant="light" data-testid="progress-phase">
              {model.phase}
            </Badge>
          ) : null}
          {warnings ? (
            <Badge color="orange" variant="light" leftSection={<IconAlertTriangle size={12} />}>
              {`${warnings} warning${warnings === 1 ? '' : 's'}`}
            </Badge>
          ) : null}
        </Group>
        <Text size="sm" c="dimmed">{`${overall}%`}</Text>
      </Group>
      <Progress value={overall} size="md" animated={running} aria-label={`Overall progress ${overall}%`} />
      <Stack gap="xs">
        {model.steps.map((s) => (
          <StepRow key={s.id} step={s} now={now} />
        ))}
      </Stack>
      <SegmentedControl
        size="xs"
        value={view}
        onChange={(v) => setView(v === 'timeline' || v === 'resources' ? v : 'log')}
        data={[
          { value: 'log', label: `Log (${model.logs.length + model.droppedLogs})` },
          { value: 'timeline', label: 'Timeline' },
          { value: 'resources', label: `Resources (${model.resources.length})` },
        ]}
      />
      {view === 'log' ? <LogView model={model} /> : null}
      {view === 'timeline' ? <Timeline model={model} now={now} /> : null}
      {view === 'resources' ? <Resources model={model} /> : null}
    </Stack>
  );
}
