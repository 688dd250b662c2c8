/**
 * What a responder does to one client from its page: interrogate it, quarantine or release it
 * (after seeing exactly what will run, as an assistant's approval shows it), delete one of its
 * collections or the client itself (confirmed by typing the host name).
 */
import { Alert, Button, Code, Group, Modal, Stack, Table, Text, TextInput, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconLock, IconLockOpen, IconRefresh, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import type { ClientSummary, QuarantinePlan } from '../../../../shared/contracts/clients';
import type { Target } from '../../../../shared/contracts/connections';
import { describeError } from '../../../../shared/errors';
import { useApi } from '../../api/index';
import { useCall } from '../../api/use-call';

const QUARANTINE_LABEL = 'Quarantine';

function fail(title: string) {
  return (e: unknown) => notifications.show({ color: 'red', title, message: describeError(e) });
}

/** The plan of a quarantine or release: artifact, parameters, label and the queries with their env. */
function PlanView({ plan }: { plan: QuarantinePlan }) {
  return (
    <Stack gap="xs" data-testid="quarantine-plan">
      <Table>
        <Table.Tbody>
          <Table.Tr>
            <Table.Th w={110}>Artifact</Table.Th>
            <Table.Td>
              <Code data-testid="quarantine-artifact">{plan.artifact}</Code> (for {plan.os})
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Parameters</Table.Th>
            <Table.Td>
              <Code data-testid="quarantine-parameters">{JSON.stringify(plan.parameters)}</Code>
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Label</Table.Th>
            <Table.Td data-testid="quarantine-label">
              {plan.label.op === 'set' ? 'adds' : 'removes'} <Code>{plan.label.label}</Code>
            </Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      {plan.queries.map((q, i) => (
        <Code block key={i} data-testid="quarantine-query">
          {q.vql}
          {Object.keys(q.env).length ? `\n-- env: ${JSON.stringify(q.env)}` : ''}
        </Code>
      ))}
    </Stack>
  );
}

function QuarantineModal(props: {
  target: Target;
  client: ClientSummary;
  remove: boolean;
  onClose: () => void;
  onDone: (flowId: string) => void;
}) {
  const api = useApi();
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const input = {
    target: props.target,
    clientId: props.client.clientId,
    remove: props.remove,
    ...(message && !props.remove ? { message } : {}),
  };
  const plan = useCall('clients:quarantinePlan', input, { keepPrevious: true });
  const run = () => {
    setBusy(true);
    api.call('clients:quarantine', input).then(
      (r) => props.onDone(r.flowId),
      (e: unknown) => {
        setBusy(false);
        fail(props.remove ? 'Not released' : 'Not quarantined')(e);
      },
    );
  };
  const who = `${props.client.hostname} (${props.client.clientId})`;
  return (
    <Modal
      opened
      onClose={props.onClose}
      size="lg"
      title={props.remove ? `Release ${who} from quarantine` : `Quarantine ${who}`}
    >
      <Stack>
        <Alert color="orange" icon={<IconAlertTriangle size={18} />}>
          {props.remove
            ? 'Lifts the network isolation: the machine talks to the network again.'
            : 'Cuts the machine off from the network: it can talk only to the Velociraptor server until released.'}
        </Alert>
        {props.remove ? null : (
          <Textarea
            label="Message to the logged-in users"
            description="Windows message box, Linux wall, macOS notification; at most 256 characters."
            maxLength={256}
            value={message}
            onChange={(e) => setMessage(e.currentTarget.value)}
            data-testid="quarantine-message"
          />
        )}
        {plan.error ? <Text c="red">{plan.error}</Text> : null}
        {plan.value ? <PlanView plan={plan.value} /> : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose}>
            Cancel
          </Button>
          <Button
            color="red"
            loading={busy}
            disabled={!plan.value || plan.loading}
            onClick={run}
            data-testid="quarantine-confirm"
          >
            {props.remove ? 'Release' : 'Quarantine'}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function DeleteClientModal(props: {
  target: Target;
  client: ClientSummary;
  onClose: () => void;
  onDone: () => void;
}) {
  const api = useApi();
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const name = props.client.hostname || props.client.clientId;
  const run = () => {
    setBusy(true);
    api.call('clients:delete', { target: props.target, clientId: props.client.clientId }).then(
      (r) => {
        notifications.show({
          color: r.failed.length ? 'orange' : 'green',
          title: `${name} deleted`,
          message: r.failed.length
            ? `${r.removed} items removed; not removed: ${r.failed.join('; ')}`
            : `${r.removed} stored items removed.`,
        });
        props.onDone();
      },
      (e: unknown) => {
        setBusy(false);
        fail('Client not deleted')(e);
      },
    );
  };
  return (
    <Modal opened onClose={props.onClose} title={`Delete ${name} (${props.client.clientId})`}>
      <Stack>
        <Alert color="red" icon={<IconAlertTriangle size={18} />}>
          Removes the client's record and every collection, result and upload stored for it on the server.
          This cannot be undone. A running agent enrols again as a new client.
        </Alert>
        <TextInput
          label={`Type ${name} to confirm`}
          value={typed}
          onChange={(e) => setTyped(e.currentTarget.value)}
          data-testid="delete-client-confirm-name"
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose}>
            Cancel
          </Button>
          <Button
            color="red"
            loading={busy}
            disabled={typed !== name}
            onClick={run}
            data-testid="delete-client-confirm"
          >
            Delete client
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** Confirms and deletes one collection of a client. */
export function DeleteFlowModal(props: {
  target: Target;
  clientId: string;
  hostname: string;
  flowId: string;
  artifacts: string[];
  onClose: () => void;
  onDone: () => void;
}) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const run = () => {
    setBusy(true);
    api
      .call('clients:deleteFlow', { target: props.target, clientId: props.clientId, flowId: props.flowId })
      .then(
        (r) => {
          notifications.show({
            color: r.failed.length ? 'orange' : 'green',
            title: `Collection ${props.flowId} deleted`,
            message: r.failed.length
              ? `Not removed: ${r.failed.join('; ')}`
              : `${r.removed} stored items removed.`,
          });
          props.onDone();
        },
        (e: unknown) => {
          setBusy(false);
          fail('Collection not deleted')(e);
        },
      );
  };
  return (
    <Modal opened onClose={props.onClose} title={`Delete collection ${props.flowId}`}>
      <Stack>
        <Text size="sm">
          Deletes the results, logs and uploads of <Code>{props.artifacts.join(', ')}</Code> collected from{' '}
          {props.hostname} ({props.clientId}). This cannot be undone.
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose}>
            Cancel
          </Button>
          <Button color="red" loading={busy} onClick={run} data-testid="delete-flow-confirm">
            Delete collection
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** Interrogate, Quarantine / Release and Delete for the client page's header. */
export function ClientActions(props: {
  target: Target;
  client: ClientSummary;
  /** A flow was launched (interrogate, quarantine): open it. */
  onFlow: (flowId: string) => void;
  onDeleted: () => void;
  onChanged: () => void;
}) {
  const api = useApi();
  const [open, setOpen] = useState<'quarantine' | 'release' | 'delete' | null>(null);
  const [interrogating, setInterrogating] = useState(false);
  const quarantined = props.client.labels.includes(QUARANTINE_LABEL);
  const interrogate = () => {
    setInterrogating(true);
    api
      .call('clients:interrogate', { target: props.target, clientId: props.client.clientId })
      .then((r) => props.onFlow(r.flowId), fail('Not interrogated'))
      .finally(() => setInterrogating(false));
  };
  return (
    <>
      <Button
        variant="default"
        leftSection={<IconRefresh size={14} />}
        loading={interrogating}
        onClick={interrogate}
        data-testid="interrogate-button"
      >
        Interrogate
      </Button>
      {quarantined ? (
        <Button
          variant="default"
          color="orange"
          leftSection={<IconLockOpen size={14} />}
          onClick={() => setOpen('release')}
          data-testid="release-button"
        >
          Release…
        </Button>
      ) : (
        <Button
          variant="default"
          color="orange"
          leftSection={<IconLock size={14} />}
          onClick={() => setOpen('quarantine')}
          data-testid="quarantine-button"
        >
          Quarantine…
        </Button>
      )}
      <Button
        variant="subtle"
        color="red"
        leftSection={<IconTrash size={14} />}
        onClick={() => setOpen('delete')}
        data-testid="delete-client-button"
      >
        Delete…
      </Button>
      {open === 'quarantine' || open === 'release' ? (
        <QuarantineModal
          target={props.target}
          client={props.client}
          remove={open === 'release'}
          onClose={() => setOpen(null)}
          onDone={(flowId) => {
            setOpen(null);
            props.onChanged();
            props.onFlow(flowId);
          }}
        />
      ) : null}
      {open === 'delete' ? (
        <DeleteClientModal
          target={props.target}
          client={props.client}
          onClose={() => setOpen(null)}
          onDone={() => {
            setOpen(null);
            props.onDeleted();
          }}
        />
      ) : null}
    </>
  );
}
