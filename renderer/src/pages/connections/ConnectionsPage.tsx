import { Alert, Badge, Button, Card, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconFlask, IconTrash } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { useApi } from '../../api/index';
import { go } from '../../app/router';
import {
  refreshConnections,
  selectTarget,
  serverLabel,
  useConnections,
} from '../../components/investigation/target-store';
import { TimeText } from '../../components/investigation/Time';
import { ConnectionTest } from './ConnectionTest';
import { ImportForm } from './ImportForm';
import { describeError } from '../../../../shared/errors';

export function ConnectionsPage() {
  const api = useApi();
  const { list, error } = useConnections();
  const [demoBusy, setDemoBusy] = useState(false);
  const [fresh, setFresh] = useState<string | null>(null);

  useEffect(() => {
    void refreshConnections(api).catch(() => undefined);
  }, [api]);

  const startDemo = () => {
    setDemoBusy(true);
    api
      .call('connections:demo', {})
      .then(async (c) => {
        setFresh(c.name);
        await refreshConnections(api);
      })
      .catch((e: unknown) =>
        notifications.show({
          color: 'red',
          title: 'The demo server did not start',
          message: describeError(e),
        }),
      )
      .finally(() => setDemoBusy(false));
  };

  const hasDemo = list?.connections.some((c) => c.storage === 'demo') ?? false;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Connections</Title>
      </Group>
      {error ? <Alert color="red">{error}</Alert> : null}
      {list?.problems.map((p) => (
        <Alert key={p.name} color="orange" title={`“${p.name}” could not be re-opened`}>
          {p.message}
        </Alert>
      ))}
      {list && list.connections.length > 0 ? (
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          {list.connections.map((c) => (
            <Card key={c.name} withBorder data-testid={`connection-${c.name}`}>
              <Group justify="space-between" mb="xs">
                <Group gap="xs">
                  <Text fw={700}>{serverLabel(c.name)}</Text>
                  {c.storage === 'demo' ? (
                    <Badge color="grape">simulator — not a real server</Badge>
                  ) : (
                    <Badge variant="light">{c.storage === 'keychain' ? 'in keychain' : 'this session'}</Badge>
                  )}
                  {list.active?.server === c.name ? <Badge color="green">active</Badge> : null}
                </Group>
                <Group gap="xs">
                  {list.active?.server !== c.name ? (
                    <Button
                      size="xs"
                      variant="default"
                      onClick={() => {
                        void selectTarget(api, { server: c.name, org: '' });
                      }}
                    >
                      Use
                    </Button>
                  ) : (
                    <Button size="xs" onClick={() => go('/clients')}>
                      Open clients
                    </Button>
                  )}
                  <Button
                    size="xs"
                    color="red"
                    variant="subtle"
                    leftSection={<IconTrash size={14} />}
                    onClick={() => {
                      api.call('connections:remove', { name: c.name }).then(
                        () => refreshConnections(api),
                        (e: unknown) => notifications.show({ color: 'red', message: describeError(e) }),
                      );
                    }}
                  >
                    Remove
                  </Button>
                </Group>
              </Group>
              <Text size="sm" c="dimmed">
                {c.endpoint} · API user {c.user} · certificate until{' '}
                <TimeText ms={Date.parse(c.certNotAfter)} />
              </Text>
              <Paper mt="sm" p="xs" withBorder>
                <ConnectionTest name={c.name} autoStart={fresh === c.name} />
              </Paper>
            </Card>
          ))}
        </SimpleGrid>
      ) : list ? (
        <Alert color="blue" title="No Velociraptor server connected yet">
          Import the API client config of your server below. First time here? Start the demo server: a
          simulator with about fifty seeded endpoints, artifacts, flows and hunts, so you can try every
          screen.
        </Alert>
      ) : null}
      {!hasDemo ? (
        <Card withBorder>
          <Group justify="space-between">
            <div>
              <Text fw={700}>Demo server (simulator)</Text>
              <Text size="sm" c="dimmed">
                Runs a Velociraptor simulator inside this app and connects to it. Its data is generated;
                nothing reaches real endpoints.
              </Text>
            </div>
            <Button
              leftSection={<IconFlask size={16} />}
              color="grape"
              loading={demoBusy}
              onClick={startDemo}
              data-testid="start-demo"
            >
              Start demo server
            </Button>
          </Group>
        </Card>
      ) : null}
      <Card withBorder>
        <Title order={4} mb="sm">
          Add a server
        </Title>
        {list ? (
          <ImportForm
            keychainAvailable={list.keychainAvailable}
            onImported={(c) => {
              setFresh(c.name);
              // A server just imported is the one the responder wants to work on.
              void refreshConnections(api)
                .then(() => selectTarget(api, { server: c.name, org: '' }))
                .catch(() => undefined);
              notifications.show({
                color: 'blue',
                autoClose: 12_000,
                title: `Assistants on ${c.name}`,
                message: (
                  <span>
                    Read-only queries from assistants run only as a least-privilege identity.{' '}
                    <a href="/assistants" onClick={(e) => (e.preventDefault(), go('/assistants'))}>
                      Set one up for {c.name}
                    </a>
                    .
                  </span>
                ),
              });
            }}
          />
        ) : null}
      </Card>
    </Stack>
  );
}
