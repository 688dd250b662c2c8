import { describe, expect, it } from 'vitest';
import type { HuntFlow } from '../../../../shared/contracts/hunts';
import { huntTimeline } from './hunt-timeline';

function flow(startedMs: number, finishedMs: number, state: string, rows: number): HuntFlow {
  return { clientId: `C.${startedMs}`, hostname: 'h', flowId: 'F.1', state, rows, startedMs, finishedMs };
}

describe('hunt timeline', () => {
  it('counts from the hunt start to now, from each flow start and end', () => {
    const flows = [
      flow(1_000, 2_000, 'FINISHED', 5),
      flow(1_500, 4_000, 'ERROR', 0),
      flow(3_000, 0, 'RUNNING', 0),
    ];
    const t = huntTimeline(1_000, flows, 5_000, 5);
    expect(t.map((p) => p.ms)).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
    expect(t.map((p) => p.scheduled)).toEqual([1, 2, 3, 3, 3]);
    expect(t.map((p) => p.finished)).toEqual([0, 1, 1, 1, 1]);
    expect(t.map((p) => p.withResults)).toEqual([0, 1, 1, 1, 1]);
    expect(t.map((p) => p.errors)).toEqual([0, 0, 0, 1, 1]);
  });

  it('starts at the earliest flow when the hunt start is unknown, and is empty before anything ran', () => {
    expect(huntTimeline(0, [flow(2_000, 3_000, 'FINISHED', 0)], 4_000, 3).map((p) => p.ms)).toEqual([
      2_000, 3_000, 4_000,
    ]);
    expect(huntTimeline(0, [], 4_000)).toEqual([]);
  });
});
