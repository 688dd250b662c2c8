/**
 * Runs any Deployer the same way: plan → preflight → apply → verify, journaling every step and every
 * resource before and after it is made, emitting progress events, and rolling back what was made when
 * a step fails. After a crash it resumes a deployment from its first unfinished step or cleans it up,
 * removing exactly the resources its journal lists (intended ones too: a crash may have come between
 * the target making one and the journal saying so). A removal that fails is reported and its resource
 * stays in the journal — never hidden.
 */
import type { ProgressEvent, ResourceRef, TargetKind } from '../../../shared/deploy';
import { AppError, isAppError, messageOf } from '../../../shared/errors';
import type { SecretStore } from '../credentials/index';
import {
  isInterrupted,
  JournalHandle,
  liveResources,
  newDeploymentId,
  planOf,
  runningOperation,
  type JournalDoc,
  type JournalOperation,
  type JournalResource,
  type JournalStore,
  type JournalWriteListener,
} from './journal';
import type {
  Deployer,
  DeploymentPlan,
  DeployRequest,
  OperationDefinition,
  PreflightCheck,
  PreflightContext,
  ProgressReport,
  ResourceRemover,
  Scalar,
  StepContext,
  StepDefinition,
} from './model';
import { autoDestroyAt, checkTarget, resolveProfile, type ResolvedProfile } from './profiles';

export interface RunnerDeps {
  journals: JournalStore;
  secrets: SecretStore;
  deployers: Deployer[];
  /** Removers for kinds no deployer owns (the app's connections). Secrets are removed by the runner. */
  removers?: ResourceRemover[];
  clock?: () => Date;
  /** Called after every journal write (tests pause a child here to kill it at a step boundary). */
  afterJournalWrite?: JournalWriteListener;
  heartbeatMs?: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  onEvent?: (e: ProgressEvent) => void;
}

export interface RemovalOutcome {
  resource: ResourceRef;
  ok: boolean;
  error?: string;
}

export interface OperationOutcome {
  journal: JournalDoc;
  operation: JournalOperation;
}

/** How many operations a journal keeps (newest last). */
const OPERATIONS_KEPT = 50;

export interface DeployOutcome {
  deploymentId: string;
  journal: JournalDoc;
}

/** A legal hold blocks every removal path; lifting it is a deliberate act of the responder. */
export function refuseHeld(doc: JournalDoc): JournalDoc {
  if (doc.legalHold)
    throw new AppError(
      'DEPLOY_LEGAL_HOLD',
      `Deployment ${doc.name} is under a legal hold since ${doc.legalHold.since} (${doc.legalHold.reason}). Lift the hold first if it may really be destroyed.`,
      { details: { id: doc.id, legalHold: doc.legalHold } },
    );
  return doc;
}

function errorOf(e: unknown): { code: string; message: string } {
  return isAppError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: messageOf(e) };
}

export class DeploymentRunner {
  private readonly byTarget = new Map<TargetKind, Deployer>();
  private readonly byKind = new Map<ResourceRef['kind'], ResourceRemover[]>();

  constructor(private readonly deps: RunnerDeps) {
    for (const d of deps.deployers) this.byTarget.set(d.target, d);
    for (const r of [...deps.deployers, ...(deps.removers ?? [])])
      for (const k of r.kinds) this.byKind.set(k, [...(this.byKind.get(k) ?? []), r]);
  }

  private now(): Date {
    return this.deps.clock?.() ?? new Date();
  }

  private deployer(target: TargetKind): Deployer {
    const d = this.byTarget.get(target);
    if (!d) throw new AppError('INVALID_ARGUMENT', `No deployer for the target "${target}" is available.`);
    return d;
  }

  /** Resolves and enforces the profile, then asks the target for its plan. No side effects. */
  async plan(target: TargetKind, request: DeployRequest<unknown>): Promise<DeploymentPlan> {
    const profile: ResolvedProfile = resolveProfile(request.profile, request.overrides);
    checkTarget(profile, target);
    const deployer = this.deployer(target);
    return deployer.plan(request, { deploymentId: newDeploymentId(), now: this.now(), profile });
  }

  /** Journals the plan and runs it to a deployed, verified server (or rolls back and throws). */
  async deploy(plan: DeploymentPlan, options: RunOptions = {}): Promise<DeployOutcome> {
    const now = this.now().toISOString();
    const doc: JournalDoc = {
      format: 'megaraptor-deployment-journal',
      version: 1,
      id: plan.deploymentId,
      name: plan.name,
      target: plan.target,
      profile: plan.profile as unknown as Record<string, unknown>,
      settings: plan.settings,
      plannedSteps: plan.steps,
      warnings: plan.warnings,
      state: 'planned',
      owner: null,
      createdAt: now,
      updatedAt: now,
      autoDestroyAt: plan.autoDestroyAt,
      steps: [],
      resources: [],
      outputs: {},
    };
    const handle = this.handle(doc);
    await handle.update('plan', () => undefined);
    await handle.claim(this.deps.heartbeatMs);
    return this.run(handle, plan, 'preflight', options);
  }

  /**
   * The target's pre-flight checks of a plan, read-only and not journaled: what the review shows
   * before anything is made (who the cloud credentials are, names free). The deployment runs them again.
   */
  async check(plan: DeploymentPlan, signal: AbortSignal): Promise<PreflightCheck[]> {
    return this.deployer(plan.target).preflight(plan, {
      signal,
      progress: () => undefined,
      log: () => undefined,
    });
  }

  /** Deployments a dead process left in an active state: offer resume or clean-up. */
  async interrupted(): Promise<JournalDoc[]> {
    const { journals } = await this.deps.journals.list();
    const now = this.now().getTime();
    return journals.filter((j) => isInterrupted(j, now));
  }

  /** Continues an interrupted deployment from its first unfinished step. */
  async resume(id: string, options: RunOptions = {}): Promise<DeployOutcome> {
    const handle = this.handle(await this.deps.journals.read(id));
    await handle.claim(this.deps.heartbeatMs);
    const doc = handle.doc;
    if (doc.state === 'rolling-back' || doc.state === 'destroying') {
      // Halfway through removing: finish the removal, never re-create.
      await this.removeAll(handle, doc.state === 'destroying' ? 'destroy' : 'rollback', options);
      return { deploymentId: id, journal: handle.doc };
    }
    const op = runningOperation(doc);
    if (op) {
      await handle.release();
      throw new AppError(
        'CONFLICT',
        `"${op.title}" on ${doc.name} was interrupted; an operation is not continued after a crash. Clean up (it removes what the operation had made; ${doc.name} stays ${doc.state}), then run it again.`,
        { details: { id, operation: op.id } },
      );
    }
    if (
      doc.state !== 'planned' &&
      doc.state !== 'preflight' &&
      doc.state !== 'applying' &&
      doc.state !== 'verifying'
    ) {
      await handle.release();
      throw new AppError('CONFLICT', `Deployment ${doc.name} is ${doc.state}; there is nothing to resume.`);
    }
    const plan = planOf(doc);
    // The interrupted step may have made part of its resources: remove those, then run it again.
    const step = doc.steps.find((s) => s.state === 'running' || s.state === 'failed');
    if (step) {
      for (const r of liveResources(doc).filter((x) => x.step === step.id))
        await this.removeOne(handle, r, step.id, options);
    }
    return this.run(
      handle,
      plan,
      doc.state === 'planned' || doc.state === 'preflight' ? 'preflight' : 'steps',
      options,
    );
  }

  /** Removes everything an interrupted or failed deployment made, then forgets it. */
  async cleanup(id: string, options: RunOptions = {}): Promise<RemovalOutcome[]> {
    const handle = this.handle(refuseHeld(await this.deps.journals.read(id)));
    await handle.claim(this.deps.heartbeatMs);
    const op = runningOperation(handle.doc);
    if (op) return this.abandonOperation(handle, op, options);
    return this.removeAll(handle, 'rollback', options, { forgetWhenClean: true });
  }

  /**
   * Clean-up of an operation a dead process left running: what its steps made goes (newest first,
   * each journaled), the operation is marked failed, the deployment stays as it was. When something
   * cannot be removed the operation stays running, so clean-up is offered again.
   */
  private async abandonOperation(
    handle: JournalHandle,
    op: JournalOperation,
    options: RunOptions,
  ): Promise<RemovalOutcome[]> {
    const steps = new Set(op.steps);
    const outcomes: RemovalOutcome[] = [];
    for (const r of liveResources(handle.doc).filter((x) => steps.has(x.step)))
      outcomes.push(await this.removeOne(handle, r, r.step, options));
    const failed = outcomes.filter((o) => !o.ok);
    if (!failed.length)
      await handle.update(`operation:${op.kind}:failed`, (d) => {
        const o = d.operations?.find((x) => x.id === op.id);
        if (!o) return;
        o.state = 'failed';
        o.endedAt = this.now().toISOString();
        o.error = {
          code: 'INTERRUPTED',
          message: `The process running it ended; clean-up removed the ${outcomes.length} resource(s) it had made.`,
        };
      });
    await handle.release();
    return outcomes;
  }

  /** Destroys a deployment (deployed or not): every resource it made, then its journal. */
  async destroy(id: string, options: RunOptions = {}): Promise<RemovalOutcome[]> {
    const handle = this.handle(refuseHeld(await this.deps.journals.read(id)));
    await handle.claim(this.deps.heartbeatMs);
    return this.removeAll(handle, 'destroy', options, { forgetWhenClean: true });
  }

  /**
   * Runs work on a deployed server: every step journaled (phase `operate`) under an operation entry,
   * the deployment owned by this process meanwhile. When a step fails, the resources the operation
   * made are removed, `undo` runs, and the error says what could not be undone — never hidden.
   */
  async operate(id: string, op: OperationDefinition, options: RunOptions = {}): Promise<OperationOutcome> {
    const handle = this.handle(await this.deps.journals.read(id));
    const allowed = op.allowedStates ?? ['deployed'];
    if (!allowed.includes(handle.doc.state))
      throw new AppError(
        'CONFLICT',
        `Deployment ${handle.doc.name} is ${handle.doc.state}: "${op.title}" needs it ${allowed.join(' or ')}.`,
        { details: { id, state: handle.doc.state } },
      );
    await handle.claim(this.deps.heartbeatMs);
    const key = (r: { kind: string; id: string; scope: string }) => `${r.kind}\0${r.id}\0${r.scope}`;
    const liveBefore = new Set(liveResources(handle.doc).map(key));
    const opId = `op-${Date.now().toString(36)}`;
    const stepIds = op.steps.map((s) => `${op.kind}-${s.id}`);
    const entry: JournalOperation = {
      id: opId,
      kind: op.kind,
      title: op.title,
      state: 'running',
      steps: stepIds,
      startedAt: this.now().toISOString(),
    };
    const setOp = (label: string, change: (o: JournalOperation, d: JournalDoc) => void) =>
      handle.update(label, (d) => {
        const o = d.operations?.find((x) => x.id === opId);
        if (o) change(o, d);
      });
    await handle.update(`operation:${op.kind}:start`, (d) => {
      d.operations = [...(d.operations ?? []), entry].slice(-OPERATIONS_KEPT);
    });
    this.emit(options, { type: 'phase', deploymentId: id, at: Date.now(), phase: 'operate' });
    const base = this.stepBase(id, options);
    let current = '';
    try {
      for (const [i, step] of op.steps.entries()) {
        current = stepIds[i]!;
        await this.runStep(handle, { ...step, id: current, phase: 'operate' }, base(current), options);
      }
      const details = op.details?.(handle.doc);
      await setOp(`operation:${op.kind}:done`, (o, d) => {
        op.apply?.(d);
        o.state = 'done';
        o.endedAt = this.now().toISOString();
        if (details) o.details = details;
      });
      await handle.release();
      return { journal: handle.doc, operation: this.operationOf(handle.doc, opId) };
    } catch (e) {
      const err = errorOf(e);
      // What the failed operation made on the way (a one-shot container) goes; what the server
      // lived on before it (a process it restarted) stays.
      const made = liveResources(handle.doc).filter((r) => !liveBefore.has(key(r)));
      const removals: RemovalOutcome[] = [];
      for (const r of made) removals.push(await this.removeOne(handle, r, r.step, options));
      let undoError: string | undefined;
      if (op.undo) {
        try {
          await this.runStep(
            handle,
            { id: `${op.kind}-undo`, title: `Undo: ${op.title}`, phase: 'operate', run: op.undo },
            base(`${op.kind}-undo`),
            options,
          );
        } catch (u) {
          undoError = errorOf(u).message;
        }
      }
      const failed = removals.filter((r) => !r.ok);
      const tail = [
        ...(failed.length
          ? [
              `${failed.length} resource(s) it made could not be removed (${failed.map((f) => `${f.resource.kind} ${f.resource.id}`).join(', ')}); they stay listed.`,
            ]
          : []),
        ...(undoError
          ? [`Undoing it failed too: ${undoError}`]
          : op.undo
            ? ['What it had changed was undone.']
            : []),
      ].join(' ');
      await setOp(`operation:${op.kind}:failed`, (o) => {
        o.state = 'failed';
        o.endedAt = this.now().toISOString();
        o.error = err;
      });
      await handle.release();
      throw new AppError(
        isAppError(e) && e.code.startsWith('DEPLOY_') ? e.code : 'DEPLOY_FAILED',
        `${op.title} failed at "${current}": ${err.message}${tail ? ` ${tail}` : ''}`,
        {
          details: {
            deploymentId: id,
            operation: opId,
            step: current,
            ...(undoError ? { undoError } : {}),
            removed: removals.map((r) => ({
              kind: r.resource.kind,
              id: r.resource.id,
              ok: r.ok,
              error: r.error,
            })),
          },
          cause: e,
        },
      );
    }
  }

  private operationOf(doc: Readonly<JournalDoc>, opId: string): JournalOperation {
    const o = doc.operations?.find((x) => x.id === opId);
    if (!o) throw new AppError('INTERNAL', `Operation ${opId} is missing from the journal.`);
    return o;
  }

  private handle(doc: JournalDoc): JournalHandle {
    return new JournalHandle(this.deps.journals, doc, {
      ...(this.deps.clock ? { clock: this.deps.clock } : {}),
      ...(this.deps.afterJournalWrite ? { afterWrite: this.deps.afterJournalWrite } : {}),
    });
  }

  /** What a step's context reports through: its progress and log lines, as events of `id`. */
  private stepBase(id: string, options: RunOptions): (step: string) => PreflightContext {
    const signal = options.signal ?? new AbortController().signal;
    return (step) => ({
      signal,
      progress: (r: ProgressReport) =>
        this.emit(options, { type: 'progress', deploymentId: id, at: Date.now(), step, ...r }),
      log: (line, level = 'info') =>
        this.emit(options, { type: 'log', deploymentId: id, at: Date.now(), step, level, line }),
    });
  }

  private emit(options: RunOptions, e: ProgressEvent): void {
    try {
      options.onEvent?.(e);
    } catch {
      // A watcher that throws (a closed window) must not break the deployment.
    }
  }

  private async run(
    handle: JournalHandle,
    plan: DeploymentPlan,
    from: 'preflight' | 'steps',
    options: RunOptions,
  ): Promise<DeployOutcome> {
    const id = plan.deploymentId;
    const deployer = this.deployer(plan.target);
    const base = this.stepBase(id, options);

    let current = 'preflight';
    let phase: 'preflight' | 'apply' | 'verify' = from === 'preflight' ? 'preflight' : 'apply';
    try {
      if (from === 'preflight') {
        await handle.setState('preflight');
        this.emit(options, { type: 'phase', deploymentId: id, at: Date.now(), phase: 'preflight' });
        await this.preflight(handle, deployer, plan, base('preflight'), options);
      }
      const steps = deployer.steps(plan);
      for (const step of steps) {
        if (step.phase === 'operate')
          throw new AppError('INTERNAL', `Step ${step.id} of a deployment has the operate phase.`);
        const done = handle.doc.steps.find((s) => s.id === step.id && s.phase === step.phase);
        if (done?.state === 'done') continue;
        current = step.id;
        if (step.phase !== phase) {
          phase = step.phase;
          await handle.setState(phase === 'apply' ? 'applying' : 'verifying');
          this.emit(options, { type: 'phase', deploymentId: id, at: Date.now(), phase });
        }
        await this.runStep(handle, step, base(step.id), options);
      }
      const deployedAt = this.now();
      const destroyAt =
        plan.profile.autoDestroyHours === null ? null : autoDestroyAt(plan.profile, deployedAt);
      await handle.setState('deployed', (d) => {
        d.deployedAt = deployedAt.toISOString();
        d.autoDestroyAt = destroyAt;
        delete d.error;
      });
      await handle.release();
      return { deploymentId: id, journal: handle.doc };
    } catch (e) {
      const err = errorOf(e);
      if (phase === 'preflight' && !handle.doc.resources.length) {
        await handle.setState('failed', (d) => {
          d.error = err;
        });
        await handle.release();
        throw e;
      }
      this.emit(options, {
        type: 'log',
        deploymentId: id,
        at: Date.now(),
        step: current,
        level: 'error',
        line: `${current} failed: ${err.message} — rolling back`,
      });
      const rollback = await this.removeAll(handle, 'rollback', options, { error: err });
      const failed = rollback.filter((r) => !r.ok);
      const code = isAppError(e) && e.code.startsWith('DEPLOY_') ? e.code : 'DEPLOY_FAILED';
      const tail = failed.length
        ? ` Rollback could not remove ${failed.length} resource(s) (${failed.map((f) => `${f.resource.kind} ${f.resource.id}`).join(', ')}); they stay listed under Deployments for clean-up.`
        : ' Everything it had made was removed.';
      throw new AppError(
        code,
        `${isAppError(e) ? e.message : `Step "${current}" failed: ${err.message}`}${tail}`,
        {
          details: {
            deploymentId: id,
            step: current,
            ...(isAppError(e) && e.details ? { cause: e.details } : {}),
            rollback: rollback.map((r) => ({
              kind: r.resource.kind,
              id: r.resource.id,
              ok: r.ok,
              error: r.error,
            })),
          },
          cause: e,
        },
      );
    }
  }

  private async preflight(
    handle: JournalHandle,
    deployer: Deployer,
    plan: DeploymentPlan,
    ctx: PreflightContext,
    options: RunOptions,
  ): Promise<PreflightCheck[]> {
    const id = plan.deploymentId;
    const t0 = Date.now();
    this.emit(options, {
      type: 'step',
      deploymentId: id,
      at: t0,
      phase: 'preflight',
      step: 'preflight',
      title: 'Pre-flight checks',
      state: 'running',
    });
    const failedEvent = (error: { code: string; message: string }): void =>
      this.emit(options, {
        type: 'step',
        deploymentId: id,
        at: Date.now(),
        phase: 'preflight',
        step: 'preflight',
        title: 'Pre-flight checks',
        state: 'failed',
        ms: Date.now() - t0,
        error,
      });
    let checks: PreflightCheck[];
    try {
      checks = await deployer.preflight(plan, ctx);
    } catch (e) {
      const err = errorOf(e);
      failedEvent(err);
      throw isAppError(e) && e.code === 'DEPLOY_PREFLIGHT_FAILED'
        ? e
        : new AppError('DEPLOY_PREFLIGHT_FAILED', `Pre-flight checks could not run: ${err.message}`, {
            details: { checks: [] },
            cause: e,
          });
    }
    for (const c of checks)
      ctx.log(
        `${c.status === 'ok' ? 'ok' : c.status === 'warn' ? 'warning' : 'FAILED'}: ${c.title} — ${c.message}`,
        c.status === 'failed' ? 'error' : c.status === 'warn' ? 'warn' : 'info',
      );
    const failed = checks.filter((c) => c.status === 'failed');
    if (failed.length) {
      const err = {
        code: 'DEPLOY_PREFLIGHT_FAILED',
        message: failed.map((c) => `${c.title}: ${c.message}`).join(' '),
      };
      failedEvent(err);
      throw new AppError('DEPLOY_PREFLIGHT_FAILED', `Nothing was created. ${err.message}`, {
        details: { checks },
      });
    }
    await handle.update('preflight:done', (d) => {
      d.warnings = [
        ...new Set([
          ...d.warnings,
          ...checks.filter((c) => c.status === 'warn').map((c) => `${c.title}: ${c.message}`),
        ]),
      ];
    });
    this.emit(options, {
      type: 'step',
      deploymentId: id,
      at: Date.now(),
      phase: 'preflight',
      step: 'preflight',
      title: 'Pre-flight checks',
      state: 'done',
      ms: Date.now() - t0,
    });
    return checks;
  }

  private async runStep(
    handle: JournalHandle,
    step: StepDefinition,
    base: PreflightContext,
    options: RunOptions,
  ): Promise<void> {
    const id = handle.doc.id;
    const t0 = Date.now();
    if (base.signal.aborted) throw new AppError('CANCELLED', 'The deployment was cancelled.');
    await handle.stepState(step.id, step.phase, 'running');
    this.emit(options, {
      type: 'step',
      deploymentId: id,
      at: t0,
      phase: step.phase,
      step: step.id,
      title: step.title,
      state: 'running',
    });
    const ctx: StepContext = {
      ...base,
      deploymentId: id,
      get outputs(): Readonly<Record<string, Scalar>> {
        return handle.doc.outputs;
      },
      setOutput: (k, v) => handle.setOutput(k, v),
      secrets: this.deps.secrets,
      now: () => this.now(),
      create: async <T>(
        ref: ResourceRef,
        make: () => Promise<T>,
        facts?: (made: T) => ResourceRef['facts'],
      ) => {
        await handle.resource(ref, 'intended', step.id);
        this.emit(options, {
          type: 'resource',
          deploymentId: id,
          at: Date.now(),
          step: step.id,
          resource: ref,
          state: 'intended',
        });
        const made = await make();
        const learned = facts?.(made);
        const withFacts = learned ? { ...ref, facts: { ...ref.facts, ...learned } } : ref;
        await handle.resource(withFacts, 'created', step.id);
        this.emit(options, {
          type: 'resource',
          deploymentId: id,
          at: Date.now(),
          step: step.id,
          resource: withFacts,
          state: 'created',
        });
        return made;
      },
      remove: async (ref: ResourceRef) => {
        const entry = handle.doc.resources.find(
          (r) => r.kind === ref.kind && r.id === ref.id && r.scope === ref.scope,
        );
        const outcome = await this.removeOne(
          handle,
          entry ?? { ...ref, state: 'created', step: step.id, at: '' },
          step.id,
          options,
        );
        if (!outcome.ok)
          throw new AppError(
            'DEPLOY_FAILED',
            `Could not remove ${ref.title} (${ref.id}): ${outcome.error ?? ''}`,
          );
      },
    };
    try {
      await step.run(ctx);
    } catch (e) {
      const err = errorOf(e);
      await handle.stepState(step.id, step.phase, 'failed', err);
      this.emit(options, {
        type: 'step',
        deploymentId: id,
        at: Date.now(),
        phase: step.phase,
        step: step.id,
        title: step.title,
        state: 'failed',
        ms: Date.now() - t0,
        error: err,
      });
      throw e;
    }
    await handle.stepState(step.id, step.phase, 'done');
    this.emit(options, {
      type: 'step',
      deploymentId: id,
      at: Date.now(),
      phase: step.phase,
      step: step.id,
      title: step.title,
      state: 'done',
      ms: Date.now() - t0,
    });
  }

  private async removeOne(
    handle: JournalHandle,
    r: JournalResource,
    step: string,
    options: RunOptions,
  ): Promise<RemovalOutcome> {
    const ref: ResourceRef = {
      kind: r.kind,
      id: r.id,
      scope: r.scope,
      title: r.title,
      ...(r.facts ? { facts: r.facts } : {}),
    };
    const id = handle.doc.id;
    await handle.resource(ref, 'removing', step);
    this.emit(options, {
      type: 'resource',
      deploymentId: id,
      at: Date.now(),
      step,
      resource: ref,
      state: 'removing',
    });
    try {
      if (ref.kind === 'secret') await this.deps.secrets.delete(ref.id);
      else {
        const removers = this.byKind.get(ref.kind) ?? [];
        if (!removers.length) throw new AppError('INTERNAL', `Nothing here can remove a ${ref.kind}.`);
        // A kind more than one target makes (container on Docker and, later, on a lab) goes to the
        // deployment's own target first.
        const own = this.byTarget.get(handle.doc.target);
        const remover = own && own.kinds.includes(ref.kind) ? own : removers[0]!;
        await remover.remove(ref, {
          signal: options.signal ?? new AbortController().signal,
          settings: handle.doc.settings,
          log: (line) =>
            this.emit(options, { type: 'log', deploymentId: id, at: Date.now(), step, level: 'info', line }),
        });
      }
    } catch (e) {
      const message = errorOf(e).message;
      await handle.resource(ref, 'created', step, message);
      this.emit(options, {
        type: 'log',
        deploymentId: id,
        at: Date.now(),
        step,
        level: 'error',
        line: `Could not remove ${ref.title} (${ref.kind} ${ref.id}): ${message}`,
      });
      return { resource: ref, ok: false, error: message };
    }
    await handle.resource(ref, 'removed', step);
    this.emit(options, {
      type: 'resource',
      deploymentId: id,
      at: Date.now(),
      step,
      resource: ref,
      state: 'removed',
    });
    return { resource: ref, ok: true };
  }

  /**
   * Removes every live resource, newest first, each journaled. Every resource is tried even when an
   * earlier one fails; the outcome lists each. A clean destroy or clean-up deletes the journal.
   */
  private async removeAll(
    handle: JournalHandle,
    mode: 'rollback' | 'destroy',
    options: RunOptions,
    extra: { forgetWhenClean?: boolean; error?: { code: string; message: string } } = {},
  ): Promise<RemovalOutcome[]> {
    const id = handle.doc.id;
    const phase = mode === 'destroy' ? 'destroy' : 'rollback';
    await handle.setState(mode === 'destroy' ? 'destroying' : 'rolling-back', (d) => {
      if (extra.error) d.error = extra.error;
    });
    this.emit(options, { type: 'phase', deploymentId: id, at: Date.now(), phase });
    const t0 = Date.now();
    this.emit(options, {
      type: 'step',
      deploymentId: id,
      at: t0,
      phase,
      step: phase,
      title: mode === 'destroy' ? 'Destroy' : 'Roll back',
      state: 'running',
    });
    const outcomes: RemovalOutcome[] = [];
    for (const r of liveResources(handle.doc)) outcomes.push(await this.removeOne(handle, r, phase, options));
    const failed = outcomes.filter((o) => !o.ok);
    this.emit(options, {
      type: 'step',
      deploymentId: id,
      at: Date.now(),
      phase,
      step: phase,
      title: mode === 'destroy' ? 'Destroy' : 'Roll back',
      state: failed.length ? 'failed' : 'done',
      ms: Date.now() - t0,
      ...(failed.length
        ? {
            error: {
              code: 'DEPLOY_ROLLBACK_INCOMPLETE',
              message: `${failed.length} resource(s) could not be removed.`,
            },
          }
        : {}),
    });
    if (failed.length) {
      await handle.setState('rollback-failed');
      await handle.release();
      if (extra.error) return outcomes; // the caller reports the deployment's own failure with these
      throw new AppError(
        'DEPLOY_ROLLBACK_INCOMPLETE',
        `${failed.length} resource(s) of ${handle.doc.name} could not be removed: ${failed.map((f) => `${f.resource.title} (${f.resource.id}): ${f.error ?? ''}`).join('; ')}. They stay listed; fix the cause and run clean-up again.`,
        {
          details: {
            deploymentId: id,
            failed: failed.map((f) => ({ kind: f.resource.kind, id: f.resource.id, error: f.error })),
          },
        },
      );
    }
    await handle.setState(mode === 'destroy' ? 'destroyed' : 'rolled-back');
    handle.stopHeartbeat();
    if (extra.forgetWhenClean) await this.deps.journals.delete(id);
    else await handle.release();
    return outcomes;
  }
}
