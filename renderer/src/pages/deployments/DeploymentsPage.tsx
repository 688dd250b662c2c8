/**
 * Deployments: every server the app deployed (or was deploying when it stopped) with its state,
 * profile, soonest certificate expiry and countdown to self-destruction; deployments a dead process
 * left unfinished first, with resume (live progress) and clean-up; the wizard for a new one; the
 * details and actions of one in a drawer. Errors are the backend's own (describeError).
 * Test ids: `deployments-table`, `deployment-row-<id>` (data-state, data-interrupted),
 * `deployments-interrupted`, `deploy-new`.
 */
import { Alert, Badge, Button, Drawer, Group, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlayerPlay, IconPlus, IconRefresh, IconServer2, IconTrash } from '@tabler/icons-react';
import { useCallback, useEffect, useState } from 'react';
import type { DeploymentSummary } from '../../../../shared/contracts/deploy';
import { describeError } from '../../../../shared/errors';
import { useApi } from '../../api/index';
import { AreaEmptyState } from '../../app/AreaEmptyState';
import { ConfirmModal, type ConfirmRequest } from './ConfirmModal';
import { DeploymentDetail } from './DeploymentDetail';
import {
  certificatesOf,
  countdown,
  countdownColor,
  daysLeftLabel,
  expiryColor,
  isFinished,
  stateColor,
  stateLabel,
  TARGET_LABELS,
} from './deployment-view';
import { RunModal, type RunRequest } from './RunModal';

type ListOutput = { deployments: DeploymentSummary[]; problems: Array<{ id: string; message: string }> };

function useDeployments(): { list: ListOutput | undefined; error: string | undefined; refresh: () => void } {
  const api = useApi();
  const [list, setList] = useState<ListOutput>();
  const [error, setError] = useState<string>();
  const refresh = useCallback(() => {
    api
      .call('deploy:list', {})
      .then((l) => {
        setList(l);
        setError(undefined);
      })
      .catch((e: unknown) => setError(describeError(e)));
  }, [api]);
  useEffect(() => {
    refresh();
    // States change under the page (the reaper, another window, the CLI).
    const t = setInterval(refresh, 10_000);
    return () => clearInterval(t);
  }, [refresh]);
  return { list, error, refresh };
}

function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

function CertificateCell({ d, now }: { d: DeploymentSummary; now: number }) {
  const soonest = certificatesOf(d.outputs, now)[0];
  if (!soonest || isFinished(d))
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  return (
    <Tooltip label={`${soonest.title} certificate, ${soonest.notAfter}`}>
      <Badge variant="light" color={expiryColor(soonest.daysLeft)} data-testid="deployment-cert-expiry">
        {daysLeftLabel(soonest.daysLeft)}
      </Badge>
    </Tooltip>
  );
}

export function DeploymentsPage() {
  const api = useApi();
  const { list, error, refresh } = useDeployments();
  const now = useNow();
  const [selected, setSelected] = useState<string>();
  const [confirm, setConfirm] = useState<ConfirmRequest>();
  const [run, setRun] = useState<RunRequest>();

  const resume = (d: DeploymentSummary) =>
    setRun({
      title: `Resume “${d.name}”`,
      doneMessage: `“${d.name}” is deployed.`,
      open: (h) => api.stream('deploy:resume', { id: d.id }, h),
    });

  const cleanup = (d: DeploymentSummary) =>
    setConfirm({
      title: `Clean up “${d.name}”?`,
      confirmLabel: 'Clean up',
      body: (
        <Text size="sm">
          {`Removes exactly what its journal lists (${d.resources.filter((r) => r.state !== 'removed').length} resources: containers, volumes, files, keychain secrets, the connection), then the journal. Nothing else is touched.`}
        </Text>
      ),
      run: async () => {
        const r = await api.call('deploy:cleanup', { id: d.id });
        report(d.name, 'cleaned up', r.removed);
      },
    });

  const destroy = (d: DeploymentSummary) =>
    setConfirm({
      title: `Destroy “${d.name}”?`,
      confirmLabel: 'Destroy',
      body: (
        <Text size="sm">
          {`The server stops and everything the deployment made is removed, including its datastore: collected evidence that was not exported is lost. This cannot be undone.`}
        </Text>
      ),
      run: async () => {
        const r = await api.call('deploy:destroy', { id: d.id });
        setSelected(undefined);
        report(d.name, 'destroyed', r.removed);
      },
    });

  const report = (
    name: string,
    what: string,
    removed: Array<{ ok: boolean; kind: string; id: string; error?: string }>,
  ) => {
    const failed = removed.filter((r) => !r.ok);
    notifications.show(
      failed.length
        ? {
            color: 'orange',
            title: `“${name}”: ${failed.length} resource(s) could not be removed`,
            message: failed.map((f) => `${f.kind} ${f.id}: ${f.error ?? 'failed'}`).join('; '),
          }
        : { color: 'green', message: `“${name}” ${what}: ${removed.length} resource(s) removed.` },
    );
    refresh();
  };

  const actionsOf = (d: DeploymentSummary) => {
    return (
      <Group gap="xs" wrap="nowrap">
        {d.interrupted ? (
          <>
            <Button
              size="xs"
              leftSection={<IconPlayerPlay size={14} />}
              onClick={() => resume(d)}
              data-testid="deployment-resume"
            >
              Resume
            </Button>
            <Button
              size="xs"
              color="orange"
              variant="light"
              onClick={() => cleanup(d)}
              data-testid="deployment-cleanup"
            >
              Clean up
            </Button>
          </>
        ) : null}
        {!d.interrupted && (d.state === 'failed' || d.state === 'rollback-failed') ? (
          <Button
            size="xs"
            color="orange"
            variant="light"
            onClick={() => cleanup(d)}
            data-testid="deployment-cleanup"
          >
            Clean up
          </Button>
        ) : null}
        {!d.interrupted && d.state === 'deployed' ? (
          <Button
            size="xs"
            color="red"
            variant="light"
            leftSection={<IconTrash size={14} />}
            onClick={() => destroy(d)}
            data-testid="deployment-destroy"
          >
            Destroy…
          </Button>
        ) : null}
      </Group>
    );
  };

  const deployments = list?.deployments ?? [];
  const interrupted = deployments.filter((d) => d.interrupted);
  const current = deployments.find((d) => d.id === selected);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Deployments</Title>
        <Group gap="xs">
          <Button variant="default" leftSection={<IconRefresh size={16} />} onClick={refresh}>
            Refresh
          </Button>
          <Button leftSection={<IconPlus size={16} />} data-testid="deploy-new" disabled>
            New deployment
          </Button>
        </Group>
      </Group>
      {error ? <Alert color="red">{error}</Alert> : null}
      {list?.problems.map((p) => (
        <Alert key={p.id} color="orange" title={`The journal of ${p.id} cannot be read`}>
          {p.message}
        </Alert>
      ))}
      {interrupted.length ? (
        <Alert color="orange" title="Unfinished deployments" data-testid="deployments-interrupted">
          {`${interrupted.length === 1 ? 'One deployment was' : `${interrupted.length} deployments were`} left unfinished when the app stopped: ${interrupted.map((d) => `“${d.name}”`).join(', ')}. Resume carries on from the last finished step; clean up removes exactly what its journal recorded.`}
        </Alert>
      ) : null}
      {list && deployments.length === 0 ? (
        <AreaEmptyState icon={<IconServer2 size={28} />} title="Nothing deployed yet">
          Deploy a Velociraptor server to Docker, a Linux host over SSH or a local lab: every step and
          resource is journaled here, with its certificates, its self-destruction and its operations.
        </AreaEmptyState>
      ) : null}
      {deployments.length ? (
        <Table highlightOnHover data-testid="deployments-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Target</Table.Th>
              <Table.Th>Profile</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Certificates</Table.Th>
              <Table.Th>Self-destruction</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {deployments.map((d) => {
              const left = isFinished(d) ? null : countdown(d.autoDestroyAt, now);
              return (
                <Table.Tr
                  key={d.id}
                  data-testid={`deployment-row-${d.id}`}
                  data-state={d.state}
                  data-interrupted={d.interrupted}
                  style={{ cursor: 'pointer' }}
                  onClick={() => setSelected(d.id)}
                >
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {d.name}
                    </Text>
                  </Table.Td>
                  <Table.Td>{TARGET_LABELS[d.target]}</Table.Td>
                  <Table.Td>{d.profile}</Table.Td>
                  <Table.Td>
                    <Badge
                      color={stateColor(d.state, d.interrupted)}
                      variant="light"
                      data-testid="deployment-state"
                    >
                      {stateLabel(d.state, d.interrupted)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <CertificateCell d={d} now={now} />
                  </Table.Td>
                  <Table.Td>
                    {left ? (
                      <Text
                        size="sm"
                        ff="monospace"
                        c={countdownColor(d.autoDestroyAt, now)}
                        data-testid="deployment-countdown"
                      >
                        {left}
                      </Text>
                    ) : (
                      <Text size="sm" c="dimmed">
                        —
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td onClick={(e) => e.stopPropagation()}>{actionsOf(d)}</Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      ) : null}
      <Drawer
        opened={current !== undefined}
        onClose={() => setSelected(undefined)}
        position="right"
        size="xl"
        title={current?.name ?? ''}
      >
        {current ? <DeploymentDetail deployment={current} now={now} actions={actionsOf(current)} /> : null}
      </Drawer>
      <ConfirmModal request={confirm} onClose={() => setConfirm(undefined)} />
      <RunModal request={run} onClose={() => setRun(undefined)} onEnded={refresh} />
    </Stack>
  );
}
