/** Clients: find endpoints, read one, label them, quarantine them (with the artifact for their OS). */
import { z } from 'zod';
import { parseClientQuery } from '../../../../shared/client-search';
import type { ClientSummary } from '../../velociraptor';
import { pageOf, pagedOutput, pagedRead, pagingInput, upTo, type Row } from '../results';
import { defineTool, READ, type McpTool } from '../tool-kit';
import { clientId, found, plan } from './common';

/** A client in the tools' snake_case; `full` adds what only get_client needs. */
export function clientSummary(c: ClientSummary, full = false): Row {
  return {
    client_id: c.clientId,
    hostname: c.hostname,
    fqdn: c.fqdn,
    os: c.os,
    release: c.release,
    labels: c.labels,
    last_ip: c.lastIp,
    first_seen: c.firstSeen,
    last_seen: c.lastSeen,
    online: c.online,
    ...(full ? { machine: c.machine, agent_version: c.agentVersion, mac_addresses: c.macAddresses } : {}),
  };
}

export const searchClients = defineTool({
  name: 'search_clients',
  title: 'Search clients',
  description:
    'Find endpoints (Velociraptor clients) by hostname or other terms. Search syntax: a bare word matches host names (a prefix is enough) and a bare client id finds its client; prefixes host:, label:, os:windows|linux|darwin, ip:, mac:, client:; * wildcards; "all" or empty lists every client. Start here to get a client_id for any other client tool.',
  input: {
    search: z
      .string()
      .max(500)
      .default('')
      .describe('Search terms, e.g. "web*", "label:servers", "ip:10.0.0.5". Empty for all.'),
    ...pagingInput,
  },
  output: pagedOutput,
  annotations: READ,
  endpointData: true,
  example: () => ({ search: 'all' }),
  async run({ args, ctx, service }) {
    const svc = await service();
    return pagedRead(
      'search_clients',
      args,
      async (p) =>
        pageOf(await svc.searchClients({ ...parseClientQuery(args.search), limit: upTo(p) }), p).map((c) =>
          clientSummary(c),
        ),
      ctx.resultsDir,
    );
  },
});

export const getClient = defineTool({
  name: 'get_client',
  title: 'Get client details',
  description:
    "Everything the server knows about one client: OS, agent version, labels, addresses, first/last seen. Use it to learn a client's OS before choosing OS-specific artifacts.",
  input: { client_id: clientId },
  output: { client: z.record(z.string(), z.unknown()) },
  annotations: READ,
  endpointData: true,
  example: (ids) => ({ client_id: ids.clientId }),
  async run({ args, service }) {
    const c = await found((await service()).getClient(args.client_id), `Client ${args.client_id}`);
    return { client: clientSummary(c, true) };
  },
});

export const labelClient = defineTool({
  name: 'label_client',
  title: 'Add or remove client labels',
  description:
    'Add labels to a client or remove them. Labels scope hunts (include_labels) and group machines, e.g. "compromised", "contained". Returns the labels the client has afterwards.',
  input: {
    client_id: clientId,
    labels: z.array(z.string().min(1).max(100)).min(1).max(50),
    operation: z.enum(['add', 'remove']).default('add'),
  },
  output: { client_id: z.string(), labels: z.array(z.string()) },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  endpointData: false,
  example: (ids) => ({ client_id: ids.clientId, labels: ['mcp-test'], operation: 'add' }),
  plan: async ({ args, target, service }) => {
    const op = args.operation === 'add' ? 'set' : 'remove';
    return plan(
      `${args.operation === 'add' ? 'Add' : 'Remove'} labels ${JSON.stringify(args.labels)} ${args.operation === 'add' ? 'to' : 'from'} ${args.client_id}`,
      target,
      'label',
      { client_id: args.client_id, labels: args.labels, op },
      (await service()).planLabels(args.client_id, args.labels, op),
    );
  },
  async run({ args, service }) {
    const op = args.operation === 'add' ? 'set' : 'remove';
    const labels = await (await service()).setLabels(args.client_id, args.labels, op);
    return { client_id: args.client_id, labels };
  },
});

/** quarantine_client's plan and run launch the same collection. */
function quarantineInput(a: { client_id: string; quarantine: boolean; message?: string | undefined }) {
  return { clientId: a.client_id, remove: !a.quarantine, message: a.message, urgent: true };
}

export const quarantineClient = defineTool({
  name: 'quarantine_client',
  title: 'Quarantine or release a client',
  description:
    "Network-isolate an endpoint so it can only talk to the Velociraptor server (quarantine=true), or lift the isolation (quarantine=false). Uses the quarantine artifact of the client's OS (Windows, Linux, macOS). This cuts the machine off from the network: use it only when the responder wants containment.",
  input: {
    client_id: clientId,
    quarantine: z.boolean().default(true),
    message: z
      .string()
      .max(256)
      .optional()
      .describe(
        'Message shown to the logged-in users when the quarantine is applied (Windows message box, Linux wall, macOS notification); at most 256 characters.',
      ),
  },
  output: { client_id: z.string(), flow_id: z.string(), artifact: z.string(), quarantine: z.boolean() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  endpointData: false,
  example: (ids) => ({ client_id: ids.clientId, quarantine: true }),
  async plan({ args, target, service }) {
    // Fails with INVALID_ARGUMENT for an OS without a quarantine artifact (or one never reported).
    const p = await (await service()).planQuarantine(quarantineInput(args));
    return plan(
      `${args.quarantine ? 'Quarantine (network-isolate)' : 'Release from quarantine'} ${args.client_id} (${p.os})`,
      target,
      'collect',
      {
        client_id: args.client_id,
        artifact: p.artifact,
        parameters: p.parameters,
      },
      p.query,
    );
  },
  async run({ args, service }) {
    const r = await (await service()).quarantine(quarantineInput(args));
    return {
      client_id: args.client_id,
      flow_id: r.flowId,
      artifact: r.artifact,
      quarantine: args.quarantine,
    };
  },
});

export const clientTools: McpTool[] = [searchClients, getClient, labelClient, quarantineClient];
