/**
 * The SSH target's host key, shown before the plan (deploy:host-key): a key never seen is put to the
 * responder once — its type and SHA256 fingerprint, to compare with `ssh-keygen -lf` on the host —
 * and remembered by the core when confirmed (deploy:trust-host-key); a changed key is refused with the
 * old and the new fingerprint, and nothing here can confirm it.
 * Test ids: `host-key-unknown`, `host-key-trust`, `host-key-changed`, `host-key-fingerprint`.
 */
import { Alert, Button, Code, Group, Stack, Table, Text } from '@mantine/core';
import type { HostKeyCheck } from '../../../../shared/contracts/deploy';

export function HostKeyPanel({
  check,
  trusting,
  onTrust,
}: {
  check: HostKeyCheck;
  trusting: boolean;
  onTrust: () => void;
}) {
  const where = `${check.host}:${check.port}`;
  if (check.status === 'changed')
    return (
      <Alert color="red" title={`The host key of ${where} changed`} data-testid="host-key-changed">
        <Stack gap="xs">
          <Text size="sm">{check.message}</Text>
          <Table withRowBorders={false} fz="sm">
            <Table.Tbody>
              <Table.Tr>
                <Table.Td>Now presented</Table.Td>
                <Table.Td>
                  {check.keyType} <Code data-testid="host-key-fingerprint">{check.fingerprint}</Code>
                </Table.Td>
              </Table.Tr>
              {check.known.map((k) => (
                <Table.Tr key={`${k.source}:${k.line}`} data-testid="host-key-known">
                  <Table.Td>
                    Known ({k.source}, line {k.line})
                  </Table.Td>
                  <Table.Td>
                    {k.keyType} <Code>{k.fingerprint}</Code>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      </Alert>
    );
  if (check.status !== 'unknown') return null;
  return (
    <Alert color="orange" title={`First connection to ${where}`} data-testid="host-key-unknown">
      <Stack gap="xs">
        <Text size="sm">
          The host presents a key the app has never seen. Compare it with the host&apos;s own key (on the
          host: <Code>ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</Code>, or ask its administrator)
          before you trust it; it is then remembered and checked at every connection.
        </Text>
        <Text size="sm">
          {check.keyType} <Code data-testid="host-key-fingerprint">{check.fingerprint}</Code>
        </Text>
        <Group>
          <Button size="xs" color="orange" loading={trusting} onClick={onTrust} data-testid="host-key-trust">
            It matches: trust this key and continue
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}
