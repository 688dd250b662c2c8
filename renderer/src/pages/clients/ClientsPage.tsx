import { Title } from '@mantine/core';
import { IconDeviceDesktop } from '@tabler/icons-react';
import { AreaEmptyState } from '../../app/AreaEmptyState';

export function ClientsPage() {
  return (
    <>
      <Title order={2}>Clients</Title>
      <AreaEmptyState icon={<IconDeviceDesktop size={28} />} title="No clients to show">
        Endpoints enrolled on your connected servers will appear here, searchable by hostname, label and OS. Connect a server first; client search is not built yet.
      </AreaEmptyState>
    </>
  );
}
