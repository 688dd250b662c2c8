/**
 * The deployment model every target implements (Docker here; SSH host, local lab, AWS, Azure and agent
 * pushes build on it): a target-specific Deployer describes WHAT to make (plan), checks the target
 * (preflight), lists the steps that make it and the checks that verify it, and knows how to remove each
 * kind of resource it makes. The runner (runner.ts) does the rest the same way for every target:
 * journaling every step and resource before and after it is made, progress events, rollback, resume
 * and clean-up after a crash. A deployer therefore never writes the journal itself and never keeps
 * state between steps in memory: what a later step needs comes from `ctx.outputs` (journaled facts)
 * and `ctx.secrets` (the keychain).
 */
import type {
  PlannedStep,
  PreflightCheck,
  ProgressEvent,
  ResourceFacts,
  ResourceRef,
  TargetKind,
} from '../../../shared/deploy';
import type { SecretStore } from '../credentials/index';
import type { DeploymentState, OperationKind, ProfileName } from '../../../shared/deploy';
import type { JournalDoc } from './journal';
import type { ProfileOverrides, ResolvedProfile } from './profiles';

export type { PlannedStep, PreflightCheck, ProgressEvent, ResourceFacts, ResourceRef, TargetKind };
export type Scalar = string | number | boolean;

/** What the responder asked for: the target's own settings plus the common choices. */
export interface DeployRequest<S> {
  /** Display name; also the connection's name once verified. */
  name: string;
  profile: ProfileName;
  overrides?: ProfileOverrides;
  settings: S;
}

/**
 * What will be made, shown in the review step and stored in the journal. Settings must hold no
 * secret (they are journaled as they are): secrets are made by a step and kept in the keychain.
 */
export interface DeploymentPlan<S = unknown> {
  deploymentId: string;
  name: string;
  target: TargetKind;
  profile: ResolvedProfile;
  settings: S;
  steps: PlannedStep[];
  /** Said before anything is made (exposed ports, unsigned binary, …). */
  warnings: string[];
  createdAt: string;
  /** ISO time at which the deployment destroys itself, from the profile; null = never. */
  autoDestroyAt: string | null;
}

export interface ProgressReport {
  fraction?: number;
  done?: number;
  total?: number;
  message?: string;
}

/** Handed to preflight: read-only, nothing journaled. */
export interface PreflightContext {
  signal: AbortSignal;
  progress(report: ProgressReport): void;
  log(line: string, level?: 'info' | 'warn' | 'error'): void;
}

/** Handed to each step and to verify. */
export interface StepContext extends PreflightContext {
  readonly deploymentId: string;
  /** Facts earlier steps recorded (journaled, so they survive a crash and a resume). */
  readonly outputs: Readonly<Record<string, Scalar>>;
  /** Records a non-secret fact for later steps, verify and the Deployments page. */
  setOutput(key: string, value: Scalar): Promise<void>;
  readonly secrets: SecretStore;
  now(): Date;
  /**
   * Journals `ref` as intended, runs `make`, journals it as created with the facts `facts` derives
   * from the result. A crash between the two leaves an intended resource, which clean-up also removes.
   */
  create<T>(ref: ResourceRef, make: () => Promise<T>, facts?: (made: T) => ResourceFacts): Promise<T>;
  /** Removes a resource made earlier in this deployment (a one-shot container), journaled. */
  remove(ref: ResourceRef): Promise<void>;
}

/** What the runner decided before asking the target: the id and the profile with its overrides checked. */
export interface PlanContext {
  deploymentId: string;
  now: Date;
  profile: ResolvedProfile;
}

export interface StepDefinition {
  /** Matches a PlannedStep id (an operation's steps have ids of their own). */
  id: string;
  title: string;
  /** `operate`: a step of work on a deployed server (runner.operate), never of a deployment. */
  phase: 'apply' | 'verify' | 'operate';
  run(ctx: StepContext): Promise<void>;
}

/**
 * Work on a deployed server (renew its certificates, restart it, move its self-destruction): steps
 * journaled like a deployment's (phase `operate`), with the same StepContext, so a resource an
 * operation makes on the way (a one-shot container) is journaled and removed like any other.
 */
export interface OperationDefinition {
  kind: OperationKind;
  title: string;
  steps: Array<Omit<StepDefinition, 'phase'>>;
  /**
   * After a step failed and the resources the operation had made were removed: undo what earlier
   * steps changed (restore the previous config). Its own failure is reported with the step's.
   */
  undo?: (ctx: StepContext) => Promise<void>;
  /** Applied to the journal when every step is done (the new destruction time, a legal hold). */
  apply?: (doc: JournalDoc) => void;
  /** Public facts of the outcome, recorded with the operation. */
  details?: (doc: JournalDoc) => Record<string, Scalar>;
  /** States the deployment may be in (default: deployed only). */
  allowedStates?: readonly DeploymentState[];
}

/** What a deployed server offers, from the journal's outputs (URLs, fingerprints, connection name). */
export type DeploymentOutputs = Record<string, Scalar>;

export interface RemoveContext {
  signal: AbortSignal;
  log(line: string): void;
  /** The deployment's journaled settings (how to reach its target again after a restart). */
  settings: unknown;
}

/** Removes resources of the kinds a target makes. Removing a resource that is already gone succeeds. */
export interface ResourceRemover {
  readonly kinds: readonly ResourceRef['kind'][];
  remove(ref: ResourceRef, ctx: RemoveContext): Promise<void>;
}

export interface Deployer<S = unknown> extends ResourceRemover {
  readonly target: TargetKind;
  /**
   * Validates the request against the profile, names every resource and lists the steps. No side
   * effects: it may be called for a preview as often as the wizard likes.
   */
  plan(request: DeployRequest<S>, context: PlanContext): Promise<DeploymentPlan<S>>;
  /**
   * Read-only checks of the target. Returns every check; the runner refuses to go on (with
   * DEPLOY_PREFLIGHT_FAILED, details.checks) when one failed.
   */
  preflight(plan: DeploymentPlan<S>, ctx: PreflightContext): Promise<PreflightCheck[]>;
  /** Apply steps then verify steps, in order; ids match plan.steps. */
  steps(plan: DeploymentPlan<S>): StepDefinition[];
}
