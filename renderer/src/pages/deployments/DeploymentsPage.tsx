import { Title } from '@mantine/core';
import { IconServer2 } from '@tabler/icons-react';
import { AreaEmptyState } from '../../app/AreaEmptyState';

export function DeploymentsPage() {
  return (
    <>
      <Title order={2}>Deployments</Title>
      <AreaEmptyState icon={<IconServer2 size={28} />} title="Nothing deployed yet">
        Velociraptor servers and agents you deploy (Docker, SSH, AWS, Azure) will be journaled here, with
        health, rotation and teardown. The deployment wizard is not built yet.
      </AreaEmptyState>
    </>
  );
}
