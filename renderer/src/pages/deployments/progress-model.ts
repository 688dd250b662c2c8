/**
 * What the live progress of a deployment (or of an operation on one) shows, folded from its
 * ProgressEvents: the steps in order with their state, progress fraction, duration and error; the
 * log lines (the newest MAX_LOG_LINES); the resources as the journal last recorded them. Pure, so the
 * wizard, the resume dialog and the tests share one reading of the event stream.
 */
import type {
  Phase,
  PlannedStep,
  ProgressEvent,
  ResourceRef,
  ResourceState,
  StepState,
} from '../../../../shared/deploy';

export const MAX_LOG_LINES = 2000;

export interface StepView {
  id: string;
  title: string;
  phase: Phase | undefined;
  state: StepState;
  /** 0..1 while the step reports it; 1 once done. */
  fraction: number | undefined;
  message: string | undefined;
  startedAt: number | undefined;
  endedAt: number | undefined;
  ms: number | undefined;
  error: { code: string; message: string } | undefined;
}

export interface LogLine {
  seq: number;
  at: number;
  step: string;
  level: 'info' | 'warn' | 'error';
  line: string;
}

export interface ResourceView {
  ref: ResourceRef;
  state: ResourceState;
}

export interface ProgressModel {
  phase: Phase | undefined;
  steps: StepView[];
  logs: LogLine[];
  /** Lines dropped from the front to keep MAX_LOG_LINES. */
  droppedLogs: number;
  resources: ResourceView[];
  seq: number;
}

function pendingStep(id: string, title: string, phase?: Phase): StepView {
  return {
    id,
    title,
    phase,
    state: 'pending',
    fraction: undefined,
    message: undefined,
    startedAt: undefined,
    endedAt: undefined,
    ms: undefined,
    error: undefined,
  };
}

/**
 * The model before the first event. With the plan's steps the whole list shows as pending from the
 * start (preflight first: every deployment runs it); without them (an operation) steps appear as
 * their events arrive.
 */
export function initialProgress(planned: readonly PlannedStep[] = []): ProgressModel {
  const steps = planned.length
    ? [
        pendingStep('preflight', 'Pre-flight checks', 'preflight'),
        ...planned.map((s) => pendingStep(s.id, s.title)),
      ]
    : [];
  return { phase: undefined, steps, logs: [], droppedLogs: 0, resources: [], seq: 0 };
}

function withStep(
  model: ProgressModel,
  id: string,
  change: (s: StepView) => StepView,
  title = id,
): StepView[] {
  const at = model.steps.findIndex((s) => s.id === id);
  if (at < 0) return [...model.steps, change(pendingStep(id, title))];
  return model.steps.map((s, i) => (i === at ? change(s) : s));
}

const sameResource = (a: ResourceRef, b: ResourceRef) => a.kind === b.kind && a.id === b.id;

export function reduceProgress(model: ProgressModel, e: ProgressEvent): ProgressModel {
  switch (e.type) {
    case 'phase':
      return { ...model, phase: e.phase };
    case 'step':
      return {
        ...model,
        steps: withStep(
          model,
          e.step,
          (s) => ({
            ...s,
            title: e.title,
            phase: e.phase,
            state: e.state,
            startedAt: e.state === 'running' ? e.at : s.startedAt,
            endedAt: e.state === 'running' || e.state === 'pending' ? undefined : e.at,
            ms: e.ms ?? s.ms,
            fraction: e.state === 'done' ? 1 : s.fraction,
            error: e.error,
          }),
          e.title,
        ),
      };
    case 'progress':
      return {
        ...model,
        steps: withStep(model, e.step, (s) => ({
          ...s,
          fraction: e.fraction ?? (e.total ? (e.done ?? 0) / e.total : s.fraction),
          message: e.message ?? s.message,
        })),
      };
    case 'log': {
      const line: LogLine = { seq: model.seq, at: e.at, step: e.step, level: e.level, line: e.line };
      const logs = [...model.logs, line];
      const drop = Math.max(0, logs.length - MAX_LOG_LINES);
      return {
        ...model,
        seq: model.seq + 1,
        logs: drop ? logs.slice(drop) : logs,
        droppedLogs: model.droppedLogs + drop,
      };
    }
    case 'resource': {
      const at = model.resources.findIndex((r) => sameResource(r.ref, e.resource));
      const view = { ref: e.resource, state: e.state };
      return {
        ...model,
        resources: at < 0 ? [...model.resources, view] : model.resources.map((r, i) => (i === at ? view : r)),
      };
    }
  }
}

/** The share of steps finished (done or skipped), for the overall bar. */
export function overallFraction(model: ProgressModel): number {
  if (!model.steps.length) return 0;
  const sum = model.steps.reduce(
    (n, s) =>
      n + (s.state === 'done' || s.state === 'skipped' ? 1 : s.state === 'running' ? (s.fraction ?? 0) : 0),
    0,
  );
  return sum / model.steps.length;
}

/** The steps that ran, as bars on a time axis (ms from the first start): the timeline chart. */
export function timeline(
  model: ProgressModel,
  now: number,
): Array<{ id: string; title: string; state: StepState; from: number; to: number }> {
  const started = model.steps.filter((s) => s.startedAt !== undefined);
  if (!started.length) return [];
  const t0 = Math.min(...started.map((s) => s.startedAt!));
  return started.map((s) => ({
    id: s.id,
    title: s.title,
    state: s.state,
    from: s.startedAt! - t0,
    to: (s.endedAt ?? now) - t0,
  }));
}
