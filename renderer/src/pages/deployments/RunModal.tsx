/**
 * Work on an existing deployment that streams progress (resume after a crash; operations), shown
 * live. Closing while it runs asks first: closing cancels the stream, and the core stops the work.
 * Test id: `run-modal` (data-status).
 */
import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { ProgressEvent } from '../../../../shared/deploy';
import type { StreamHandlers } from '../../api/index';
import { ProgressView } from './ProgressView';
import { useProgressRun } from './use-progress-run';

export interface RunRequest {
  title: string;
  /** What success means, said when it ended. */
  doneMessage: string;
  open: (handlers: StreamHandlers<ProgressEvent>) => () => void;
}

export function RunModal({
  request,
  onClose,
  onEnded,
}: {
  request: RunRequest | undefined;
  onClose: () => void;
  /** Called once the run ended either way (the list refreshes). */
  onEnded: () => void;
}) {
  return (
    <Modal
      opened={request !== undefined}
      onClose={onClose}
      title={request?.title ?? ''}
      size="xl"
      closeOnClickOutside={false}
      closeOnEscape={false}
      withCloseButton={false}
    >
      {request ? <RunBody key={request.title} request={request} onClose={onClose} onEnded={onEnded} /> : null}
    </Modal>
  );
}

function RunBody({
  request,
  onClose,
  onEnded,
}: {
  request: RunRequest;
  onClose: () => void;
  onEnded: () => void;
}) {
  const run = useProgressRun(() => onEnded());
  const [asking, setAsking] = useState(false);
  const { start } = run;
  useEffect(() => {
    start(request.open);
  }, [start, request]);
  const running = run.status === 'running';
  return (
    <Stack data-testid="run-modal" data-status={run.status}>
      <ProgressView model={run.model} running={running} />
      {run.status === 'done' ? (
        <Alert color="green" data-testid="run-done">
          {request.doneMessage}
        </Alert>
      ) : null}
      {run.error ? (
        <Alert color="red" title="It did not complete" data-testid="run-error">
          {run.error}
        </Alert>
      ) : null}
      {asking ? (
        <Alert color="orange">
          <Text size="sm">
            Stop now? The core stops the work; what it had made is rolled back or left for clean-up.
          </Text>
          <Group mt="xs">
            <Button size="xs" color="orange" onClick={onClose}>
              Stop
            </Button>
            <Button size="xs" variant="default" onClick={() => setAsking(false)}>
              Keep going
            </Button>
          </Group>
        </Alert>
      ) : null}
      <Group justify="flex-end">
        <Button
          variant="default"
          onClick={() => (running ? setAsking(true) : onClose())}
          data-testid="run-close"
        >
          {running ? 'Stop…' : 'Close'}
        </Button>
      </Group>
    </Stack>
  );
}
