/**
 * One deployment in full: URLs, its certificates and their expiry, the public facts it recorded, the
 * warnings, the error it ended with, and every resource the journal lists (what clean-up or destroy
 * removes). Test id: `deployment-detail`.
 */
import {
  Alert,
  Anchor,
  Badge,
  CopyButton,
  Group,
  List,
  Stack,
  Table,
  Text,
  Title,
  Tooltip,
} from '@mantine/core';
import type { ReactNode } from 'react';
import type { DeploymentSummary } from '../../../../shared/contracts/deploy';
import { formatUtc } from '../credentials/credential-view';
import { certificatesOf, daysLeftLabel, expiryColor, TARGET_LABELS, urlsOf } from './deployment-view';

const HIDDEN_FACTS = new Set(['guiUrl', 'frontendUrl', 'apiEndpoint']);

export function DeploymentDetail({
  deployment: d,
  now,
  actions,
}: {
  deployment: DeploymentSummary;
  now: number;
  actions: ReactNode;
}) {
  const certs = certificatesOf(d.outputs, now);
  const facts = Object.entries(d.outputs).filter(([k]) => !HIDDEN_FACTS.has(k) && !k.endsWith('NotAfter'));
  return (
    <Stack data-testid="deployment-detail" gap="md">
      <Group gap="xs">
        <Badge variant="light">{TARGET_LABELS[d.target]}</Badge>
        <Badge variant="light" color="grape">
          {d.profile}
        </Badge>
        <Text size="xs" c="dimmed" ff="monospace">
          {d.id}
        </Text>
      </Group>
      {actions}
      {d.error ? (
        <Alert color="red" title="It ended with an error" data-testid="deployment-error">
          {`${d.error.message} (${d.error.code})`}
        </Alert>
      ) : null}
      {d.warnings.length ? (
        <Alert color="orange" title="Warnings">
          <List size="sm">
            {d.warnings.map((w) => (
              <List.Item key={w}>{w}</List.Item>
            ))}
          </List>
        </Alert>
      ) : null}
      {urlsOf(d.outputs).length ? (
        <Stack gap={4}>
          <Title order={5}>Addresses</Title>
          {urlsOf(d.outputs).map((u) => (
            <Group key={u.key} gap="xs">
              <Text size="sm" w={140}>
                {u.label}
              </Text>
              {/* Shown, not linked: the app opens no external URL but its own allow-list (electron/main/window.ts). */}
              <Text size="sm" ff="monospace" data-testid={`url-${u.key}`}>
                {u.value}
              </Text>
              <CopyButton value={u.value}>
                {({ copied, copy }) => (
                  <Anchor size="xs" component="button" onClick={copy}>
                    {copied ? 'copied' : 'copy'}
                  </Anchor>
                )}
              </CopyButton>
            </Group>
          ))}
        </Stack>
      ) : null}
      {certs.length ? (
        <Stack gap={4}>
          <Title order={5}>Certificates</Title>
          <Table fz="sm" data-testid="deployment-certificates">
            <Table.Tbody>
              {certs.map((c) => (
                <Table.Tr key={c.title}>
                  <Table.Td>{c.title}</Table.Td>
                  <Table.Td>{formatUtc(c.notAfter)}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={expiryColor(c.daysLeft)}>
                      {daysLeftLabel(c.daysLeft)}
                    </Badge>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      ) : null}
      {facts.length ? (
        <Stack gap={4}>
          <Title order={5}>Facts</Title>
          <Table fz="xs">
            <Table.Tbody>
              {facts.map(([k, v]) => (
                <Table.Tr key={k}>
                  <Table.Td>{k}</Table.Td>
                  <Table.Td>
                    <Text size="xs" ff="monospace" style={{ wordBreak: 'break-all' }}>
                      {String(v)}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      ) : null}
      <Stack gap={4}>
        <Title order={5}>{`Resources (${d.resources.length})`}</Title>
        <Table fz="xs" data-testid="deployment-resources">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>What</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>State</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {d.resources.map((r) => (
              <Table.Tr key={`${r.kind}:${r.id}`}>
                <Table.Td>
                  <Tooltip label={r.id} multiline maw={420}>
                    <Text size="xs">{r.title}</Text>
                  </Tooltip>
                  {r.error ? (
                    <Text size="xs" c="red">
                      {r.error}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td>{r.kind}</Table.Td>
                <Table.Td>
                  <Badge size="xs" variant="light" color={r.state === 'created' ? 'green' : 'gray'}>
                    {r.state}
                  </Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Stack>
      <Text size="xs" c="dimmed">
        {`Created ${formatUtc(d.createdAt)}${d.deployedAt ? ` · deployed ${formatUtc(d.deployedAt)}` : ''}`}
      </Text>
    </Stack>
  );
}
