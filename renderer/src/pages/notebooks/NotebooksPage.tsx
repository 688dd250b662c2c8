import { Title } from '@mantine/core';
import { IconNotebook } from '@tabler/icons-react';
import { AreaEmptyState } from '../../app/AreaEmptyState';

export function NotebooksPage() {
  return (
    <>
      <Title order={2}>Notebooks</Title>
      <AreaEmptyState icon={<IconNotebook size={28} />} title="No notebooks yet">
        VQL notebooks you write against a connected server will be kept here, with their cells and results. The notebook editor is not built yet.
      </AreaEmptyState>
    </>
  );
}
