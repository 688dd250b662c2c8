/**
 * The hunt chart's points over the hunt's whole life, from the server's per-client flow records
 * (when each flow started and ended), not from polls since the page opened: a responder opening a
 * day-old hunt sees how it went.
 */
import type { HuntFlow } from '../../../../shared/contracts/hunts';

export interface TimelinePoint {
  ms: number;
  scheduled: number;
  finished: number;
  withResults: number;
  errors: number;
}

/** At most this many points: the chart stays light for a hunt of thousands of clients. */
export const TIMELINE_POINTS = 60;

export function huntTimeline(
  startMs: number,
  flows: readonly HuntFlow[],
  nowMs: number,
  points = TIMELINE_POINTS,
): TimelinePoint[] {
  const first = flows.reduce((m, f) => (f.startedMs > 0 ? Math.min(m, f.startedMs) : m), Infinity);
  const from = startMs > 0 ? Math.min(startMs, first) : first;
  if (!Number.isFinite(from) || nowMs <= from) return [];
  const ends = flows.map((f) => (f.finishedMs > 0 ? f.finishedMs : Infinity));
  const step = (nowMs - from) / (points - 1);
  const out: TimelinePoint[] = [];
  for (let i = 0; i < points; i++) {
    const t = i === points - 1 ? nowMs : from + step * i;
    const p: TimelinePoint = { ms: t, scheduled: 0, finished: 0, withResults: 0, errors: 0 };
    flows.forEach((f, k) => {
      if (f.startedMs > 0 && f.startedMs <= t) p.scheduled++;
      if (ends[k]! <= t) {
        if (f.state === 'ERROR') p.errors++;
        else {
          p.finished++;
          if (f.rows > 0) p.withResults++;
        }
      }
    });
    out.push(p);
  }
  return out;
}
