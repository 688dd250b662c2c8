import { Group, Stack, Title } from '@mantine/core';
import { usePath } from '../../app/router';
import { RequireServer, ServerSwitcher } from '../../components/investigation/ServerSwitcher';
import { useTarget } from '../../components/investigation/target-store';
import { ClientDetail } from './ClientDetail';
import { ClientList } from './ClientList';

/** /clients, /clients/<id>[/flows|/vfs], /clients/<id>/flows/<flow id>. */
export function ClientsPage() {
  const [path] = usePath();
  const target = useTarget();
  const [, , clientId, tab, flowId] = path.split('/').map(decodeURIComponent);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Clients</Title>
        <ServerSwitcher />
      </Group>
      <RequireServer what="Clients">
        {target ? clientId ? <ClientDetail key={`${target.server}|${target.org}|${clientId}`} target={target} clientId={clientId} tab={tab} flowId={flowId} /> : <ClientList target={target} /> : null}
      </RequireServer>
    </Stack>
  );
}
