import { describe, expect, it } from 'vitest';
import type { ProgressEvent, ResourceRef } from '../../../../shared/deploy';
import {
  initialProgress,
  MAX_LOG_LINES,
  overallFraction,
  reduceProgress,
  timeline,
  type ProgressModel,
} from './progress-model';

const id = 'dep-1';
const fold = (m: ProgressModel, events: ProgressEvent[]) => events.reduce(reduceProgress, m);
const planned = [
  { id: 'binary', title: 'Verified binary', resources: [] },
  { id: 'server', title: 'Start the server', resources: [] },
];
const secret: ResourceRef = { kind: 'secret', id: 'deploy:dep-1:ca', scope: 'keychain', title: 'CA' };

describe('progress model', () => {
  it('lists the planned steps, preflight first, all pending before any event', () => {
    const m = initialProgress(planned);
    expect(m.steps.map((s) => `${s.id}:${s.state}`)).toEqual([
      'preflight:pending',
      'binary:pending',
      'server:pending',
    ]);
    expect(overallFraction(m)).toBe(0);
  });

  it('folds step, progress, log and resource events into steps with bars, a log and the journal view', () => {
    const m = fold(initialProgress(planned), [
      { type: 'phase', deploymentId: id, at: 1000, phase: 'preflight' },
      {
        type: 'step',
        deploymentId: id,
        at: 1000,
        phase: 'preflight',
        step: 'preflight',
        title: 'Pre-flight checks',
        state: 'running',
      },
      {
        type: 'step',
        deploymentId: id,
        at: 1500,
        phase: 'preflight',
        step: 'preflight',
        title: 'Pre-flight checks',
        state: 'done',
        ms: 500,
      },
      { type: 'phase', deploymentId: id, at: 1500, phase: 'apply' },
      {
        type: 'step',
        deploymentId: id,
        at: 1600,
        phase: 'apply',
        step: 'binary',
        title: 'Verified binary',
        state: 'running',
      },
      {
        type: 'progress',
        deploymentId: id,
        at: 1700,
        step: 'binary',
        done: 25,
        total: 100,
        message: 'Downloading',
      },
      { type: 'log', deploymentId: id, at: 1800, step: 'binary', level: 'warn', line: 'no signature' },
      { type: 'resource', deploymentId: id, at: 1900, step: 'binary', resource: secret, state: 'intended' },
      { type: 'resource', deploymentId: id, at: 1950, step: 'binary', resource: secret, state: 'created' },
    ]);
    expect(m.phase).toBe('apply');
    const [pre, bin, server] = m.steps;
    expect(pre).toMatchObject({ state: 'done', fraction: 1, ms: 500, startedAt: 1000, endedAt: 1500 });
    expect(bin).toMatchObject({
      state: 'running',
      fraction: 0.25,
      message: 'Downloading',
      endedAt: undefined,
    });
    expect(server?.state).toBe('pending');
    expect(m.logs).toEqual([{ seq: 0, at: 1800, step: 'binary', level: 'warn', line: 'no signature' }]);
    expect(m.resources).toEqual([{ ref: secret, state: 'created' }]);
    // One done of three, one a quarter through.
    expect(overallFraction(m)).toBeCloseTo(1.25 / 3);
    expect(timeline(m, 2600)).toEqual([
      { id: 'preflight', title: 'Pre-flight checks', state: 'done', from: 0, to: 500 },
      { id: 'binary', title: 'Verified binary', state: 'running', from: 600, to: 1600 },
    ]);
  });

  it("keeps a failed step's error, and adds steps it was not told of (operations, rollback)", () => {
    const error = { code: 'DEPLOY_FAILED', message: 'the port is taken' };
    const m = fold(initialProgress(), [
      {
        type: 'step',
        deploymentId: id,
        at: 1,
        phase: 'rollback',
        step: 'remove-volume',
        title: 'Remove the volume',
        state: 'running',
      },
      {
        type: 'step',
        deploymentId: id,
        at: 2,
        phase: 'rollback',
        step: 'remove-volume',
        title: 'Remove the volume',
        state: 'failed',
        error,
      },
    ]);
    expect(m.steps).toHaveLength(1);
    expect(m.steps[0]).toMatchObject({ id: 'remove-volume', state: 'failed', error, phase: 'rollback' });
  });

  it('keeps only the newest log lines and counts what it dropped', () => {
    let m = initialProgress();
    for (let i = 0; i < MAX_LOG_LINES + 5; i++)
      m = reduceProgress(m, {
        type: 'log',
        deploymentId: id,
        at: i,
        step: 's',
        level: 'info',
        line: `line ${i}`,
      });
    expect(m.logs).toHaveLength(MAX_LOG_LINES);
    expect(m.droppedLogs).toBe(5);
    expect(m.logs[0]?.line).toBe('line 5');
    expect(m.logs.at(-1)?.line).toBe(`line ${MAX_LOG_LINES + 4}`);
  });
});
