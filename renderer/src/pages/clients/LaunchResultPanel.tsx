/**
 * What a multi-client launch did: one row per started flow (live state, link to the flow page) and
 * one per client that refused, with the server's reason. States are polled in one call while any
 * flow is still waiting or running.
 */
import { Alert, Anchor, Badge, Button, Group, Table, Text } from '@mantine/core';
import type { Target } from '../../../../shared/contracts/connections';
import { usePoll } from '../../api/use-call';
import { go } from '../../app/router';
import type { LaunchResult } from '../../components/collect/CollectModal';

const FINAL = new Set(['FINISHED', 'ERROR', 'CANCELLED', 'UNRESPONSIVE', 'UNKNOWN']);
const POLL_MS = 2500;
/** Offline clients stay WAITING until they check in; stop asking after this long. */
const POLL_FOR_MS = 10 * 60_000;

interface FlowState {
  state: string;
  status: string;
  rows: number;
  error?: string;
}

export function LaunchResultPanel(props: {
  target: Target;
  result: LaunchResult;
  names: ReadonlyMap<string, string>;
  artifacts: string[];
  onDismiss: () => void;
}) {
  const { flows, failures } = props.result;
  const polled = usePoll('collections:flowStates', flows.length ? { target: props.target, flows } : null, {
    everyMs: POLL_MS,
    until: (list) => list.every((s) => FINAL.has(s.state)),
    forMs: POLL_FOR_MS,
  });
  const states: Record<string, FlowState> = Object.fromEntries(
    (polled.value ?? []).map((s) => [s.flowId, s]),
  );
  const pollError = polled.error;

  const finished = flows.filter((f) => states[f.flowId]?.state === 'FINISHED').length;
  const host = (id: string) => props.names.get(id) ?? '';
  return (
    <Alert
      color={failures.length ? 'yellow' : 'green'}
      data-testid="launch-result"
      title={`Collected ${props.artifacts.join(', ')} on ${flows.length} client(s)${failures.length ? `; ${failures.length} refused` : ''}`}
      withCloseButton
      onClose={props.onDismiss}
    >
      <Text size="sm" mb="xs" data-testid="launch-summary">
        {finished} of {flows.length} finished. Offline clients keep their collection queued until they next
        check in.
      </Text>
      {pollError ? (
        <Text size="sm" c="red">
          Could not refresh the states: {pollError}
        </Text>
      ) : null}
      <Table withRowBorders={false} verticalSpacing={2} data-testid="launch-flows">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Host</Table.Th>
            <Table.Th>Client</Table.Th>
            <Table.Th>Flow</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th>Rows</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {flows.map((f) => {
            const s = states[f.flowId];
            return (
              <Table.Tr key={f.flowId} data-testid={`launch-flow-${f.clientId}`}>
                <Table.Td>{host(f.clientId)}</Table.Td>
                <Table.Td>
                  <code>{f.clientId}</code>
                </Table.Td>
                <Table.Td>
                  <Anchor
                    component="button"
                    onClick={() => go('/clients', { client: f.clientId, tab: 'flows', flow: f.flowId })}
                    data-testid={`launch-flow-link-${f.clientId}`}
                  >
                    {f.flowId}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Badge
                    size="sm"
                    data-testid="launch-flow-state"
                    color={s?.state === 'FINISHED' ? 'green' : s && FINAL.has(s.state) ? 'red' : 'blue'}
                    title={s?.error ?? s?.status}
                  >
                    {s?.state ?? 'STARTED'}
                  </Badge>
                </Table.Td>
                <Table.Td>{s ? s.rows : ''}</Table.Td>
              </Table.Tr>
            );
          })}
          {failures.map((f) => (
            <Table.Tr key={`fail-${f.clientId}`} data-testid={`launch-failure-${f.clientId}`}>
              <Table.Td>{host(f.clientId)}</Table.Td>
              <Table.Td>
                <code>{f.clientId}</code>
              </Table.Td>
              <Table.Td colSpan={3}>
                <Text size="sm" c="red">
                  Not started: {f.message}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group justify="flex-end" mt="xs">
        <Button size="xs" variant="default" onClick={props.onDismiss}>
          Dismiss
        </Button>
      </Group>
    </Alert>
  );
}
