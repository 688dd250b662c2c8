/**
 * Artifact collections: the artifact catalogue, launching on one or many clients, and the flow page
 * (status, logs, results per named source, uploads, zip export).
 */
import { z } from 'zod';
import { call, stream } from '../contract';
import { DownloadProgress, FlowSummary } from './clients';
import { Target } from './connections';

export const ArtifactParameter = z.object({
  name: z.string(),
  type: z.string(),
  default: z.string(),
  description: z.string(),
  choices: z.array(z.string()).optional(),
});
export type ArtifactParameter = z.infer<typeof ArtifactParameter>;

export const ArtifactSummary = z.object({
  name: z.string(),
  description: z.string(),
  type: z.string(),
  parameters: z.array(ArtifactParameter),
  sources: z.array(z.string()),
});
export type ArtifactSummary = z.infer<typeof ArtifactSummary>;

export const Resources = z.object({
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(86_400 * 7)
    .optional(),
  cpuLimit: z.number().min(0).max(100).optional(),
  maxRows: z.number().int().min(1).optional(),
  maxBytes: z.number().int().min(1).optional(),
  urgent: z.boolean().default(false),
});
export type Resources = z.infer<typeof Resources>;

/** `{Artifact: {Param: value}}`; values are strings, as Velociraptor converts them by declared type. */
export const ArtifactParameters = z.record(z.string(), z.record(z.string(), z.string()));

export const LogLine = z.object({ timeMs: z.number(), level: z.string(), message: z.string() });
export type LogLine = z.infer<typeof LogLine>;

export const UploadInfo = z.object({
  vfsPath: z.string(),
  clientPath: z.string(),
  size: z.number(),
  uploadedSize: z.number(),
});
export type UploadInfo = z.infer<typeof UploadInfo>;

export const collectionsContract = {
  'artifacts:list': call(
    z.object({
      target: Target,
      search: z.string().max(256).default(''),
      kind: z.enum(['CLIENT', 'SERVER', 'ANY']).default('CLIENT'),
    }),
    z.array(ArtifactSummary),
  ),
  'collections:launch': call(
    z.object({
      target: Target,
      clientIds: z.array(z.string()).min(1).max(1000),
      artifacts: z.array(z.string()).min(1).max(50),
      parameters: ArtifactParameters.default({}),
      resources: Resources.default({ urgent: false }),
    }),
    z.object({
      flows: z.array(z.object({ clientId: z.string(), flowId: z.string() })),
      failures: z.array(z.object({ clientId: z.string(), message: z.string() })),
    }),
  ),
  'collections:flow': call(
    z.object({ target: Target, clientId: z.string(), flowId: z.string() }),
    FlowSummary,
  ),
  'collections:logs': call(
    z.object({ target: Target, clientId: z.string(), flowId: z.string() }),
    z.array(LogLine),
  ),
  /** Loads one named source's rows into a result set for the grid; returns its id. */
  'collections:results': call(
    z.object({ target: Target, clientId: z.string(), flowId: z.string(), source: z.string() }),
    z.object({ resultId: z.string(), total: z.number(), columns: z.array(z.string()) }),
  ),
  'collections:uploads': call(
    z.object({ target: Target, clientId: z.string(), flowId: z.string() }),
    z.array(UploadInfo),
  ),
  'collections:cancel': call(
    z.object({ target: Target, clientId: z.string(), flowId: z.string() }),
    z.object({ cancelled: z.boolean() }),
  ),
  /** Prepares the flow's zip on the server and downloads it into the data dir. */
  'collections:export': stream(
    z.object({ target: Target, clientId: z.string(), flowId: z.string() }),
    DownloadProgress,
  ),
  /** The state of many flows at once (a multi-client launch's result panel polls this). */
  'collections:flowStates': call(
    z.object({
      target: Target,
      flows: z
        .array(z.object({ clientId: z.string(), flowId: z.string() }))
        .min(1)
        .max(1000),
    }),
    z.array(
      z.object({
        clientId: z.string(),
        flowId: z.string(),
        state: z.string(),
        status: z.string(),
        rows: z.number(),
        error: z.string().optional(),
      }),
    ),
  ),
};
