/**
 * Install or uninstall, and for an uninstall the explicit choice about the writeback (the client's
 * identity): nothing is preselected, so the responder decides it knowingly.
 */
import { Radio, SegmentedControl, Stack, Text } from '@mantine/core';
import type { AgentForm } from './agent-form';

export function PushModeChoice({
  form,
  update,
}: {
  form: AgentForm;
  update: (c: (f: AgentForm) => AgentForm) => void;
}) {
  return (
    <Stack gap="xs">
      <SegmentedControl
        value={form.mode}
        onChange={(v) => update((f) => ({ ...f, mode: v === 'uninstall' ? 'uninstall' : 'install' }))}
        data={[
          { value: 'install', label: 'Install the agent' },
          { value: 'uninstall', label: 'Uninstall the agent' },
        ]}
        data-testid="agents-mode"
      />
      {form.mode === 'uninstall' ? (
        <Radio.Group
          label="The agent's writeback (its client identity)"
          description="Keeping it lets a later reinstall come back as the same client id, with its history on the server. Removing it makes a reinstall enrol as a new client."
          value={form.writeback}
          onChange={(v) => update((f) => ({ ...f, writeback: v === 'remove' ? 'remove' : 'keep' }))}
          data-testid="agents-writeback"
        >
          <Stack gap={4} mt={4}>
            <Radio value="keep" label="Keep the writeback (same client id on reinstall)" />
            <Radio value="remove" label="Remove the writeback (a reinstall is a new client)" />
          </Stack>
        </Radio.Group>
      ) : null}
      {form.mode === 'uninstall' ? (
        <Text size="xs" c="dimmed">
          The service and binary are removed from every host listed; nothing is installed.
        </Text>
      ) : null}
    </Stack>
  );
}
