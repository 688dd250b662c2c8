import { Group, Stack, Title } from '@mantine/core';
import { VfsAccessor } from '../../../../shared/contracts/clients';
import { useQueryParam } from '../../app/router';
import { RequireServer } from '../../components/investigation/ServerSwitcher';
import { useTarget } from '../../components/investigation/target-store';
import { ClientDetail } from './ClientDetail';
import { ClientList } from './ClientList';

/** /clients, /clients?client=C.1[&tab=flows|vfs][&flow=F.2][&path=C:\Windows&accessor=ntfs]. */
export function ClientsPage() {
  const target = useTarget();
  const clientId = useQueryParam('client');
  const tab = useQueryParam('tab');
  const flowId = useQueryParam('flow');
  const vfsPath = useQueryParam('path');
  const accessor = VfsAccessor.safeParse(useQueryParam('accessor') ?? 'auto');
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
              vfsPath={vfsPath}
              vfsAccessor={accessor.success ? accessor.data : 'auto'}
            />
          ) : (
            <ClientList target={target} />
          )
        ) : null}
      </RequireServer>
    </Stack>
  );
}
