/**
 * Deployment domain types shared by the core, the contracts and the UI: targets, profiles, the
 * resources a deployment creates, the journal's states and the progress events a deployment emits.
 * Pure zod, no Node or DOM: the renderer draws the wizard's review step and its live progress bars
 * from these very shapes, and the journal file is validated with them.
 */
import { z } from 'zod';

export const TargetKind = z.enum(['docker', 'ssh', 'lab', 'aws', 'azure']);
export type TargetKind = z.infer<typeof TargetKind>;

export const ProfileName = z.enum(['rapid', 'standard', 'enterprise']);
export type ProfileName = z.infer<typeof ProfileName>;

/**
 * Everything a deployment can leave behind. Each kind has one remover per target, so clean-up after a
 * crash removes exactly what the journal lists.
 */
export const ResourceKind = z.enum([
  'container',
  'volume',
  'image',
  'network',
  'remote-file',
  'local-file',
  'unit',
  'system-user',
  'secret',
  'connection',
  'cloud-stack',
  /** Resources a stack update added to a stack (a scale-out's minion); removed by updating it back. */
  'cloud-stack-node',
  'cloud-resource-group',
  'cloud-secret',
  'process',
]);
export type ResourceKind = z.infer<typeof ResourceKind>;

/** Facts about a resource (ids, names, paths, fingerprints) — never a secret value. */
export const ResourceFacts = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
export type ResourceFacts = z.infer<typeof ResourceFacts>;

/**
 * One resource: `id` is the name the target knows it by, chosen before it is made (container and
 * volume names, a remote path, a keychain reference), so a crash between "asked for" and "made" still
 * leaves a name to look for. `scope` says where it lives (a Docker engine, an SSH host, a region).
 */
export const ResourceRef = z.object({
  kind: ResourceKind,
  id: z.string().min(1).max(512),
  scope: z.string().max(512),
  /** What the plan shows the responder ("data volume", "API identity in the keychain"). */
  title: z.string().max(200),
  facts: ResourceFacts.optional(),
});
export type ResourceRef = z.infer<typeof ResourceRef>;

/**
 * A resource's life in the journal: `intended` is written before the target is asked, `created`
 * after it answered; clean-up walks both (an intended resource may exist). `removed` / `retained` end it.
 */
export const ResourceState = z.enum(['intended', 'created', 'removing', 'removed', 'retained']);
export type ResourceState = z.infer<typeof ResourceState>;

export const DeploymentState = z.enum([
  'planned',
  'preflight',
  'applying',
  'verifying',
  'deployed',
  'rolling-back',
  'rolled-back',
  'rollback-failed',
  'destroying',
  'destroyed',
  'failed',
]);
export type DeploymentState = z.infer<typeof DeploymentState>;

/** States a process works in: a journal left in one of them by a dead process is an interrupted deployment. */
export const ACTIVE_STATES: readonly DeploymentState[] = [
  'planned',
  'preflight',
  'applying',
  'verifying',
  'rolling-back',
  'destroying',
];

export const StepState = z.enum(['pending', 'running', 'done', 'failed', 'skipped']);
export type StepState = z.infer<typeof StepState>;

export const PlannedStep = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/),
  title: z.string(),
  /** The resources the step will create, shown in the review step. */
  resources: z.array(ResourceRef),
});
export type PlannedStep = z.infer<typeof PlannedStep>;

/** The phases every deployment walks through, in order; `operate` is work on a deployed server. */
export const Phase = z.enum(['plan', 'preflight', 'apply', 'verify', 'rollback', 'destroy', 'operate']);
export type Phase = z.infer<typeof Phase>;

/**
 * What a deployment tells its watchers while it runs: one `step` event per step state change, `progress`
 * within a step (bytes downloaded, health polls), `log` lines to stream, `resource` on every journal
 * write, `phase` when the phase changes. `at` is ms since the epoch.
 */
export const ProgressEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('phase'), deploymentId: z.string(), at: z.number(), phase: Phase }),
  z.object({
    type: z.literal('step'),
    deploymentId: z.string(),
    at: z.number(),
    phase: Phase,
    step: z.string(),
    title: z.string(),
    state: StepState,
    /** Set when a step ends: how long it took. */
    ms: z.number().optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }),
  z.object({
    type: z.literal('progress'),
    deploymentId: z.string(),
    at: z.number(),
    step: z.string(),
    /** 0..1, or absent when the total is unknown. */
    fraction: z.number().min(0).max(1).optional(),
    done: z.number().optional(),
    total: z.number().optional(),
    message: z.string().optional(),
  }),
  z.object({
    type: z.literal('log'),
    deploymentId: z.string(),
    at: z.number(),
    step: z.string(),
    level: z.enum(['info', 'warn', 'error']),
    line: z.string(),
  }),
  z.object({
    type: z.literal('resource'),
    deploymentId: z.string(),
    at: z.number(),
    step: z.string(),
    resource: ResourceRef,
    state: ResourceState,
  }),
]);
export type ProgressEvent = z.infer<typeof ProgressEvent>;

/** A check of a preflight: each is shown with its outcome, failed ones with what to do. */
export const PreflightCheck = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(['ok', 'warn', 'failed']),
  message: z.string(),
});
export type PreflightCheck = z.infer<typeof PreflightCheck>;

/** The certificates a deployment lives on: its CA, the Frontend (also the API's), the GUI gateway, the app's API identity. */
export const CertificateRole = z.enum(['ca', 'frontend', 'gateway', 'api']);
export type CertificateRole = z.infer<typeof CertificateRole>;

/** How close to expiry: warnings at 30, 7 and 1 days before. */
export const ExpiryLevel = z.enum(['ok', 'within-30d', 'within-7d', 'within-1d', 'expired']);
export type ExpiryLevel = z.infer<typeof ExpiryLevel>;

export const CertificateStatus = z.object({
  role: CertificateRole,
  title: z.string(),
  notAfter: z.string(),
  /** Fractional days until notAfter (negative once expired). */
  daysLeft: z.number(),
  level: ExpiryLevel,
  /** False for the CA: renewing it would change what every agent trusts (a CA rotation, not a renewal). */
  renewable: z.boolean(),
});
export type CertificateStatus = z.infer<typeof CertificateStatus>;

/**
 * What a legal hold did to the target's own self-destruction: `disarmed` (its timer container or
 * systemd timer is removed or stopped until the hold is lifted), `none` (the target has no timer of
 * its own, or none was left: the app's reaper was the only one, and the hold stops it), `armed` (this
 * target's timer cannot be disarmed: it still fires, and the hold protects from the app only).
 * Absent in holds journaled before holds disarmed targets: unknown.
 */
export const HoldTargetTimer = z.enum(['disarmed', 'none', 'armed']);
export type HoldTargetTimer = z.infer<typeof HoldTargetTimer>;

export const LegalHold = z.object({
  since: z.string(),
  reason: z.string(),
  targetTimer: HoldTargetTimer.optional(),
});
export type LegalHold = z.infer<typeof LegalHold>;

/** What a hold protects the deployment from, in words (the Deployments page, the CLI, the docs). */
export function holdProtection(hold: LegalHold): string {
  switch (hold.targetTimer) {
    case 'disarmed':
      return "Its target's own self-destruction timer is disarmed and the app destroys nothing until the hold is lifted.";
    case 'none':
      return 'Nothing destroys it until the hold is lifted.';
    case 'armed':
      return "Its target's own self-destruction timer could not be disarmed and still fires: the hold stops the app only. Extend the deployment to keep it.";
    default:
      return "The app destroys nothing until the hold is lifted; this hold was placed before holds disarmed the target's own timer, which may still fire: lift the hold and place it again.";
  }
}

/** What lifting a hold does to the self-destruction (the hold dialog, the CLI). */
export const LIFT_EFFECT =
  "Its target's self-destruction timer is armed again for its destruction time or, when that time has passed, for an hour after the lift (time to export its evidence or extend it); a destroy by hand works again.";

/** Work on a deployed server, journaled like a deployment's steps. */
export const OperationKind = z.enum([
  'renew-certificates',
  'rotate-gateway',
  'restart',
  'extend',
  'legal-hold',
  'export-evidence',
  'scale-out',
]);
export type OperationKind = z.infer<typeof OperationKind>;

/** What the app tells the responder about a deployment without being asked (expiry, certificates). */
export const DeploymentNotice = z.object({
  key: z.string(),
  deploymentId: z.string(),
  name: z.string(),
  level: z.enum(['info', 'warning', 'critical']),
  message: z.string(),
  at: z.string(),
});
export type DeploymentNotice = z.infer<typeof DeploymentNotice>;

/** The server as its target sees it right now (container state and health, unit state, process). */
export const TargetHealth = z.object({
  /** Running and ready (healthy container, active unit with its ports, live process with its ports). */
  ok: z.boolean(),
  state: z.string(),
  detail: z.string(),
  checkedAt: z.string(),
});
export type TargetHealth = z.infer<typeof TargetHealth>;

/**
 * What a cloud deployment will cost, roughly, shown in the review: each billed item with its hourly
 * list price, and the total until the self-destruction (null when the deployment stays).
 */
export const CostHint = z.object({
  currency: z.literal('USD'),
  items: z.array(z.object({ what: z.string(), count: z.number(), hourly: z.number() })),
  /** Sum of the items per hour. */
  hourly: z.number(),
  /** Hours until the self-destruction; null = no self-destruction. */
  hours: z.number().nullable(),
  total: z.number().nullable(),
  /** Where the prices come from and what they leave out. */
  basis: z.string(),
});
export type CostHint = z.infer<typeof CostHint>;

/** A file of the responder's machine added to a Docker image built locally (tools for isolated networks). */
export interface ImageExtraFile {
  /** Absolute path in the image. */
  path: string;
  /** The file on this machine. */
  source: string;
  mode: number;
}

/**
 * `/path/in/image=/file/here[:mode]` (octal mode, default 0644): the CLI's `--extra-file` and the
 * wizard's "extra files" lines, one syntax. Undefined when `spec` is not of that form.
 */
export function parseExtraFile(spec: string): ImageExtraFile | undefined {
  const m = /^(\/[^=]+)=(.+?)(?::([0-7]{3,4}))?$/.exec(spec.trim());
  if (!m) return undefined;
  return { path: m[1]!, source: m[2]!, mode: m[3] ? parseInt(m[3], 8) : 0o644 };
}

/** Upstream's server image (Velociraptor's Docker/Dockerfile, pushed by its magefile's Container target). */
export const OFFICIAL_REPOSITORY = 'ghcr.io/velocidex/velociraptor-server';

/**
 * The reference of upstream's image for a release tag as GitHub names it: the image is tagged with the
 * bare version (constants.VERSION), so v0.77.2 → ghcr.io/velocidex/velociraptor-server:0.77.2.
 */
export function officialImageReference(releaseTag: string): string {
  return `${OFFICIAL_REPOSITORY}:${releaseTag.trim().replace(/^v(?=\d)/, '')}`;
}

/** How many minions an enterprise deployment runs beside its master unless the responder says otherwise. */
export const DEFAULT_MINIONS = 2;
/** The most minions one deployment runs (the Docker deployer's settings refuse more). */
export const MAX_MINIONS = 8;

/**
 * The minions of a multi-frontend deployment on one engine: each binds where the master's frontend
 * binds, on the free ports right after it (skipping `taken`, the deployment's other ports: the
 * wizard's API default 8001 sits right after the frontend's 8000), so agents reach every frontend
 * at the same name. The CLI's `--minions N` and the wizard's count follow this one rule.
 */
export function minionsBeside(
  frontend: { bindAddress: string; port: number },
  count: number,
  taken: ReadonlyArray<number | null> = [],
): Array<{ bindAddress: string; port: number }> {
  const out: Array<{ bindAddress: string; port: number }> = [];
  for (let port = frontend.port + 1; out.length < count && port <= 65535; port++)
    if (!taken.includes(port)) out.push({ bindAddress: frontend.bindAddress, port });
  return out;
}
