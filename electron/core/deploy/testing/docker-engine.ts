/**
 * The Docker engine of an integration test: the one `npm test` started for the integration stage
 * (MEGARAPTOR_TEST_DOCKER_HOST), else one of the test's own (scripts/dockerd.mjs). As a RealPart
 * (test/real-parts.ts): in CI a missing engine fails, elsewhere its tests skip with the reason.
 */
import { dockerdUnavailable, startDockerd, stopDockerd } from '../../../../scripts/dockerd.mjs';
import { RealPart } from '../../../../test/real-parts';
import type { EngineRef } from '../docker/engine';

export const DOCKER_HOST_ENV = 'MEGARAPTOR_TEST_DOCKER_HOST';

/** Whether an engine is here (or can be started), decided without starting one. */
export function dockerEngine(): RealPart {
  const given = process.env[DOCKER_HOST_ENV];
  if (given?.startsWith('unix://')) return new RealPart('a Docker engine', undefined);
  // `npm test` could not start one and said why.
  if (given?.startsWith('unavailable:'))
    return new RealPart('a Docker engine', given.slice('unavailable:'.length));
  return new RealPart('a Docker engine', dockerdUnavailable() ?? undefined);
}

export interface TestEngine {
  ref: EngineRef;
  stop(): Promise<void>;
}

/** The engine to use (call when `dockerEngine().ready`). */
export async function startTestEngine(): Promise<TestEngine> {
  const given = process.env[DOCKER_HOST_ENV];
  if (given?.startsWith('unix://'))
    return { ref: { kind: 'socket', path: given.slice(7) }, stop: async () => undefined };
  const d = await startDockerd();
  return { ref: { kind: 'socket', path: d.socket }, stop: () => stopDockerd(d) };
}
