/**
 * Read-only identities: per connection, the least-privilege Velociraptor user (role `api` alone)
 * that an assistant's read-only queries run as. The server enforces it; a connection without one
 * makes every read-only query wait for the responder's approval. Create one (the app mints its
 * certificate from the CA in the server's server.config.yaml and creates the user with the
 * connection's administrator identity; the CA key is not kept), or import an API config made on
 * the server with `velociraptor config api_client --name NAME --role api FILE`.
 */
import { Alert, Badge, Button, Card, FileButton, Group, Stack, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useCallback, useEffect, useState } from 'react';
import type { ReadOnlyIdentityStatus } from '../../../../shared/contracts/mcp';
import { useApi } from '../../api/index';
import { describeError } from '../../../../shared/errors';

const MAX_FILE = 1024 * 1024;

function readSmall(f: File | null): Promise<string | null> {
  if (!f) return Promise.resolve(null);
  if (f.size > MAX_FILE) {
    notifications.show({
      color: 'red',
      title: 'That file is too large',
      message: 'A config file is a few kilobytes; choose the server.config.yaml or API config itself.',
    });
    return Promise.resolve(null);
  }
  return f.text();
}

function StateBadge({ s }: { s: ReadOnlyIdentityStatus }) {
  if (s.problem) return <Badge color="red">{s.problem}</Badge>;
  if (s.state === 'none')
    return (
      <Badge color="orange" variant="light">
        not set up: read-only queries ask you
      </Badge>
    );
  return (
    <Badge color={s.state === 'session' ? 'blue' : 'green'} variant="light">
      {s.user}
      {s.state === 'session' ? ' (this run)' : ''}
    </Badge>
  );
}

export function ReadOnlyIdentitiesCard() {
  const api = useApi();
  const [rows, setRows] = useState<ReadOnlyIdentityStatus[]>();
  const [busy, setBusy] = useState<string>();

  const refresh = useCallback(() => {
    api
      .call('mcp:readOnlyIdentities', {})
      .then((r) => setRows(r.identities))
      .catch((e: unknown) =>
        notifications.show({ color: 'red', title: 'Read-only identities', message: describeError(e) }),
      );
  }, [api]);
  useEffect(refresh, [refresh]);

  const act = (server: string, what: string, run: () => Promise<ReadOnlyIdentityStatus>) => {
    setBusy(server);
    run()
      .then((s) => {
        notifications.show({
          color: 'green',
          title: what,
          message: s.user ? `${server}: ${s.user}` : server,
        });
        refresh();
      })
      .catch((e: unknown) =>
        notifications.show({ color: 'red', title: `${what}: failed`, message: describeError(e) }),
      )
      .finally(() => setBusy(undefined));
  };

  return (
    <Card withBorder data-testid="read-only-identities">
      <Stack gap="sm">
        <Text fw={600}>Read-only identities</Text>
        <Text size="sm" c="dimmed">
          An assistant&apos;s read-only VQL runs as a Velociraptor user that holds the <code>api</code> role
          alone, so the server itself refuses anything but reading results. Without one, read-only queries on
          that server wait for your approval.
        </Text>
        {rows && rows.length === 0 ? <Alert color="gray">No connections yet.</Alert> : null}
        {rows && rows.length > 0 ? (
          <Table>
            <Table.Tbody>
              {rows.map((s) => (
                <Table.Tr key={s.server} data-testid="read-only-identity-row">
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {s.server}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <StateBadge s={s} />
                  </Table.Td>
                  <Table.Td>
                    <Group gap="xs" justify="flex-end">
                      <FileButton
                        accept=".yaml,.yml,.config,text/yaml,text/plain"
                        onChange={(f) =>
                          void readSmall(f).then(
                            (serverConfig) =>
                              serverConfig &&
                              act(s.server, 'Read-only identity created', () =>
                                api.call('mcp:createReadOnlyIdentity', { server: s.server, serverConfig }),
                              ),
                          )
                        }
                      >
                        {(p) => (
                          <Button size="xs" variant="default" loading={busy === s.server} {...p}>
                            Create from server.config.yaml…
                          </Button>
                        )}
                      </FileButton>
                      <FileButton
                        accept=".yaml,.yml,.config,text/yaml,text/plain"
                        onChange={(f) =>
                          void readSmall(f).then(
                            (yaml) =>
                              yaml &&
                              act(s.server, 'Read-only identity imported', () =>
                                api.call('mcp:importReadOnlyIdentity', { server: s.server, yaml }),
                              ),
                          )
                        }
                      >
                        {(p) => (
                          <Button size="xs" variant="default" loading={busy === s.server} {...p}>
                            Import API config…
                          </Button>
                        )}
                      </FileButton>
                      {s.state === 'saved' ? (
                        <Button
                          size="xs"
                          variant="subtle"
                          color="red"
                          loading={busy === s.server}
                          onClick={() =>
                            act(s.server, 'Read-only identity forgotten', () =>
                              api.call('mcp:removeReadOnlyIdentity', { server: s.server }),
                            )
                          }
                        >
                          Forget
                        </Button>
                      ) : null}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ) : null}
        <Text size="xs" c="dimmed">
          Creating one needs the connection to hold an administrator identity and the server&apos;s
          server.config.yaml (its CA key signs the new certificate, is used once and is not kept). Or make one
          on the server: <code>velociraptor config api_client --name assistant-ro --role api ro.yaml</code>,
          then import ro.yaml. Forgetting one here leaves the user on the server: remove it there.
        </Text>
      </Stack>
    </Card>
  );
}
