import { Title } from '@mantine/core';
import { IconPlugConnected } from '@tabler/icons-react';
import { AreaEmptyState } from '../../app/AreaEmptyState';

export function ConnectionsPage() {
  return (
    <>
      <Title order={2}>Connections</Title>
      <AreaEmptyState icon={<IconPlugConnected size={28} />} title="No Velociraptor servers connected yet">
        Each Velociraptor server you connect with an API client config will be listed here, with its user, version and health. Connecting servers is not built yet.
      </AreaEmptyState>
    </>
  );
}
