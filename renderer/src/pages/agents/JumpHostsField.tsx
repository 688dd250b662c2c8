/**
 * The SSH login's jump hosts (`ssh -J`): USER@HOST[:PORT], outermost first. They log in with the
 * push's key, agent or password; the host-key step checks their keys like the hosts'.
 */
import { Textarea } from '@mantine/core';

export function JumpHostsField({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  return (
    <Textarea
      label="Jump hosts (optional)"
      description="USER@HOST[:PORT], outermost first, one per line (as ssh -J; at most 4). They log in the same way as the hosts, and their host keys are checked and confirmed like the hosts'."
      placeholder="ops@bastion.example.org"
      autosize
      minRows={1}
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
      data-testid="agents-ssh-jumps"
    />
  );
}
