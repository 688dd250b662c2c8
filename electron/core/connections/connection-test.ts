/**
 * The step-by-step connection test as the UI streams it: the config step (read from the saved
 * server) and then the connectivity layer's own test (reachable, TLS, identity, permissions), each
 * step reported as it starts and ends.
 */
import type { TestStep } from '../../../shared/contracts/connections';
import type { ApiConfig, ServerSummary } from '../velociraptor/index';
import {
  connectionHint,
  testConnection as runTest,
  type ConnectionStep,
  type StepId,
} from '../velociraptor/index';

function toStep(s: ConnectionStep | { id: StepId; status: 'running' }): TestStep {
  if (s.status === 'running') return { step: s.id, status: 'running', message: 'Checking…' };
  return {
    step: s.id,
    // The contract has no warning state: a step that works with a caveat is ok, and says why.
    status: s.status === 'warning' ? 'ok' : s.status,
    message: s.message,
    ...(s.hint ? { hint: s.hint } : {}),
    ...(s.errorCode ? { code: s.errorCode } : {}),
  };
}

export async function* testConnection(
  summary: ServerSummary,
  config: ApiConfig,
  now = new Date(),
): AsyncGenerator<TestStep> {
  yield { step: 'config', status: 'running', message: 'Checking the API config…' };
  if (new Date(summary.certNotAfter) < now) {
    yield {
      step: 'config',
      status: 'failed',
      message: `The client certificate expired on ${summary.certNotAfter}.`,
      hint: connectionHint('CERT_EXPIRED') ?? '',
      code: 'CERT_EXPIRED',
    };
    for (const step of ['reachable', 'tls', 'identity', 'permissions'] as const)
      yield { step, status: 'skipped', message: 'Skipped: an earlier step failed.' };
    return;
  }
  yield {
    step: 'config',
    status: 'ok',
    message: `API user "${summary.user}", certificate valid until ${summary.certNotAfter}.`,
  };

  // The connectivity test reports through a callback; queue its steps and yield them as they come.
  const queue: TestStep[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  const run = runTest(config, {
    onStep: (s) => {
      queue.push(toStep(s));
      wake?.();
    },
  }).finally(() => {
    finished = true;
    wake?.();
  });
  run.catch(() => undefined); // awaited below
  for (;;) {
    const next = queue.shift();
    if (next) {
      yield next;
      continue;
    }
    if (finished) break;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
  await run;
}
