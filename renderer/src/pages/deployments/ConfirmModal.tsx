/**
 * Asks before an action that cannot be undone (clean-up, destroy, lifting a hold), runs it, and
 * shows the backend's own message when it fails. Test ids: `confirm-modal`, `confirm-run`, `confirm-error`.
 */
import { Alert, Button, Group, Modal, Stack } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { describeError } from '../../../../shared/errors';

export interface ConfirmRequest {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  color?: string;
  /** Rejects with the backend's error; the dialog stays open and shows it. */
  run: () => Promise<void>;
}

export function ConfirmModal({
  request,
  onClose,
}: {
  request: ConfirmRequest | undefined;
  onClose: () => void;
}) {
  return (
    <Modal opened={request !== undefined} onClose={onClose} title={request?.title ?? ''} size="lg">
      {request ? <ConfirmBody key={request.title} request={request} onClose={onClose} /> : null}
    </Modal>
  );
}

function ConfirmBody({ request, onClose }: { request: ConfirmRequest; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const go = () => {
    setBusy(true);
    setError(undefined);
    request
      .run()
      .then(onClose)
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => setBusy(false));
  };
  return (
    <Stack data-testid="confirm-modal">
      {request.body}
      {error ? (
        <Alert color="red" data-testid="confirm-error">
          {error}
        </Alert>
      ) : null}
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button color={request.color ?? 'red'} loading={busy} onClick={go} data-testid="confirm-run">
          {request.confirmLabel}
        </Button>
      </Group>
    </Stack>
  );
}
