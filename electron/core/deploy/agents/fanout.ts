/**
 * Pushing agents to many hosts at once, the same way for every channel (SSH, WinRM): the run's
 * concurrency bounds the hosts being connected to, uploaded to and installed on (a host waiting for its
 * agent to enrol gives its slot to the next one, up to VERIFYING_PER_SLOT per slot); each host walks its state machine
 * (queued → connecting → uploading → installing → verifying → enrolled, or failed with a reason, or
 * cancelled), every state journaled before the host moves on. Only transient failures (the host could
 * not be reached, a connection dropped) are retried, after a growing delay and up to the run's limit; a
 * refused login, a changed host key or a failed install is final at once. Cancelling stops new work and
 * aborts the hosts in flight. A run a dead process left behind resumes from its journal: finished hosts
 * keep their outcome, the others start over (each push step may run again).
 *
 * What is done once per run (the verified release, the client config, the installer server) belongs to
 * the channel's session (`HostPusher.open`), not to each host.
 */
import { setMaxListeners } from 'node:events';
import type {
  AgentChannel,
  AgentRunEvent,
  HostError,
  HostState,
  PushHost,
  RunState,
} from '../../../../shared/agents';
import { FINAL_HOST_STATES } from '../../../../shared/agents';
import { AppError, asError, isAppError, messageOf } from '../../../../shared/errors';
import {
  countsOf,
  isInterruptedRun,
  newRunId,
  RunJournal,
  type AgentRunDoc,
  type AgentRunStore,
  type HostResource,
  type RunHost,
} from './run-journal';

export type WorkState = Extract<HostState, 'connecting' | 'uploading' | 'installing' | 'verifying'>;

/** What a channel's push of one host may do with its journal entry and the live table. */
export interface HostContext {
  readonly runId: string;
  readonly host: Readonly<Pick<RunHost, 'key' | 'host' | 'port' | 'os'>>;
  readonly attempt: number;
  readonly signal: AbortSignal;
  /** Moves the host to `state` (journaled before it resolves). */
  enter(state: WorkState, message?: string): Promise<void>;
  /** Progress within the state (not journaled; events are throttled). */
  progress(fraction: number, message?: string): void;
  /** What the host is, once detected. */
  setPlatform(text: string): Promise<void>;
  log(line: string, level?: 'info' | 'warn' | 'error'): void;
  /** Journals the resource(s) intended, runs `make`, journals them created. */
  create<T>(
    resource: Omit<HostResource, 'state'> | Array<Omit<HostResource, 'state'>>,
    make: () => Promise<T>,
  ): Promise<T>;
  /** Journals resources as removed (uninstall). */
  removed(resources: Array<Omit<HostResource, 'state'>>): Promise<void>;
  /** The resources an earlier attempt or run journaled on this host (for idempotent re-runs). */
  readonly resources: readonly HostResource[];
}

/** How a host's push ended well: an agent enrolled, or (uninstall) the agent is gone. */
export type PushOutcome =
  { outcome: 'enrolled'; clientId: string } | { outcome: 'removed'; clientId?: string };

/** One run of a channel: opened once (release, config, servers), then pushes each host. */
export interface PushSession {
  push(ctx: HostContext): Promise<PushOutcome>;
  close(): Promise<void>;
}

/** What a pusher gets when a run opens its session: the run, its cancel signal, its log. */
export interface PushOpenContext {
  runId: string;
  signal: AbortSignal;
  log(line: string, level?: 'info' | 'warn' | 'error'): void;
}

export interface HostPusher {
  readonly channel: AgentChannel;
  /** The default port of the channel for a host that names none. */
  defaultPort(settings: unknown): number;
  /** Validates settings (no side effects); the run journals the result. */
  parseSettings(settings: unknown): unknown;
  open(settings: unknown, ctx: PushOpenContext): Promise<PushSession>;
}

export interface PushPlan {
  name: string;
  channel: AgentChannel;
  settings: unknown;
  hosts: PushHost[];
  concurrency: number;
  /** Further attempts for a transiently failed host (0 = none). */
  retries: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  onEvent?: (e: AgentRunEvent) => void;
}

export interface FanoutDeps {
  store: AgentRunStore;
  pushers: HostPusher[];
  clock?: () => Date;
  /** Delay before attempt n+1 (n ≥ 1); default 2 s · 2^(n−1), at most 30 s, with jitter. */
  retryDelayMs?: (attempt: number) => number;
  heartbeatMs?: number;
  /** Milliseconds between two progress events of one host; default 250. */
  progressEveryMs?: number;
}

export const MAX_CONCURRENCY = 64;

/** Hosts verifying (waiting for the agent to enrol) hold no slot; this many per slot may wait so. */
export const VERIFYING_PER_SLOT = 4;

/** Failures another attempt may cure: the host (or the way to it) was unreachable or dropped. */
const TRANSIENT = new Set(['SSH_UNREACHABLE', 'WINRM_UNREACHABLE', 'DEPLOY_TARGET_UNREACHABLE']);

export function hostErrorOf(e: unknown, state: HostState): HostError {
  if (isAppError(e))
    return {
      code: e.code,
      message: e.message,
      transient: TRANSIENT.has(e.code) || (e.code === 'TIMEOUT' && state === 'connecting'),
    };
  return { code: 'INTERNAL', message: messageOf(e), transient: false };
}

function defaultRetryDelay(attempt: number): number {
  const base = Math.min(30_000, 2_000 * 2 ** (attempt - 1));
  return Math.round(base * (0.5 + Math.random() / 2));
}

function hostKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export class AgentPushRunner {
  private readonly pushers = new Map<AgentChannel, HostPusher>();

  constructor(private readonly deps: FanoutDeps) {
    for (const p of deps.pushers) this.pushers.set(p.channel, p);
  }

  private now(): Date {
    return this.deps.clock?.() ?? new Date();
  }

  private pusher(channel: AgentChannel): HostPusher {
    const p = this.pushers.get(channel);
    if (!p) throw new AppError('INVALID_ARGUMENT', `No agent push over ${channel} is available here.`);
    return p;
  }

  /** The journal document a plan starts as (also the review the wizard shows). */
  draft(plan: PushPlan): AgentRunDoc {
    const pusher = this.pusher(plan.channel);
    if (!Number.isInteger(plan.concurrency) || plan.concurrency < 1 || plan.concurrency > MAX_CONCURRENCY)
      throw new AppError('INVALID_ARGUMENT', `Concurrency must be 1–${MAX_CONCURRENCY}.`);
    if (!Number.isInteger(plan.retries) || plan.retries < 0 || plan.retries > 10)
      throw new AppError('INVALID_ARGUMENT', 'Retries must be 0–10.');
    if (!plan.hosts.length) throw new AppError('INVALID_ARGUMENT', 'The push lists no host.');
    const settings = pusher.parseSettings(plan.settings);
    const port = pusher.defaultPort(settings);
    const seen = new Set<string>();
    const hosts: RunHost[] = [];
    for (const h of plan.hosts) {
      const key = hostKey(h.host, h.port ?? port);
      if (seen.has(key)) continue;
      seen.add(key);
      hosts.push({
        key,
        host: h.host,
        port: h.port ?? port,
        os: h.os,
        state: 'queued',
        attempts: 0,
        resources: [],
      });
    }
    const at = this.now().toISOString();
    return {
      format: 'megaraptor-agent-run',
      version: 1,
      id: newRunId(),
      name: plan.name,
      channel: plan.channel,
      settings,
      concurrency: plan.concurrency,
      retries: plan.retries,
      state: 'running',
      owner: null,
      createdAt: at,
      updatedAt: at,
      hosts,
    };
  }

  /** Journals the plan and pushes to every host; resolves with the final journal. */
  async start(plan: PushPlan, options: RunOptions = {}): Promise<AgentRunDoc> {
    const journal = new RunJournal(this.deps.store, this.draft(plan), () => this.now());
    await journal.update(() => undefined);
    return this.run(journal, options);
  }

  /** Runs a dead process left unfinished: resume them. */
  async interrupted(): Promise<AgentRunDoc[]> {
    const { runs } = await this.deps.store.list();
    const now = this.now().getTime();
    return runs.filter((r) => isInterruptedRun(r, now));
  }

  /**
   * Continues a run: hosts that ended stay as they are, the others (queued, half-done, cancelled)
   * are queued again. A finished run can be resumed too, to retry its cancelled hosts.
   */
  async resume(id: string, options: RunOptions & { retryFailed?: boolean } = {}): Promise<AgentRunDoc> {
    const journal = new RunJournal(this.deps.store, await this.deps.store.read(id), () => this.now());
    await journal.claim(this.deps.heartbeatMs);
    await journal.update((d) => {
      d.state = 'running';
      delete d.error;
      for (const h of d.hosts) {
        const again = h.state === 'cancelled' || (options.retryFailed === true && h.state === 'failed');
        if (!FINAL_HOST_STATES.includes(h.state) || again) {
          h.state = 'queued';
          h.attempts = 0;
          delete h.error;
          delete h.endedAt;
          delete h.progress;
          h.message = 'queued again (resumed)';
        }
      }
    });
    return this.run(journal, options, true);
  }

  private async run(journal: RunJournal, options: RunOptions, claimed = false): Promise<AgentRunDoc> {
    if (!claimed) await journal.claim(this.deps.heartbeatMs);
    const runId = journal.doc.id;
    const emit = (e: AgentRunEvent): void => {
      try {
        options.onEvent?.(e);
      } catch {
        // A watcher's failure must not stop the push.
      }
    };
    const log = (line: string, level: 'info' | 'warn' | 'error' = 'info', key?: string): void =>
      emit({ type: 'log', runId, at: Date.now(), level, line, ...(key ? { key } : {}) });
    const runEvent = (state: RunState): void =>
      emit({ type: 'run', runId, at: Date.now(), state, counts: countsOf(journal.doc.hosts) });
    const hostEvent = (h: RunHost): void => {
      const { resources: _r, os: _o, ...status } = h;
      emit({ type: 'host', runId, at: Date.now(), host: structuredClone(status) });
    };

    const controller = new AbortController();
    // One listener per host in flight (verifying ones too) plus the run's own.
    setMaxListeners(MAX_CONCURRENCY * VERIFYING_PER_SLOT + 16, controller.signal);
    const onAbort = (): void => controller.abort();
    if (options.signal?.aborted) controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const signal = controller.signal;
    runEvent('running');
    for (const h of journal.doc.hosts) hostEvent(h);

    const pusher = this.pusher(journal.doc.channel);
    let session: PushSession | undefined;
    try {
      session = await pusher.open(journal.doc.settings, { runId, signal, log: (l, lv) => log(l, lv) });
    } catch (e) {
      const err = hostErrorOf(e, 'connecting');
      await journal.update((d) => {
        d.state = signal.aborted ? 'cancelled' : 'failed';
        d.error = { code: err.code, message: err.message };
      });
      await journal.release();
      options.signal?.removeEventListener('abort', onAbort);
      runEvent(journal.doc.state);
      log(`The push could not start: ${err.message}`, 'error');
      return structuredClone(journal.doc);
    }

    const ready: Array<{ key: string; at: number }> = journal.doc.hosts
      .filter((h) => h.state === 'queued')
      .map((h) => ({ key: h.key, at: 0 }));
    let waiting = 0; // hosts in a retry delay
    const retryDelay = this.deps.retryDelayMs ?? defaultRetryDelay;
    const progressEvery = this.deps.progressEveryMs ?? 250;

    let wake: () => void = () => undefined;
    // Hosts waiting for another attempt; cancelling ends the wait (workers return, timers are cleared).
    const retryTimers = new Set<NodeJS.Timeout>();
    const pushOne = async (key: string, release: () => void): Promise<void> => {
      const h = journal.host(key);
      const attempt = h.attempts + 1;
      const hostAbort = new AbortController();
      const stop = (): void => hostAbort.abort();
      signal.addEventListener('abort', stop, { once: true });
      let lastProgress = 0;
      let state: HostState = 'connecting';
      const ctx: HostContext = {
        runId,
        host: { key, host: h.host, port: h.port, os: h.os },
        attempt,
        signal: hostAbort.signal,
        resources: h.resources,
        enter: async (next, message) => {
          if (hostAbort.signal.aborted)
            throw new AppError('CANCELLED', `The push to ${h.host} was cancelled.`);
          state = next;
          await journal.update(() => {
            h.state = next;
            delete h.progress;
            if (message !== undefined) h.message = message;
            else delete h.message;
          });
          hostEvent(h);
          if (next === 'verifying') release();
        },
        progress: (fraction, message) => {
          h.progress = Math.max(0, Math.min(1, fraction));
          if (message !== undefined) h.message = message;
          const t = Date.now();
          if (t - lastProgress >= progressEvery || fraction >= 1) {
            lastProgress = t;
            hostEvent(h);
          }
        },
        setPlatform: async (text) => {
          await journal.update(() => {
            h.platform = text;
          });
          hostEvent(h);
        },
        log: (line, level = 'info') => log(line, level, key),
        create: async (resource, make) => {
          const list = Array.isArray(resource) ? resource : [resource];
          const upsert = (s: HostResource['state']): void => {
            for (const r of list) {
              const i = h.resources.findIndex((x) => x.kind === r.kind && x.id === r.id);
              const entry = { ...r, state: s };
              if (i >= 0) h.resources[i] = entry;
              else h.resources.push(entry);
            }
          };
          await journal.update(() => upsert('intended'));
          const made = await make();
          await journal.update(() => upsert('created'));
          return made;
        },
        removed: async (list) => {
          await journal.update(() => {
            for (const r of list) {
              const i = h.resources.findIndex((x) => x.kind === r.kind && x.id === r.id);
              if (i >= 0) h.resources[i] = { ...r, state: 'removed' };
              else h.resources.push({ ...r, state: 'removed' });
            }
          });
        },
      };
      await journal.update(() => {
        h.state = 'connecting';
        h.attempts = attempt;
        h.startedAt ??= this.now().toISOString();
        delete h.error;
        delete h.endedAt;
        h.message = attempt > 1 ? `attempt ${attempt}` : undefined;
        if (h.message === undefined) delete h.message;
      });
      hostEvent(h);
      try {
        const done = await session.push(ctx);
        await journal.update(() => {
          h.state = done.outcome;
          if (done.clientId) h.clientId = done.clientId;
          h.progress = 1;
          h.message = done.outcome === 'enrolled' ? `enrolled as ${done.clientId}` : 'agent removed';
          h.endedAt = this.now().toISOString();
        });
        hostEvent(h);
        log(`${h.host}: ${h.message}`, 'info', key);
      } catch (e) {
        const cancelled = signal.aborted;
        const err = cancelled
          ? { code: 'CANCELLED', message: 'Cancelled by the responder.', transient: false }
          : hostErrorOf(e, state);
        const retry = !cancelled && err.transient && attempt <= journal.doc.retries;
        await journal.update(() => {
          h.state = cancelled ? 'cancelled' : retry ? 'queued' : 'failed';
          h.error = err;
          delete h.progress;
          h.message = retry ? `retrying after: ${err.message}` : err.message;
          if (!retry) h.endedAt = this.now().toISOString();
        });
        hostEvent(h);
        log(`${h.host}: ${retry ? 'will retry' : 'failed'} — ${err.message}`, retry ? 'warn' : 'error', key);
        if (retry) {
          waiting++;
          const timer = setTimeout(() => {
            retryTimers.delete(timer);
            waiting--;
            ready.push({ key, at: 0 });
            wake();
          }, retryDelay(attempt));
          retryTimers.add(timer);
        }
      } finally {
        signal.removeEventListener('abort', stop);
      }
    };

    // Slots bound the hosts being connected to, uploaded to and installed on. A host waiting for its
    // agent to enrol (verifying: a status poll and an API query a second) gives its slot back, so the
    // next upload starts; at most VERIFYING_PER_SLOT × the concurrency hosts are in flight in all.
    const limit = journal.doc.concurrency;
    let free = limit;
    let busy = 0;
    let failure: unknown;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((r) => (finish = r));
    const settle = (): void => {
      if (busy === 0 && (signal.aborted || (waiting === 0 && ready.length === 0))) finish();
    };
    const launch = (): void => {
      while (!signal.aborted && free > 0 && busy < limit * VERIFYING_PER_SLOT && ready.length) {
        const next = ready.shift()!;
        free--;
        busy++;
        let held = true;
        const release = (): void => {
          if (!held) return;
          held = false;
          free++;
          launch();
        };
        pushOne(next.key, release)
          .catch((e: unknown) => {
            // The journal could not be written: stop the run and say why.
            failure ??= e;
            controller.abort();
          })
          .finally(() => {
            busy--;
            release();
            runEvent('running');
            settle();
          });
      }
      settle();
    };
    wake = launch;
    signal.addEventListener('abort', settle, { once: true });

    try {
      launch();
      await finished;
      if (failure !== undefined) throw asError(failure);
    } finally {
      for (const t of retryTimers) clearTimeout(t);
      signal.removeEventListener('abort', settle);
      await session
        .close()
        .catch((e: unknown) => log(`Closing the push session failed: ${messageOf(e)}`, 'warn'));
      options.signal?.removeEventListener('abort', onAbort);
    }

    const cancelled = signal.aborted;
    await journal.update((d) => {
      for (const h of d.hosts)
        if (!FINAL_HOST_STATES.includes(h.state)) {
          h.state = 'cancelled';
          h.message = 'Cancelled before it was pushed.';
          h.endedAt = this.now().toISOString();
        }
      d.state = cancelled ? 'cancelled' : 'finished';
    });
    for (const h of journal.doc.hosts) if (h.state === 'cancelled') hostEvent(h);
    await journal.release();
    runEvent(journal.doc.state);
    return structuredClone(journal.doc);
  }
}
