/**
 * Deployments: every server the app deployed (or was deploying when it stopped) with its state,
 * profile, soonest certificate expiry and countdown to self-destruction; deployments a dead process
 * left unfinished first, with resume (live progress) and clean-up; the wizard for a new one; the
 * details and actions of one in a drawer. Errors are the backend's own (describeError).
 * Test ids: `deployments-table`, `deployment-row-<id>` (data-state, data-interrupted),
 * `deployments-interrupted`, `deploy-new`.
 */
import {
  Alert,
  Badge,
  Button,
  Drawer,
  Group,
  List,
  Menu,
  Stack,
  Table,
  Text,
  Title,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  IconCertificate,
  IconChevronDown,
  IconClockPlus,
  IconFileDownload,
  IconFileText,
  IconGavel,
  IconPlayerPlay,
  IconPlus,
  IconRefresh,
  IconRotateClockwise,
  IconServer2,
  IconTrash,
} from '@tabler/icons-react';
import { useCallback, useEffect, useState } from 'react';
import type { DeploymentSummary } from '../../../../shared/contracts/deploy';
import { describeError } from '../../../../shared/errors';
import { useApi } from '../../api/index';
import { AreaEmptyState } from '../../app/AreaEmptyState';
import { announceDeploymentsChanged } from '../../app/deployment-notices';
import { ConfirmModal, type ConfirmRequest } from './ConfirmModal';
import { DeploymentDetail } from './DeploymentDetail';
import { DeployWizard } from './DeployWizard';
import {
  countdown,
  countdownColor,
  daysLeftLabel,
  EXPIRY_COLORS,
  isFinished,
  soonestCertificate,
  stateColor,
  stateLabel,
  TARGET_LABELS,
} from './deployment-view';
import { DestroyModal, ExtendModal, LegalHoldModal, LogsModal, type RemovedItem } from './OperationModals';
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
        // The navigation badge counts the same notices: keep it in step with what the page shows.
        announceDeploymentsChanged();
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

function CertificateCell({ d }: { d: DeploymentSummary }) {
  const soonest = soonestCertificate(d);
  if (!soonest || isFinished(d))
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  return (
    <Tooltip label={`${soonest.title} certificate, ${soonest.notAfter}`}>
      <Badge variant="light" color={EXPIRY_COLORS[soonest.level]} data-testid="deployment-cert-expiry">
        {daysLeftLabel(soonest.daysLeft)}
      </Badge>
    </Tooltip>
  );
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** What the removal said, as one notification: every resource that could not be removed is named. */
function reportRemoval(name: string, what: string, removed: RemovedItem[], extra?: string): void {
  const failed = removed.filter((r) => !r.ok);
  notifications.show(
    failed.length
      ? {
          color: 'orange',
          title: `“${name}”: ${failed.length} resource(s) could not be removed`,
          message: failed.map((f) => `${f.kind} ${f.id}: ${f.error ?? 'failed'}`).join('; '),
        }
      : {
          color: 'green',
          message: `“${name}” ${what}: ${removed.length} resource(s) removed.${extra ? ` Evidence: ${extra}.` : ''}`,
        },
  );
}

export function DeploymentsPage() {
  const api = useApi();
  const { list, error, refresh } = useDeployments();
  const now = useNow();
  const [selected, setSelected] = useState<string>();
  const [confirm, setConfirm] = useState<ConfirmRequest>();
  const [run, setRun] = useState<RunRequest>();
  const [wizard, setWizard] = useState(false);
  const [destroying, setDestroying] = useState<DeploymentSummary>();
  const [extending, setExtending] = useState<DeploymentSummary>();
  const [holding, setHolding] = useState<DeploymentSummary>();
  const [logsOf, setLogsOf] = useState<DeploymentSummary>();
  const [reaping, setReaping] = useState(false);

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
          {`Removes exactly what its journal lists — ${plural(d.resources.filter((r) => r.state !== 'removed').length, 'resource')} (containers, volumes, files, processes, keychain secrets, the connection) — then the journal. Nothing else is touched.`}
        </Text>
      ),
      run: async () => {
        const r = await api.call('deploy:cleanup', { id: d.id });
        setSelected(undefined);
        reportRemoval(d.name, 'cleaned up', r.removed);
        refresh();
      },
    });

  const restart = (d: DeploymentSummary) =>
    setRun({
      title: `Restart “${d.name}”`,
      doneMessage: `“${d.name}” restarted and answers again.`,
      open: (h) => api.stream('deploy:restart', { id: d.id }, h),
    });

  const renew = (d: DeploymentSummary) =>
    setRun({
      title: `Renew the certificates of “${d.name}”`,
      doneMessage:
        'Renewed under the same CA with the same keys, pushed to the server, which answers with them.',
      open: (h) => api.stream('deploy:renew', { id: d.id, mode: 'renew' }, h),
    });

  const exportEvidence = (d: DeploymentSummary) =>
    setConfirm({
      title: `Export the evidence of “${d.name}”`,
      confirmLabel: 'Export',
      color: 'blue',
      body: (
        <Text size="sm">
          Every flow and hunt is exported into the app&apos;s evidence folder, as zips with a sha256 manifest.
        </Text>
      ),
      run: async () => {
        const r = await api.call('deploy:export-evidence', { id: d.id });
        notifications.show({
          color: r.failures.length ? 'orange' : 'green',
          title: `${r.files} files exported to ${r.folder}`,
          message: r.failures.length
            ? `Not exported: ${r.failures.map((f) => `${f.what} (${f.error})`).join('; ')}`
            : `Manifest: ${r.manifest}`,
        });
        refresh();
      },
    });

  const exportDocs = (d: DeploymentSummary) => {
    api
      .call('deploy:export-docs', { id: d.id })
      .then((r) =>
        notifications.show({
          color: 'green',
          title: `Hand-over documents written to ${r.folder}`,
          message: r.files.join(', '),
        }),
      )
      .catch((e: unknown) =>
        notifications.show({
          color: 'red',
          title: 'The documents were not written',
          message: describeError(e),
        }),
      );
  };

  const reap = () => {
    setReaping(true);
    api
      .call('deploy:reap', {})
      .then((r) => {
        notifications.show({
          color: r.outcomes.some((o) => o.outcome === 'failed' || o.outcome === 'export-failed')
            ? 'orange'
            : 'green',
          title: r.outcomes.length
            ? `${r.outcomes.length} deployment(s) past their time`
            : 'Nothing is past its time',
          message: r.outcomes.map((o) => `${o.name}: ${o.outcome} — ${o.message}`).join('\n') || ' ',
        });
        refresh();
      })
      .catch((e: unknown) =>
        notifications.show({ color: 'red', title: 'The reaper did not run', message: describeError(e) }),
      )
      .finally(() => setReaping(false));
  };

  const actionsOf = (d: DeploymentSummary) => {
    if (d.interrupted)
      return (
        <Group gap="xs" wrap="nowrap">
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
        </Group>
      );
    if (d.state === 'failed' || d.state === 'rollback-failed' || d.state === 'rolled-back')
      return (
        <Button
          size="xs"
          color="orange"
          variant="light"
          onClick={() => cleanup(d)}
          data-testid="deployment-cleanup"
        >
          Clean up
        </Button>
      );
    if (d.state !== 'deployed') return null;
    return (
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <Button
            size="xs"
            variant="light"
            rightSection={<IconChevronDown size={14} />}
            data-testid="deployment-actions"
          >
            Actions
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Item
            leftSection={<IconFileText size={14} />}
            onClick={() => setLogsOf(d)}
            data-testid="action-logs"
          >
            Server log
          </Menu.Item>
          <Menu.Item
            leftSection={<IconRotateClockwise size={14} />}
            onClick={() => restart(d)}
            data-testid="action-restart"
          >
            Restart
          </Menu.Item>
          <Menu.Item
            leftSection={<IconCertificate size={14} />}
            onClick={() => renew(d)}
            data-testid="action-renew"
          >
            Renew certificates
          </Menu.Item>
          {d.autoDestroyAt ? (
            <Menu.Item
              leftSection={<IconClockPlus size={14} />}
              onClick={() => setExtending(d)}
              data-testid="action-extend"
            >
              Extend…
            </Menu.Item>
          ) : null}
          <Menu.Item
            leftSection={<IconGavel size={14} />}
            onClick={() => setHolding(d)}
            data-testid="action-hold"
          >
            {d.legalHold ? 'Lift legal hold…' : 'Legal hold…'}
          </Menu.Item>
          <Menu.Item
            leftSection={<IconFileDownload size={14} />}
            onClick={() => exportEvidence(d)}
            data-testid="action-evidence"
          >
            Export evidence…
          </Menu.Item>
          <Menu.Item
            leftSection={<IconFileDownload size={14} />}
            onClick={() => exportDocs(d)}
            data-testid="action-docs"
          >
            Export hand-over docs
          </Menu.Item>
          <Menu.Divider />
          <Menu.Item
            color="red"
            leftSection={<IconTrash size={14} />}
            disabled={d.legalHold !== null}
            onClick={() => setDestroying(d)}
            data-testid="deployment-destroy"
          >
            {d.legalHold ? 'Destroy (held)' : 'Destroy…'}
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
    );
  };

  const deployments = list?.deployments ?? [];
  const interrupted = deployments.filter((d) => d.interrupted);
  // Warnings and worse, one box per deployment (certificates at 30, 7, 1 days; self-destruction 24 h and 1 h ahead).
  const noticed = deployments.filter((d) => d.notices.some((n) => n.level !== 'info'));
  const current = deployments.find((d) => d.id === selected);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Deployments</Title>
        <Group gap="xs">
          <Button variant="default" leftSection={<IconRefresh size={16} />} onClick={refresh}>
            Refresh
          </Button>
          <Tooltip label="Destroy what is past its self-destruction time now (the app also does it at start and every few minutes)">
            <Button variant="default" onClick={reap} loading={reaping} data-testid="deploy-reap">
              Reap now
            </Button>
          </Tooltip>
          <Button
            leftSection={<IconPlus size={16} />}
            onClick={() => setWizard(true)}
            data-testid="deploy-new"
          >
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
      {noticed.map((d) => (
        <Alert
          key={d.id}
          color={d.notices.some((n) => n.level === 'critical') ? 'red' : 'orange'}
          title={`“${d.name}”`}
          data-testid="deployment-notice"
        >
          <List size="sm">
            {d.notices
              .filter((n) => n.level !== 'info')
              .map((n) => (
                <List.Item key={n.key}>{n.message}</List.Item>
              ))}
          </List>
        </Alert>
      ))}
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
                    <CertificateCell d={d} />
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
        {current ? <DeploymentDetail deployment={current} actions={actionsOf(current)} /> : null}
      </Drawer>
      <ConfirmModal request={confirm} onClose={() => setConfirm(undefined)} />
      <RunModal request={run} onClose={() => setRun(undefined)} onEnded={refresh} />
      <DeployWizard opened={wizard} onClose={() => setWizard(false)} onChanged={refresh} />
      <DestroyModal
        deployment={destroying}
        onClose={() => setDestroying(undefined)}
        onDestroyed={(d, removed, evidence) => {
          setSelected(undefined);
          reportRemoval(d.name, 'destroyed', removed, evidence);
          refresh();
        }}
      />
      <ExtendModal
        deployment={extending}
        onClose={() => setExtending(undefined)}
        onExtend={(d, hours) => {
          setExtending(undefined);
          setRun({
            title: `Extend “${d.name}” by ${hours} h`,
            doneMessage: 'Extended on the target and in the app.',
            open: (h) => api.stream('deploy:extend', { id: d.id, hours }, h),
          });
        }}
      />
      <LegalHoldModal
        deployment={holding}
        onClose={() => setHolding(undefined)}
        onChanged={(d, hold) => {
          notifications.show({
            color: 'green',
            message: `“${d.name}”: legal hold ${hold ? 'placed' : 'lifted'}.`,
          });
          refresh();
        }}
      />
      <LogsModal deployment={logsOf} onClose={() => setLogsOf(undefined)} />
    </Stack>
  );
}
