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

interface Removed {
  removed: number;
  failed: string[];
}

/**
 * A delete (a client, a collection): busy while it runs, then what it removed (or could not) in a
 * notification and `onDone`; on failure busy again off and the reason shown.
 */
function runDelete(
  go: () => Promise<Removed>,
  o: {
    title: string;
    partly: (r: Removed) => string;
    failTitle: string;
    setBusy: (busy: boolean) => void;
    onDone: () => void;
  },
): void {
  o.setBusy(true);
  go().then(
    (r) => {
      notifications.show({
        color: r.failed.length ? 'orange' : 'green',
        title: o.title,
        message: r.failed.length ? o.partly(r) : `${r.removed} stored items removed.`,
      });
      o.onDone();
    },
    (e: unknown) => {
      o.setBusy(false);
      fail(o.failTitle)(e);
    },
  );
}

/** Cancel and the red button that does it, at the foot of each of these dialogs. */
function ConfirmFooter(props: {
  onCancel: () => void;
  onConfirm: () => void;
  busy: boolean;
  disabled?: boolean;
  testId: string;
  children: string;
}) {
  return (
    <Group justify="flex-end">
      <Button variant="default" onClick={props.onCancel}>
        Cancel
      </Button>
      <Button
        color="red"
        loading={props.busy}
        disabled={props.disabled}
        onClick={props.onConfirm}
        data-testid={props.testId}
      >
        {props.children}
      </Button>
    </Group>
  );
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
        <ConfirmFooter
          onCancel={props.onClose}
          busy={busy}
          disabled={!plan.value || plan.loading}
          onConfirm={run}
          testId="quarantine-confirm"
        >
          {props.remove ? 'Release' : 'Quarantine'}
        </ConfirmFooter>
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
  const run = () =>
    runDelete(() => api.call('clients:delete', { target: props.target, clientId: props.client.clientId }), {
      title: `${name} deleted`,
      partly: (r) => `${r.removed} items removed; not removed: ${r.failed.join('; ')}`,
      failTitle: 'Client not deleted',
      setBusy,
      onDone: props.onDone,
    });
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
        <ConfirmFooter
          onCancel={props.onClose}
          busy={busy}
          disabled={typed !== name}
          onConfirm={run}
          testId="delete-client-confirm"
        >
          Delete client
        </ConfirmFooter>
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
  const run = () =>
    runDelete(
      () =>
        api.call('clients:deleteFlow', {
          target: props.target,
          clientId: props.clientId,
          flowId: props.flowId,
        }),
      {
        title: `Collection ${props.flowId} deleted`,
        partly: (r) => `Not removed: ${r.failed.join('; ')}`,
        failTitle: 'Collection not deleted',
        setBusy,
        onDone: props.onDone,
      },
    );
  return (
    <Modal opened onClose={props.onClose} title={`Delete collection ${props.flowId}`}>
      <Stack>
        <Text size="sm">
          Deletes the results, logs and uploads of <Code>{props.artifacts.join(', ')}</Code> collected from{' '}
          {props.hostname} ({props.clientId}). This cannot be undone.
        </Text>
        <ConfirmFooter onCancel={props.onClose} busy={busy} onConfirm={run} testId="delete-flow-confirm">
          Delete collection
        </ConfirmFooter>
      </Stack>
    </Modal>
  );
}

interface HeaderAction {
  testId: string;
  label: string;
  icon: typeof IconRefresh;
  variant: 'default' | 'subtle';
  color?: string;
  loading?: boolean;
  onClick: () => void;
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
  // One shape for the header's buttons: Interrogate, Quarantine or Release (by the label), Delete.
  const actions: HeaderAction[] = [
    {
      testId: 'interrogate-button',
      label: 'Interrogate',
      icon: IconRefresh,
      variant: 'default',
      loading: interrogating,
      onClick: interrogate,
    },
    quarantined
      ? {
          testId: 'release-button',
          label: 'Release…',
          icon: IconLockOpen,
          variant: 'default',
          color: 'orange',
          onClick: () => setOpen('release'),
        }
      : {
          testId: 'quarantine-button',
          label: 'Quarantine…',
          icon: IconLock,
          variant: 'default',
          color: 'orange',
          onClick: () => setOpen('quarantine'),
        },
    {
      testId: 'delete-client-button',
      label: 'Delete…',
      icon: IconTrash,
      variant: 'subtle',
      color: 'red',
      onClick: () => setOpen('delete'),
    },
  ];
  return (
    <>
      {actions.map((a) => (
        <Button
          key={a.testId}
          variant={a.variant}
          color={a.color}
          leftSection={<a.icon size={14} />}
          loading={a.loading}
          onClick={a.onClick}
          data-testid={a.testId}
        >
          {a.label}
        </Button>
      ))}
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
