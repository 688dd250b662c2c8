/**
 * The deployments domain's one service, built once by the composition root: the runner with every
 * target (Docker, a Linux host over SSH, the local lab — each a Deployer with its TargetOperations),
 * one Docker client per engine, the release cache in the data dir, the journal folder, and the app's
 * connections as where verified servers land. Besides deploying it answers for every deployment:
 * status and health, logs, restart, certificate renewal, extension of a rapid deployment's life,
 * legal holds, evidence export, hand-over docs, destroy — and `reap`, which destroys what is past its
 * time (at start, on a timer while the app runs, and from `megaraptor deployments reap`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { DeploymentSummary } from '../../../shared/contracts/deploy';
import type {
  CertificateStatus,
  DeploymentNotice,
  DeploymentState,
  HoldTargetTimer,
  PreflightCheck,
  ProfileName,
  ProgressEvent,
  ResourceRef,
  TargetHealth,
  TargetKind,
} from '../../../shared/deploy';
import { AppError, asError, isAppError, messageOf } from '../../../shared/errors';
import type { ConnectionManager } from '../connections/index';
import type { SecretStore } from '../credentials/index';
import { RotationService, writeClientConfig } from '../pki/index';
import { ConnectionRegistry, VelociraptorService } from '../velociraptor/index';
import { certificateOperation, certificateStatuses, renewalDue } from './certificates';
import { connectionSink, ConnectionRemover, type ConnectionSink } from './connection-sink';
import { listedDeploymentSecrets, type CredentialRecords } from './credential-records';
import { deploymentDocs } from './docs-export';
import { DockerEngines } from './docker/engine';
import { exportEvidence, type EvidenceExport, type EvidenceProgress } from './evidence-export';
import { isInterrupted, JournalStore, planOf, runningOperation, type JournalDoc } from './journal';
import type { DeploymentPlan, DeployRequest, StepContext, StepDefinition } from './model';
import { resolveProfile, type ResolvedProfile } from './profiles';
import { ReleaseCache } from './releases/cache';
import { ReleaseSource, type ReleaseSourceConfig } from './releases/source';
import {
  DeploymentRunner,
  refuseHeld,
  type DeployOutcome,
  type OperationOutcome,
  type RemovalOutcome,
  type RunnerDeps,
  type RunOptions,
} from './runner';
import { apiClientConfig, loadServerConfig } from './server-identity';
import { HostKeyStore } from './ssh/host-keys';
import type { ScaleOutRequest, ScaleOutWork } from './target-operations';
import {
  appKnownHostsFile,
  builtInTargets,
  targetOf,
  type DeploymentTarget,
  type TargetDeps,
} from './targets';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** After a lifted hold, a deployment past its time lives this long (the last notice's lead). */
export const LIFT_GRACE_MS = HOUR_MS;

export interface DeploymentServiceDeps {
  dataDir: string;
  /** The OS keychain, or null when none answered: then nothing can be deployed (secrets live there). */
  secrets: () => Promise<SecretStore | null>;
  connections: ConnectionManager;
  /** Lists the deployments' secrets in the credential index (the Credentials page, confirmed reveal). */
  credentials?: CredentialRecords;
  releaseSource?: ReleaseSourceConfig;
  /** Now, for expiry, notices and the reaper (tests pass a fake clock). */
  clock?: () => Date;
  /** The targets; default Docker, SSH host and lab (tests pass theirs, built on the same deps). */
  targets?: (deps: TargetDeps) => DeploymentTarget[];
  /**
   * How long after a legal hold is lifted a deployment past its time is destroyed (default 1 h, the
   * last notice's lead: time for an export or an extension). Tests pass seconds.
   */
  liftGraceMs?: number;
  /** Test seam: told of every journal write (the crash tests stop a child there). Never set by the app. */
  afterJournalWrite?: RunnerDeps['afterJournalWrite'];
}

/**
 * Where releases come from, from the environment: MEGARAPTOR_RELEASE_MIRROR (a mirror base URL) and
 * HTTPS_PROXY / https_proxy; GitHub's API by default. (The settings page will edit the same config.)
 */
export function releaseSourceFromEnv(env: NodeJS.ProcessEnv): ReleaseSourceConfig {
  const proxy = env.HTTPS_PROXY ?? env.https_proxy;
  const base = env.MEGARAPTOR_RELEASE_MIRROR
    ? { kind: 'mirror' as const, baseUrl: env.MEGARAPTOR_RELEASE_MIRROR }
    : { kind: 'github' as const };
  return { ...base, ...(proxy ? { proxy } : {}) };
}

/** The status page of one deployment: its journal summary, its target's view, its certificates. */
export interface DeploymentStatus {
  deployment: DeploymentSummary;
  health: TargetHealth | null;
  /** Why the health could not be read (the target unreachable), when it could not. */
  healthError?: string;
}

export interface ReapOutcome {
  id: string;
  name: string;
  outcome: 'destroyed' | 'held' | 'busy' | 'export-failed' | 'failed';
  message: string;
  evidence?: { folder: string; files: number };
  removed?: RemovalOutcome[];
}

export interface DestroyOptions extends RunOptions {
  /** Export every flow and hunt into this folder first; null: destroy without an export (chosen). */
  exportTo: string | null;
}

interface Built {
  runner: DeploymentRunner;
  targets: DeploymentTarget[];
  secrets: SecretStore;
  rotations: RotationService;
  sink: ConnectionSink;
}

/** Plans the wizard, the CLI or an MCP approval made, kept until deployed (or an hour). */
const PLAN_TTL_MS = HOUR_MS;

export class DeploymentService {
  readonly engines = new DockerEngines();
  readonly journals: JournalStore;
  readonly releases: ReleaseCache;
  private built: Promise<Built> | undefined;
  private readonly plans = new Map<string, { plan: DeploymentPlan; at: number }>();
  private watcher: NodeJS.Timeout | undefined;
  /** What the watch did lately (a reaped deployment has no journal left to show it). */
  private recent: DeploymentNotice[] = [];
  /** SSH host keys the responder confirmed (OpenSSH format, hashed), besides ~/.ssh/known_hosts. */
  readonly hostKeys: HostKeyStore;

  constructor(private readonly deps: DeploymentServiceDeps) {
    this.journals = new JournalStore(join(deps.dataDir, 'deployments'));
    this.hostKeys = new HostKeyStore({ appFile: appKnownHostsFile(deps.dataDir) });
    this.releases = new ReleaseCache({
      dir: join(deps.dataDir, 'releases'),
      source: new ReleaseSource(deps.releaseSource ?? { kind: 'github' }),
    });
  }

  now(): Date {
    return this.deps.clock?.() ?? new Date();
  }

  private build(): Promise<Built> {
    this.built ??= (async () => {
      const keychain = await this.deps.secrets();
      if (!keychain)
        throw new AppError(
          'KEYCHAIN_UNAVAILABLE',
          'Deployments keep their CA key, API identity and admin password in the OS keychain, and none is available. Start a Secret Service (gnome-keyring) or unlock the keychain, then try again.',
        );
      const secrets = this.deps.credentials
        ? listedDeploymentSecrets(
            keychain,
            this.deps.credentials,
            async (id) => (await this.journals.read(id)).name,
          )
        : keychain;
      const sink = connectionSink(this.deps.connections);
      const targetDeps: TargetDeps = {
        dataDir: this.deps.dataDir,
        secrets,
        engines: this.engines,
        releases: this.releases,
        connections: sink,
        hostKeys: this.hostKeys,
        ...(this.deps.clock ? { clock: this.deps.clock } : {}),
      };
      const targets = (this.deps.targets ?? builtInTargets)(targetDeps);
      const runner = new DeploymentRunner({
        journals: this.journals,
        secrets,
        deployers: targets.map((t) => t.deployer),
        removers: [new ConnectionRemover(sink)],
        ...(this.deps.clock ? { clock: this.deps.clock } : {}),
        ...(this.deps.afterJournalWrite ? { afterJournalWrite: this.deps.afterJournalWrite } : {}),
      });
      const rotations = new RotationService({
        journalPath: join(this.journals.dir, 'certificate-rotations.jsonl'),
        secrets,
        ...(this.deps.clock ? { clock: this.deps.clock } : {}),
      });
      return { runner, targets, secrets, rotations, sink };
    })();
    this.built.catch(() => {
      this.built = undefined;
    });
    return this.built;
  }

  /** The runner, once the keychain answered (every deployment keeps its secrets there). */
  async runner(): Promise<DeploymentRunner> {
    return (await this.build()).runner;
  }

  private async target(kind: TargetKind): Promise<DeploymentTarget> {
    const t = targetOf((await this.build()).targets, kind);
    if (!t) throw new AppError('INVALID_ARGUMENT', `No deployer for the target "${kind}" is available.`);
    return t;
  }

  // ---- Deploy -------------------------------------------------------------------------------

  /** Plans a deployment (no side effects) and keeps the plan for `deployPlanned` (the review step). */
  async plan(
    target: TargetKind,
    request: DeployRequest<unknown> & { profile: ProfileName },
  ): Promise<DeploymentPlan> {
    const plan = await (await this.runner()).plan(target, request);
    const now = Date.now();
    for (const [k, v] of this.plans) if (now - v.at > PLAN_TTL_MS) this.plans.delete(k);
    this.plans.set(plan.deploymentId, { plan, at: now });
    return plan;
  }

  /** A plan made by `plan` and not deployed yet. */
  planned(deploymentId: string): DeploymentPlan {
    const p = this.plans.get(deploymentId);
    if (!p)
      throw new AppError(
        'NOT_FOUND',
        `No plan ${deploymentId} is waiting (plans are kept for an hour and deployed once). Plan again.`,
      );
    return p.plan;
  }

  /** The pre-flight checks of a kept plan, for the review (nothing is made or journaled). */
  async check(deploymentId: string, signal: AbortSignal): Promise<PreflightCheck[]> {
    return (await this.runner()).check(this.planned(deploymentId), signal);
  }

  async deploy(plan: DeploymentPlan, options: RunOptions = {}): Promise<DeployOutcome> {
    this.plans.delete(plan.deploymentId);
    return (await this.runner()).deploy(plan, options);
  }

  /** Deploys a kept plan as a stream of progress events (the wizard's live progress). */
  deployEvents(deploymentId: string, signal: AbortSignal): AsyncIterable<ProgressEvent> {
    const plan = this.planned(deploymentId);
    return events((onEvent) => this.deploy(plan, { signal, onEvent }));
  }

  // ---- What exists ----------------------------------------------------------------------------

  async list(): Promise<{
    deployments: DeploymentSummary[];
    problems: Array<{ id: string; message: string }>;
  }> {
    const { journals, problems } = await this.journals.list();
    const now = this.now();
    return { deployments: journals.map((j) => summary(j, now)), problems };
  }

  /** Deployments a dead process left unfinished (checked at start). */
  async interrupted(): Promise<DeploymentSummary[]> {
    return (await this.list()).deployments.filter((d) => d.interrupted);
  }

  /** A deployment by id, or by name when no id matches (the CLI and MCP take either). */
  async find(idOrName: string): Promise<JournalDoc> {
    if (/^[a-z0-9][a-z0-9-]{2,63}$/.test(idOrName)) {
      try {
        return await this.journals.read(idOrName);
      } catch (e) {
        if (!isAppError(e, 'NOT_FOUND')) throw e;
      }
    }
    const { journals } = await this.journals.list();
    const byName = journals.filter((j) => j.name === idOrName);
    if (byName.length === 1) return byName[0]!;
    if (byName.length > 1)
      throw new AppError(
        'CONFLICT',
        `${byName.length} deployments are named "${idOrName}": use the id (${byName.map((j) => j.id).join(', ')}).`,
      );
    throw new AppError('NOT_FOUND', `No deployment "${idOrName}" is journaled.`, {
      details: { id: idOrName },
    });
  }

  async status(idOrName: string, signal = new AbortController().signal): Promise<DeploymentStatus> {
    const doc = await this.find(idOrName);
    const deployment = summary(doc, this.now());
    if (doc.state !== 'deployed') return { deployment, health: null };
    try {
      const t = await this.target(doc.target);
      return { deployment, health: await t.operations.health(planOf(doc), signal) };
    } catch (e) {
      return { deployment, health: null, healthError: messageOf(e) };
    }
  }

  async logs(idOrName: string, lines = 200, signal = new AbortController().signal): Promise<string> {
    const doc = await this.find(idOrName);
    const t = await this.target(doc.target);
    return t.operations.logs(planOf(doc), Math.min(Math.max(lines, 1), 5000), signal);
  }

  /** What every deployment needs the responder to know now (expiry, certificates, failures). */
  async notices(): Promise<DeploymentNotice[]> {
    const { journals } = await this.journals.list();
    const now = this.now();
    return [...journals.flatMap((j) => noticesOf(j, now)), ...this.recent];
  }

  private remember(n: Omit<DeploymentNotice, 'at'>): void {
    this.recent = [
      ...this.recent.filter((x) => x.key !== n.key),
      { ...n, at: this.now().toISOString() },
    ].slice(-50);
  }

  // ---- Operations ---------------------------------------------------------------------------

  async restart(idOrName: string, options: RunOptions = {}): Promise<OperationOutcome> {
    const doc = await this.find(idOrName);
    const t = await this.target(doc.target);
    const plan = planOf(doc);
    return (await this.runner()).operate(
      doc.id,
      {
        kind: 'restart',
        title: 'Restart the server',
        steps: [
          {
            id: 'restart',
            title: 'Stop and start the server',
            run: (ctx) => t.operations.restart(plan, ctx),
          },
          // Listening ports alone do not prove the new process serves them (the real binary's
          // listeners can outlive a stop by a moment, or another program take a freed port).
          ...t.deployer
            .steps(plan)
            .filter((s) => s.phase === 'verify' && s.id === 'verify-api')
            .map((v) => ({ id: v.id, title: v.title, run: (ctx: StepContext) => v.run(ctx) })),
        ],
      },
      options,
    );
  }

  /**
   * Renews the deployment's certificates under its CA, keeping their keys (`renew`), or gives the GUI
   * gateway a new key (`rotate-gateway`), and pushes the config through the target.
   */
  async renewCertificates(
    idOrName: string,
    mode: 'renew' | 'rotate-gateway' = 'renew',
    options: RunOptions = {},
  ): Promise<OperationOutcome> {
    const doc = await this.find(idOrName);
    const built = await this.build();
    const t = await this.target(doc.target);
    const plan = planOf(doc);
    return built.runner.operate(
      doc.id,
      certificateOperation({
        plan,
        mode,
        deployer: t.deployer,
        operations: t.operations,
        rotations: built.rotations,
        connections: built.sink,
        lifetimes: plan.profile.certificates,
      }),
      options,
    );
  }

  /**
   * Moves a deployment's self-destruction to `hours` from now: the target's own timer first (Docker's
   * timer container, the SSH host's systemd timer), then the journal the app's reaper reads.
   */
  async extend(idOrName: string, hours: number, options: RunOptions = {}): Promise<OperationOutcome> {
    const doc = await this.find(idOrName);
    if (doc.autoDestroyAt === null)
      throw new AppError(
        'CONFLICT',
        `Deployment ${doc.name} does not destroy itself: there is nothing to extend.`,
      );
    const profile = doc.profile as unknown as ResolvedProfile;
    // The same rules as at plan time (a rapid deployment lives two weeks at most).
    resolveProfile(profile.name, { autoDestroyHours: hours });
    const deployedAt = Date.parse(doc.deployedAt ?? doc.createdAt);
    const at = new Date(this.now().getTime() + hours * HOUR_MS);
    if (profile.name === 'rapid' && at.getTime() - deployedAt > 14 * DAY_MS)
      throw new AppError(
        'DEPLOY_PROFILE_VIOLATION',
        `A rapid deployment lives two weeks at most; ${doc.name} was deployed ${new Date(deployedAt).toISOString()}. Deploy a standard server for longer work.`,
      );
    const t = await this.target(doc.target);
    const plan = planOf(doc);
    const reschedule = t.operations.rescheduleExpiry?.bind(t.operations);
    const iso = at.toISOString();
    // A hold keeps the target's timer disarmed: the new time waits in the journal for the lift.
    const disarmed = doc.legalHold?.targetTimer === 'disarmed';
    return (await this.runner()).operate(
      doc.id,
      {
        kind: 'extend',
        title: `Extend until ${iso}`,
        steps: disarmed
          ? [
              {
                id: 'timer',
                title: "Record the new time (the hold keeps the target's timer disarmed)",
                run: async (ctx: StepContext) =>
                  ctx.log(
                    `${doc.name} is under a legal hold: its target's timer stays disarmed; lifting the hold arms it for ${iso}`,
                  ),
              },
            ]
          : reschedule
            ? [
                {
                  id: 'timer',
                  title: "Move the target's self-destruction timer",
                  run: (ctx) => reschedule(plan, at, ctx),
                },
              ]
            : [
                {
                  id: 'timer',
                  title: 'Record the new time (the app destroys this target)',
                  run: async (ctx: StepContext) => ctx.log(`The app's reaper destroys ${doc.name} at ${iso}`),
                },
              ],
        apply: (d) => {
          d.autoDestroyAt = iso;
        },
        details: () => ({ autoDestroyAt: iso, hours }),
      },
      options,
    );
  }

  /** The work of a scale-out on a deployment's target (checked, nothing done). */
  private async scaleOutWork(
    idOrName: string,
    request: ScaleOutRequest,
  ): Promise<{ doc: JournalDoc; work: ScaleOutWork }> {
    const doc = await this.find(idOrName);
    const t = await this.target(doc.target);
    if (!t.operations.scaleOut)
      throw new AppError(
        'INVALID_ARGUMENT',
        doc.target === 'azure'
          ? `Scale-out is not built for Azure: an Azure deployment runs one server (the multi-frontend, with its scale-out, is built for AWS and the local Docker engine). For more frontends, deploy an enterprise deployment with minions on AWS or Docker.`
          : `Scale-out (one more Velociraptor minion) is not offered on the ${doc.target} target: it runs one server.`,
      );
    if (doc.state !== 'deployed')
      throw new AppError('CONFLICT', `Deployment ${doc.name} is ${doc.state}: scale-out needs it deployed.`);
    const attempt = (doc.operations ?? []).filter((o) => o.kind === 'scale-out').length + 1;
    return { doc, work: t.operations.scaleOut(planOf(doc), { ...request, attempt }) };
  }

  /** What a scale-out would add: the minion's node name, its resources and steps (approval plans). */
  async scaleOutPlan(
    idOrName: string,
    request: ScaleOutRequest = {},
  ): Promise<{
    id: string;
    name: string;
    target: TargetKind;
    node: string;
    resources: ResourceRef[];
    steps: string[];
  }> {
    const { doc, work } = await this.scaleOutWork(idOrName, request);
    return {
      id: doc.id,
      name: doc.name,
      target: doc.target,
      node: work.node,
      resources: work.resources,
      steps: work.steps.map((x) => x.title),
    };
  }

  /**
   * Adds one minion to a multi-frontend deployment (Velociraptor's master and minions): every step
   * journaled; on failure the minion is removed and the previous config put back; when done the
   * journal's settings list the minion (destroy removes it with the rest).
   */
  async scaleOut(
    idOrName: string,
    request: ScaleOutRequest = {},
    options: RunOptions = {},
  ): Promise<OperationOutcome> {
    const { doc, work } = await this.scaleOutWork(idOrName, request);
    return (await this.runner()).operate(
      doc.id,
      {
        kind: 'scale-out',
        title: `Add the minion ${work.node}`,
        steps: work.steps,
        ...(work.undo ? { undo: work.undo } : {}),
        apply: (d) => {
          d.settings = work.settings;
          const owned = (r: ResourceRef) =>
            work.retain?.some((x) => x.kind === r.kind && x.id === r.id && x.scope === r.scope) ?? false;
          for (const r of d.resources) if (r.state === 'created' && owned(r)) r.state = 'retained';
        },
        details: () => ({ node: work.node }),
      },
      options,
    );
  }

  /**
   * Puts a deployment under a legal hold or lifts it. Placing it disarms the target's own
   * self-destruction first (Docker's timer container removed, the SSH host's timer stopped and
   * disabled), journaled as a step: when that fails the hold is not placed and the error says the
   * target's timer still runs. A target whose timer cannot be disarmed (the clouds' on-VM timers) is
   * held from the app only, and the hold says so (`targetTimer: 'armed'`, a critical notice).
   * Lifting arms the target's timer again at the deployment's time or, when that passed while held,
   * `liftGraceMs` (1 h) after the lift — the journal's time moves with it, so the app's reaper waits
   * as long. A failed re-arm keeps the hold.
   */
  async setLegalHold(
    idOrName: string,
    hold: boolean,
    reason = '',
    options: RunOptions = {},
  ): Promise<OperationOutcome> {
    const doc = await this.find(idOrName);
    if (hold && !reason.trim())
      throw new AppError('INVALID_ARGUMENT', 'Say why the deployment is held (a case number, a request).');
    if (hold === !!doc.legalHold)
      throw new AppError(
        'CONFLICT',
        hold
          ? `Deployment ${doc.name} is under a legal hold already (since ${doc.legalHold!.since}).`
          : `Deployment ${doc.name} is not under a legal hold.`,
      );
    const now = this.now();
    const since = now.toISOString();
    const plan = planOf(doc);
    // Only a deployed server has a timer left on its target (a failed one was rolled back).
    const timed = doc.state === 'deployed' && doc.autoDestroyAt !== null;
    const ops = timed ? (await this.target(doc.target)).operations : null;
    const disarm = ops?.disarmExpiry?.bind(ops);
    const reschedule = ops?.rescheduleExpiry?.bind(ops);
    const allowedStates: DeploymentState[] = ['deployed', 'rollback-failed', 'failed', 'rolled-back'];
    if (hold) {
      let targetTimer: HoldTargetTimer = 'none';
      const appOnly = `The ${doc.target} target's own timer cannot be disarmed: it still destroys ${doc.name} at ${doc.autoDestroyAt}. The hold stops the app only; extend the deployment to keep it.`;
      const step: Omit<StepDefinition, 'phase'> =
        timed && disarm
          ? {
              id: 'disarm',
              title: "Disarm the target's self-destruction timer",
              run: async (ctx) => {
                ctx.progress({ message: `Disarming the ${doc.target} target's timer` });
                try {
                  targetTimer = await disarm(plan, ctx);
                  if (targetTimer === 'armed') ctx.log(appOnly, 'warn');
                } catch (e) {
                  throw new AppError(
                    isAppError(e) && e.code.startsWith('DEPLOY_') ? e.code : 'DEPLOY_FAILED',
                    `The ${doc.target} target's self-destruction timer could not be disarmed, so it may still destroy ${doc.name} at ${doc.autoDestroyAt}; the hold is not placed. ${messageOf(e)} Fix the cause and place the hold again, or extend the deployment.`,
                    { cause: e },
                  );
                }
              },
            }
          : {
              id: 'disarm',
              title: timed && reschedule ? "Check the target's timer" : 'Record the hold',
              run: async (ctx) => {
                if (timed && reschedule) {
                  targetTimer = 'armed';
                  ctx.log(appOnly, 'warn');
                } else
                  ctx.log(
                    timed
                      ? `The app's reaper is the only timer of ${doc.name}: the hold stops it`
                      : `${doc.name} has no self-destruction timer: the hold stops any destroy`,
                  );
              },
            };
      return (await this.runner()).operate(
        doc.id,
        {
          kind: 'legal-hold',
          title: 'Place a legal hold',
          steps: [step],
          allowedStates,
          apply: (d) => {
            d.legalHold = { since, reason: reason.trim(), targetTimer };
          },
          details: () => ({ hold, reason: reason.trim(), targetTimer }),
        },
        options,
      );
    }
    const due = doc.autoDestroyAt === null ? null : Date.parse(doc.autoDestroyAt);
    // Its own time while that is ahead; once passed, a grace the responder is told of (not at once).
    const at =
      due === null
        ? null
        : new Date(due > now.getTime() ? due : now.getTime() + (this.deps.liftGraceMs ?? LIFT_GRACE_MS));
    const rearm = timed && reschedule && doc.legalHold?.targetTimer === 'disarmed' && at ? at : null;
    return (await this.runner()).operate(
      doc.id,
      {
        kind: 'legal-hold',
        title: 'Lift the legal hold',
        steps: [
          rearm && reschedule
            ? {
                id: 'rearm',
                title: `Arm the target's self-destruction timer for ${rearm.toISOString()}`,
                run: async (ctx) => {
                  ctx.progress({ message: `Arming the ${doc.target} target's timer` });
                  await reschedule(plan, rearm, ctx);
                },
              }
            : {
                id: 'rearm',
                title: 'Record the lift',
                run: async (ctx) =>
                  ctx.log(
                    at
                      ? `The app's reaper destroys ${doc.name} at ${at.toISOString()}`
                      : `${doc.name} has no self-destruction time`,
                  ),
              },
        ],
        allowedStates,
        apply: (d) => {
          d.legalHold = null;
          if (at && timed) d.autoDestroyAt = at.toISOString();
        },
        details: () => ({ hold, ...(at && timed ? { autoDestroyAt: at.toISOString() } : {}) }),
      },
      options,
    );
  }

  /** Every flow and hunt of the deployed server into `folder` (zip + manifest with SHA-256). */
  async exportEvidence(
    idOrName: string,
    folder?: string,
    options: { signal?: AbortSignal; onProgress?: (p: EvidenceProgress) => void } = {},
  ): Promise<EvidenceExport> {
    const doc = await this.find(idOrName);
    if (doc.state !== 'deployed')
      throw new AppError(
        'CONFLICT',
        `Deployment ${doc.name} is ${doc.state}: there is no server to export from.`,
      );
    const built = await this.build();
    const t = await this.target(doc.target);
    const dest = resolve(folder ?? this.evidenceFolder(doc));
    const plan = planOf(doc);
    const run = async (endpoint: string) => {
      const yaml = await apiClientConfig(built.secrets, doc.id, String(doc.outputs.apiUser), endpoint);
      const registry = new ConnectionRegistry();
      registry.add('evidence-export', yaml);
      try {
        return await exportEvidence(new VelociraptorService(registry.connection('evidence-export')), dest, {
          deployment: { id: doc.id, name: doc.name },
          now: this.now(),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        });
      } finally {
        registry.close();
      }
    };
    return t.operations.withApi ? t.operations.withApi(plan, run) : run(String(doc.outputs.apiEndpoint));
  }

  /** Where the evidence of a deployment goes by default: the data dir's evidence folder. */
  evidenceFolder(doc: Pick<JournalDoc, 'id' | 'name'>): string {
    const stamp = this.now().toISOString().replace(/[:.]/g, '-');
    return join(
      this.deps.dataDir,
      'evidence',
      `${doc.name.replace(/[^A-Za-z0-9._-]/g, '_')}-${doc.id}-${stamp}`,
    );
  }

  /** The hand-over documents (README.md, client.config.yaml) into `folder`; returns the files. */
  async exportDocs(
    idOrName: string,
    folder?: string,
  ): Promise<{ folder: string; files: string[]; readme: string }> {
    const doc = await this.find(idOrName);
    const now = this.now();
    let clientConfig: string | undefined;
    try {
      const secrets = (await this.build()).secrets;
      clientConfig = writeClientConfig(
        parse(await loadServerConfig(secrets, doc.id)) as Record<string, unknown>,
      );
    } catch {
      // No keychain or no config (a deployment that never got that far): the README says how to make it.
    }
    const docs = deploymentDocs(doc, {
      certificates: certificateStatuses(doc.outputs, now),
      ...(clientConfig ? { clientConfig } : {}),
      now,
    });
    const dest = resolve(
      folder ?? join(this.deps.dataDir, 'docs', `${doc.name.replace(/[^A-Za-z0-9._-]/g, '_')}-${doc.id}`),
    );
    await mkdir(dest, { recursive: true, mode: 0o700 });
    const files = [join(dest, 'README.md')];
    await writeFile(files[0]!, docs.readme, { mode: 0o600 });
    if (docs.clientConfig) {
      files.push(join(dest, 'client.config.yaml'));
      await writeFile(files[1]!, docs.clientConfig, { mode: 0o600 });
    }
    return { folder: dest, files, readme: docs.readme };
  }

  // ---- Removal --------------------------------------------------------------------------------

  async resume(id: string, options: RunOptions = {}): Promise<DeployOutcome> {
    return (await this.runner()).resume(id, options);
  }

  async cleanup(id: string): Promise<RemovalOutcome[]> {
    return (await this.runner()).cleanup(id);
  }

  /**
   * Destroys a deployment: exactly what its journal lists. With `exportTo`, every flow and hunt is
   * exported first and an incomplete export stops the destruction (DEPLOY_EXPORT_FAILED); a legal
   * hold refuses it (DEPLOY_LEGAL_HOLD). A removal that fails is reported, never hidden.
   */
  async destroy(
    idOrName: string,
    options: DestroyOptions = { exportTo: null },
  ): Promise<{ removed: RemovalOutcome[]; evidence?: EvidenceExport }> {
    const doc = await this.find(idOrName);
    refuseHeld(doc);
    let evidence: EvidenceExport | undefined;
    if (options.exportTo !== null) {
      try {
        evidence = await this.exportEvidence(
          doc.id,
          options.exportTo,
          options.signal ? { signal: options.signal } : {},
        );
      } catch (e) {
        throw new AppError(
          'DEPLOY_EXPORT_FAILED',
          `Nothing was destroyed: the evidence export of ${doc.name} failed (${messageOf(e)}). Fix it and retry, or destroy without an export.`,
          { cause: e },
        );
      }
      if (evidence.failures.length)
        throw new AppError(
          'DEPLOY_EXPORT_FAILED',
          `Nothing was destroyed: ${evidence.failures.length} flow(s)/hunt(s) of ${doc.name} could not be exported (${evidence.failures
            .slice(0, 3)
            .map((f) => `${f.what}: ${f.error}`)
            .join('; ')}). What was exported is in ${evidence.folder}.`,
          { details: { folder: evidence.folder, failures: evidence.failures } },
        );
    }
    const removed = await (await this.runner()).destroy(doc.id, options);
    return { removed, ...(evidence ? { evidence } : {}) };
  }

  /**
   * Destroys every deployment past its self-destruction time. Before each, its flows and hunts are
   * exported into `exportRoot` (default the data dir's evidence folder) when its server still answers;
   * a failed export keeps the deployment (reported; the target's own timer still ends it). A legal
   * hold keeps it too. `export: false` destroys without exporting.
   */
  async reap(
    options: { exportRoot?: string; export?: boolean; signal?: AbortSignal } = {},
  ): Promise<ReapOutcome[]> {
    const now = this.now().getTime();
    const { journals } = await this.journals.list();
    const due = journals.filter(
      (j) =>
        j.autoDestroyAt !== null &&
        Date.parse(j.autoDestroyAt) <= now &&
        // A deployed server whose operation was interrupted is still due: destroy removes that too.
        (!isInterrupted(j, now) || j.state === 'deployed') &&
        j.state !== 'destroying',
    );
    const out: ReapOutcome[] = [];
    for (const j of due) {
      const base = { id: j.id, name: j.name };
      if (j.legalHold) {
        out.push({
          ...base,
          outcome: 'held',
          message: `Kept: legal hold since ${j.legalHold.since} (${j.legalHold.reason}).`,
        });
        continue;
      }
      let evidence: ReapOutcome['evidence'];
      let note = '';
      if (options.export !== false && j.state === 'deployed') {
        const health = await this.status(j.id).catch(() => null);
        if (health?.health?.ok) {
          try {
            const folder = options.exportRoot ? join(options.exportRoot, `${j.name}-${j.id}`) : undefined;
            const e = await this.exportEvidence(
              j.id,
              folder,
              options.signal ? { signal: options.signal } : {},
            );
            if (e.failures.length) {
              out.push({
                ...base,
                outcome: 'export-failed',
                message: `Kept for now: ${e.failures.length} flow(s)/hunt(s) could not be exported (${e.failures[0]!.what}: ${e.failures[0]!.error}); see ${e.folder}.`,
              });
              continue;
            }
            evidence = { folder: e.folder, files: e.files.length };
          } catch (e) {
            out.push({
              ...base,
              outcome: 'export-failed',
              message: `Kept for now: the evidence export failed (${messageOf(e)}).`,
            });
            continue;
          }
        } else note = ' Its server no longer answered (its own timer had run): nothing to export.';
      }
      try {
        const removed = await (
          await this.runner()
        ).destroy(j.id, options.signal ? { signal: options.signal } : {});
        out.push({
          ...base,
          outcome: 'destroyed',
          message: `Destroyed at its time (${j.autoDestroyAt}).${evidence ? ` Evidence: ${evidence.files} file(s) in ${evidence.folder}.` : ''}${note}`,
          removed,
          ...(evidence ? { evidence } : {}),
        });
      } catch (e) {
        out.push({
          ...base,
          outcome: isAppError(e, 'DEPLOY_IN_PROGRESS') ? 'busy' : 'failed',
          message: messageOf(e),
        });
      }
    }
    return out;
  }

  /**
   * Renews, by itself, every certificate whose renewal is due (renewalDue) on deployed servers.
   * Returns what it did; a failure is journaled with its operation and shown as a notice.
   */
  async renewDue(): Promise<Array<{ id: string; name: string; ok: boolean; message: string }>> {
    const { journals } = await this.journals.list();
    const now = this.now();
    const out: Array<{ id: string; name: string; ok: boolean; message: string }> = [];
    for (const j of journals) {
      if (j.state !== 'deployed' || isInterrupted(j, now.getTime())) continue;
      const profile = j.profile as unknown as ResolvedProfile;
      const lifetime = (s: CertificateStatus) =>
        s.role === 'api' ? profile.certificates.apiDays : profile.certificates.serverDays;
      const due = certificateStatuses(j.outputs, now).filter((s) => renewalDue(s, lifetime(s)));
      if (!due.length) continue;
      try {
        await this.renewCertificates(j.id, 'renew');
        out.push({
          id: j.id,
          name: j.name,
          ok: true,
          message: `Renewed: ${due.map((d) => d.title).join(', ')}`,
        });
      } catch (e) {
        out.push({ id: j.id, name: j.name, ok: false, message: messageOf(e) });
      }
    }
    return out;
  }

  /**
   * While the app runs: reap and renew at start and then every `everyMs` (default 5 minutes). What it
   * did goes to `report` (the app logs it; the Deployments page shows the journal's operations).
   */
  watch(report: (line: string) => void = () => undefined, everyMs = 5 * 60_000): void {
    if (this.watcher) return;
    let running = false;
    const tick = async () => {
      if (running) return;
      running = true;
      try {
        // No keychain, no secrets to act with: wait for one without failing the app.
        if (!(await this.deps.secrets())) return;
        for (const r of await this.reap()) {
          report(`${r.name}: ${r.message}`);
          this.remember({
            key: `${r.id}:reap:${r.outcome}`,
            deploymentId: r.id,
            name: r.name,
            level: r.outcome === 'destroyed' || r.outcome === 'held' ? 'info' : 'critical',
            message: `${r.name}: ${r.message}`,
          });
        }
        for (const r of await this.renewDue()) {
          report(`${r.name}: ${r.message}`);
          this.remember({
            key: `${r.id}:renew:${r.ok ? 'ok' : 'failed'}`,
            deploymentId: r.id,
            name: r.name,
            level: r.ok ? 'info' : 'critical',
            message: `${r.name}: ${r.ok ? 'certificates renewed by the app' : 'the automatic renewal failed'} — ${r.message}`,
          });
        }
      } catch (e) {
        report(`The deployment watch failed: ${messageOf(e)}`);
      } finally {
        running = false;
      }
    };
    void tick();
    this.watcher = setInterval(() => void tick(), everyMs);
    this.watcher.unref();
  }

  /** Resume as a stream of progress events (the live progress bars and log of the UI). */
  resumeEvents(id: string, signal: AbortSignal): AsyncIterable<ProgressEvent> {
    return events((onEvent) => this.resume(id, { signal, onEvent }));
  }

  /** Any operation as a stream of its progress events (renewal, restart, extend, destroy). */
  operationEvents(
    run: (options: RunOptions) => Promise<unknown>,
    signal: AbortSignal,
  ): AsyncIterable<ProgressEvent> {
    return events((onEvent) => run({ signal, onEvent }));
  }

  async dispose(): Promise<void> {
    clearInterval(this.watcher);
    this.watcher = undefined;
    const built = await this.built?.catch(() => undefined);
    for (const t of built?.targets ?? []) t.close?.();
    await this.engines.close();
  }
}

/** The notices of one deployment as of `now`: self-destruction 24 h and 1 h ahead, certificates, failures. */
export function noticesOf(j: JournalDoc, now: Date): DeploymentNotice[] {
  const at = now.toISOString();
  const out: DeploymentNotice[] = [];
  const notice = (key: string, level: DeploymentNotice['level'], message: string) =>
    out.push({ key: `${j.id}:${key}`, deploymentId: j.id, name: j.name, level, message, at });
  const op = runningOperation(j);
  if (isInterrupted(j, now.getTime()))
    notice(
      'interrupted',
      'warning',
      op
        ? `"${op.title}" on ${j.name} was interrupted by a process that stopped: clean it up (what it made goes; ${j.name} stays ${j.state}), then run it again.`
        : `${j.name} was left ${j.state} by a process that stopped: resume it or clean it up.`,
    );
  if (j.state === 'rollback-failed')
    notice(
      'rollback-failed',
      'critical',
      `Some resources of ${j.name} could not be removed; they are listed. Fix the cause and clean up again.`,
    );
  if (j.state !== 'deployed') return out;
  if (j.autoDestroyAt) {
    const hours = (Date.parse(j.autoDestroyAt) - now.getTime()) / HOUR_MS;
    if (j.legalHold?.targetTimer === 'armed')
      notice(
        'held-armed',
        hours <= 24 ? 'critical' : 'warning',
        `${j.name} is under a legal hold, but its ${j.target} target's own timer could not be disarmed: it still destroys it at ${j.autoDestroyAt}. The hold stops the app only; extend it.`,
      );
    else if (j.legalHold) {
      if (hours <= 24)
        notice(
          'held',
          'info',
          `${j.name} is under a legal hold: ${j.legalHold.targetTimer === 'disarmed' ? "its target's timer is disarmed and " : ''}it stays past its destruction time (${j.autoDestroyAt}). Lifting the hold arms it again for that time, or for ${LIFT_GRACE_MS / HOUR_MS} h after the lift once that time has passed.`,
        );
    } else if (hours <= 0)
      notice(
        'destroy-due',
        'critical',
        `${j.name} is past its destruction time (${j.autoDestroyAt}): it is being destroyed.`,
      );
    else if (hours <= 1)
      notice(
        'destroy-1h',
        'critical',
        `${j.name} destroys itself within the hour (${j.autoDestroyAt}). Export its evidence now, or extend it.`,
      );
    else if (hours <= 24)
      notice(
        'destroy-24h',
        'warning',
        `${j.name} destroys itself within 24 hours (${j.autoDestroyAt}). Export its evidence, or extend it.`,
      );
  }
  for (const c of certificateStatuses(j.outputs, now)) {
    if (c.level === 'ok') continue;
    const level = c.level === 'within-30d' ? 'info' : c.level === 'within-7d' ? 'warning' : 'critical';
    const when =
      c.level === 'expired'
        ? `expired ${c.notAfter}`
        : `expires ${c.notAfter} (${Math.max(0, Math.floor(c.daysLeft))} day(s) left)`;
    notice(
      `cert:${c.role}:${c.level}:${c.notAfter}`,
      level,
      `${j.name}: ${c.title} ${when}.${c.renewable ? ' Renew it (the app also renews by itself shortly before).' : ' The CA is not renewed: plan a CA rotation or a new deployment.'}`,
    );
  }
  const last = j.operations?.at(-1);
  if (last?.state === 'failed')
    notice(
      `op:${last.id}`,
      'warning',
      `${j.name}: "${last.title}" failed: ${last.error?.message ?? 'see the journal'}`,
    );
  return out;
}

/** What the Deployments page shows of a journal: never a secret (the journal holds none). */
export function summary(j: JournalDoc, now = new Date()): DeploymentSummary {
  return {
    id: j.id,
    name: j.name,
    target: j.target,
    profile: (j.profile as { name?: ProfileName }).name ?? 'standard',
    state: j.state,
    interrupted: isInterrupted(j, now.getTime()),
    createdAt: j.createdAt,
    deployedAt: j.deployedAt ?? null,
    autoDestroyAt: j.autoDestroyAt,
    resources: j.resources.map((r) => ({
      kind: r.kind,
      id: r.id,
      title: r.title,
      state: r.state,
      ...(r.error ? { error: r.error } : {}),
    })),
    outputs: j.outputs,
    warnings: j.warnings,
    ...(j.error ? { error: j.error } : {}),
    certificates: certificateStatuses(j.outputs, now),
    legalHold: j.legalHold ?? null,
    operations: (j.operations ?? []).slice(-10).map((o) => ({
      id: o.id,
      kind: o.kind,
      title: o.title,
      state: o.state,
      startedAt: o.startedAt,
      ...(o.endedAt ? { endedAt: o.endedAt } : {}),
      ...(o.error ? { error: o.error } : {}),
    })),
    notices: noticesOf(j, now),
  };
}

/** Turns a run with an onEvent callback into an async stream of its events, ending (or failing) with it. */
async function* events(
  run: (onEvent: (e: ProgressEvent) => void) => Promise<unknown>,
): AsyncGenerator<ProgressEvent> {
  const queue: ProgressEvent[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: Error | undefined;
  const done = run((e) => {
    queue.push(e);
    wake?.();
  }).then(
    () => {
      finished = true;
      wake?.();
    },
    (e: unknown) => {
      failure = asError(e);
      finished = true;
      wake?.();
    },
  );
  while (!finished || queue.length) {
    if (!queue.length) await new Promise<void>((r) => (wake = r));
    wake = undefined;
    while (queue.length) yield queue.shift()!;
  }
  await done;
  if (failure) throw failure;
}
