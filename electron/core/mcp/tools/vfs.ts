/** VFS: browse the server's cached view of a client's file system, and refresh it from the client. */
import { z } from 'zod';
import { pagedOutput, pagedRead, pagingInput } from '../results';
import { defineTool, READ, type McpTool } from '../tool-kit';
import { clientId, plan } from './common';

const vfsPath = z
  .string()
  .min(1)
  .max(2000)
  .describe('Path in the client VFS: /auto/C:/Users, /file/etc, /ntfs/\\\\.\\C:/... ("/" lists the accessors).');

export const vfsList = defineTool({
  name: 'vfs_list',
  title: 'List a directory on a client',
  description:
    'The server\'s cached listing of one directory of a client (names, sizes, times, mode). The cache is what the last refresh saw: if it is empty or old, call vfs_refresh first, wait for its flow, then list again.',
  input: { client_id: clientId, path: vfsPath, ...pagingInput },
  output: pagedOutput,
  annotations: READ,
  endpointData: true,
  async run({ args, target, ctx }) {
    return pagedRead('vfs_list', args, (p) => ctx.port.vfsList(target, args.client_id, args.path, p), ctx.resultsDir);
  },
});

export const vfsRefresh = defineTool({
  name: 'vfs_refresh',
  title: 'Refresh a directory listing from the client',
  description: 'Ask the client to list a directory again (System.VFS.ListDirectory), optionally recursively, so vfs_list shows current data. Returns the flow id; check it with get_flow_status.',
  input: {
    client_id: clientId,
    path: vfsPath,
    depth: z.number().int().min(0).max(10).default(0).describe('0 lists just the directory; n recurses n levels.'),
    accessor: z.enum(['auto', 'file', 'ntfs', 'registry']).optional(),
  },
  output: { client_id: z.string(), flow_id: z.string() },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  endpointData: false,
  plan: ({ args, target }) => plan(`List ${args.path} on ${args.client_id} (depth ${args.depth})`, target, 'collect', { client_id: args.client_id, artifact: 'System.VFS.ListDirectory', path: args.path, depth: args.depth, accessor: args.accessor }),
  async run({ args, target, ctx }) {
    const r = await ctx.port.vfsRefresh(target, args.client_id, args.path, { depth: args.depth, accessor: args.accessor });
    return { client_id: args.client_id, flow_id: r.flowId };
  },
});

export const vfsTools: McpTool[] = [vfsList, vfsRefresh];
