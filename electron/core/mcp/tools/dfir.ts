/**
 * Curated DFIR tools: one question each (processes, network, persistence, logons and users, recent
 * activity, file search), answered by collecting the right artifacts for the client's OS and
 * waiting for the rows. They are collections, so they go through the approval gate like
 * collect_and_wait: each decides its collection once (decide), the plan shows it, and the run
 * sends exactly that collection.
 */
import { z } from 'zod';
import { AppError } from '../../../../shared/errors';
import { HASH_HUNTER, type ClientOs, type CollectInput } from '../../velociraptor';
import { choicesFor, type ArtifactChoice, type DfirTopic } from '../dfir-catalog';
import { pagingInput, type PagingArgs } from '../results';
import { defineTool, type McpTool, type ToolCall } from '../tool-kit';
import { CollectAndWaitOutput, collectAndShape } from './collection';
import { clientId, plan } from './common';
import type { ApprovalPlan } from '../approvals';

type KnownOs = Exclude<ClientOs, 'unknown'>;

/** The collection a DFIR tool decided on: what its plan shows and its run sends. */
interface Decided {
  os: KnownOs;
  request: CollectInput;
  artifacts: ArtifactChoice[];
  /** Artifacts of the topic the connected server does not have (left out, and said so). */
  missing: ArtifactChoice[];
}

const COLLECT_ANNOTATIONS = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: true,
};

const baseInput = {
  client_id: clientId,
  wait_seconds: z.number().int().min(5).max(1800).default(180),
  columns: pagingInput.columns,
  max_rows: pagingInput.max_rows,
  max_bytes: pagingInput.max_bytes,
};

const output = {
  ...CollectAndWaitOutput,
  os: z.string(),
  artifacts: z.array(z.object({ artifact: z.string(), why: z.string() })),
  missing: z
    .array(z.object({ artifact: z.string(), why: z.string() }))
    .describe('Artifacts of the topic this server does not have, so not collected.'),
};

async function osOf(call: ToolCall<{ client_id: string }>): Promise<KnownOs> {
  const os = await (await call.service()).clientOs(call.args.client_id);
  if (os === 'unknown')
    throw new AppError(
      'INVALID_ARGUMENT',
      `The OS of ${call.args.client_id} is unknown (the client never reported it). Use collect_and_wait with an artifact you choose.`,
    );
  return os;
}

/** The urgent collection of a topic's artifacts for the client's OS (the plan shows it, the run sends it). */
function topicRequest(clientIdValue: string, choices: Array<{ artifact: string }>): CollectInput {
  return {
    clientId: clientIdValue,
    artifacts: choices.map((c) => c.artifact),
    urgent: true,
    timeoutSeconds: 600,
  };
}

function topicTool(topic: DfirTopic, name: string, title: string, description: string): McpTool {
  return defineTool({
    name,
    title,
    description: `${description} Picks the Velociraptor artifacts for the client's OS (Windows, Linux, macOS), collects them urgently and waits for the rows.`,
    input: baseInput,
    output,
    annotations: COLLECT_ANNOTATIONS,
    endpointData: true,
    example: (ids) => ({ client_id: ids.clientId, wait_seconds: 30, max_rows: 5 }),
    async decide(call): Promise<Decided> {
      const os = await osOf(call);
      const choices = choicesFor(topic, os);
      // Only what this server has: a release without one of the topic's artifacts still answers
      // with the others, and says which it left out.
      const d = await (await call.service()).declarations(choices.map((c) => c.artifact));
      const present = choices.filter((c) => d.artifacts.get(c.artifact));
      const missing = choices.filter((c) => !d.artifacts.get(c.artifact));
      if (present.length === 0)
        throw new AppError(
          'NOT_FOUND',
          `${d.server} has none of the artifacts for ${title.toLowerCase()} on ${os} (${missing.map((c) => c.artifact).join(', ')}).`,
        );
      return { os, request: topicRequest(call.args.client_id, present), artifacts: present, missing };
    },
    plan: (call) => decidedPlan(call, `${title} on ${call.args.client_id} (${call.decided.os})`),
    run: (call) => runDecided(call),
  });
}

/** The approval plan of a decided collection: its artifacts, parameters and the exact query. */
async function decidedPlan(
  call: ToolCall<{ client_id: string }, Decided>,
  what: string,
): Promise<ApprovalPlan> {
  const { request } = call.decided;
  return plan(
    `${what}: collect ${request.artifacts.join(', ')}`,
    call.target,
    'collect',
    {
      ...request,
      why: call.decided.artifacts,
      ...(call.decided.missing.length ? { not_on_this_server: call.decided.missing } : {}),
    },
    (await call.service()).planCollect(request),
  );
}

/** Runs the decided collection as approved (nothing is chosen again here). */
async function runDecided(call: ToolCall<{ client_id: string; wait_seconds: number } & PagingArgs, Decided>) {
  return {
    ...(await collectAndShape(call, call.decided.request)),
    os: call.decided.os,
    artifacts: call.decided.artifacts,
    missing: call.decided.missing,
  };
}

export const dfirProcesses = topicTool(
  'processes',
  'dfir_processes',
  'Running processes',
  'List the processes running on an endpoint now (command lines, users, parents).',
);
export const dfirNetwork = topicTool(
  'network',
  'dfir_network_connections',
  'Network connections',
  'List open network connections and listening ports with their processes.',
);
export const dfirPersistence = topicTool(
  'persistence',
  'dfir_persistence',
  'Persistence review',
  'List persistence mechanisms: services, scheduled tasks and Run keys (Windows); cron, systemd services and SSH authorized keys (Linux); launch agents/daemons and login items (macOS).',
);
export const dfirLogons = topicTool(
  'logons_users',
  'dfir_logons_users',
  'Logons and users',
  'List local accounts and recent logons (RDP/logon events on Windows, wtmp on Linux).',
);
export const dfirRecent = topicTool(
  'recent_activity',
  'dfir_recent_activity',
  'Recent activity',
  'Show recent user activity: recently used files and applications, shell history and browser history.',
);

const hexHash = z
  .string()
  .regex(/^([0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/, 'an MD5, SHA1 or SHA256 in hex');

export const dfirFileSearch = defineTool({
  name: 'dfir_file_search',
  title: 'Search files by name, hash or YARA',
  description:
    "Search an endpoint's files: by name/path glob (e.g. C:/Users/**/*.ps1, /tmp/**), by hash (MD5/SHA1/SHA256, through Generic.Detection.HashHunter), or by a YARA rule over the globbed files (the OS's FileFinder artifact). Narrow globs finish faster. Returns matching paths with sizes, times and hashes.",
  input: {
    ...baseInput,
    glob: z
      .string()
      .min(1)
      .max(2000)
      .describe('Path glob of files to consider, e.g. C:/Users/*/Downloads/** or /home/*/.ssh/*.'),
    hashes: z
      .array(hexHash)
      .max(500)
      .optional()
      .describe('Hashes to look for; when given, only files with these hashes are returned.'),
    yara_rule: z
      .string()
      .max(100_000)
      .optional()
      .describe('A YARA rule (text) to match file contents against.'),
  },
  output,
  annotations: COLLECT_ANNOTATIONS,
  endpointData: true,
  example: (ids) => ({
    client_id: ids.clientId,
    glob: 'C:/Users/*/Downloads/*.exe',
    wait_seconds: 30,
    max_rows: 5,
  }),
  async decide(call): Promise<Decided> {
    const os = await osOf(call);
    // The parameter forms (glob, table of globs, hash lists) this server's artifact declares.
    const request = await (
      await call.service()
    ).planFileSearch({
      clientId: call.args.client_id,
      os,
      glob: call.args.glob,
      yaraRule: call.args.yara_rule,
      hashes: call.args.hashes,
    });
    return {
      os,
      request,
      artifacts: request.artifacts.map((a) => ({
        artifact: a,
        why: a === HASH_HUNTER ? 'hash sweep over the glob' : 'file finder (glob, YARA, hashes)',
      })),
      missing: [],
    };
  },
  plan: (call) => decidedPlan(call, `Search files on ${call.args.client_id} (${call.decided.os})`),
  run: (call) => runDecided(call),
});

export const dfirTools: McpTool[] = [
  dfirProcesses,
  dfirNetwork,
  dfirPersistence,
  dfirLogons,
  dfirRecent,
  dfirFileSearch,
];
