/** A VQL cell: editor, run/cancel, streaming results grid, log lines and the error beside it. */
import { Alert, Badge, Button, Grid, Group, ScrollArea, Stack, Text } from '@mantine/core';
import { IconPlayerPlay, IconPlayerStop } from '@tabler/icons-react';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Target } from '../../../../shared/contracts/connections';
import type { LogLine } from '../../../../shared/contracts/vql';
import { useApi } from '../../api/index';
import { ResultGrid } from '../../components/grid/ResultGrid';
import { TimeText } from '../../components/investigation/Time';
import { LazyVqlEditor } from '../../vql/LazyVqlEditor';
import { describeError } from '../../../../shared/errors';

/** Lines kept per run (the oldest go first) and lines rendered (the newest). */
const KEEP_LINES = 10_000;
const SHOW_LINES = 200;
/**
 * Progress (row count, grid growth, log lines) is shown at most this often while a query streams: every
 * update re-renders the cell and repaints the badge, the grid's scrollbar and the log list, and with
 * software compositing each repainted frame costs the browser CPU the core needs. The first rows and
 * the end are shown at once.
 */
const PROGRESS_MS = 250;

interface Logs {
  lines: LogLine[];
  /** Lines dropped from the front to stay under KEEP_LINES. */
  dropped: number;
}
const NO_LOGS: Logs = { lines: [], dropped: 0 };

function appendLogs(old: Logs, more: LogLine[]): Logs {
  const lines = old.lines.concat(more);
  const over = Math.max(0, lines.length - KEEP_LINES);
  return { lines: over ? lines.slice(over) : lines, dropped: old.dropped + over };
}

interface Seed {
  first: string[][];
  columns: string[];
}

export function VqlCell(props: {
  id: string;
  source: string;
  target: Target;
  onChange: (v: string) => void;
}) {
  const api = useApi();
  const [resultId, setResultId] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [total, setTotal] = useState(0);
  const [seed, setSeed] = useState<Seed | null>(null);
  const [logs, setLogs] = useState<Logs>(NO_LOGS);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [stats, setStats] = useState<string | null>(null);
  const cancel = useRef<(() => void) | null>(null);
  const progress = useRef<{ timer: ReturnType<typeof setTimeout> | undefined; run: number }>({
    timer: undefined,
    run: 0,
  });
  useEffect(() => {
    const p = progress.current;
    return () => clearTimeout(p.timer);
  }, []);
  const source = useRef(props.source);
  useEffect(() => {
    source.current = props.source;
  }, [props.source]);

  const run = useCallback(() => {
    cancel.current?.();
    setError(null);
    setLogs(NO_LOGS);
    setStats(null);
    setTotal(0);
    setSeed(null);
    setRunning(true);
    clearTimeout(progress.current.timer);
    progress.current.timer = undefined;
    const runNo = ++progress.current.run;
    let shownTotal = -1;
    // Progress waiting to be shown (see PROGRESS_MS); flushed by the timer, the first rows and the end.
    const pending = { total: -1, logs: [] as LogLine[] };
    const flush = () => {
      // A cancelled earlier run's late end must not show its counts over this one's.
      if (progress.current.run !== runNo) return;
      clearTimeout(progress.current.timer);
      progress.current.timer = undefined;
      if (pending.logs.length) {
        const more = pending.logs;
        pending.logs = [];
        setLogs((l) => appendLogs(l, more));
      }
      if (pending.total !== shownTotal) {
        shownTotal = pending.total;
        setTotal(pending.total);
        setVersion((v) => v + 1);
      }
    };
    const later = () => {
      if (progress.current.timer === undefined) progress.current.timer = setTimeout(flush, PROGRESS_MS);
    };
    cancel.current = api.stream(
      'vql:run',
      { target: props.target, vql: source.current },
      {
        data: (ev) => {
          if (ev.type === 'started') {
            shownTotal = -1;
            pending.total = -1;
            setResultId(ev.resultId);
            setVersion(0);
          } else if (ev.type === 'rows') {
            // Progress: log lines only re-render the log list; the grid only hears of new rows.
            if (ev.logs?.length) pending.logs.push(...ev.logs);
            pending.total = ev.total;
            if (ev.first) {
              setSeed({ first: ev.first, columns: ev.columns });
              flush();
            } else later();
          } else {
            flush();
            setStats(`${ev.total.toLocaleString()} rows in ${(ev.elapsedMs / 1000).toFixed(2)} s`);
          }
        },
        end: () => {
          flush();
          setRunning(false);
        },
        error: (e) => {
          flush();
          setRunning(false);
          if (e.code !== 'CANCELLED') setError(describeError(e));
          else setStats((s) => s ?? 'Cancelled.');
        },
      },
    );
  }, [api, props.target]);

  const editor = useMemo(
    () => (
      <LazyVqlEditor
        value={props.source}
        onChange={props.onChange}
        onRun={run}
        testId={`editor-${props.id}`}
      />
    ),
    [props.source, props.onChange, props.id, run],
  );
  const hasLogs = logs.lines.length > 0;

  return (
    <Stack gap="xs" data-testid={`cell-${props.id}`}>
      {editor}
      <Group gap="xs">
        {running ? (
          <Button
            size="xs"
            color="red"
            variant="light"
            leftSection={<IconPlayerStop size={14} />}
            onClick={() => cancel.current?.()}
            data-testid="cell-cancel"
          >
            Cancel
          </Button>
        ) : (
          <Button size="xs" leftSection={<IconPlayerPlay size={14} />} onClick={run} data-testid="cell-run">
            Run (Ctrl+Enter)
          </Button>
        )}
        {running ? <Badge variant="light">running · {total.toLocaleString()} rows</Badge> : null}
        {stats ? (
          <Text size="xs" c="dimmed" data-testid="cell-stats">
            {stats}
          </Text>
        ) : null}
      </Group>
      {resultId || hasLogs || error ? (
        <Grid>
          <Grid.Col span={{ base: 12, md: hasLogs || error ? 8 : 12 }}>
            {resultId ? (
              <ResultGrid
                resultId={resultId}
                version={version}
                total={total}
                first={seed?.first}
                columns={seed?.columns}
              />
            ) : null}
          </Grid.Col>
          {hasLogs || error ? (
            <Grid.Col span={{ base: 12, md: 4 }}>
              {error ? (
                <Alert color="red" title="The query failed" data-testid="cell-error" mb="xs">
                  {error}
                </Alert>
              ) : null}
              <LogList logs={logs} />
            </Grid.Col>
          ) : null}
        </Grid>
      ) : null}
    </Stack>
  );
}

/** The newest lines only (a run can log thousands); lines that report a problem in red. */
const LogList = memo(function LogList({ logs }: { logs: Logs }) {
  const hidden = logs.dropped + Math.max(0, logs.lines.length - SHOW_LINES);
  const shown = hidden > logs.dropped ? logs.lines.slice(-SHOW_LINES) : logs.lines;
  return (
    <ScrollArea h={300} data-testid="cell-logs">
      {hidden > 0 ? (
        <Text size="xs" c="dimmed" fs="italic" data-testid="cell-logs-hidden">
          {hidden.toLocaleString()} earlier lines not shown; the newest {shown.length.toLocaleString()}{' '}
          follow.
        </Text>
      ) : null}
      {shown.map((l, i) => (
        <LogRow key={logs.dropped + logs.lines.length - shown.length + i} line={l} />
      ))}
    </ScrollArea>
  );
});

const LogRow = memo(function LogRow({ line }: { line: LogLine }) {
  return (
    <Text size="xs" c={line.problem ? 'red' : 'dimmed'} ff="monospace">
      <TimeText ms={line.timeMs} /> {line.level} {line.message}
    </Text>
  );
});
