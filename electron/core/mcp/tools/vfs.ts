/**
 * VFS: list a directory on a client now (System.VFS.ListDirectory, waited for), or start a refresh
 * without waiting. Both run an artifact on the endpoint, so both go through the approval gate.
 */
import { z } from 'zod';
import { pagedOutput, pagedRead, pagingInput, plainRows, sliceSource, type Row } from '../results';
import { defineTool, type McpTool } from '../tool-kit';
import { clientId, plan } from './common';

const VFS_ARTIFACT = 'System.VFS.ListDirectory';

const vfsPath = z
  .string()
  .min(1)
  .max(2000)
  .describe('Directory on the client, e.g. C:/Users (Windows) or /etc (Linux, macOS).');
const accessor = z
  .enum(['auto', 'file', 'ntfs', 'registry'])
  .optional()
  .describe('How the client reads the path (default auto).');

export const vfsList = defineTool({
  name: 'vfs_list',
  title: 'List a directory on a client',
  description:
    'List one directory of a client as it is now (names, sizes, times, mode): the client runs System.VFS.ListDirectory and the tool waits for its answer. The client must be online. Page with cursor; the flow id lets you read the listing again with get_flow_results.',
  input: {
    client_id: clientId,
    path: vfsPath,
    accessor,
    wait_seconds: z.number().int().min(5).max(600).default(60),
    ...pagingInput,
  },
  output: { flow_id: z.string(), ...pagedOutput },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  endpointData: true,
  example: (ids) => ({ client_id: ids.clientId, path: 'C:/', wait_seconds: 30 }),
  plan: async ({ args, target, service }) =>
    plan(
      `List ${args.path} on ${args.client_id}`,
      target,
      'collect',
      {
        client_id: args.client_id,
        artifact: VFS_ARTIFACT,
        path: args.path,
        depth: 0,
        accessor: args.accessor ?? 'auto',
      },
      (await service()).planVfsRefresh({
        clientId: args.client_id,
        path: args.path,
        depth: 0,
        accessor: args.accessor,
      }),
    ),
  async run({ args, ctx, signal, service }) {
    let flowId = '';
    let entries: Row[] | undefined;
    const paged = await pagedRead(
      'vfs_list',
      args,
      async (p) => {
        if (!entries) {
          const r = await (
            await service()
          ).vfsList(
            { clientId: args.client_id, path: args.path, accessor: args.accessor },
            { timeoutMs: args.wait_seconds * 1000, pollMs: 500, signal },
          );
          flowId = r.flowId;
          entries = plainRows(r.entries);
        }
        return sliceSource(entries)(p);
      },
      ctx.resultsDir,
    );
    return { flow_id: flowId, ...paged };
  },
});

function vfsRefreshInput(a: {
  client_id: string;
  path: string;
  depth: number;
  accessor?: string | undefined;
}) {
  return { clientId: a.client_id, path: a.path, depth: a.depth, accessor: a.accessor };
}

export const vfsRefresh = defineTool({
  name: 'vfs_refresh',
  title: 'Refresh a directory listing from the client',
  description:
    'Ask the client to list a directory again (System.VFS.ListDirectory), optionally recursively, without waiting. Returns the flow id; check it with get_flow_status and read it with get_flow_results.',
  input: {
    client_id: clientId,
    path: vfsPath,
    depth: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(0)
      .describe('0 lists just the directory; n recurses n levels.'),
    accessor,
  },
  output: { client_id: z.string(), flow_id: z.string() },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  endpointData: false,
  example: (ids) => ({ client_id: ids.clientId, path: 'C:/', depth: 0 }),
  plan: async ({ args, target, service }) =>
    plan(
      `List ${args.path} on ${args.client_id} (depth ${args.depth})`,
      target,
      'collect',
      {
        client_id: args.client_id,
        artifact: VFS_ARTIFACT,
        path: args.path,
        depth: args.depth,
        accessor: args.accessor ?? 'auto',
      },
      (await service()).planVfsRefresh(vfsRefreshInput(args)),
    ),
  async run({ args, service }) {
    const r = await (await service()).vfsRefresh(vfsRefreshInput(args));
    return { client_id: args.client_id, flow_id: r.flowId };
  },
});

export const vfsTools: McpTool[] = [vfsList, vfsRefresh];
