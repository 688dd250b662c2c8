/**
 * What a finished deployment gives the responder: its URLs, the administrator (the password stays in
 * the keychain and is revealed only after the same confirmation as on the Credentials page), the
 * connection the app added, the certificates, and the next step — agents.
 * Test ids: `deploy-result`, `result-url-<key>`, `result-admin-user`, `result-reveal`, `result-connection`,
 * `result-go-agents` (the Agents wizard for this server), `result-go-clients`.
 */
import { Alert, Badge, Button, CopyButton, Group, List, Stack, Table, Text, Title } from '@mantine/core';
import { IconDeviceDesktop, IconDevices, IconEye, IconPlugConnected } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { CredentialListItem } from '../../../../shared/contracts/credentials';
import type { DeploymentSummary } from '../../../../shared/contracts/deploy';
import { describeError } from '../../../../shared/errors';
import { useApi } from '../../api/index';
import { go } from '../../app/router';
import { refreshConnections, selectTarget } from '../../components/investigation/target-store';
import { SecretModal } from '../credentials/SecretModals';
import { adminPasswordRef, daysLeftLabel, EXPIRY_COLORS, urlsOf } from './deployment-view';

/** The administrator password's entry in the credential index (listed by the deploy core). */
function useAdminPassword(deploymentId: string): {
  item: CredentialListItem | undefined;
  error: string | undefined;
} {
  const api = useApi();
  const [item, setItem] = useState<CredentialListItem>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    api
      .call('credentials:list', { kind: 'password', pageSize: 500 })
      .then((l) => {
        if (live) setItem(l.items.find((i) => i.id === adminPasswordRef(deploymentId)));
      })
      .catch((e: unknown) => live && setError(describeError(e)));
    return () => {
      live = false;
    };
  }, [api, deploymentId]);
  return { item, error };
}

export function ResultPanel({ deployment: d }: { deployment: DeploymentSummary }) {
  const api = useApi();
  const { item, error } = useAdminPassword(d.id);
  const [revealing, setRevealing] = useState<CredentialListItem>();
  const [switchError, setSwitchError] = useState<string>();
  const connection = typeof d.outputs.connectionName === 'string' ? d.outputs.connectionName : undefined;
  const admin = typeof d.outputs.adminUser === 'string' ? d.outputs.adminUser : 'admin';
  const frontend = typeof d.outputs.frontendUrl === 'string' ? d.outputs.frontendUrl : undefined;

  const openWith = (area: string, params: Record<string, string> = {}) => {
    if (!connection) return;
    setSwitchError(undefined);
    refreshConnections(api)
      .then(() => selectTarget(api, { server: connection, org: '' }))
      .then(() => go(area, params))
      .catch((e: unknown) => setSwitchError(describeError(e)));
  };

  return (
    <Stack data-testid="deploy-result" gap="md">
      <Alert color="green" title={`“${d.name}” is deployed and verified`}>
        The server answered the API as the app&apos;s registered identity and the GUI accepted the
        administrator&apos;s password.
      </Alert>
      <Stack gap={4}>
        <Title order={5}>Addresses</Title>
        {urlsOf(d.outputs).map((u) => (
          <Group key={u.key} gap="xs">
            <Text size="sm" w={140}>
              {u.label}
            </Text>
            <Text size="sm" ff="monospace" data-testid={`result-url-${u.key}`}>
              {u.value}
            </Text>
            <CopyButton value={u.value}>
              {({ copied, copy }) => (
                <Button size="compact-xs" variant="subtle" onClick={copy}>
                  {copied ? 'copied' : 'copy'}
                </Button>
              )}
            </CopyButton>
          </Group>
        ))}
      </Stack>
      <Stack gap={4}>
        <Title order={5}>GUI administrator</Title>
        <Group gap="xs">
          <Text size="sm">
            User <b data-testid="result-admin-user">{admin}</b>; the password is in this machine&apos;s
            keychain only.
          </Text>
          <Button
            size="xs"
            variant="light"
            color="orange"
            leftSection={<IconEye size={14} />}
            disabled={!item}
            onClick={() => setRevealing(item)}
            data-testid="result-reveal"
          >
            Reveal password…
          </Button>
        </Group>
        {error ? (
          <Text size="xs" c="red">
            {error}
          </Text>
        ) : null}
        {!item && !error ? (
          <Text
            size="xs"
            c="dimmed"
          >{`Keychain entry ${adminPasswordRef(d.id)}; also listed on the Credentials page.`}</Text>
        ) : null}
      </Stack>
      {d.certificates.length ? (
        <Stack gap={4}>
          <Title order={5}>Certificates</Title>
          <Table fz="sm">
            <Table.Tbody>
              {d.certificates.map((c) => (
                <Table.Tr key={c.role}>
                  <Table.Td>{c.title}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={EXPIRY_COLORS[c.level]}>
                      {daysLeftLabel(c.daysLeft)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{c.renewable ? 'renewed by the app' : 'kept (agents pin it)'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      ) : null}
      {connection ? (
        <Group gap="xs" data-testid="result-connection">
          <IconPlugConnected size={16} />
          <Text size="sm">
            Added to the app&apos;s connections as <b>{connection}</b>.
          </Text>
          <Button size="xs" variant="default" onClick={() => openWith('/connections')}>
            Connections
          </Button>
        </Group>
      ) : null}
      {switchError ? <Alert color="red">{switchError}</Alert> : null}
      <Stack gap={4}>
        <Title order={5}>Next: agents</Title>
        <List size="sm" style={{ overflowWrap: 'anywhere' }}>
          {d.target === 'lab' && d.outputs.labClientId ? (
            <List.Item>{`A client of this machine is enrolled (${String(d.outputs.labClientId)}).`}</List.Item>
          ) : null}
          <List.Item>
            {`Install Velociraptor clients with a client config of this server: they enrol at ${frontend ?? 'the frontend URL'}${typeof d.outputs.caFingerprint === 'string' ? ` and pin its CA (SHA-256 ${d.outputs.caFingerprint})` : ''}.`}
          </List.Item>
          <List.Item>
            The Agents page pushes them to your hosts over SSH or WinRM with this server&apos;s client config,
            and checks that they enrolled.
          </List.Item>
          <List.Item>Enrolled clients appear on the Clients page of this server.</List.Item>
        </List>
        {connection ? (
          <Group>
            <Button
              size="xs"
              leftSection={<IconDevices size={14} />}
              onClick={() => openWith('/agents', { server: connection })}
              data-testid="result-go-agents"
            >
              Push agents to hosts
            </Button>
            <Button
              size="xs"
              leftSection={<IconDeviceDesktop size={14} />}
              onClick={() => openWith('/clients')}
              data-testid="result-go-clients"
            >
              See its clients
            </Button>
          </Group>
        ) : null}
      </Stack>
      <SecretModal action="reveal" item={revealing} onClose={() => setRevealing(undefined)} />
    </Stack>
  );
}
