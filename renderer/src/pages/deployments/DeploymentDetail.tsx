/**
 * One deployment in full: its health as the target sees it now, URLs, certificates and their expiry,
 * a legal hold, the notices, the operations run on it, the public facts it recorded, the warnings, the
 * error it ended with, and every resource the journal lists (what clean-up or destroy removes).
 * Test ids: `deployment-detail`, `deployment-health` (data-ok), `deployment-certificates`,
 * `deployment-hold`, `deployment-operations`, `deployment-resources`, `url-<key>`.
 */
import {
  Alert,
  Anchor,
  Badge,
  CopyButton,
  Group,
  List,
  Loader,
  Stack,
  Table,
  Text,
  Title,
  Tooltip,
} from '@mantine/core';
import { useEffect, useState, type ReactNode } from 'react';
import type { DeploymentSummary } from '../../../../shared/contracts/deploy';
import { holdProtection, type TargetHealth } from '../../../../shared/deploy';
import { describeError } from '../../../../shared/errors';
import { useApi } from '../../api/index';
import { formatIso, useTimeZone } from '../../components/investigation/time';
import { daysLeftLabel, EXPIRY_COLORS, isFinished, TARGET_LABELS, urlsOf } from './deployment-view';

const HIDDEN_FACTS = new Set(['guiUrl', 'frontendUrl', 'apiEndpoint']);

/** The target's view right now (`deploy:status`), read when the drawer opens and after each change. */
function Health({ d }: { d: DeploymentSummary }) {
  const api = useApi();
  const zone = useTimeZone();
  const [health, setHealth] = useState<{ health: TargetHealth | null; error?: string }>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (isFinished(d)) return;
    let live = true;
    api
      .call('deploy:status', { id: d.id })
      .then(
        (s) => live && setHealth({ health: s.health, ...(s.healthError ? { error: s.healthError } : {}) }),
      )
      .catch((e: unknown) => live && setError(describeError(e)));
    return () => {
      live = false;
    };
  }, [api, d]);
  if (error) return <Alert color="red">{error}</Alert>;
  if (!health) return <Loader size="xs" />;
  if (!health.health)
    return (
      <Text size="sm" c="dimmed" data-testid="deployment-health" data-ok="unknown">
        {health.error ?? 'The target cannot be asked in this state.'}
      </Text>
    );
  const h = health.health;
  return (
    <Group gap="xs" data-testid="deployment-health" data-ok={h.ok}>
      <Badge color={h.ok ? 'green' : 'red'} variant="light">
        {h.ok ? 'healthy' : 'not healthy'}
      </Badge>
      <Text size="sm">{`${h.state} — ${h.detail}`}</Text>
      <Text size="xs" c="dimmed">{`checked ${formatIso(h.checkedAt, zone)}`}</Text>
    </Group>
  );
}

export function DeploymentDetail({
  deployment: d,
  actions,
}: {
  deployment: DeploymentSummary;
  actions: ReactNode;
}) {
  const zone = useTimeZone();
  const facts = Object.entries(d.outputs).filter(([k]) => !HIDDEN_FACTS.has(k) && !k.endsWith('NotAfter'));
  const urls = urlsOf(d.outputs);
  return (
    <Stack data-testid="deployment-detail" gap="md">
      <Group gap="xs">
        <Badge variant="light">{TARGET_LABELS[d.target]}</Badge>
        <Badge variant="light" color="grape">
          {d.profile}
        </Badge>
        {d.legalHold ? (
          <Badge color={d.legalHold.targetTimer === 'armed' ? 'red' : 'orange'} data-testid="deployment-hold">
            {d.legalHold.targetTimer === 'armed'
              ? "legal hold (app only: target's timer armed)"
              : 'legal hold'}
          </Badge>
        ) : null}
        <Text size="xs" c="dimmed" ff="monospace">
          {d.id}
        </Text>
      </Group>
      {actions}
      <Health d={d} />
      {d.legalHold ? (
        <Alert
          color={d.legalHold.targetTimer === 'armed' ? 'red' : 'orange'}
          title="Under legal hold"
          data-testid="deployment-hold-detail"
        >
          {`Since ${formatIso(d.legalHold.since, zone)}${d.legalHold.reason ? `: ${d.legalHold.reason}` : ''}. ${holdProtection(d.legalHold)}`}
        </Alert>
      ) : null}
      {d.notices.length ? (
        <Alert color={d.notices.some((n) => n.level === 'critical') ? 'red' : 'blue'} title="Notices">
          <List size="sm">
            {d.notices.map((n) => (
              <List.Item key={n.key}>{n.message}</List.Item>
            ))}
          </List>
        </Alert>
      ) : null}
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
      {urls.length ? (
        <Stack gap={4}>
          <Title order={5}>Addresses</Title>
          {urls.map((u) => (
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
      {d.certificates.length ? (
        <Stack gap={4}>
          <Title order={5}>Certificates</Title>
          <Table fz="sm" data-testid="deployment-certificates">
            <Table.Tbody>
              {d.certificates.map((c) => (
                <Table.Tr key={c.role} data-level={c.level}>
                  <Table.Td>{c.title}</Table.Td>
                  <Table.Td>{formatIso(c.notAfter, zone)}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={EXPIRY_COLORS[c.level]}>
                      {daysLeftLabel(c.daysLeft)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" c="dimmed">
                      {c.renewable ? 'renewable, same key' : 'not renewed (agents pin it)'}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      ) : null}
      {d.operations.length ? (
        <Stack gap={4}>
          <Title order={5}>Operations</Title>
          <Table fz="xs" data-testid="deployment-operations">
            <Table.Tbody>
              {[...d.operations].reverse().map((o) => (
                <Table.Tr key={o.id}>
                  <Table.Td>{o.title}</Table.Td>
                  <Table.Td>
                    <Badge
                      size="xs"
                      variant="light"
                      color={o.state === 'done' ? 'green' : o.state === 'failed' ? 'red' : 'blue'}
                    >
                      {o.state}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{formatIso(o.startedAt, zone)}</Table.Td>
                  <Table.Td>
                    {o.error ? (
                      <Text size="xs" c="red">
                        {`${o.error.message} (${o.error.code})`}
                      </Text>
                    ) : null}
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
        {`Created ${formatIso(d.createdAt, zone)}${d.deployedAt ? ` · deployed ${formatIso(d.deployedAt, zone)}` : ''}`}
      </Text>
    </Stack>
  );
}
