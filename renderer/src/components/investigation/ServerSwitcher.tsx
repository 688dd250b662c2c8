/**
 * Server + org switcher shown at the top of every investigation page. Lists every connected
 * server; orgs are fetched from the chosen server when it has more than the root org.
 */
import { Button, Group, Select } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlugConnected } from '@tabler/icons-react';
import { useEffect, useState, type ReactNode } from 'react';
import { useApi } from '../../api/index';
import { useCall } from '../../api/use-call';
import { go } from '../../app/router';
import { AreaEmptyState } from '../../app/AreaEmptyState';
import { refreshConnections, selectTarget, serverLabel, useConnections } from './target-store';
import { describeError } from '../../../../shared/errors';

export function ServerSwitcher() {
  const api = useApi();
  const { list } = useConnections();
  const active = list?.active ?? null;
  const orgs = useCall('connections:orgs', active ? { server: active.server } : null).value ?? [];

  useEffect(() => {
    if (!list) void refreshConnections(api).catch(() => undefined);
  }, [api, list]);

  if (!list || list.connections.length === 0) return null;
  const change = (server: string, org: string) =>
    selectTarget(api, { server, org }).catch((e: unknown) =>
      notifications.show({ color: 'red', title: 'Could not switch', message: describeError(e) }),
    );
  return (
    <Group gap="xs" data-testid="server-switcher">
      <Select
        size="xs"
        aria-label="Server"
        allowDeselect={false}
        value={active?.server ?? null}
        data={list.connections.map((c) => ({ value: c.name, label: serverLabel(c.name) }))}
        onChange={(v) => v && void change(v, '')}
        w={220}
      />
      {orgs.length > 1 ? (
        <Select
          size="xs"
          aria-label="Org"
          allowDeselect={false}
          value={active?.org || orgs[0]?.id || null}
          data={orgs.map((o) => ({
            value: o.id,
            // Names only; the id only tells apart two orgs of one name.
            label: orgs.filter((x) => x.name === o.name).length > 1 ? `${o.name} (${o.id})` : o.name,
          }))}
          onChange={(v) => active && v && void change(active.server, v === 'root' ? '' : v)}
          w={180}
        />
      ) : null}
    </Group>
  );
}

/** Renders children only when a server is selected; otherwise teaches how to get one. */
export function RequireServer(props: { children: ReactNode; what: string }) {
  const { list, error } = useConnections();
  const api = useApi();
  const [starting, setStarting] = useState(false);
  useEffect(() => {
    if (!list) void refreshConnections(api).catch(() => undefined);
  }, [api, list]);
  if (error && !list)
    return (
      <AreaEmptyState icon={<IconPlugConnected size={28} />} title="Connections could not be loaded">
        {error}
      </AreaEmptyState>
    );
  if (!list) return null;
  if (list.active) return <>{props.children}</>;
  return (
    <AreaEmptyState icon={<IconPlugConnected size={28} />} title="No Velociraptor server connected">
      {props.what} come from a Velociraptor server. Import an API client config under Connections, or try the
      demo server.
      <Group justify="center" mt="md">
        <Button variant="default" onClick={() => go('/connections')}>
          Go to Connections
        </Button>
        <Button
          loading={starting}
          data-testid="start-demo-inline"
          onClick={() => {
            setStarting(true);
            api
              .call('connections:demo', {})
              .then(() => refreshConnections(api))
              .catch((e: unknown) =>
                notifications.show({
                  color: 'red',
                  title: 'Demo server did not start',
                  message: describeError(e),
                }),
              )
              .finally(() => setStarting(false));
          }}
        >
          Start demo server (simulator)
        </Button>
      </Group>
    </AreaEmptyState>
  );
}
