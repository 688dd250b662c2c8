/**
 * A VQL cell: editor, run/cancel, streaming results grid, log lines and the error beside it; and the
 * last run as the notebook recorded it — when, where, as whom — with its saved rows, shown when the
 * notebook opens (no server needed). A large result keeps its first rows; Re-run brings all.
 */
import { Alert, Badge, Button, Grid, Group, ScrollArea, Stack, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlayerPlay, IconPlayerStop, IconRefresh } from '@tabler/icons-react';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Target } from '../../../../shared/contracts/connections';
import type { CellRun } from '../../../../shared/contracts/notebooks';
import type { LogLine } from '../../../../shared/contracts/vql';
import { useApi } from '../../api/index';
import { countOf } from '../../app/words';
import { useCall } from '../../api/use-call';
import { serverLabel } from '../../components/investigation/target-store';
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
  notebookId: string;
  source: string;
  /** The last run the notebook recorded (its rows are saved with the notebook). */
  run: CellRun | undefined;
  /** Null when no server is connected: the saved results show, running waits for a server. */
  target: Target | null;
  onChange: (v: string) => void;
  /** Called before a run (the notebook saves pending edits, so the core can record the run with it). */
  prepare: () => Promise<void>;
  onRecorded: (cellId: string, run: CellRun) => void;
}) {
  const api = useApi();
  const [liveId, setResultId] = useState<string | null>(null);
  // The saved rows of the last run, until this cell runs again in this view.
  const saved = useCall(
    'notebooks:results',
    props.run && !liveId ? { id: props.notebookId, cellId: props.id } : null,
  );
  const resultId = liveId ?? saved.value?.resultId ?? null;
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

  const { target, prepare, onRecorded, notebookId, id } = props;
  const run = useCallback(async () => {
    if (!target) {
      notifications.show({
        message: 'Connect a server to run this cell; its saved results stay as they are.',
      });
      return;
    }
    cancel.current?.();
    await prepare();
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
      { target, vql: source.current, notebook: { id: notebookId, cellId: id } },
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
            setStats(`${countOf(ev.total, 'row')} in ${(ev.elapsedMs / 1000).toFixed(2)} s`);
            if (ev.run) onRecorded(id, ev.run);
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
  }, [api, target, prepare, onRecorded, notebookId, id]);
  const runNow = useCallback(() => void run(), [run]);

  // The error to mark in the query: this run's, or the recorded run's while the query is the one that ran.
  const savedError = props.run?.error && props.run.vql === props.source ? props.run.error : null;
  const markedError = running ? null : (error ?? (liveId ? null : savedError));
  const editor = useMemo(
    () => (
      <LazyVqlEditor
        value={props.source}
        onChange={props.onChange}
        onRun={runNow}
        error={markedError}
        testId={`editor-${props.id}`}
      />
    ),
    [props.source, props.onChange, props.id, runNow, markedError],
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
          <Tooltip label="Connect a server to run this cell" disabled={target !== null}>
            <Button
              size="xs"
              leftSection={<IconPlayerPlay size={14} />}
              onClick={runNow}
              disabled={!target}
              data-testid="cell-run"
            >
              Run (Ctrl+Enter)
            </Button>
          </Tooltip>
        )}
        {running ? <Badge variant="light">running · {countOf(total, 'row')}</Badge> : null}
        {stats ? (
          <Text size="xs" c="dimmed" data-testid="cell-stats">
            {stats}
          </Text>
        ) : null}
      </Group>
      {props.run && !running ? (
        <RunRecord run={props.run} canRerun={target !== null} onRerun={runNow} />
      ) : null}
      {saved.error && !liveId ? (
        <Text size="xs" c="red">
          The saved results could not be read: {saved.error}
        </Text>
      ) : null}
      {resultId || hasLogs || error ? (
        <Grid>
          <Grid.Col span={{ base: 12, md: hasLogs || error ? 8 : 12 }}>
            {resultId ? (
              <ResultGrid
                resultId={resultId}
                version={liveId ? version : 0}
                total={liveId ? total : saved.value?.saved}
                first={liveId ? seed?.first : undefined}
                columns={liveId ? seed?.columns : undefined}
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

/** What the notebook recorded about the last run, and how much of it is saved. */
function RunRecord(props: { run: CellRun; canRerun: boolean; onRerun: () => void }) {
  const r = props.run;
  const partial = r.saved < r.total;
  return (
    <Stack gap={2} data-testid="cell-run-record">
      <Text size="xs" c="dimmed">
        Ran <TimeText ms={Date.parse(r.ranAt)} /> on {serverLabel(r.server)} ({r.endpoint}
        {r.org ? `, org ${r.org}` : ''}) as {r.identity} · {r.total.toLocaleString()} row
        {r.total === 1 ? '' : 's'} in {(r.elapsedMs / 1000).toFixed(2)} s
      </Text>
      {r.error ? (
        <Text size="xs" c="red">
          The query failed: {r.error}
        </Text>
      ) : null}
      {partial ? (
        <Group gap="xs">
          <Text size="xs" c="orange" data-testid="cell-saved-note">
            The notebook keeps the first {r.saved.toLocaleString()} of {r.total.toLocaleString()} rows.
          </Text>
          {props.canRerun ? (
            <Button
              size="compact-xs"
              variant="subtle"
              leftSection={<IconRefresh size={12} />}
              onClick={props.onRerun}
            >
              Re-run for all rows
            </Button>
          ) : null}
        </Group>
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
