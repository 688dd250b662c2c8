import { Title } from '@mantine/core';
import { IconTarget } from '@tabler/icons-react';
import { AreaEmptyState } from '../../app/AreaEmptyState';

export function HuntsPage() {
  return (
    <>
      <Title order={2}>Hunts</Title>
      <AreaEmptyState icon={<IconTarget size={28} />} title="No hunts yet">
        Hunts you create or watch on your connected servers will be listed here with their progress and results. Hunt management is not built yet.
      </AreaEmptyState>
    </>
  );
}
