/** The app's connections, the server's identity and version, and its orgs. */
import { z } from 'zod';
import { defineTool, READ, type McpTool } from '../tool-kit';
import { pagedOutput, pagedRead, pagingInput, sliceSource } from '../results';

export const listConnections = defineTool({
  name: 'list_connections',
  title: 'List Velociraptor connections',
  description:
    'The Velociraptor servers this app is connected to (name, address, API user, default). Pass a name as "server" to any tool to use that server.',
  input: {},
  output: {
    connections: z.array(
      z.object({
        name: z.string(),
        address: z.string(),
        user: z.string(),
        is_default: z.boolean(),
        roles: z.array(z.string()).optional(),
      }),
    ),
  },
  annotations: READ,
  endpointData: false,
  example: () => ({}),
  async run({ ctx }) {
    const list = await ctx.servers.connections();
    return {
      connections: list.map((c) => ({
        name: c.name,
        address: c.address,
        user: c.user,
        is_default: c.isDefault,
        ...(c.roles ? { roles: c.roles } : {}),
      })),
    };
  },
});

export const serverInfo = defineTool({
  name: 'server_info',
  title: 'Server information',
  description:
    "The Velociraptor server's host, OS, version and uptime, and who this API user is. Use it to check a connection works.",
  input: {},
  output: { info: z.record(z.string(), z.unknown()) },
  annotations: READ,
  endpointData: false,
  example: () => ({}),
  async run({ service }) {
    const id = await (await service()).identity();
    return { info: id.info ? { user: id.user, ...id.info } : { user: id.user, info_error: id.infoError } };
  },
});

export const listOrgs = defineTool({
  name: 'list_orgs',
  title: 'List orgs',
  description:
    'The orgs (tenants) on the server with their ids. Pass an id as "org" to any tool to work in that org.',
  input: { ...pagingInput },
  output: pagedOutput,
  annotations: READ,
  endpointData: false,
  example: () => ({}),
  async run({ args, ctx, service }) {
    const svc = await service();
    return pagedRead(
      'list_orgs',
      args,
      async (p) => sliceSource((await svc.listOrgs()).map((o) => ({ id: o.id, name: o.name })))(p),
      ctx.resultsDir,
    );
  },
});

export const serverTools: McpTool[] = [listConnections, serverInfo, listOrgs];
