/** Hunts: list with progress, the creation wizard's estimate and create, the live dashboard. */
import { z } from 'zod';
import { call, stream } from '../contract';
import { DownloadProgress } from './clients';
import { ArtifactParameters, Resources } from './collections';
import { Target } from './connections';

export const HuntStats = z.object({
  scheduled: z.number(),
  completed: z.number(),
  withResults: z.number(),
  errors: z.number(),
});
export type HuntStats = z.infer<typeof HuntStats>;

export const HuntSummary = z.object({
  huntId: z.string(),
  description: z.string(),
  state: z.string(),
  artifacts: z.array(z.string()),
  /** `Artifact/Source` for every source: the names hunts:results takes for artifacts with named sources. */
  sources: z.array(z.string()),
  createdMs: z.number(),
  startedMs: z.number(),
  expiresMs: z.number(),
  creator: z.string(),
  stats: HuntStats,
  includeLabels: z.array(z.string()),
  excludeLabels: z.array(z.string()),
  os: z.string(),
});
export type HuntSummary = z.infer<typeof HuntSummary>;

export const HuntScope = z.object({
  includeLabels: z.array(z.string().min(1).max(128)).default([]),
  excludeLabels: z.array(z.string().min(1).max(128)).default([]),
  os: z.enum(['', 'windows', 'linux', 'darwin']).default(''),
});
export type HuntScope = z.infer<typeof HuntScope>;

export const HuntFlow = z.object({
  clientId: z.string(),
  hostname: z.string(),
  flowId: z.string(),
  state: z.string(),
  rows: z.number(),
  startedMs: z.number(),
  /** When the flow finished or failed; 0 while it runs. */
  finishedMs: z.number(),
});
export type HuntFlow = z.infer<typeof HuntFlow>;

export const huntsContract = {
  'hunts:list': call(z.object({ target: Target }), z.array(HuntSummary)),
  'hunts:get': call(z.object({ target: Target, huntId: z.string() }), HuntSummary),
  'hunts:estimate': call(
    z.object({ target: Target, scope: HuntScope }),
    z.object({
      count: z.number(),
      online: z.number(),
      sample: z.array(z.string()),
      /** Set when the server will not apply the scope as given (an OS drops the labels). */
      warning: z.string().optional(),
    }),
  ),
  'hunts:create': call(
    z.object({
      target: Target,
      description: z.string().min(1).max(1000),
      artifacts: z.array(z.string()).min(1).max(50),
      parameters: ArtifactParameters.default({}),
      scope: HuntScope,
      expiresHours: z
        .number()
        .min(1)
        .max(24 * 365),
      resources: Resources.default({ urgent: false }),
      paused: z.boolean().default(true),
    }),
    z.object({ huntId: z.string() }),
  ),
  'hunts:start': call(z.object({ target: Target, huntId: z.string() }), z.object({ state: z.string() })),
  'hunts:stop': call(z.object({ target: Target, huntId: z.string() }), z.object({ state: z.string() })),
  'hunts:flows': call(z.object({ target: Target, huntId: z.string() }), z.array(HuntFlow)),
  /** The hunt's zip (every client's results, logs and uploads) built on the server, then saved here. */
  'hunts:export': stream(z.object({ target: Target, huntId: z.string() }), DownloadProgress),
  /** Loads a hunt's rows for one source into a result set for the grid. */
  'hunts:results': call(
    z.object({ target: Target, huntId: z.string(), source: z.string() }),
    z.object({ resultId: z.string(), total: z.number(), columns: z.array(z.string()) }),
  ),
};
