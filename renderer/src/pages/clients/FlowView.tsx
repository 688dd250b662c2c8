/** One flow: status, results per named source (grid), logs, uploads, zip export. */
import { Badge, Button, Code, Group, Progress, Stack, Table, Tabs, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import type { DownloadProgress } from '../../../../shared/contracts/clients';
import type { Target } from '../../../../shared/contracts/connections';
import { useApi } from '../../api/index';
import { countOf } from '../../app/words';
import { downloadName, handToBrowser } from '../../api/save-file';
import { useAppInfo } from '../../app/app-info-context';
import { callKey, useCall, useLoad } from '../../api/use-call';
import { ResultGrid } from '../../components/grid/ResultGrid';
import { TimeText } from '../../components/investigation/Time';
import { describeError } from '../../../../shared/errors';

const FINAL = new Set(['FINISHED', 'ERROR', 'UNRESPONSIVE']);

function SourceResults(props: {
  target: Target;
  clientId: string;
  hostname: string;
  flowId: string;
  source: string;
}) {
  const { value, error } = useCall('collections:results', {
    target: props.target,
    clientId: props.clientId,
    flowId: props.flowId,
    source: props.source,
  });
  if (error) return <Text c="red">{error}</Text>;
  return value ? (
    <ResultGrid
      resultId={value.resultId}
      version={0}
      testId={`results-${props.source}`}
      layoutKey={props.source}
      exportName={`${props.hostname || props.clientId}_${props.source}_${props.flowId}`}
    />
  ) : (
    <Text c="dimmed">Loading rows…</Text>
  );
}

export function FlowView(props: { target: Target; clientId: string; hostname: string; flowId: string }) {
  const api = useApi();
  const [exp, setExp] = useState<DownloadProgress | null>(null);
  const { target, clientId, flowId } = props;
  const ids = { target, clientId, flowId };
  // Status, logs and uploads together, every second until the flow is final.
  const polled = useLoad(
    callKey('collections:flow', ids),
    () =>
      Promise.all([
        api.call('collections:flow', ids),
        api.call('collections:logs', ids),
        api.call('collections:uploads', ids),
      ]),
    { poll: { everyMs: 1000, until: ([f]) => FINAL.has(f.state) } },
  );
  const [flow, logs, uploads] = polled.value ?? [null, [], []];
  const error = flow ? null : polled.error;

  const browserMode = useAppInfo()?.mode === 'browser';
  const exportZip = () => {
    setExp({ received: 0, total: 0, done: false });
    api.stream(
      'collections:export',
      { target, clientId, flowId },
      {
        data: (p) => {
          setExp(p);
          // In a browser the zip also arrives as a browser download (the copy stays in the data folder).
          if (browserMode && p.done && p.savedTo && flow)
            handToBrowser(
              api,
              p.savedTo,
              downloadName([props.hostname || clientId, flow.artifacts.join('+'), flowId], '.zip'),
            ).catch((e: unknown) =>
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
  if (!flow) return <Text c="dimmed">Loading flow…</Text>;
  const done = FINAL.has(flow.state);
  return (
    <Stack data-testid="flow-view">
      <Group>
        <Text fw={700}>
          Flow <code>{flow.flowId}</code>
        </Text>
        <Badge
          data-testid="flow-state"
          color={flow.state === 'FINISHED' ? 'green' : flow.state === 'ERROR' ? 'red' : 'blue'}
        >
          {flow.state}
        </Badge>
        <Text size="sm" c="dimmed">
          {flow.artifacts.join(', ')} · by {flow.creator} · <TimeText ms={flow.createdMs} /> ·{' '}
          {countOf(flow.rows, 'row')} · {countOf(flow.uploads, 'upload')}
        </Text>
        {!done ? (
          <Button
            size="xs"
            variant="default"
            color="red"
            onClick={() =>
              void api
                .call('collections:cancel', { target, clientId, flowId })
                .catch((e: unknown) => notifications.show({ color: 'red', message: describeError(e) }))
            }
          >
            Cancel
          </Button>
        ) : (
          <Button
            size="xs"
            variant="default"
            onClick={exportZip}
            loading={exp !== null && !exp.done}
            data-testid="export-zip"
          >
            Export zip
          </Button>
        )}
      </Group>
      {!done ? <Progress value={100} animated striped aria-label="Collection running" /> : null}
      {flow.status ? <Text c="red">{flow.status}</Text> : null}
      {polled.error ? (
        <Text c="orange" size="sm">
          Could not refresh this flow: {polled.error}
        </Text>
      ) : null}
      {exp?.done ? (
        <Text size="sm" data-testid="export-done">
          Saved to <Code>{exp.savedTo}</Code> ({exp.received.toLocaleString()} bytes, sha256{' '}
          <Code>{exp.sha256}</Code>)
        </Text>
      ) : null}
      <Tabs defaultValue="results" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="results">Results ({flow.withResults.length} sources)</Tabs.Tab>
          <Tabs.Tab value="logs">Logs ({logs.length})</Tabs.Tab>
          <Tabs.Tab value="uploads">Uploads ({uploads.length})</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="results" pt="sm">
          {flow.withResults.length === 0 ? (
            <Text c="dimmed">
              {done
                ? 'This collection produced no rows.'
                : 'Results appear here when the client has sent them.'}
            </Text>
          ) : (
            <Tabs defaultValue={flow.withResults[0]} keepMounted={false}>
              <Tabs.List>
                {flow.withResults.map((s) => (
                  <Tabs.Tab key={s} value={s}>
                    {s}
                  </Tabs.Tab>
                ))}
              </Tabs.List>
              {flow.withResults.map((s) => (
                <Tabs.Panel key={s} value={s} pt="xs">
                  <SourceResults
                    target={target}
                    clientId={clientId}
                    hostname={props.hostname}
                    flowId={flowId}
                    source={s}
                  />
                </Tabs.Panel>
              ))}
            </Tabs>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="logs" pt="sm">
          <Table data-testid="flow-logs">
            <Table.Tbody>
              {logs.map((l, i) => (
                <Table.Tr key={i}>
                  <Table.Td>
                    <TimeText ms={l.timeMs} />
                  </Table.Td>
                  <Table.Td>
                    <Badge
                      size="sm"
                      color={l.level === 'ERROR' ? 'red' : l.level === 'WARN' ? 'orange' : 'gray'}
                    >
                      {l.level}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{l.message}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Tabs.Panel>
        <Tabs.Panel value="uploads" pt="sm">
          {uploads.length === 0 ? <Text c="dimmed">No files were uploaded by this collection.</Text> : null}
          <Table>
            <Table.Tbody>
              {uploads.map((u) => (
                <Table.Tr key={u.vfsPath}>
                  <Table.Td>{u.clientPath}</Table.Td>
                  <Table.Td>{u.size.toLocaleString()} bytes</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
