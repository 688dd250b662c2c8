/**
 * Collections (flows): start one, start one and wait for its results, read a flow's status, logs,
 * results (per named source) and uploads, cancel it, and download an uploaded file to a folder.
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../../../shared/errors';
import type { CollectInput, FlowSummary } from '../../velociraptor';
import {
  PageSummary,
  pageOf,
  pagedOutput,
  pagedRead,
  pagingInput,
  plainRows,
  queryKey,
  shapePage,
  upTo,
  type PagingArgs,
  type Row,
} from '../results';
import type { Target } from '../servers';
import { defineTool, READ, type McpTool, type ToolCall } from '../tool-kit';
import {
  artifactName,
  checkArtifactParameters,
  clientId,
  flowId,
  found,
  parameters,
  plan,
  sourceName,
} from './common';

/** Rows the collect-and-wait tools fetch per source; later pages come from get_flow_results. */
const WAIT_RESULT_ROWS = 1000;

const collectInput = {
  client_id: clientId,
  artifacts: z.array(artifactName).min(1).max(20),
  parameters,
  timeout_seconds: z
    .number()
    .int()
    .min(10)
    .max(86_400)
    .default(600)
    .describe('How long the endpoint may run the collection.'),
  urgent: z.boolean().default(false).describe("Skip the client's queue (use for triage of one machine)."),
  max_rows: z
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .optional()
    .describe('Stop the collection after this many rows.'),
  cpu_limit: z
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .describe('Percent of one CPU the collection may use on the endpoint.'),
};

function collectRequest(a: {
  client_id: string;
  artifacts: string[];
  parameters?: Record<string, Record<string, string>> | undefined;
  timeout_seconds: number;
  urgent: boolean;
  max_rows?: number | undefined;
  cpu_limit?: number | undefined;
}): CollectInput {
  return {
    clientId: a.client_id,
    artifacts: a.artifacts,
    parameters: a.parameters,
    timeoutSeconds: a.timeout_seconds,
    urgent: a.urgent,
    maxRows: a.max_rows,
    cpuLimit: a.cpu_limit,
  };
}

export const collectArtifact = defineTool({
  name: 'collect_artifact',
  title: 'Start a collection',
  description:
    'Schedule artifacts for collection on one client and return the flow id at once (the client runs it when online). Follow with get_flow_status and get_flow_results, or use collect_and_wait to get results in one call. Use "server" artifacts only with client_id of a server collection.',
  input: collectInput,
  output: { client_id: z.string(), flow_id: z.string(), artifacts: z.array(z.string()) },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  endpointData: false,
  example: (ids) => ({ client_id: ids.clientId, artifacts: ['Windows.System.Pslist'] }),
  plan: async ({ args, target, service }) => {
    await checkArtifactParameters(await service(), args.artifacts, args.parameters);
    const req = collectRequest(args);
    return plan(
      `Collect ${args.artifacts.join(', ')} on ${args.client_id}`,
      target,
      'collect',
      { ...req },
      (await service()).planCollect(req),
    );
  },
  async run({ args, service }) {
    const r = await (await service()).collect(collectRequest(args));
    return { client_id: args.client_id, flow_id: r.flowId, artifacts: args.artifacts };
  },
});

const SourceResult = z.object({
  source: z.string(),
  rows: z.array(z.record(z.string(), z.unknown())),
  page: PageSummary,
});

/** Shapes the rows of each source of a finished collection; cursors continue in get_flow_results. */
export function shapeSources(
  results: Record<string, Row[]>,
  ids: { clientId: string; flowId: string },
  t: Target,
  paging: PagingArgs,
): Array<z.infer<typeof SourceResult>> {
  return Object.entries(results).map(([source, rows]) => {
    const key = queryKey('get_flow_results', {
      client_id: ids.clientId,
      flow_id: ids.flowId,
      source,
      server: t.server,
      org: t.org,
    });
    const shaped = shapePage(rows, 0, key, paging);
    return { source, rows: shaped.rows, page: shaped.page };
  });
}

export const CollectAndWaitOutput = {
  client_id: z.string(),
  flow_id: z.string(),
  state: z.string(),
  finished: z.boolean(),
  errors: z.array(z.string()).describe('Errors the flow logged (VQL errors arrive only as logs).'),
  sources: z.array(SourceResult),
};

/**
 * Collects, waits and shapes the flow's results (the CollectAndWaitOutput fields): the answer
 * collect_and_wait and every DFIR tool share.
 */
export async function collectAndShape(
  call: ToolCall<PagingArgs & { client_id: string; wait_seconds: number }, unknown>,
  req: CollectInput,
): Promise<z.output<z.ZodObject<typeof CollectAndWaitOutput>>> {
  const r = await (
    await call.service()
  ).collectAndWait(req, {
    timeoutMs: call.args.wait_seconds * 1000,
    pollMs: 500,
    resultLimit: WAIT_RESULT_ROWS,
    signal: call.signal,
  });
  const results = Object.fromEntries(Object.entries(r.results).map(([k, rows]) => [k, plainRows(rows)]));
  return {
    client_id: call.args.client_id,
    flow_id: r.flowId,
    state: r.state,
    finished: r.finished,
    errors: r.errors,
    sources: shapeSources(
      results,
      { clientId: call.args.client_id, flowId: r.flowId },
      call.target,
      call.args,
    ),
  };
}

export const collectAndWait = defineTool({
  name: 'collect_and_wait',
  title: 'Collect and wait for results',
  description:
    "Collect artifacts on one client, wait until the collection finishes (or wait_seconds pass) and return the first page of rows of every source. Best for triage of one online machine. If it is still running when the wait ends, finished=false: read the rest later with get_flow_results. Each source's page.next_cursor continues in get_flow_results with that source.",
  // max_rows is the page size here, as in every paged tool; the collection's own limit is row_limit
  // (one name for both made a page size of 50 also stop the collection after 50 rows).
  input: {
    ...collectInput,
    row_limit: collectInput.max_rows,
    urgent: z.boolean().default(true),
    wait_seconds: z.number().int().min(5).max(1800).default(120),
    columns: pagingInput.columns,
    max_rows: pagingInput.max_rows,
    max_bytes: pagingInput.max_bytes,
  },
  output: CollectAndWaitOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  endpointData: true,
  example: (ids) => ({
    client_id: ids.clientId,
    artifacts: ['Windows.System.Pslist'],
    wait_seconds: 30,
    max_rows: 5,
  }),
  plan: async ({ args, target, service }) => {
    await checkArtifactParameters(await service(), args.artifacts, args.parameters);
    const req = collectRequest({ ...args, max_rows: args.row_limit });
    return plan(
      `Collect ${args.artifacts.join(', ')} on ${args.client_id} and wait up to ${args.wait_seconds} s`,
      target,
      'collect',
      { ...req },
      (await service()).planCollect(req),
    );
  },
  run: (call) => collectAndShape(call, collectRequest({ ...call.args, max_rows: call.args.row_limit })),
});

export function flowSummary(f: FlowSummary): Row {
  return {
    flow_id: f.flowId,
    client_id: f.clientId,
    state: f.state,
    artifacts: f.artifacts,
    artifacts_with_results: f.artifactsWithResults,
    creator: f.creator,
    created: f.createTime,
    last_active: f.lastActive,
    total_rows: f.totalRows,
    uploaded_files: f.totalUploadedFiles,
    uploaded_bytes: f.totalUploadedBytes,
    status: f.status,
  };
}

export const listFlows = defineTool({
  name: 'list_flows',
  title: 'List collections of a client',
  description:
    'The collections (flows) run on one client, newest first: state, artifacts, times, rows and uploads. Use it to find earlier results before collecting again.',
  input: { client_id: clientId, ...pagingInput },
  output: pagedOutput,
  annotations: READ,
  endpointData: true,
  example: (ids) => ({ client_id: ids.clientId }),
  async run({ args, ctx, service }) {
    const svc = await service();
    return pagedRead(
      'list_flows',
      args,
      async (p) => pageOf(await svc.listFlows(args.client_id, { limit: upTo(p) }), p).map(flowSummary),
      ctx.resultsDir,
    );
  },
});

export const getFlowStatus = defineTool({
  name: 'get_flow_status',
  title: 'Get collection status',
  description:
    'State of one collection (RUNNING, WAITING, FINISHED, ERROR...), its timing, row and upload counts, the artifacts that produced results (use those names with get_flow_results) and any error status.',
  input: { client_id: clientId, flow_id: flowId },
  output: { flow: z.record(z.string(), z.unknown()), finished: z.boolean() },
  annotations: READ,
  endpointData: true,
  example: (ids) => ({ client_id: ids.clientId, flow_id: ids.flowId }),
  async run({ args, service }) {
    const f = await found(
      (await service()).flowStatus(args.client_id, args.flow_id),
      `Flow ${args.flow_id} of ${args.client_id}`,
    );
    return { flow: flowSummary(f), finished: f.done };
  },
});

export const getFlowLogs = defineTool({
  name: 'get_flow_logs',
  title: 'Get collection logs',
  description:
    'The log lines of one collection. Read them when a flow has no rows or state ERROR: Velociraptor reports most query failures only here.',
  input: { client_id: clientId, flow_id: flowId, ...pagingInput },
  output: pagedOutput,
  annotations: READ,
  endpointData: true,
  example: (ids) => ({ client_id: ids.clientId, flow_id: ids.flowId }),
  async run({ args, ctx, service }) {
    const svc = await service();
    return pagedRead(
      'get_flow_logs',
      args,
      async (p) =>
        pageOf(await svc.flowLogs(args.client_id, args.flow_id, { limit: upTo(p) }), p).map((l) => ({
          time: l.time,
          level: l.level,
          message: l.message,
        })),
      ctx.resultsDir,
    );
  },
});

export const getFlowResults = defineTool({
  name: 'get_flow_results',
  title: 'Get collection results',
  description:
    'Rows one collection produced for one artifact source. Artifacts with several sources need Artifact/Source (get_flow_status lists them as artifacts_with_results). Page with cursor; choose columns to keep pages small; to_file for large results.',
  input: { client_id: clientId, flow_id: flowId, source: sourceName, ...pagingInput },
  output: pagedOutput,
  annotations: READ,
  endpointData: true,
  example: (ids) => ({ client_id: ids.clientId, flow_id: ids.flowId, source: ids.source, max_rows: 5 }),
  async run({ args, ctx, service }) {
    const svc = await service();
    return pagedRead(
      'get_flow_results',
      args,
      async (p) =>
        plainRows(
          await svc.flowResults({
            clientId: args.client_id,
            flowId: args.flow_id,
            artifact: args.source,
            startRow: p.offset,
            limit: p.limit,
          }),
        ),
      ctx.resultsDir,
    );
  },
});

export const cancelFlow = defineTool({
  name: 'cancel_flow',
  title: 'Cancel a collection',
  description: 'Stop a running collection on its client. Rows already sent are kept.',
  input: { client_id: clientId, flow_id: flowId },
  output: { client_id: z.string(), flow_id: z.string(), cancelled: z.boolean() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  endpointData: false,
  example: (ids) => ({ client_id: ids.clientId, flow_id: ids.flowId }),
  plan: ({ args, target }) =>
    plan(`Cancel collection ${args.flow_id} on ${args.client_id}`, target, 'cancel_flow', {
      client_id: args.client_id,
      flow_id: args.flow_id,
    }),
  async run({ args, service }) {
    await (await service()).cancelFlow(args.client_id, args.flow_id);
    return { client_id: args.client_id, flow_id: args.flow_id, cancelled: true };
  },
});

export const listFlowUploads = defineTool({
  name: 'list_flow_uploads',
  title: 'List files a collection uploaded',
  description:
    'Files a collection uploaded to the server (path on the endpoint, size, server path). Use the vfs_path with download_upload to fetch one.',
  input: { client_id: clientId, flow_id: flowId, ...pagingInput },
  output: pagedOutput,
  annotations: READ,
  endpointData: true,
  example: (ids) => ({ client_id: ids.clientId, flow_id: ids.flowId }),
  async run({ args, ctx, service }) {
    const svc = await service();
    return pagedRead(
      'list_flow_uploads',
      args,
      async (p) =>
        pageOf(await svc.listUploads(args.client_id, args.flow_id), p).map((u) => ({
          vfs_path: u.vfsPath,
          client_path: u.clientPath,
          size: u.size,
          uploaded_size: u.uploadedSize,
          accessor: u.accessor,
        })),
      ctx.resultsDir,
    );
  },
});

export const downloadUpload = defineTool({
  name: 'download_upload',
  title: 'Download an uploaded file',
  description:
    "Copy one file a collection uploaded from the server's file store to a folder on this machine, and return its local path, size and sha256. The file is evidence from an endpoint: it is written, never opened or run.",
  input: {
    client_id: clientId,
    flow_id: flowId,
    vfs_path: z.string().min(1).max(2000).describe('vfs_path from list_flow_uploads.'),
    folder: z
      .string()
      .min(1)
      .max(1000)
      .refine(isAbsolute, 'an absolute folder path')
      .describe('Absolute path of the folder to write the file into (created if missing).'),
  },
  output: { path: z.string(), sha256: z.string(), size: z.number().int() },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  endpointData: true,
  example: (ids) => ({
    client_id: ids.clientId,
    flow_id: ids.flowId,
    vfs_path: ids.vfsPath,
    folder: ids.folder,
  }),
  plan: ({ args, target }) =>
    plan(`Download ${args.vfs_path} from flow ${args.flow_id} into ${args.folder}`, target, 'download', {
      ...args,
    }),
  async run({ args, service }) {
    if (args.folder.includes('\0'))
      throw new AppError('INVALID_ARGUMENT', 'The folder path contains a NUL byte.');
    const r = await (
      await service()
    ).saveUpload({ clientId: args.client_id, flowId: args.flow_id, vfsPath: args.vfs_path }, args.folder);
    return { path: r.path, sha256: r.sha256, size: r.bytes };
  },
});

export const collectionTools: McpTool[] = [
  collectArtifact,
  collectAndWait,
  listFlows,
  getFlowStatus,
  getFlowLogs,
  getFlowResults,
  cancelFlow,
  listFlowUploads,
  downloadUpload,
];
