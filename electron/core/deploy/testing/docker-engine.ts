/**
 * The Docker engine of an integration test: the one `npm test` started for the integration stage
 * (MEGARAPTOR_TEST_DOCKER_HOST), else one of the test's own (scripts/dockerd.mjs), else none — then
 * the test skips with the reason, except in CI where a missing engine is a failure.
 */
import { dockerdUnavailable, startDockerd, stopDockerd } from '../../../../scripts/dockerd.mjs';
import type { EngineRef } from '../docker/engine';

export const CI = process.env.CI === 'true' || process.env.CI === '1';
export const DOCKER_HOST_ENV = 'MEGARAPTOR_TEST_DOCKER_HOST';

export type TestEngine = { ref: EngineRef; stop(): Promise<void> } | { skip: string };

export async function testEngine(): Promise<TestEngine> {
  const given = process.env[DOCKER_HOST_ENV];
  if (given?.startsWith('unix://'))
    return { ref: { kind: 'socket', path: given.slice(7) }, stop: async () => undefined };
  // `npm test` could not start one and said why.
  if (given?.startsWith('unavailable:')) return { skip: given.slice('unavailable:'.length) };
  const why = dockerdUnavailable();
  if (why) return { skip: why };
  const d = await startDockerd();
  return { ref: { kind: 'socket', path: d.socket }, stop: () => stopDockerd(d) };
}
