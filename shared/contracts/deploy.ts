/**
 * The deployments domain: the wizard (profiles and defaults, plan for review, deploy with live
 * progress), what the app has deployed (or was deploying when it stopped), and the operations on
 * every deployment — status and health, logs, restart, certificate renewal, extension, legal hold,
 * evidence and hand-over exports, destroy (with the evidence choice made explicitly), the reaper and
 * the notices. Long operations are streams of ProgressEvents (data / end / error, cancellable).
 */
import { z } from 'zod';
import { call, stream } from '../contract';
import {
  CertificateStatus,
  CostHint,
  DeploymentNotice,
  DeploymentState,
  LegalHold,
  OperationKind,
  PlannedStep,
  PreflightCheck,
  ProfileName,
  ProgressEvent,
  ResourceKind,
  ResourceState,
  TargetHealth,
  TargetKind,
} from '../deploy';

const Empty = z.object({}).strict();
const DeploymentId = z.string().regex(/^[a-z0-9][a-z0-9-]{2,63}$/);
const Id = z.object({ id: DeploymentId });
const Scalar = z.union([z.string(), z.number(), z.boolean()]);
/** A folder of this machine the responder chose (absolute). */
const Folder = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^(\/|[A-Za-z]:[\\/]|\\\\)/, 'an absolute path');

export const DeploymentSummary = z.object({
  id: z.string(),
  name: z.string(),
  target: TargetKind,
  profile: ProfileName,
  state: DeploymentState,
  /** Left in an active state by a process that is gone: offer resume or clean-up. */
  interrupted: z.boolean(),
  createdAt: z.string(),
  deployedAt: z.string().nullable(),
  autoDestroyAt: z.string().nullable(),
  resources: z.array(
    z.object({
      kind: ResourceKind,
      id: z.string(),
      title: z.string(),
      state: ResourceState,
      error: z.string().optional(),
    }),
  ),
  /** Public facts: URLs, fingerprints, certificate expiry dates, user names. Never a secret. */
  outputs: z.record(z.string(), Scalar),
  warnings: z.array(z.string()),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  certificates: z.array(CertificateStatus),
  legalHold: LegalHold.nullable(),
  /** The last operations on it, newest last. */
  operations: z.array(
    z.object({
      id: z.string(),
      kind: OperationKind,
      title: z.string(),
      state: z.enum(['running', 'done', 'failed']),
      startedAt: z.string(),
      endedAt: z.string().optional(),
      error: z.object({ code: z.string(), message: z.string() }).optional(),
    }),
  ),
  notices: z.array(DeploymentNotice),
});
export type DeploymentSummary = z.infer<typeof DeploymentSummary>;

export const RemovalOutcome = z.object({
  kind: ResourceKind,
  id: z.string(),
  ok: z.boolean(),
  error: z.string().optional(),
});

export const ProfileView = z.object({
  name: ProfileName,
  title: z.string(),
  description: z.string(),
  allowedTargets: z.array(TargetKind),
  limits: z.object({ memoryBytes: z.number(), nanoCpus: z.number(), pids: z.number() }),
  minimum: z.object({ cpus: z.number(), memoryBytes: z.number(), diskBytes: z.number() }),
  certificates: z.object({ caDays: z.number(), serverDays: z.number(), apiDays: z.number() }),
  autoDestroyHours: z.number().nullable(),
  logRetentionDays: z.number(),
});
export type ProfileView = z.infer<typeof ProfileView>;

export const PlanInput = z.object({
  target: TargetKind,
  name: z.string().min(1).max(100),
  profile: ProfileName,
  overrides: z
    .object({
      autoDestroyHours: z.number().nullable().optional(),
      logRetentionDays: z.number().optional(),
      limits: z
        .object({ memoryBytes: z.number(), nanoCpus: z.number(), pids: z.number() })
        .partial()
        .optional(),
      minimum: z
        .object({ cpus: z.number(), memoryBytes: z.number(), diskBytes: z.number() })
        .partial()
        .optional(),
      certificates: z
        .object({ caDays: z.number(), serverDays: z.number(), apiDays: z.number() })
        .partial()
        .optional(),
    })
    .optional(),
  /** The target's settings (checked by its deployer; journaled as they are, so never a secret). */
  settings: z.record(z.string(), z.unknown()),
});

/** What the review step shows: every step with the resources it makes, and the warnings. */
export const PlanView = z.object({
  deploymentId: z.string(),
  name: z.string(),
  target: TargetKind,
  profile: ProfileView.extend({ overridden: z.array(z.string()) }),
  steps: z.array(PlannedStep),
  warnings: z.array(z.string()),
  autoDestroyAt: z.string().nullable(),
  /** Cloud targets: billed items at list prices and the total until the self-destruction. */
  cost: CostHint.optional(),
  settings: z.record(z.string(), z.unknown()),
});
export type PlanView = z.infer<typeof PlanView>;

const OperationResult = z.object({ operation: z.string(), state: z.string() });

export const EvidenceExportView = z.object({
  folder: z.string(),
  files: z.number(),
  manifest: z.string(),
  failures: z.array(z.object({ what: z.string(), error: z.string() })),
});

/** A host of an SSH target, as the wizard names it (no jump hosts: the key of the host itself). */
export const SshHostInput = z
  .object({
    host: z.string().min(1).max(253),
    port: z.number().int().min(1).max(65535).default(22),
  })
  .strict();

/**
 * The host key an SSH host presents, checked against the responder's known_hosts and the app's file
 * of confirmed keys (one store for server deployments and agent pushes): `known` — trusted;
 * `unknown` — never seen, to be compared and confirmed once (deploy:trust-host-key); `changed` — a
 * different key is known for the host (or this one is revoked): refused, `message` says both
 * fingerprints and what to do, and nothing can confirm it from the app.
 */
export const HostKeyCheck = z.object({
  host: z.string(),
  port: z.number(),
  keyType: z.string(),
  /** `SHA256:…` as `ssh-keygen -l` prints it. */
  fingerprint: z.string(),
  status: z.enum(['known', 'unknown', 'changed']),
  /** What the app knows for the host when the key changed: where each key is listed. */
  known: z
    .array(z.object({ keyType: z.string(), fingerprint: z.string(), source: z.string(), line: z.number() }))
    .default([]),
  message: z.string().optional(),
});
export type HostKeyCheck = z.infer<typeof HostKeyCheck>;

export const deployContract = {
  'deploy:list': call(
    Empty,
    z.object({
      deployments: z.array(DeploymentSummary),
      /** Journals that cannot be read, with why (never hidden). */
      problems: z.array(z.object({ id: z.string(), message: z.string() })),
    }),
  ),
  /** Profiles and the wizard's defaults (the Docker engine this machine would use). */
  'deploy:options': call(
    Empty,
    z.object({
      profiles: z.array(ProfileView),
      dockerEngine: z.union([
        z.object({ kind: z.literal('socket'), path: z.string() }),
        z.object({ kind: z.literal('tcp'), host: z.string(), port: z.number() }),
      ]),
      defaultTag: z.string(),
    }),
  ),
  /** The host key an SSH host presents now, and whether it is known, new or changed (nothing remembered). */
  'deploy:host-key': call(SshHostInput, HostKeyCheck),
  /**
   * Remembers a key never seen before, which the responder compared: refused unless the host still
   * presents exactly `fingerprint` and no other key is known for it (a changed key is never confirmed).
   */
  'deploy:trust-host-key': call(
    SshHostInput.extend({ fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/) }),
    HostKeyCheck,
  ),
  'deploy:plan': call(PlanInput, PlanView),
  /** The target's pre-flight checks of a kept plan (the cloud account from STS, names free), read-only. */
  'deploy:check': call(Id, z.object({ checks: z.array(PreflightCheck) })),
  /** Deploys a plan made by deploy:plan (kept for an hour, deployed once). */
  'deploy:start': stream(Id, ProgressEvent),
  'deploy:resume': stream(Id, ProgressEvent),
  'deploy:cleanup': call(Id, z.object({ removed: z.array(RemovalOutcome) })),
  'deploy:status': call(
    Id,
    z.object({
      deployment: DeploymentSummary,
      health: TargetHealth.nullable(),
      healthError: z.string().optional(),
    }),
  ),
  'deploy:logs': call(
    z.object({ id: DeploymentId, lines: z.number().int().min(1).max(5000).default(200) }),
    z.object({ text: z.string() }),
  ),
  'deploy:restart': stream(Id, ProgressEvent),
  'deploy:renew': stream(
    z.object({ id: DeploymentId, mode: z.enum(['renew', 'rotate-gateway']).default('renew') }),
    ProgressEvent,
  ),
  'deploy:extend': stream(
    z.object({
      id: DeploymentId,
      hours: z
        .number()
        .min(1 / 60)
        .max(14 * 24),
    }),
    ProgressEvent,
  ),
  'deploy:legal-hold': call(
    z.object({ id: DeploymentId, hold: z.boolean(), reason: z.string().max(500).default('') }),
    OperationResult,
  ),
  'deploy:export-evidence': call(
    z.object({ id: DeploymentId, folder: Folder.optional() }),
    EvidenceExportView,
  ),
  'deploy:export-docs': call(
    z.object({ id: DeploymentId, folder: Folder.optional() }),
    z.object({ folder: z.string(), files: z.array(z.string()), readme: z.string() }),
  ),
  /**
   * Destroys exactly what the journal lists. `evidence` is the responder's explicit choice: export
   * every flow and hunt first (into `folder`, default the data dir's evidence folder), or skip.
   */
  'deploy:destroy': call(
    z.object({
      id: DeploymentId,
      evidence: z.enum(['export', 'skip']),
      folder: Folder.optional(),
    }),
    z.object({ removed: z.array(RemovalOutcome), evidence: EvidenceExportView.optional() }),
  ),
  /** Destroys what is past its time now (the app also does it at start and every few minutes). */
  'deploy:reap': call(
    Empty,
    z.object({
      outcomes: z.array(
        z.object({
          id: z.string(),
          name: z.string(),
          outcome: z.enum(['destroyed', 'held', 'busy', 'export-failed', 'failed']),
          message: z.string(),
        }),
      ),
    }),
  ),
  'deploy:notices': call(Empty, z.object({ notices: z.array(DeploymentNotice) })),
};
