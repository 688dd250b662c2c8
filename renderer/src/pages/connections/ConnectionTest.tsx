/** Runs the step-by-step connection test and shows each step with what to do on failure. */
import { Alert, Button, Group, Loader, Stack, Text, ThemeIcon } from '@mantine/core';
import { IconCheck, IconMinus, IconX } from '@tabler/icons-react';
import { useEffect, useRef, useState } from 'react';
import type { TestStep, TestStepId } from '../../../../shared/contracts/connections';
import { useApi } from '../../api/index';
import { describeError } from '../../../../shared/errors';

const LABELS: Record<TestStepId, string> = {
  config: 'API config and certificate',
  reachable: 'Server reachable',
  tls: 'TLS handshake',
  identity: 'Identity known to the server',
  permissions: 'Permissions',
};

export function ConnectionTest(props: { name: string; autoStart?: boolean }) {
  const api = useApi();
  const [steps, setSteps] = useState<Partial<Record<TestStepId, TestStep>>>({});
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const cancel = useRef<(() => void) | null>(null);

  const run = () => {
    setSteps({});
    setError(null);
    setRunning(true);
    cancel.current = api.stream(
      'connections:test',
      { name: props.name },
      {
        data: (s) => setSteps((old) => ({ ...old, [s.step]: s })),
        end: () => setRunning(false),
        error: (e) => {
          setError(describeError(e));
          setRunning(false);
        },
      },
    );
  };
  useEffect(() => {
    const t = props.autoStart ? setTimeout(run, 0) : undefined;
    return () => {
      clearTimeout(t);
      cancel.current?.();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- run once per mount
  }, []);

  return (
    <Stack gap={6} data-testid={`connection-test-${props.name}`}>
      {(Object.keys(LABELS) as TestStepId[]).map((id) => {
        const s = steps[id];
        return (
          <div key={id} data-testid={`test-step-${id}`} data-status={s?.status ?? 'pending'}>
            <Group gap="xs" wrap="nowrap">
              {s?.status === 'running' ? (
                <Loader size={18} />
              ) : (
                <ThemeIcon
                  size={18}
                  radius="xl"
                  color={s?.status === 'ok' ? 'green' : s?.status === 'failed' ? 'red' : 'gray'}
                >
                  {s?.status === 'ok' ? (
                    <IconCheck size={12} />
                  ) : s?.status === 'failed' ? (
                    <IconX size={12} />
                  ) : (
                    <IconMinus size={12} />
                  )}
                </ThemeIcon>
              )}
              <Text size="sm" fw={600}>
                {LABELS[id]}
              </Text>
              <Text size="sm" c="dimmed">
                {s?.message ?? ''}
              </Text>
            </Group>
            {s?.status === 'failed' && s.hint ? (
              <Alert color="red" variant="light" mt={4} ml={26} p="xs">
                <Text size="sm">{s.hint}</Text>
              </Alert>
            ) : null}
          </div>
        );
      })}
      {error ? (
        <Text c="red" size="sm">
          {error}
        </Text>
      ) : null}
      <Group>
        <Button size="xs" variant="default" onClick={run} loading={running} data-testid="run-connection-test">
          Test connection
        </Button>
      </Group>
    </Stack>
  );
}
