/**
 * A StepContext for unit tests of one step: resources and outputs recorded in memory (the runner's
 * journal is exercised in runner.test.ts), secrets in a MemorySecretStore.
 */
import type { ResourceRef } from '../../../../shared/deploy';
import { MemorySecretStore } from '../../credentials/memory-store';
import type { Scalar, StepContext } from '../model';

export interface RecordingContext extends StepContext {
  secrets: MemorySecretStore;
  made: ResourceRef[];
  removed: ResourceRef[];
  logs: string[];
  outputs: Record<string, Scalar>;
}

export function recordingContext(
  deploymentId = 'dtest000001',
  outputs: Record<string, Scalar> = {},
): RecordingContext {
  const ctx: RecordingContext = {
    deploymentId,
    signal: new AbortController().signal,
    secrets: new MemorySecretStore(),
    made: [],
    removed: [],
    logs: [],
    outputs: { ...outputs },
    progress: () => undefined,
    log: (line) => ctx.logs.push(line),
    now: () => new Date(),
    setOutput: (k, v) => {
      ctx.outputs[k] = v;
      return Promise.resolve();
    },
    create: async (ref, make, facts) => {
      const out = await make();
      ctx.made.push(facts ? { ...ref, facts: { ...ref.facts, ...facts(out) } } : ref);
      return out;
    },
    remove: (ref) => {
      ctx.removed.push(ref);
      return Promise.resolve();
    },
  };
  return ctx;
}
