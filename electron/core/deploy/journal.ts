/**
 * The deployment journal: one JSON document per deployment under `<dataDir>/deployments/`, replaced
 * atomically (credentials/atomic-file.ts: temp file, fsync, rename, directory fsync) on every change.
 * A process killed at any instant leaves the previous or the next version, never a torn one, so the
 * app can always tell what a deployment was doing and which resources may exist:
 *
 * - a resource is written `intended` BEFORE the target is asked to make it and `created` after;
 * - a step is `running` before it starts and `done` after its last resource;
 * - the owner (pid + token + heartbeat) says which process works on it; a journal in an active state
 *   whose owner is gone is an interrupted deployment (listed at start: resume or clean up).
 *
 * It never holds a secret: settings, facts and outputs are checked for key material before writing.
 */
import { randomBytes } from 'node:crypto';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  ACTIVE_STATES,
  DeploymentState,
  LegalHold,
  OperationKind,
  Phase,
  PlannedStep,
  type ResourceFacts,
  ResourceRef,
  ResourceState,
  StepState,
  TargetKind,
} from '../../../shared/deploy';
import { AppError, messageOf } from '../../../shared/errors';
import { JsonFile } from '../files/index';
import type { DeploymentPlan } from './model';
import type { ResolvedProfile } from './profiles';

export const JOURNAL_FORMAT = 'megaraptor-deployment-journal';

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

export const JournalResource = ResourceRef.extend({
  state: ResourceState,
  step: z.string(),
  at: z.string(),
  /** Why its removal failed (kept for the responder; the resource stays listed). */
  error: z.string().optional(),
});
export type JournalResource = z.infer<typeof JournalResource>;

export const JournalStep = z.object({
  id: z.string(),
  phase: Phase,
  state: StepState,
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type JournalStep = z.infer<typeof JournalStep>;

export const JournalOwner = z.object({
  pid: z.number().int(),
  token: z.string(),
  since: z.string(),
  heartbeatAt: z.string(),
});
export type JournalOwner = z.infer<typeof JournalOwner>;

/** One piece of work on a deployed server (renewal, restart, extend…): its steps are journaled with phase `operate`. */
export const JournalOperation = z.object({
  id: z.string(),
  kind: OperationKind,
  title: z.string(),
  state: z.enum(['running', 'done', 'failed']),
  /** The step ids of this operation, in order (their states are in `steps`, phase `operate`). */
  steps: z.array(z.string()),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Public facts of the outcome (new expiry dates, the new destruction time, the reason of a hold). */
  details: z.record(z.string(), Scalar).optional(),
});
export type JournalOperation = z.infer<typeof JournalOperation>;

export const JournalDoc = z.object({
  format: z.literal(JOURNAL_FORMAT),
  version: z.literal(1),
  id: z.string(),
  name: z.string(),
  target: TargetKind,
  /** The resolved profile (limits, lifetimes, auto-destroy) as planned. */
  profile: z.record(z.string(), z.unknown()),
  settings: z.unknown(),
  plannedSteps: z.array(PlannedStep),
  warnings: z.array(z.string()),
  state: DeploymentState,
  owner: JournalOwner.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  deployedAt: z.string().optional(),
  autoDestroyAt: z.string().nullable(),
  steps: z.array(JournalStep),
  resources: z.array(JournalResource),
  outputs: z.record(z.string(), Scalar),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /**
   * While set, the app destroys nothing of the deployment: not the reaper, not a destroy; the target's
   * own timer is disarmed where the target allows (`targetTimer` says).
   */
  legalHold: LegalHold.nullable().optional(),
  /** Work done on it after deploy, newest last (kept to the last 50). */
  operations: z.array(JournalOperation).optional(),
  /** Notices already given (their keys), so each is given once. */
  noticesGiven: z.array(z.string()).optional(),
});
export type JournalDoc = z.infer<typeof JournalDoc>;

/** Key material must never reach the journal; a match is a bug in the caller, refused loudly. */
const SECRET_SHAPES = /-----BEGIN [A-Z ]*PRIVATE KEY-----|-----BEGIN OPENSSH|password_hash|"password"\s*:/;

export function assertNoSecrets(doc: unknown): void {
  const text = JSON.stringify(doc);
  if (SECRET_SHAPES.test(text))
    throw new AppError(
      'INTERNAL',
      'Refusing to write key material or a password into the deployment journal.',
    );
}

const ID = /^[a-z0-9][a-z0-9-]{2,63}$/;

export function newDeploymentId(): string {
  // Short, lowercase, usable in container, volume and host names.
  return `d${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export function checkDeploymentId(id: string): string {
  if (!ID.test(id)) throw new AppError('INVALID_ARGUMENT', `"${id}" is not a deployment id.`);
  return id;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How long an owner may stay silent before its deployment counts as interrupted even if its pid lives (pid reuse, a hung process). */
export const OWNER_STALE_MS = 120_000;

export function ownerAlive(owner: JournalOwner | null, now = Date.now()): boolean {
  if (!owner) return false;
  if (!pidAlive(owner.pid)) return false;
  return now - Date.parse(owner.heartbeatAt) < OWNER_STALE_MS;
}

/** An active journal whose owner is gone: resume or clean it up. */
export function isInterrupted(doc: JournalDoc, now = Date.now()): boolean {
  return (ACTIVE_STATES.includes(doc.state) || !!runningOperation(doc)) && !ownerAlive(doc.owner, now);
}

/**
 * The operation on a deployed server that has not ended (a dead process left it running when its
 * owner is gone): clean-up removes what its steps made, the deployment stays as it was.
 */
export function runningOperation(doc: JournalDoc): JournalOperation | undefined {
  return doc.operations?.find((o) => o.state === 'running');
}

/** Resources clean-up must still remove (anything that may exist), newest first. */
export function liveResources(doc: JournalDoc): JournalResource[] {
  return doc.resources
    .filter((r) => r.state === 'intended' || r.state === 'created' || r.state === 'removing')
    .reverse();
}

/**
 * The folder of journals. Each open deployment is edited through one JournalHandle, which serializes
 * its writes; the store itself only lists, reads and deletes.
 */
export class JournalStore {
  constructor(readonly dir: string) {}

  pathOf(id: string): string {
    return join(this.dir, `${checkDeploymentId(id)}.json`);
  }

  private file(id: string): JsonFile<typeof JournalDoc> {
    return new JsonFile(this.pathOf(id), JournalDoc, {
      damaged: (damage, path) =>
        `The journal of deployment ${id} ${damage === 'not-json' ? 'is not valid JSON' : 'has an unexpected structure'} (${path}). Its resources must be checked by hand.`,
    });
  }

  async read(id: string): Promise<JournalDoc> {
    const doc = await this.file(id).read();
    if (!doc) throw new AppError('NOT_FOUND', `No deployment "${id}" is journaled.`, { details: { id } });
    return doc;
  }

  /** Every journal; unreadable ones are reported, not hidden. */
  async list(): Promise<{ journals: JournalDoc[]; problems: Array<{ id: string; message: string }> }> {
    const names = await readdir(this.dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    const journals: JournalDoc[] = [];
    const problems: Array<{ id: string; message: string }> = [];
    for (const name of names.sort()) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const id = name.slice(0, -'.json'.length);
      if (!ID.test(id)) continue;
      try {
        journals.push(await this.read(id));
      } catch (e) {
        problems.push({ id, message: messageOf(e) });
      }
    }
    return { journals, problems };
  }

  async write(doc: JournalDoc): Promise<void> {
    assertNoSecrets(doc);
    await this.file(doc.id).write(doc);
  }

  async delete(id: string): Promise<void> {
    await unlink(this.pathOf(id)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}

export type JournalWriteListener = (doc: Readonly<JournalDoc>, label: string) => Promise<void> | void;

/**
 * One deployment's journal, owned by this process: every mutation is applied to the in-memory copy
 * and written before the returned promise resolves, one write at a time, in call order.
 */
export class JournalHandle {
  private queue: Promise<void> = Promise.resolve();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: JournalStore,
    private current: JournalDoc,
    private readonly options: { clock?: () => Date; afterWrite?: JournalWriteListener } = {},
  ) {}

  get doc(): Readonly<JournalDoc> {
    return this.current;
  }

  private nowIso(): string {
    return (this.options.clock?.() ?? new Date()).toISOString();
  }

  /** Applies `change` and writes the result; `label` names the boundary (for listeners and tests). */
  update(label: string, change: (doc: JournalDoc) => void): Promise<void> {
    const run = async (): Promise<void> => {
      const next = structuredClone(this.current);
      change(next);
      next.updatedAt = this.nowIso();
      if (next.owner) next.owner.heartbeatAt = next.updatedAt;
      await this.store.write(next);
      this.current = next;
      await this.options.afterWrite?.(this.current, label);
    };
    const p = this.queue.then(run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Takes ownership (refused while another live process holds it) and keeps the heartbeat fresh. */
  async claim(heartbeatMs = 30_000): Promise<void> {
    if (this.current.owner && this.current.owner.pid !== process.pid && ownerAlive(this.current.owner))
      throw new AppError(
        'DEPLOY_IN_PROGRESS',
        `Deployment ${this.current.name} is being worked on by process ${this.current.owner.pid}. Wait for it, or stop that process first.`,
        { details: { id: this.current.id, pid: this.current.owner.pid } },
      );
    const since = this.nowIso();
    await this.update('claim', (d) => {
      d.owner = { pid: process.pid, token: randomBytes(8).toString('hex'), since, heartbeatAt: since };
    });
    this.heartbeat = setInterval(() => {
      this.update('heartbeat', () => undefined).catch(() => undefined);
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  /** Gives ownership up (the deployment reached a resting state or this process stops). */
  async release(): Promise<void> {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    await this.update('release', (d) => {
      d.owner = null;
    });
  }

  stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Waits for queued writes (tests, shutdown). */
  flushed(): Promise<void> {
    return this.queue;
  }

  setState(state: DeploymentState, extra: (doc: JournalDoc) => void = () => undefined): Promise<void> {
    return this.update(`state:${state}`, (d) => {
      d.state = state;
      extra(d);
    });
  }

  stepState(
    id: string,
    phase: Phase,
    state: z.infer<typeof StepState>,
    error?: { code: string; message: string },
  ): Promise<void> {
    return this.update(`step:${id}:${state}`, (d) => {
      let s = d.steps.find((x) => x.id === id && x.phase === phase);
      if (!s) {
        s = { id, phase, state };
        d.steps.push(s);
      }
      s.state = state;
      if (state === 'running') {
        s.startedAt = this.nowIso();
        delete s.endedAt;
        delete s.error;
      } else s.endedAt = this.nowIso();
      if (error) s.error = error;
    });
  }

  resource(ref: ResourceRef, state: ResourceState, step: string, error?: string): Promise<void> {
    return this.update(`resource:${ref.kind}:${ref.id}:${state}`, (d) => {
      const i = d.resources.findIndex((r) => r.kind === ref.kind && r.id === ref.id && r.scope === ref.scope);
      const entry: JournalResource = {
        ...ref,
        ...(i >= 0 && d.resources[i]!.facts && !ref.facts ? { facts: d.resources[i]!.facts } : {}),
        state,
        step,
        at: this.nowIso(),
        ...(error ? { error } : {}),
      };
      // Keep first-made order: clean-up walks it backwards.
      if (i >= 0) d.resources[i] = entry;
      else d.resources.push(entry);
    });
  }

  setOutput(key: string, value: string | number | boolean): Promise<void> {
    return this.update(`output:${key}`, (d) => {
      d.outputs[key] = value;
    });
  }

  /** Facts of a resource learned after it was made (an image id, a published port). */
  resourceFacts(ref: ResourceRef, facts: z.infer<typeof ResourceFacts>): Promise<void> {
    return this.update(`facts:${ref.kind}:${ref.id}`, (d) => {
      const r = d.resources.find((x) => x.kind === ref.kind && x.id === ref.id && x.scope === ref.scope);
      if (r) r.facts = { ...r.facts, ...facts };
    });
  }
}

/** The plan a journal was made from (the settings and profile as journaled). */
export function planOf(doc: JournalDoc): DeploymentPlan {
  return {
    deploymentId: doc.id,
    name: doc.name,
    target: doc.target,
    profile: doc.profile as unknown as ResolvedProfile,
    settings: doc.settings,
    steps: doc.plannedSteps,
    warnings: doc.warnings,
    createdAt: doc.createdAt,
    autoDestroyAt: doc.autoDestroyAt,
  };
}
