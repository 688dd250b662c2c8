/**
 * Hunts: create (always paused), preview who a scope reaches, start, stop, list, status with stats,
 * results. Creating and starting are approved steps: the plan shows the artifacts with every
 * parameter, the scope the server will apply (and any labels it drops), the expiry and the limits.
 */
import { z } from 'zod';
import {
  appliedHuntScope,
  describeHuntScope,
  droppedLabelsWarning,
  type HuntScopeRule,
} from '../../../../shared/hunt-scope';
import type { CreateHuntInput, HuntSummary, VelociraptorService } from '../../velociraptor';
import { LIST_MAX, pageOf, pagedOutput, pagedRead, pagingInput, plainRows, upTo, type Row } from '../results';
import { defineTool, READ, type McpTool } from '../tool-kit';
import { artifactName, checkArtifactParameters, found, huntId, parameters, plan, sourceName } from './common';
import { clientSummary } from './clients';

const scopeInput = {
  include_labels: z
    .array(z.string().min(1).max(100))
    .max(20)
    .optional()
    .describe('Only clients with any of these labels.'),
  exclude_labels: z.array(z.string().min(1).max(100)).max(20).optional(),
  os: z
    .enum(['windows', 'linux', 'darwin'])
    .optional()
    .describe(
      'Only clients of this OS. Velociraptor drops include_labels AND exclude_labels when os is set: the hunt then reaches every client of that OS. Use labels or an OS.',
    ),
};

export function huntSummary(h: HuntSummary): Row {
  return {
    hunt_id: h.huntId,
    description: h.description,
    state: h.state,
    artifacts: h.artifacts,
    // The names get_hunt_results takes (Artifact/Source for artifacts with named sources).
    sources: h.sources,
    // The scope as the server stored it (an OS replaces the labels).
    os: h.os || 'any',
    include_labels: h.includeLabels,
    exclude_labels: h.excludeLabels,
    tags: h.tags,
    creator: h.creator,
    created: h.createTime,
    started: h.startTime,
    expires: h.expires,
    clients_scheduled: h.stats.scheduled,
    clients_finished: h.stats.finished,
    clients_with_results: h.stats.withResults,
    clients_with_errors: h.stats.withErrors,
    collected_rows: h.stats.collectedRows,
  };
}

interface HuntFacts {
  description: string;
  artifacts: string[];
  /** The parameters the hunt gives each artifact. */
  parameters: Record<string, Record<string, string>>;
  scope: HuntScopeRule;
  expires: { inHours?: number; at?: string };
  limits: { timeoutSeconds?: number; maxRows?: number; maxBytes?: number; cpuLimit?: number };
}

/**
 * What the responder approves for a hunt: each artifact with every parameter (the hunt's values and
 * the artifact's defaults for the rest, from the server's definitions), the scope as asked and as
 * the server applies it, with any label it drops said in words and the clients it reaches now, the
 * expiry and the limits.
 */
async function huntDetails(svc: VelociraptorService, h: HuntFacts): Promise<Row> {
  const defs = new Map((await svc.getArtifacts(h.artifacts)).map((d) => [d.name, d]));
  const applied = appliedHuntScope(h.scope);
  const reached = await svc.previewHuntScope(applied);
  const warning = droppedLabelsWarning(h.scope);
  return {
    description: h.description,
    artifacts: h.artifacts.map((name) => {
      const given = h.parameters[name] ?? {};
      const declared = defs.get(name)?.parameters ?? [];
      return {
        artifact: name,
        parameters: [
          ...Object.entries(given).map(([param, value]) => ({ name: param, value, from: 'this hunt' })),
          ...declared
            .filter((d) => !(d.name in given))
            .map((d) => ({ name: d.name, value: d.default, from: 'artifact default' })),
        ],
      };
    }),
    scope: {
      os: h.scope.os || 'any',
      include_labels: [...(h.scope.includeLabels ?? [])],
      exclude_labels: [...(h.scope.excludeLabels ?? [])],
      applied_by_server: {
        os: applied.os || 'any',
        include_labels: applied.includeLabels,
        exclude_labels: applied.excludeLabels,
      },
      ...(warning ? { warning } : {}),
      clients_reached_now: reached.length,
      sample: reached.slice(0, 10).map((c) => c.hostname || c.clientId),
    },
    expires: {
      ...(h.expires.inHours !== undefined ? { in_hours: h.expires.inHours } : {}),
      ...(h.expires.at ? { at: h.expires.at } : {}),
    },
    limits: {
      timeout_seconds: h.limits.timeoutSeconds ?? 'server default',
      max_rows: h.limits.maxRows ?? 'no limit',
      max_bytes: h.limits.maxBytes ?? 'no limit',
      cpu_limit_percent: h.limits.cpuLimit ?? 'no limit',
    },
  };
}

function createHuntInput(args: {
  description: string;
  artifacts: string[];
  parameters?: Record<string, Record<string, string>> | undefined;
  include_labels?: string[] | undefined;
  exclude_labels?: string[] | undefined;
  os?: 'windows' | 'linux' | 'darwin' | undefined;
  expires_hours: number;
  timeout_seconds: number;
  max_rows?: number | undefined;
  cpu_limit?: number | undefined;
}): CreateHuntInput {
  return {
    description: args.description,
    artifacts: args.artifacts,
    parameters: args.parameters,
    includeLabels: args.include_labels,
    excludeLabels: args.exclude_labels,
    os: args.os,
    expiresInSeconds: Math.round(args.expires_hours * 3600),
    timeoutSeconds: args.timeout_seconds,
    maxRows: args.max_rows,
    cpuLimit: args.cpu_limit,
    start: false,
    // The approval plan says which labels the server drops; the responder approves knowing it.
    acceptDroppedLabels: true,
  };
}

export const createHunt = defineTool({
  name: 'create_hunt',
  title: 'Create a hunt (paused)',
  description:
    'Create a hunt that collects artifacts across many clients. It is always created PAUSED: nothing runs until start_hunt (which the responder approves). Check its reach first with preview_hunt_scope.',
  input: {
    description: z.string().min(1).max(1000),
    artifacts: z.array(artifactName).min(1).max(20),
    parameters,
    ...scopeInput,
    expires_hours: z
      .number()
      .min(1)
      .max(24 * 30)
      .default(24),
    timeout_seconds: z.number().int().min(10).max(86_400).default(600),
    max_rows: z.number().int().min(1).max(100_000_000).optional(),
    cpu_limit: z.number().int().min(1).max(100).optional(),
  },
  output: { hunt_id: z.string(), state: z.literal('PAUSED') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  endpointData: false,
  example: () => ({ description: 'mcp test hunt', artifacts: ['Windows.System.Pslist'], os: 'windows' }),
  // It creates server state (a hunt anyone with START_HUNT can start): the responder approves it.
  async plan({ args, target, service }) {
    const svc = await service();
    await checkArtifactParameters(svc, args.artifacts, args.parameters);
    const input = createHuntInput(args);
    const scope = { os: args.os, includeLabels: args.include_labels, excludeLabels: args.exclude_labels };
    const details = await huntDetails(svc, {
      description: args.description,
      artifacts: args.artifacts,
      parameters: args.parameters ?? {},
      scope,
      expires: {
        inHours: args.expires_hours,
        at: new Date(Date.now() + args.expires_hours * 3_600_000).toISOString(),
      },
      limits: { timeoutSeconds: args.timeout_seconds, maxRows: args.max_rows, cpuLimit: args.cpu_limit },
    });
    return plan(
      `Create hunt "${args.description}" (paused; start_hunt starts it) collecting ${args.artifacts.join(', ')} on ${describeHuntScope(appliedHuntScope(scope))}; expires in ${args.expires_hours} h`,
      target,
      'hunt',
      { ...details, state_after: 'PAUSED' },
      svc.planCreateHunt(input),
    );
  },
  async run({ args, service }) {
    const r = await (await service()).createHunt(createHuntInput(args));
    return { hunt_id: r.huntId, state: 'PAUSED' as const };
  },
});

export const previewHuntScope = defineTool({
  name: 'preview_hunt_scope',
  title: 'Preview which clients a hunt reaches',
  description:
    'How many clients (and which) a hunt with these label/OS conditions would reach now, as the server applies them (an OS drops the labels: warning says so). Use it before create_hunt/start_hunt to avoid hunting the whole fleet by mistake.',
  input: { ...scopeInput, ...pagingInput },
  output: {
    total: z.number().int(),
    warning: z.string().optional().describe('Set when the server will not apply the scope as given.'),
    ...pagedOutput,
  },
  annotations: READ,
  endpointData: true,
  example: () => ({ os: 'windows' }),
  async run({ args, ctx, service }) {
    const scope = { includeLabels: args.include_labels, excludeLabels: args.exclude_labels, os: args.os };
    const reached = await (await service()).previewHuntScope(scope);
    const paged = await pagedRead(
      'preview_hunt_scope',
      args,
      async (p) => pageOf(reached, p).map((c) => clientSummary(c)),
      ctx.resultsDir,
    );
    const warning = droppedLabelsWarning(scope);
    return { total: reached.length, ...(warning ? { warning } : {}), ...paged };
  },
});

export const startHunt = defineTool({
  name: 'start_hunt',
  title: 'Start a hunt',
  description:
    'Start a paused hunt: every client in its scope runs its artifacts. Check the scope with preview_hunt_scope and the hunt with get_hunt first.',
  input: { hunt_id: huntId },
  output: { hunt_id: z.string(), state: z.string() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  endpointData: false,
  example: (ids) => ({ hunt_id: ids.huntId }),
  // The plan reads the hunt from the server: what starts is what the server stored, not what was asked.
  async plan({ args, target, service }) {
    const svc = await service();
    const h = await found(svc.huntStatus(args.hunt_id), `Hunt ${args.hunt_id}`);
    const scope = {
      os: h.os,
      includeLabels: h.includeLabels,
      excludeLabels: h.excludeLabels,
    };
    const details = await huntDetails(svc, {
      description: h.description,
      artifacts: h.artifacts,
      parameters: h.parameters,
      scope,
      expires: { at: h.expires },
      limits: h.limits,
    });
    return plan(
      `Start hunt ${args.hunt_id} (${h.description}): collect ${h.artifacts.join(', ')} on ${describeHuntScope(scope)}, ${String((details.scope as { clients_reached_now: number }).clients_reached_now)} clients now`,
      target,
      'hunt_update',
      { hunt_id: args.hunt_id, state_before: h.state, start: true, ...details },
      svc.planHuntUpdate(args.hunt_id, 'start'),
    );
  },
  async run({ args, service }) {
    const h = await (await service()).startHunt(args.hunt_id);
    return { hunt_id: args.hunt_id, state: h.state };
  },
});

export const stopHunt = defineTool({
  name: 'stop_hunt',
  title: 'Stop a hunt',
  description: 'Stop a running hunt: no new clients start it. Results already collected stay.',
  input: { hunt_id: huntId },
  output: { hunt_id: z.string(), state: z.string() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  endpointData: false,
  example: (ids) => ({ hunt_id: ids.huntId }),
  plan: async ({ args, target, service }) =>
    plan(
      `Stop hunt ${args.hunt_id}`,
      target,
      'hunt_update',
      { hunt_id: args.hunt_id, stop: true },
      (await service()).planHuntUpdate(args.hunt_id, 'stop'),
    ),
  async run({ args, service }) {
    const h = await (await service()).stopHunt(args.hunt_id);
    return { hunt_id: args.hunt_id, state: h.state };
  },
});

export const listHunts = defineTool({
  name: 'list_hunts',
  title: 'List hunts',
  description: 'Hunts on the server, newest first, with state and client statistics. Filter by state.',
  input: {
    // The states a hunt has (there is no COMPLETED: a hunt runs until stopped or expired).
    state: z.enum(['PAUSED', 'RUNNING', 'STOPPED', 'ARCHIVED']).optional(),
    ...pagingInput,
  },
  output: pagedOutput,
  annotations: READ,
  endpointData: false,
  example: () => ({}),
  async run({ args, ctx, service }) {
    const svc = await service();
    return pagedRead(
      'list_hunts',
      args,
      async (p) => pageOf(await svc.listHunts({ state: args.state, limit: upTo(p) }), p).map(huntSummary),
      ctx.resultsDir,
    );
  },
});

export const getHunt = defineTool({
  name: 'get_hunt',
  title: 'Get hunt status',
  description:
    'One hunt: state, artifacts, scope, expiry and statistics (clients scheduled, completed, with results, with errors).',
  input: { hunt_id: huntId },
  output: { hunt: z.record(z.string(), z.unknown()) },
  annotations: READ,
  endpointData: false,
  example: (ids) => ({ hunt_id: ids.huntId }),
  async run({ args, service }) {
    const h = await found((await service()).huntStatus(args.hunt_id), `Hunt ${args.hunt_id}`);
    return { hunt: huntSummary(h) };
  },
});

export const getHuntResults = defineTool({
  name: 'get_hunt_results',
  title: 'Get hunt results',
  description:
    'Rows a hunt collected for one artifact source across all clients (each row carries ClientId and Fqdn). Page with cursor; select columns; to_file for large hunts.',
  input: { hunt_id: huntId, source: sourceName, ...pagingInput },
  output: pagedOutput,
  annotations: READ,
  endpointData: true,
  example: (ids) => ({ hunt_id: ids.huntId, source: ids.source, max_rows: 5 }),
  async run({ args, ctx, service }) {
    const svc = await service();
    return pagedRead(
      'get_hunt_results',
      args,
      async (p) => {
        const rows = await svc.huntResults(args.hunt_id, args.source, {
          limit: upTo(p, 100 * LIST_MAX),
          deadlineMs: 300_000,
        });
        return plainRows(pageOf(rows, p));
      },
      ctx.resultsDir,
    );
  },
});

export const huntTools: McpTool[] = [
  createHunt,
  previewHuntScope,
  startHunt,
  stopHunt,
  listHunts,
  getHunt,
  getHuntResults,
];
