import { Group, Stack, Title } from '@mantine/core';
import { useQueryParam } from '../../app/router';
import { RequireServer } from '../../components/investigation/ServerSwitcher';
import { useTarget } from '../../components/investigation/target-store';
import { ClientDetail } from './ClientDetail';
import { ClientList } from './ClientList';

/** /clients, /clients?client=C.1[&tab=flows|vfs][&flow=F.2]. */
export function ClientsPage() {
  const target = useTarget();
  const clientId = useQueryParam('client');
  const tab = useQueryParam('tab');
  const flowId = useQueryParam('flow');
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Clients</Title>
      </Group>
      <RequireServer what="Clients">
        {target ? (
          clientId ? (
            <ClientDetail
              key={`${target.server}|${target.org}|${clientId}`}
              target={target}
              clientId={clientId}
              tab={tab}
              flowId={flowId}
            />
          ) : (
            <ClientList target={target} />
          )
        ) : null}
      </RequireServer>
    </Stack>
  );
}
