/**
 * The responder's decision on an assistant's action: which assistant, which tool, the exact
 * arguments and the plan (operations, their parameters and any VQL with its env values), the time
 * left before it is refused, and Approve / Deny. One request at a time, oldest first.
 */
import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  Modal,
  Progress,
  ScrollArea,
  Stack,
  Table,
  Text,
  Textarea,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState } from 'react';
import type { ApprovalRequest } from '../../../../shared/contracts/mcp';
import { useApi } from '../../api/index';
import { useApprovals, useSecondsLeft } from './hooks';
import { describeError } from '../../../../shared/errors';

function json(v: unknown): string {
  return JSON.stringify(v, null, 2);
}

function RequestView({ request }: { request: ApprovalRequest }) {
  const left = useSecondsLeft(request.expiresAt);
  const total = Math.max(1, (Date.parse(request.expiresAt) - Date.parse(request.createdAt)) / 1000);
  return (
    <Stack gap="sm">
      <Alert color="orange" icon={<IconAlertTriangle size={18} />} title={request.plan.summary}>
        An assistant wants to run an action that changes an endpoint or a server. Nothing runs unless you
        approve it.
      </Alert>
      <Table withRowBorders={false} verticalSpacing={4}>
        <Table.Tbody>
          <Table.Tr>
            <Table.Th w={110}>Assistant</Table.Th>
            <Table.Td data-testid="approval-client">{request.client}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Tool</Table.Th>
            <Table.Td>
              <Code data-testid="approval-tool">{request.tool}</Code>
            </Table.Td>
          </Table.Tr>
          {request.plan.hosts && Object.keys(request.plan.hosts).length ? (
            <Table.Tr>
              <Table.Th>Client{Object.keys(request.plan.hosts).length === 1 ? '' : 's'}</Table.Th>
              <Table.Td data-testid="approval-hosts">
                {Object.entries(request.plan.hosts).map(([id, host]) => (
                  <div key={id}>
                    <Text span fw={700}>
                      {host}
                    </Text>{' '}
                    <Code>{id}</Code>
                  </div>
                ))}
              </Table.Td>
            </Table.Tr>
          ) : null}
          {request.plan.server ? (
            <Table.Tr>
              <Table.Th>Server</Table.Th>
              <Table.Td>
                {request.plan.server}
                {request.plan.org ? ` · org ${request.plan.org}` : ''}
              </Table.Td>
            </Table.Tr>
          ) : null}
        </Table.Tbody>
      </Table>
      <Group justify="space-between" gap="xs">
        <Text size="sm" data-testid="approval-time-left">
          Refused automatically in {left} s
        </Text>
      </Group>
      <Progress
        value={(left / total) * 100}
        color={left < 15 ? 'red' : 'orange'}
        size="sm"
        aria-label="Time left to decide"
      />
      <ScrollArea.Autosize mah={200} type="auto" offsetScrollbars>
        <Stack gap="sm">
          <Text size="sm" fw={600}>
            Arguments
          </Text>
          <Code block data-testid="approval-arguments">
            {json(request.arguments)}
          </Code>
          <Text size="sm" fw={600}>
            What will run
          </Text>
          {request.plan.operations.map((op, i) => (
            <Stack key={i} gap={4} data-testid="approval-operation">
              <Group gap="xs">
                <Badge variant="light">{op.operation}</Badge>
              </Group>
              <Code block>{json(op.details)}</Code>
              {op.vql ? (
                <>
                  <Text size="xs" c="dimmed">
                    VQL
                  </Text>
                  <Code block data-testid="approval-vql">
                    {op.vql}
                  </Code>
                </>
              ) : null}
              {op.env && Object.keys(op.env).length ? (
                <>
                  <Text size="xs" c="dimmed">
                    Values (sent as VQL env, never in the query text)
                  </Text>
                  <Code block>{json(op.env)}</Code>
                </>
              ) : null}
            </Stack>
          ))}
        </Stack>
      </ScrollArea.Autosize>
    </Stack>
  );
}

/** Shows the oldest pending approval; mount it where the responder should be asked. */
export function ApprovalDialog() {
  const api = useApi();
  const { pending } = useApprovals();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const request = pending[0];

  const decide = (decision: 'approved' | 'denied') => {
    if (!request) return;
    setBusy(true);
    api
      .call('mcp:decide', { id: request.id, decision, ...(reason.trim() ? { reason: reason.trim() } : {}) })
      .then((r) => {
        if (!r.found)
          notifications.show({
            color: 'yellow',
            title: 'Too late',
            message: 'This request was already answered or timed out.',
          });
        setReason('');
      })
      .catch((e: unknown) =>
        notifications.show({
          color: 'red',
          title: 'The answer was not delivered',
          message: describeError(e),
        }),
      )
      .finally(() => setBusy(false));
  };

  return (
    <Modal
      opened={request !== undefined}
      onClose={() => undefined}
      withCloseButton={false}
      closeOnClickOutside={false}
      closeOnEscape={false}
      size="lg"
      title={`Approve an assistant action${pending.length > 1 ? ` (1 of ${pending.length})` : ''}`}
      data-testid="approval-dialog"
    >
      {request ? (
        <Stack>
          <RequestView key={request.id} request={request} />
          <Textarea
            label="Reason (optional, sent to the assistant when you deny)"
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            maxLength={500}
            autosize
            minRows={1}
          />
          <Group justify="flex-end">
            <Button variant="default" color="red" onClick={() => decide('denied')} loading={busy}>
              Deny
            </Button>
            <Button color="orange" onClick={() => decide('approved')} loading={busy}>
              Approve
            </Button>
          </Group>
        </Stack>
      ) : null}
    </Modal>
  );
}
