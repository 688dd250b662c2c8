/** A VQL cell: editor, run/cancel, streaming results grid, log lines and the error beside it. */
import { Alert, Badge, Button, Grid, Group, ScrollArea, Stack, Text } from '@mantine/core';
import { IconPlayerPlay, IconPlayerStop } from '@tabler/icons-react';
import { useEffect, useRef, useState } from 'react';
import type { Target } from '../../../../shared/contracts/connections';
import { useApi } from '../../api/index';
import { ResultGrid } from '../../components/grid/ResultGrid';
import { errorText } from '../../components/investigation/errors';
import { TimeText } from '../../components/investigation/Time';
import { LazyVqlEditor } from '../../vql/LazyVqlEditor';

interface LogLine {
  timeMs: number;
  level: string;
  message: string;
  problem?: string | undefined;
}

export function VqlCell(props: { id: string; source: string; target: Target; onChange: (v: string) => void }) {
  const api = useApi();
  const [resultId, setResultId] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [total, setTotal] = useState(0);
  const [logs, setLogs] = useState<LogLine[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [stats, setStats] = useState<string | null>(null);
  const cancel = useRef<(() => void) | null>(null);
  const source = useRef(props.source);
  useEffect(() => {
    source.current = props.source;
  }, [props.source]);

  const run = () => {
    cancel.current?.();
    setError(null);
    setLogs([]);
    setStats(null);
    setTotal(0);
    setRunning(true);
    cancel.current = api.stream('vql:run', { target: props.target, vql: source.current }, {
      data: (ev) => {
        if (ev.type === 'started') {
          setResultId(ev.resultId);
          setVersion(0);
        } else if (ev.type === 'rows') {
          setTotal(ev.total);
          setVersion((v) => v + 1);
        } else if (ev.type === 'log') setLogs((l) => [...l.slice(-499), ev]);
        else setStats(`${ev.total.toLocaleString()} rows in ${(ev.elapsedMs / 1000).toFixed(2)} s`);
      },
      end: () => setRunning(false),
      error: (e) => {
        setRunning(false);
        if (e.code !== 'CANCELLED') setError(errorText(e));
        else setStats((s) => s ?? 'Cancelled.');
      },
    });
  };

  return (
    <Stack gap="xs" data-testid={`cell-${props.id}`}>
      <LazyVqlEditor value={props.source} onChange={props.onChange} onRun={run} testId={`editor-${props.id}`} />
      <Group gap="xs">
        {running ? (
          <Button size="xs" color="red" variant="light" leftSection={<IconPlayerStop size={14} />} onClick={() => cancel.current?.()} data-testid="cell-cancel">
            Cancel
          </Button>
        ) : (
          <Button size="xs" leftSection={<IconPlayerPlay size={14} />} onClick={run} data-testid="cell-run">
            Run (Ctrl+Enter)
          </Button>
        )}
        {running ? <Badge variant="light">running · {total.toLocaleString()} rows</Badge> : null}
        {stats ? <Text size="xs" c="dimmed" data-testid="cell-stats">{stats}</Text> : null}
      </Group>
      {resultId || logs.length || error ? (
        <Grid>
          <Grid.Col span={{ base: 12, md: logs.length || error ? 8 : 12 }}>{resultId ? <ResultGrid resultId={resultId} version={version} /> : null}</Grid.Col>
          {logs.length || error ? (
            <Grid.Col span={{ base: 12, md: 4 }}>
              {error ? (
                <Alert color="red" title="The query failed" data-testid="cell-error" mb="xs">
                  {error}
                </Alert>
              ) : null}
              <ScrollArea h={300} data-testid="cell-logs">
                {logs.map((l, i) => (
                  <Text key={i} size="xs" c={l.problem ? 'red' : 'dimmed'} ff="monospace">
                    <TimeText ms={l.timeMs} /> {l.level} {l.message}
                  </Text>
                ))}
              </ScrollArea>
            </Grid.Col>
          ) : null}
        </Grid>
      ) : null}
    </Stack>
  );
}
