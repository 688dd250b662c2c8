/**
 * The dialogs of the operations that need a choice first: destroy (the evidence export is an explicit
 * choice, and a legal hold blocks it), extend the self-destruction, place a legal hold, and read the
 * server's logs. Each shows the backend's own message when it fails.
 * Test ids: `destroy-modal`, `destroy-evidence`, `destroy-run`; `extend-modal`, `extend-hours`,
 * `extend-run`; `hold-modal`, `hold-reason`, `hold-run`; `logs-modal`, `logs-text`; `op-error`.
 */
import {
  Alert,
  Button,
  Code,
  Group,
  Modal,
  NumberInput,
  Radio,
  ScrollArea,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { DeploymentSummary } from '../../../../shared/contracts/deploy';
import { holdProtection, LIFT_EFFECT } from '../../../../shared/deploy';
import { describeError } from '../../../../shared/errors';
import { useApi } from '../../api/index';

function Footer({
  busy,
  error,
  onCancel,
  onRun,
  label,
  color,
  disabled,
  testId,
}: {
  busy: boolean;
  error: string | undefined;
  onCancel: () => void;
  onRun: () => void;
  label: string;
  color: string;
  disabled?: boolean;
  testId: string;
}) {
  return (
    <>
      {error ? (
        <Alert color="red" data-testid="op-error">
          {error}
        </Alert>
      ) : null}
      <Group justify="flex-end">
        <Button variant="default" onClick={onCancel} disabled={busy}>
          Cancel
        </Button>
        <Button color={color} loading={busy} onClick={onRun} disabled={disabled} data-testid={testId}>
          {label}
        </Button>
      </Group>
    </>
  );
}

/** Runs `action`, keeping the dialog open with the backend's message when it fails. */
function useAction(onDone: () => void): {
  busy: boolean;
  error: string | undefined;
  run: (action: () => Promise<unknown>) => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = useCallback(
    (action: () => Promise<unknown>) => {
      setBusy(true);
      setError(undefined);
      action()
        .then(onDone)
        .catch((e: unknown) => setError(describeError(e)))
        .finally(() => setBusy(false));
    },
    [onDone],
  );
  return { busy, error, run };
}

function Dialog({
  deployment,
  title,
  testId,
  onClose,
  children,
}: {
  deployment: DeploymentSummary | undefined;
  title: (d: DeploymentSummary) => string;
  testId: string;
  onClose: () => void;
  children: (d: DeploymentSummary) => ReactNode;
}) {
  return (
    <Modal
      opened={deployment !== undefined}
      onClose={onClose}
      title={deployment ? title(deployment) : ''}
      size="lg"
    >
      {deployment ? (
        <Stack data-testid={testId} key={deployment.id}>
          {children(deployment)}
        </Stack>
      ) : null}
    </Modal>
  );
}

export type RemovedItem = { kind: string; id: string; ok: boolean; error?: string };

export function DestroyModal({
  deployment,
  onClose,
  onDestroyed,
}: {
  deployment: DeploymentSummary | undefined;
  onClose: () => void;
  onDestroyed: (d: DeploymentSummary, removed: RemovedItem[], evidence: string | undefined) => void;
}) {
  return (
    <Dialog
      deployment={deployment}
      title={(d) => `Destroy “${d.name}”?`}
      testId="destroy-modal"
      onClose={onClose}
    >
      {(d) => <DestroyBody d={d} onClose={onClose} onDestroyed={onDestroyed} />}
    </Dialog>
  );
}

function DestroyBody({
  d,
  onClose,
  onDestroyed,
}: {
  d: DeploymentSummary;
  onClose: () => void;
  onDestroyed: (d: DeploymentSummary, removed: RemovedItem[], evidence: string | undefined) => void;
}) {
  const api = useApi();
  const [evidence, setEvidence] = useState<'export' | 'skip'>('export');
  const [folder, setFolder] = useState('');
  const { busy, error, run } = useAction(onClose);
  if (d.legalHold)
    return (
      <Alert color="orange" title="Under legal hold">
        {`Held since ${d.legalHold.since}${d.legalHold.reason ? `: ${d.legalHold.reason}` : ''}. A destroy is refused while the hold stands. ${holdProtection(d.legalHold)}`}
      </Alert>
    );
  return (
    <>
      <Text size="sm">
        The server stops and everything its journal lists is removed — containers, volumes, files, keychain
        secrets, the connection. Its datastore goes with it. This cannot be undone.
      </Text>
      <Radio.Group
        value={evidence}
        onChange={(v) => setEvidence(v === 'skip' ? 'skip' : 'export')}
        label="Evidence on the server"
        data-testid="destroy-evidence"
      >
        <Stack gap={6} mt={6}>
          <Radio
            value="export"
            label="Export every flow and hunt first (zip + sha256 manifest); destroy only if it completes"
          />
          <Radio value="skip" label="Destroy without exporting: what was collected is lost" />
        </Stack>
      </Radio.Group>
      {evidence === 'export' ? (
        <TextInput
          label="Export folder (absolute path)"
          description="Empty: the app's evidence folder in its data folder"
          value={folder}
          onChange={(e) => setFolder(e.currentTarget.value)}
        />
      ) : null}
      <Footer
        busy={busy}
        error={error}
        onCancel={onClose}
        label={evidence === 'export' ? 'Export, then destroy' : 'Destroy'}
        color="red"
        testId="destroy-run"
        onRun={() =>
          run(async () => {
            const r = await api.call('deploy:destroy', {
              id: d.id,
              evidence,
              ...(evidence === 'export' && folder.trim() ? { folder: folder.trim() } : {}),
            });
            onDestroyed(
              d,
              r.removed,
              r.evidence ? `${r.evidence.files} files in ${r.evidence.folder}` : undefined,
            );
          })
        }
      />
    </>
  );
}

export function ExtendModal({
  deployment,
  onClose,
  onExtend,
}: {
  deployment: DeploymentSummary | undefined;
  onClose: () => void;
  onExtend: (d: DeploymentSummary, hours: number) => void;
}) {
  const [hours, setHours] = useState<number>(24);
  return (
    <Dialog
      deployment={deployment}
      title={(d) => `Extend “${d.name}”`}
      testId="extend-modal"
      onClose={onClose}
    >
      {(d) => (
        <>
          <Text size="sm">
            {`It destroys itself at ${d.autoDestroyAt ?? '—'}. Extending moves that time on the target too (its own timer) and in the app.`}
          </Text>
          <NumberInput
            label="Hours to add"
            min={1}
            max={14 * 24}
            value={hours}
            onChange={(v) => setHours(typeof v === 'number' ? v : Number(v) || 0)}
            data-testid="extend-hours"
          />
          <Footer
            busy={false}
            error={undefined}
            onCancel={onClose}
            label="Extend"
            color="blue"
            disabled={!(hours >= 1 && hours <= 14 * 24)}
            testId="extend-run"
            onRun={() => onExtend(d, hours)}
          />
        </>
      )}
    </Dialog>
  );
}

export function LegalHoldModal({
  deployment,
  onClose,
  onChanged,
}: {
  deployment: DeploymentSummary | undefined;
  onClose: () => void;
  onChanged: (d: DeploymentSummary, hold: boolean) => void;
}) {
  return (
    <Dialog
      deployment={deployment}
      title={(d) =>
        d.legalHold ? `Lift the legal hold on “${d.name}”?` : `Place “${d.name}” under legal hold`
      }
      testId="hold-modal"
      onClose={onClose}
    >
      {(d) => <HoldBody d={d} onClose={onClose} onChanged={onChanged} />}
    </Dialog>
  );
}

function HoldBody({
  d,
  onClose,
  onChanged,
}: {
  d: DeploymentSummary;
  onClose: () => void;
  onChanged: (d: DeploymentSummary, hold: boolean) => void;
}) {
  const api = useApi();
  const [reason, setReason] = useState('');
  const { busy, error, run } = useAction(onClose);
  const hold = !d.legalHold;
  return (
    <>
      <Text size="sm">
        {hold
          ? "Nothing destroys it while the hold stands — not the reaper, not a destroy by hand, and its target's own self-destruction timer is disarmed first (if that fails, no hold is placed). On a cloud VM the timer cannot be disarmed: the hold then says so."
          : LIFT_EFFECT}
      </Text>
      {hold ? (
        <TextInput
          label="Reason"
          placeholder="Case 2026-117, counsel's request"
          value={reason}
          maxLength={500}
          onChange={(e) => setReason(e.currentTarget.value)}
          data-testid="hold-reason"
        />
      ) : null}
      <Footer
        busy={busy}
        error={error}
        onCancel={onClose}
        label={hold ? 'Place the hold' : 'Lift the hold'}
        color="orange"
        testId="hold-run"
        onRun={() =>
          run(async () => {
            await api.call('deploy:legal-hold', { id: d.id, hold, reason: reason.trim() });
            onChanged(d, hold);
          })
        }
      />
    </>
  );
}

export function LogsModal({
  deployment,
  onClose,
}: {
  deployment: DeploymentSummary | undefined;
  onClose: () => void;
}) {
  return (
    <Modal
      opened={deployment !== undefined}
      onClose={onClose}
      title={deployment ? `Server log of “${deployment.name}”` : ''}
      size="90%"
    >
      {deployment ? <LogsBody key={deployment.id} id={deployment.id} /> : null}
    </Modal>
  );
}

function LogsBody({ id }: { id: string }) {
  const api = useApi();
  const [text, setText] = useState<string>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => {
    api
      .call('deploy:logs', { id, lines: 500 })
      .then((r) => {
        setText(r.text);
        setError(undefined);
      })
      .catch((e: unknown) => setError(describeError(e)));
  }, [api, id]);
  useEffect(load, [load]);
  return (
    <Stack data-testid="logs-modal">
      {error ? (
        <Alert color="red" data-testid="op-error">
          {error}
        </Alert>
      ) : null}
      <ScrollArea h={480}>
        <Code block data-testid="logs-text">
          {text ?? 'Reading…'}
        </Code>
      </ScrollArea>
      <Group justify="flex-end">
        <Button variant="default" onClick={load}>
          Read again
        </Button>
      </Group>
    </Stack>
  );
}
