/** One client: overview, labels, recent flows, VFS, collect. */
import {
  ActionIcon,
  Badge,
  Button,
  Card,
  Group,
  SimpleGrid,
  Stack,
  Table,
  TagsInput,
  Tabs,
  Text,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconArrowLeft, IconPlayerPlay, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import type { VfsAccessor } from '../../../../shared/contracts/clients';
import type { Target } from '../../../../shared/contracts/connections';
import { useApi } from '../../api/index';
import { useCall } from '../../api/use-call';
import { go } from '../../app/router';
import { CollectModal } from '../../components/collect/CollectModal';
import { ago } from '../../components/investigation/time';
import { TimeText } from '../../components/investigation/Time';
import { ClientActions, DeleteFlowModal } from './ClientActions';
import { FlowView } from './FlowView';
import { VfsBrowser } from './VfsBrowser';
import { describeError } from '../../../../shared/errors';

export function ClientDetail(props: {
  target: Target;
  clientId: string;
  flowId: string | undefined;
  tab: string | undefined;
  vfsPath: string | undefined;
  vfsAccessor: VfsAccessor;
}) {
  const api = useApi();
  const { target, clientId } = props;
  const clientCall = useCall('clients:get', { target, clientId });
  const flowsCall = useCall('clients:flows', { target, clientId, limit: 50 });
  const client = clientCall.value ?? null;
  const flows = flowsCall.value ?? [];
  const error = clientCall.error ?? flowsCall.error;
  const [collecting, setCollecting] = useState(false);
  const [deleting, setDeleting] = useState<{ flowId: string; artifacts: string[] } | null>(null);
  const openFlow = (flowId: string) => {
    flowsCall.reload();
    go('/clients', { client: clientId, tab: 'flows', flow: flowId });
  };
  const setClient = clientCall.set;

  const setLabels = (next: string[]) => {
    if (!client) return;
    const add = next.filter((l) => !client.labels.includes(l));
    const remove = client.labels.filter((l) => !next.includes(l));
    api.call('clients:setLabels', { target, clientId, add, remove }).then(
      (r) => setClient({ ...client, labels: r.labels }),
      (e: unknown) =>
        notifications.show({ color: 'red', title: 'Labels not changed', message: describeError(e) }),
    );
  };

  const tab = props.flowId ? 'flows' : (props.tab ?? 'overview');
  return (
    <Stack data-testid="client-detail">
      <Group justify="space-between">
        <Group>
          <Button variant="subtle" leftSection={<IconArrowLeft size={14} />} onClick={() => go('/clients')}>
            Clients
          </Button>
          <Title order={3} data-testid="client-hostname">
            {client?.hostname ?? clientId}
          </Title>
          {client ? (
            <Badge color={client.online ? 'green' : 'gray'}>
              {client.online ? 'online' : `offline, seen ${ago(client.lastSeenMs)}`}
            </Badge>
          ) : null}
          {client?.labels.includes('Quarantine') ? (
            <Badge color="orange" data-testid="quarantined-badge">
              quarantined
            </Badge>
          ) : null}
        </Group>
        <Group gap="xs">
          {client ? (
            <ClientActions
              target={target}
              client={client}
              onFlow={openFlow}
              onChanged={() => clientCall.reload()}
              onDeleted={() => go('/clients')}
            />
          ) : null}
          <Button
            leftSection={<IconPlayerPlay size={14} />}
            onClick={() => setCollecting(true)}
            data-testid="collect-button"
          >
            Collect…
          </Button>
        </Group>
      </Group>
      {error ? <Text c="red">{error}</Text> : null}
      <Tabs
        value={tab}
        onChange={(v) => go('/clients', { client: clientId, tab: v && v !== 'overview' ? v : undefined })}
      >
        <Tabs.List>
          <Tabs.Tab value="overview">Overview</Tabs.Tab>
          <Tabs.Tab value="flows">Collections ({flows.length})</Tabs.Tab>
          <Tabs.Tab value="vfs">Files (VFS)</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview" pt="sm">
          {client ? (
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <Card withBorder>
                <Table>
                  <Table.Tbody>
                    {[
                      ['Client ID', client.clientId],
                      ['FQDN', client.fqdn],
                      ['OS', `${client.os} ${client.release}`],
                      ['Agent', client.agentVersion],
                      ['Last IP', client.lastIp],
                    ].map(([k, v]) => (
                      <Table.Tr key={k}>
                        <Table.Th>{k}</Table.Th>
                        <Table.Td>{v}</Table.Td>
                      </Table.Tr>
                    ))}
                    <Table.Tr>
                      <Table.Th>Last seen</Table.Th>
                      <Table.Td>
                        <TimeText ms={client.lastSeenMs} />
                      </Table.Td>
                    </Table.Tr>
                    <Table.Tr>
                      <Table.Th>First seen</Table.Th>
                      <Table.Td>
                        <TimeText ms={client.firstSeenMs} />
                      </Table.Td>
                    </Table.Tr>
                  </Table.Tbody>
                </Table>
              </Card>
              <Card withBorder>
                <div data-testid="labels-input">
                  <TagsInput
                    label="Labels"
                    description="Type a label and press Enter; remove with ×. Saved on the server at once."
                    value={client.labels}
                    onChange={setLabels}
                  />
                </div>
              </Card>
            </SimpleGrid>
          ) : null}
        </Tabs.Panel>
        <Tabs.Panel value="flows" pt="sm">
          {props.flowId ? (
            <>
              <Button
                variant="subtle"
                size="xs"
                mb="xs"
                onClick={() => go('/clients', { client: clientId, tab: 'flows' })}
              >
                All collections
              </Button>
              <FlowView
                target={target}
                clientId={clientId}
                hostname={client?.hostname ?? ''}
                flowId={props.flowId}
              />
            </>
          ) : flows.length === 0 ? (
            <Text c="dimmed">Nothing was collected from this client yet. Press “Collect…” to start.</Text>
          ) : (
            <Table highlightOnHover data-testid="flow-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Flow</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Artifacts</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Rows</Table.Th>
                  <Table.Th>By</Table.Th>
                  <Table.Th w={40} aria-label="Actions" />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {flows.map((f) => (
                  <Table.Tr
                    key={f.flowId}
                    tabIndex={0}
                    style={{ cursor: 'pointer' }}
                    onClick={() => go('/clients', { client: clientId, tab: 'flows', flow: f.flowId })}
                    onKeyDown={(e) =>
                      e.key === 'Enter' && go('/clients', { client: clientId, tab: 'flows', flow: f.flowId })
                    }
                  >
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
                    <Table.Td>{f.artifacts.join(', ')}</Table.Td>
                    <Table.Td>
                      <TimeText ms={f.createdMs} />
                    </Table.Td>
                    <Table.Td>{f.rows}</Table.Td>
                    <Table.Td>{f.creator}</Table.Td>
                    <Table.Td onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()}>
                      <ActionIcon
                        variant="subtle"
                        color="red"
                        aria-label={`Delete collection ${f.flowId}`}
                        onClick={() => setDeleting({ flowId: f.flowId, artifacts: f.artifacts })}
                        data-testid={`delete-flow-${f.flowId}`}
                      >
                        <IconTrash size={14} />
                      </ActionIcon>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="vfs" pt="sm">
          {client ? (
            <VfsBrowser
              target={target}
              clientId={clientId}
              hostname={client.hostname}
              os={client.os}
              path={props.vfsPath}
              accessor={props.vfsAccessor}
              onNavigate={(path, accessor) =>
                go('/clients', {
                  client: clientId,
                  tab: 'vfs',
                  path,
                  accessor: accessor === 'auto' ? undefined : accessor,
                })
              }
            />
          ) : null}
        </Tabs.Panel>
      </Tabs>
      {deleting ? (
        <DeleteFlowModal
          target={target}
          clientId={clientId}
          hostname={client?.hostname ?? ''}
          flowId={deleting.flowId}
          artifacts={deleting.artifacts}
          onClose={() => setDeleting(null)}
          onDone={() => {
            setDeleting(null);
            flowsCall.reload();
          }}
        />
      ) : null}
      <CollectModal
        target={target}
        clientIds={[clientId]}
        opened={collecting}
        onClose={() => setCollecting(false)}
        names={client ? new Map([[clientId, client.hostname]]) : undefined}
        onLaunched={(r) => {
          setCollecting(false);
          flowsCall.reload();
          if (r.flows[0]) go('/clients', { client: clientId, tab: 'flows', flow: r.flows[0].flowId });
        }}
      />
    </Stack>
  );
}
