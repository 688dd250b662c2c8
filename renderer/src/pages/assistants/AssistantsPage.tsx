import { Title } from '@mantine/core';
import { IconRobot } from '@tabler/icons-react';
import { AreaEmptyState } from '../../app/AreaEmptyState';

export function AssistantsPage() {
  return (
    <>
      <Title order={2}>Assistants (MCP)</Title>
      <AreaEmptyState icon={<IconRobot size={28} />} title="No assistants connected">
        AI assistants that use the local MCP endpoint will appear here, with an audit log of every call and the actions waiting for your approval. The MCP endpoint is not built yet.
      </AreaEmptyState>
    </>
  );
}
