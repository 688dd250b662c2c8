/**
 * What the live table of a push draws from its summary: the state bar's segments, the history of
 * counts for the chart (one point per poll, deduplicated), the order of rows (failed and busy first),
 * and what can be done with the run. Pure, so the tests pin it.
 */
import { HostState, type AgentRunSummary, type HostStatus, type RunCounts } from '../../../../shared/agents';

export const STATE_COLORS: Record<HostState, string> = {
  queued: 'gray',
  connecting: 'cyan',
  uploading: 'blue',
  installing: 'indigo',
  verifying: 'violet',
  enrolled: 'green',
  removed: 'teal',
  failed: 'red',
  cancelled: 'orange',
};

/** Hosts per state, in the state machine's order (zeros left out). */
export function stateSegments(
  hosts: readonly Pick<HostStatus, 'state'>[],
): Array<{ state: HostState; count: number }> {
  const n = new Map<HostState, number>();
  for (const h of hosts) n.set(h.state, (n.get(h.state) ?? 0) + 1);
  return HostState.options.filter((s) => n.get(s)).map((s) => ({ state: s, count: n.get(s)! }));
}

export interface CountsPoint {
  /** Seconds since the run was created. */
  t: number;
  queued: number;
  active: number;
  enrolled: number;
  failed: number;
}

/** Adds the poll's counts to the history (a point only when they changed, and at most 600 points). */
export function withPoint(
  history: CountsPoint[],
  run: Pick<AgentRunSummary, 'createdAt' | 'counts'>,
  now: number,
): CountsPoint[] {
  const c: RunCounts = run.counts;
  const point: CountsPoint = {
    t: Math.max(0, Math.round((now - Date.parse(run.createdAt)) / 100) / 10),
    queued: c.queued,
    active: c.active,
    enrolled: c.enrolled + c.removed,
    failed: c.failed + c.cancelled,
  };
  const last = history[history.length - 1];
  if (
    last &&
    last.queued === point.queued &&
    last.active === point.active &&
    last.enrolled === point.enrolled &&
    last.failed === point.failed
  )
    return history;
  const next = [...history, point];
  return next.length > 600 ? next.filter((_, i) => i % 2 === 0 || i === next.length - 1) : next;
}

const RANK: Record<HostState, number> = {
  failed: 0,
  connecting: 1,
  uploading: 1,
  installing: 1,
  verifying: 1,
  queued: 2,
  cancelled: 3,
  enrolled: 4,
  removed: 4,
};

/** Failed hosts first (what needs the responder), then the ones in flight, then the rest; by host. */
export function orderedHosts(hosts: readonly HostStatus[]): HostStatus[] {
  return [...hosts].sort((a, b) => RANK[a.state] - RANK[b.state] || a.key.localeCompare(b.key));
}

export function runActions(run: Pick<AgentRunSummary, 'state' | 'interrupted' | 'counts'>): {
  cancel: boolean;
  resume: boolean;
  retryFailed: boolean;
} {
  const live = run.state === 'running' && !run.interrupted;
  const unfinished = run.counts.queued + run.counts.active + run.counts.cancelled > 0;
  return {
    cancel: live,
    resume: !live && (run.interrupted || unfinished),
    retryFailed: !live && run.counts.failed > 0,
  };
}
