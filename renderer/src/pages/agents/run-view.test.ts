import { describe, expect, it } from 'vitest';
import type { HostStatus, RunCounts } from '../../../../shared/agents';
import { orderedHosts, runActions, stateSegments, withPoint } from './run-view';

const host = (key: string, state: HostStatus['state']): HostStatus => ({
  key,
  host: key,
  port: 22,
  state,
  attempts: 1,
});
const counts = (c: Partial<RunCounts>): RunCounts => ({
  total: 3,
  queued: 0,
  active: 0,
  enrolled: 0,
  removed: 0,
  failed: 0,
  cancelled: 0,
  ...c,
});

describe('the live table of a push', () => {
  it('draws the state bar in the state machine order and lists failed hosts first', () => {
    const hosts = [host('c', 'enrolled'), host('a', 'uploading'), host('b', 'failed'), host('d', 'enrolled')];
    expect(stateSegments(hosts)).toEqual([
      { state: 'uploading', count: 1 },
      { state: 'enrolled', count: 2 },
      { state: 'failed', count: 1 },
    ]);
    expect(orderedHosts(hosts).map((h) => h.key)).toEqual(['b', 'a', 'c', 'd']);
  });

  it('adds a chart point only when the counts change', () => {
    const created = '2026-12-06T00:00:00.000Z';
    const t0 = Date.parse(created);
    let h = withPoint([], { createdAt: created, counts: counts({ queued: 3 }) }, t0 + 1000);
    h = withPoint(h, { createdAt: created, counts: counts({ queued: 3 }) }, t0 + 2000);
    h = withPoint(
      h,
      { createdAt: created, counts: counts({ queued: 1, active: 1, enrolled: 1 }) },
      t0 + 2500,
    );
    expect(h).toEqual([
      { t: 1, queued: 3, active: 0, enrolled: 0, failed: 0 },
      { t: 2.5, queued: 1, active: 1, enrolled: 1, failed: 0 },
    ]);
  });

  it('offers cancel while it runs, resume when interrupted, retry when hosts failed', () => {
    expect(runActions({ state: 'running', interrupted: false, counts: counts({ active: 1 }) })).toEqual({
      cancel: true,
      resume: false,
      retryFailed: false,
    });
    expect(runActions({ state: 'running', interrupted: true, counts: counts({ active: 1 }) })).toMatchObject({
      cancel: false,
      resume: true,
    });
    expect(
      runActions({ state: 'finished', interrupted: false, counts: counts({ enrolled: 2, failed: 1 }) }),
    ).toEqual({
      cancel: false,
      resume: false,
      retryFailed: true,
    });
  });
});
