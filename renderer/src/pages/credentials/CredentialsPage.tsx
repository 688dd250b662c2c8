import { Title } from '@mantine/core';
import { IconKey } from '@tabler/icons-react';
import { AreaEmptyState } from '../../app/AreaEmptyState';

export function CredentialsPage() {
  return (
    <>
      <Title order={2}>Credentials</Title>
      <AreaEmptyState icon={<IconKey size={28} />} title="No stored credentials">
        API client configs, SSH keys and passwords you save will be listed here by name; the secrets themselves stay in the OS keychain. The credential store is not built yet.
      </AreaEmptyState>
    </>
  );
}
