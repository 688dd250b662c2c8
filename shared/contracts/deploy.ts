/**
 * The deployments domain: what the app has deployed (or was deploying when it stopped), and the
 * crash-recovery actions on one deployment — resume it with live progress, clean up what it made,
 * destroy it. The wizard (plan / deploy) builds on the same service and types (shared/deploy.ts).
 */
import { z } from 'zod';
import { call, stream } from '../contract';
import {
  DeploymentState,
  ProfileName,
  ProgressEvent,
  ResourceKind,
  ResourceState,
  TargetKind,
} from '../deploy';

const Empty = z.object({}).strict();
const Id = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{2,63}$/) });

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
  outputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  warnings: z.array(z.string()),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type DeploymentSummary = z.infer<typeof DeploymentSummary>;

export const RemovalOutcome = z.object({
  kind: ResourceKind,
  id: z.string(),
  ok: z.boolean(),
  error: z.string().optional(),
});

export const deployContract = {
  'deploy:list': call(
    Empty,
    z.object({
      deployments: z.array(DeploymentSummary),
      /** Journals that cannot be read, with why (never hidden). */
      problems: z.array(z.object({ id: z.string(), message: z.string() })),
    }),
  ),
  'deploy:resume': stream(Id, ProgressEvent),
  'deploy:cleanup': call(Id, z.object({ removed: z.array(RemovalOutcome) })),
  'deploy:destroy': call(Id, z.object({ removed: z.array(RemovalOutcome) })),
};
