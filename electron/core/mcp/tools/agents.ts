/**
 * Agents (issue 17): push the Velociraptor client to Linux and macOS hosts over SSH, follow a run,
 * and check that its agents are enrolled. A push is an approved step: the plan lists every host (ranges
 * expanded, duplicates dropped), the login (user and keychain references, never a secret), the
 * server agents enrol with, the labels and the release. The push runs in the app's agent service (the
 * same journaled runs as the agents page); a call waits up to `wait_seconds`, and a longer run goes on
 * and is followed with agent_run_status. The module's prompt (offline collection kit) lives here with
 * its tools, as the deployment module keeps its own.
 */
import { z } from 'zod';
import { parseHostList, parseJumpHost } from '../../../../shared/agent-hosts';
import { WINRM_HTTP_WARNING } from '../../../../shared/agents';
import { AppError, messageOf } from '../../../../shared/errors';
import type { WinRmCertScan } from '../../../../shared/contracts/agents';
import { join } from 'node:path';
import type {
  AgentRunDoc,
  AnsibleKitRequest,
  CollectorBuild,
  CollectorPlan,
  CollectorRequest,
  EnrollmentStatus,
  GpoKitRequest,
  ImportCollectionRequest,
  InstallerRequest,
  KitProgress,
  ServerTarget,
  SshPushRequest,
  WinRmPushRequest,
} from '../../deploy/index';
import type { AnsibleKit } from '../../deploy/index';
import { describeHop } from '../../deploy/index';
import type { BuiltInstaller, BuiltKit, ImportedCollection } from '../../../../shared/agent-kits';
import { defineTool, type McpContext, type ModulePrompt } from '../tool-kit';
import type { Target } from '../servers';
import { plan } from './common';

/** The app's agent service, as MCP uses it. */
export interface AgentPushes {
  review(r: SshPushRequest): AgentRunDoc;
  review(r: WinRmPushRequest, channel: 'winrm'): AgentRunDoc;
  pushSsh(r: SshPushRequest, o?: { onEvent?: (e: { runId: string }) => void }): Promise<AgentRunDoc>;
  pushWinrm(r: WinRmPushRequest, o?: { onEvent?: (e: { runId: string }) => void }): Promise<AgentRunDoc>;
  get(id: string): Promise<AgentRunDoc>;
  list(): Promise<AgentRunDoc[]>;
  planCollector(t: ServerTarget, r: CollectorRequest, o?: KitProgress): Promise<CollectorPlan>;
  buildCollector(
    t: ServerTarget,
    r: CollectorRequest & { folder: string },
    o?: KitProgress,
  ): Promise<CollectorBuild>;
  importCollection(t: ServerTarget, i: ImportCollectionRequest, o?: KitProgress): Promise<ImportedCollection>;
  checkEnrollment(t: ServerTarget, queries: string[]): Promise<EnrollmentStatus[]>;
  scanWinRmCerts(hosts: ReadonlyArray<{ host: string; port: number }>): Promise<WinRmCertScan[]>;
  buildInstaller(t: ServerTarget, r: InstallerRequest, o?: KitProgress): Promise<BuiltInstaller>;
  gpoKit(t: ServerTarget, r: GpoKitRequest): Promise<BuiltKit>;
  ansibleKit(
    t: ServerTarget,
    r: AnsibleKitRequest,
    o?: KitProgress,
  ): Promise<AnsibleKit & { serverUrls: string[]; binaryWarning: string | null }>;
}

function pushes(ctx: McpContext): AgentPushes {
  if (!ctx.agents)
    throw new AppError(
      'NOT_FOUND',
      'Agent pushes run in the Megaraptor Desktop app (its MCP endpoint) or with `megaraptor agents push`, not in this MCP server.',
    );
  return ctx.agents;
}

const runId = z
  .string()
  .regex(/^r[a-z0-9]{6,40}$/)
  .describe('A run id (push_agents_ssh returns it).');

const hostRow = z.object({
  host: z.string(),
  port: z.number(),
  state: z.string(),
  attempts: z.number(),
  client_id: z.string().optional(),
  platform: z.string().optional(),
  message: z.string().optional(),
  error_code: z.string().optional(),
  error: z.string().optional(),
});

const runOutput = {
  run_id: z.string(),
  name: z.string(),
  state: z.string(),
  still_running: z.boolean(),
  counts: z.object({
    total: z.number(),
    queued: z.number(),
    active: z.number(),
    enrolled: z.number(),
    removed: z.number(),
    failed: z.number(),
    cancelled: z.number(),
  }),
  hosts: z.array(hostRow),
};

function runRows(doc: AgentRunDoc) {
  const counts = {
    total: doc.hosts.length,
    queued: 0,
    active: 0,
    enrolled: 0,
    removed: 0,
    failed: 0,
    cancelled: 0,
  };
  for (const h of doc.hosts) {
    if (
      h.state === 'queued' ||
      h.state === 'enrolled' ||
      h.state === 'removed' ||
      h.state === 'failed' ||
      h.state === 'cancelled'
    )
      counts[h.state]++;
    else counts.active++;
  }
  return {
    run_id: doc.id,
    name: doc.name,
    state: doc.state,
    still_running: doc.state === 'running',
    counts,
    hosts: doc.hosts.map((h) => ({
      host: h.host,
      port: h.port,
      state: h.state,
      attempts: h.attempts,
      ...(h.clientId ? { client_id: h.clientId } : {}),
      ...(h.platform ? { platform: h.platform } : {}),
      ...(h.message ? { message: h.message } : {}),
      ...(h.error ? { error_code: h.error.code, error: h.error.message } : {}),
    })),
  };
}

async function serverName(ctx: McpContext, t: Target): Promise<string> {
  if (t.server) return t.server;
  const def = (await ctx.servers.connections()).find((c) => c.isDefault);
  if (!def) throw new AppError('NOT_FOUND', 'No default server: name one (see list_connections).');
  return def.name;
}

const pushInput = {
  hosts: z
    .array(z.string().min(1).max(300))
    .min(1)
    .max(256)
    .describe(
      'Hosts: name, IPv4/IPv6, host:port, or a range (10.0.0.1-20, 10.0.0.0/28). At most 4096 once expanded.',
    ),
  os: z.enum(['auto', 'linux', 'darwin']).default('auto').describe('What the hosts run; auto detects it.'),
  user: z.string().min(1).max(64).describe('The SSH login user.'),
  auth: z
    .enum(['key', 'agent', 'password'])
    .describe('key: key_path (passphrase from the keychain); agent: ssh-agent; password: password_ref.'),
  key_path: z.string().min(1).max(1000).optional().describe("A private key file on the responder's machine."),
  key_passphrase_ref: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Keychain reference of the key passphrase.'),
  password_ref: z.string().min(1).max(200).optional().describe('Keychain reference of the login password.'),
  jump_hosts: z
    .array(z.string().min(3).max(330))
    .max(4)
    .default([])
    .describe(
      'Jump hosts as USER@HOST[:PORT], outermost first (ssh -J). They log in the same way as the hosts; their host keys must be known or confirmed in the app, like the hosts’.',
    ),
  sudo: z.boolean().default(true).describe('Become root with sudo (else the user must be root).'),
  sudo_password_ref: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Keychain reference of the sudo password.'),
  labels: z
    .array(z.string().min(1).max(64))
    .max(32)
    .default([])
    .describe('Labels the server puts on each agent at enrolment, e.g. the case name.'),
  frontend: z
    .string()
    .max(300)
    .optional()
    .describe('HOST:PORT of the frontend as the hosts reach it; default the server’s own URLs.'),
  release_tag: z
    .string()
    .min(1)
    .max(40)
    .default('latest')
    .describe('Velociraptor release (verified once per platform).'),
  mode: z.enum(['install', 'uninstall']).default('install'),
  keep_writeback: z
    .boolean()
    .optional()
    .describe(
      'Uninstall (required there): true keeps the writeback (the client identity) so a reinstall is the same client id; false removes it, and a reinstall enrols as a new client. Ask the responder.',
    ),
  concurrency: z.number().int().min(1).max(64).default(8),
  retries: z.number().int().min(0).max(10).default(2),
  wait_seconds: z
    .number()
    .int()
    .min(0)
    .max(600)
    .default(120)
    .describe('How long this call waits for the run; it goes on after (follow it with agent_run_status).'),
};

type PushArgs = z.output<z.ZodObject<typeof pushInput>>;

/** An uninstall says whether the client identity stays: never assumed for the responder. */
function writebackChoice(args: {
  mode: 'install' | 'uninstall';
  keep_writeback?: boolean | undefined;
}): boolean {
  if (args.mode === 'install') return true;
  if (args.keep_writeback === undefined)
    throw new AppError(
      'INVALID_ARGUMENT',
      'An uninstall needs keep_writeback: true keeps the client identity (a reinstall is the same client id), false removes it. Ask the responder which.',
    );
  return args.keep_writeback;
}

/** `HOST:PORT` (or `[v6]:PORT`) of the frontend as the hosts reach it; none given → the server's own URLs. */
function frontendsOf(text: string | undefined): Array<{ host: string; port: number }> {
  if (!text) return [];
  const m = /^(\[[0-9a-fA-F:]+\]|[^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m) throw new AppError('INVALID_ARGUMENT', `frontend is HOST:PORT, not "${text}".`);
  return [{ host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) }];
}

function request(args: PushArgs, server: string, org: string): SshPushRequest {
  const list = parseHostList(args.hosts.join('\n'));
  const bad = list.problems[0];
  if (bad) throw new AppError('INVALID_ARGUMENT', `Host "${bad.text}": ${bad.message}`);
  const auth =
    args.auth === 'key'
      ? {
          method: 'key' as const,
          keyPath: args.key_path ?? '',
          ...(args.key_passphrase_ref ? { passphraseRef: args.key_passphrase_ref } : {}),
        }
      : args.auth === 'password'
        ? { method: 'password' as const, passwordRef: args.password_ref ?? '' }
        : { method: 'agent' as const };
  if (args.auth === 'key' && !args.key_path)
    throw new AppError('INVALID_ARGUMENT', 'auth "key" needs key_path.');
  if (args.auth === 'password' && !args.password_ref)
    throw new AppError('INVALID_ARGUMENT', 'auth "password" needs password_ref (a keychain reference).');
  const jumps = args.jump_hosts.map((j) => {
    try {
      return { ...parseJumpHost(j), auth };
    } catch (e) {
      throw new AppError('INVALID_ARGUMENT', messageOf(e));
    }
  });
  const frontends = frontendsOf(args.frontend);
  return {
    name: `mcp ${args.mode} ${new Date().toISOString().slice(0, 16)}`,
    hosts: list.hosts.map((h) => ({ ...h, os: h.os === 'auto' ? args.os : h.os })),
    concurrency: args.concurrency,
    retries: args.retries,
    settings: {
      mode: args.mode,
      server: { connection: server, org },
      login: {
        username: args.user,
        auth,
        sudo: args.sudo
          ? { mode: 'sudo', ...(args.sudo_password_ref ? { passwordRef: args.sudo_password_ref } : {}) }
          : { mode: 'none' },
        jumps,
      },
      binary: { kind: 'release', tag: args.release_tag },
      config: { frontends, labels: args.labels },
      keepWriteback: writebackChoice(args),
    },
  };
}

export const pushAgentsSsh = defineTool({
  name: 'push_agents_ssh',
  title: 'Push Velociraptor agents over SSH',
  description:
    'Install (or uninstall) the Velociraptor client on Linux and macOS hosts over SSH, enrolling with the server: client config from the server, a signature-verified release, upstream’s service layout, then each host is checked until the server lists its client. Host keys must be known or confirmed in the app; secrets are keychain references. Returns per-host state; long runs continue (agent_run_status). The responder is asked every time, whatever the policy allows.',
  input: pushInput,
  output: runOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  endpointData: true,
  // Installs or removes software on every host it lists: an allow-list must not wave that through.
  alwaysAsk: true,
  example: () => ({
    hosts: ['127.0.0.1:1'],
    user: 'ir',
    auth: 'agent',
    sudo: false,
    labels: ['mcp-test'],
    retries: 0,
    wait_seconds: 60,
  }),
  decide: async ({ args, target, ctx }) => {
    const r = request(args, await serverName(ctx, target), target.org ?? '');
    return { request: r, draft: pushes(ctx).review(r) };
  },
  plan: ({ args, target, decided }) => {
    const { draft, request: r } = decided;
    const s = r.settings;
    return plan(
      `${args.mode === 'install' ? 'Install the Velociraptor agent on' : 'Remove the Velociraptor agent from'} ${draft.hosts.length} host(s) over SSH as ${args.user}${args.sudo ? ' (sudo)' : ''}, enrolling with ${s.server.connection}`,
      target,
      `agents ${args.mode} (SSH)`,
      {
        hosts: draft.hosts.map((h) => h.key),
        login: {
          user: args.user,
          auth: args.auth,
          ...(args.key_path ? { key_path: args.key_path } : {}),
          sudo: args.sudo,
          ...(s.login.jumps?.length
            ? { through: s.login.jumps.map((j) => describeHop({ ...j, port: j.port ?? 22 })) }
            : {}),
        },
        server: s.server.connection,
        labels: args.labels,
        release: args.release_tag,
        ...(args.frontend ? { frontend: args.frontend } : {}),
        concurrency: draft.concurrency,
        retries: draft.retries,
        ...(args.mode === 'uninstall' ? { keep_writeback: args.keep_writeback } : {}),
      },
    );
  },
  run: ({ args, ctx, decided }) =>
    waitForRun(args.wait_seconds, pushes(ctx), (o) => pushes(ctx).pushSsh(decided.request, o)),
});

/** Starts a run and waits up to `seconds` for it; a longer run goes on (its journal has the outcome). */
async function waitForRun(
  seconds: number,
  agents: AgentPushes,
  start: (o: { onEvent: (e: { runId: string }) => void }) => Promise<AgentRunDoc>,
) {
  let id: string | undefined;
  const running = start({
    onEvent: (e) => {
      id ??= e.runId;
    },
  });
  running.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const waited = await Promise.race([
    running,
    new Promise<null>((r) => (timer = setTimeout(() => r(null), seconds * 1000))),
  ]).finally(() => clearTimeout(timer));
  if (waited) return runRows(waited);
  if (!id) throw new AppError('TIMEOUT', 'The run had not started when the wait ended; see the agents page.');
  return runRows(await agents.get(id));
}

const winrmInput = {
  hosts: pushInput.hosts,
  user: z.string().min(1).max(104).describe('The Windows account.'),
  domain: z.string().max(255).default('').describe('NTLM domain; empty for a local account.'),
  auth: z.enum(['ntlm', 'basic']).default('ntlm').describe('basic works for local accounts only.'),
  password_ref: z.string().min(1).max(200).describe('Keychain reference of the password.'),
  ca_pem: z
    .string()
    .max(20000)
    .optional()
    .describe(
      'The CA that issued the listeners’ certificates (PEM). Without it, each listener must present the certificate the responder pinned in the app.',
    ),
  certificates_unchecked: z
    .literal(true)
    .optional()
    .describe('Or do not check the listeners’ certificates: only when the responder said so.'),
  plain_http: z
    .literal(true)
    .optional()
    .describe(
      'Or the plain HTTP listener (port 5985) instead of HTTPS: NTLM only, every message sealed with NTLM; no TLS, so only when the responder said so.',
    ),
  serve_host: z
    .string()
    .min(1)
    .max(253)
    .optional()
    .describe(
      'This machine as the Windows hosts reach it: they download the MSI and config from it (install).',
    ),
  labels: pushInput.labels,
  release_tag: pushInput.release_tag,
  mode: pushInput.mode,
  keep_writeback: pushInput.keep_writeback,
  concurrency: pushInput.concurrency,
  retries: pushInput.retries,
  wait_seconds: pushInput.wait_seconds,
};

type WinRmArgs = z.output<z.ZodObject<typeof winrmInput>>;

function winrmRequest(args: WinRmArgs, server: string, org: string): WinRmPushRequest {
  const list = parseHostList(args.hosts.join('\n'));
  const bad = list.problems[0];
  if (bad) throw new AppError('INVALID_ARGUMENT', `Host "${bad.text}": ${bad.message}`);
  if (args.ca_pem !== undefined && args.certificates_unchecked)
    throw new AppError('INVALID_ARGUMENT', 'Give ca_pem or certificates_unchecked, not both.');
  if (args.plain_http && (args.ca_pem !== undefined || args.certificates_unchecked))
    throw new AppError(
      'INVALID_ARGUMENT',
      'plain_http has no certificate to check: give it without ca_pem or certificates_unchecked.',
    );
  if (args.mode === 'install' && !args.serve_host)
    throw new AppError(
      'INVALID_ARGUMENT',
      'serve_host is needed: the Windows hosts download the MSI from this machine.',
    );
  return {
    name: `mcp winrm ${args.mode} ${new Date().toISOString().slice(0, 16)}`,
    hosts: list.hosts.map((h) => ({ ...h, os: 'windows' as const })),
    concurrency: args.concurrency,
    retries: args.retries,
    settings: {
      mode: args.mode,
      server: { connection: server, org },
      login: { user: args.user, domain: args.domain, auth: args.auth, passwordRef: args.password_ref },
      tls: args.plain_http
        ? { kind: 'http', acknowledged: true }
        : args.ca_pem
          ? { kind: 'ca', caPem: args.ca_pem }
          : args.certificates_unchecked
            ? { kind: 'unchecked', acknowledged: true }
            : { kind: 'pinned' },
      msi: { kind: 'release', tag: args.release_tag },
      config: { frontends: [], labels: args.labels },
      ...(args.serve_host ? { serve: { host: args.serve_host } } : {}),
      keepWriteback: writebackChoice(args),
    },
  };
}

/**
 * Stops the push before it is asked for when a listener's certificate was never confirmed or changed:
 * only the responder pins one (the agents wizard, the CLI), never the assistant. Unreachable hosts go
 * on and fail in the run with their reason.
 */
async function requirePinned(agents: AgentPushes, hosts: ReadonlyArray<{ host: string; port: number }>) {
  const certs = await agents.scanWinRmCerts(hosts);
  const blocked = certs.filter((c) => c.status === 'new' || c.status === 'changed');
  if (!blocked.length) return;
  throw new AppError(
    blocked.some((c) => c.status === 'changed') ? 'WINRM_CERT_UNTRUSTED' : 'WINRM_CERT_UNKNOWN',
    `Not pushed: ${blocked.length} WinRM listener(s) present a certificate the responder has not confirmed. ${blocked
      .slice(0, 20)
      .map((c) =>
        c.status === 'changed'
          ? `${c.host}:${c.port} CHANGED: presents SHA-256 ${c.fingerprint}, pinned ${c.pinned}.`
          : `${c.host}:${c.port} new: SHA-256 ${c.fingerprint} (subject ${c.subject}; issuer ${c.issuer}).`,
      )
      .join(
        ' ',
      )} Ask the responder to compare and confirm them in the agents wizard's certificate step (or with megaraptor agents push --accept-winrm-cert HOST:PORT=SHA256:…); a changed certificate must be checked on the host first.`,
    { details: { certificates: blocked } },
  );
}

export const pushAgentsWinrm = defineTool({
  name: 'push_agents_winrm',
  title: 'Push Velociraptor agents over WinRM (Windows)',
  description:
    'Install (or uninstall) the Velociraptor MSI on Windows hosts over WinRM (HTTPS, NTLMv2 or Basic; plain HTTP with NTLM sealing only when the responder chose it): each host downloads the signature-verified MSI and the client config from a server this app runs for the push (certificate pinned, sha256 checked), installs it quietly, and is checked until the server lists its client. Listener certificates are checked against the certificates the responder pinned in the app, or a CA: the push stops before asking when a listener presents a certificate nobody confirmed (or a changed one) — confirming it is the responder’s act, in the agents wizard or with `megaraptor agents push --accept-winrm-cert`. Kerberos is not supported. The responder is asked every time, whatever the policy allows.',
  input: winrmInput,
  output: runOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  endpointData: true,
  alwaysAsk: true,
  example: () => ({
    hosts: ['127.0.0.1:1'],
    user: 'Administrator',
    password_ref: 'winrm:admin',
    mode: 'uninstall',
    keep_writeback: true,
    retries: 0,
    wait_seconds: 60,
  }),
  decide: async ({ args, target, ctx }) => {
    const r = winrmRequest(args, await serverName(ctx, target), target.org ?? '');
    const draft = pushes(ctx).review(r, 'winrm');
    if (r.settings.tls.kind === 'pinned') await requirePinned(pushes(ctx), draft.hosts);
    return { request: r, draft };
  },
  plan: ({ args, target, decided }) => {
    const { draft, request: r } = decided;
    const tls = r.settings.tls;
    return plan(
      `${args.mode === 'install' ? 'Install the Velociraptor MSI on' : 'Remove the Velociraptor agent from'} ${draft.hosts.length} Windows host(s) over WinRM as ${args.domain ? `${args.domain}\\` : ''}${args.user}, enrolling with ${r.settings.server.connection}`,
      target,
      `agents ${args.mode} (WinRM)`,
      {
        hosts: draft.hosts.map((h) => h.key),
        login: { user: args.user, domain: args.domain, auth: args.auth },
        certificates:
          tls.kind === 'pinned'
            ? 'each listener presents the certificate the responder pinned'
            : tls.kind === 'ca'
              ? 'checked against the CA given'
              : tls.kind === 'http'
                ? `none: ${WINRM_HTTP_WARNING}`
                : 'NOT checked',
        server: r.settings.server.connection,
        labels: args.labels,
        release: args.release_tag,
        ...(args.serve_host ? { downloads_from: args.serve_host } : {}),
        concurrency: draft.concurrency,
        retries: draft.retries,
        ...(args.mode === 'uninstall' ? { keep_writeback: args.keep_writeback } : {}),
      },
    );
  },
  run: ({ args, ctx, decided }) =>
    waitForRun(args.wait_seconds, pushes(ctx), (o) => pushes(ctx).pushWinrm(decided.request, o)),
});

export const agentRuns = defineTool({
  name: 'agent_runs',
  title: 'Agent push runs and their hosts',
  description:
    'The agent push runs, newest first, with their counts; with run_id, also every host of that run with its state (queued, connecting, uploading, installing, verifying, enrolled, removed, failed, cancelled), client id, detected platform and error.',
  input: {
    run_id: runId.optional(),
    max_runs: z.number().int().min(1).max(100).default(20),
  },
  output: {
    runs: z.array(
      z.object({
        run_id: z.string(),
        name: z.string(),
        state: z.string(),
        created: z.string(),
        counts: runOutput.counts,
      }),
    ),
    run: z.object(runOutput).optional(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  endpointData: true,
  example: () => ({ max_runs: 5 }),
  async run({ args, ctx }) {
    const agents = pushes(ctx);
    const runs = (await agents.list()).slice(0, args.max_runs).map((d) => {
      const r = runRows(d);
      return { run_id: r.run_id, name: r.name, state: r.state, created: d.createdAt, counts: r.counts };
    });
    return { runs, ...(args.run_id ? { run: runRows(await agents.get(args.run_id)) } : {}) };
  },
});

// ---- kits: offline collectors (tools preloaded), returned collections, Ansible, enrollment checks

const kitTarget = async (ctx: McpContext, t: Target): Promise<ServerTarget> => ({
  server: await serverName(ctx, t),
  org: t.org ?? '',
});

/** Where a kit goes when the call names no folder: inside the app's data dir. */
const kitFolder = (ctx: McpContext, kind: string, given?: string): string =>
  given ?? join(ctx.resultsDir, 'kits', `${kind}-${new Date().toISOString().replace(/[:.]/g, '-')}`);

const collectorInput = {
  os: z.enum(['Windows', 'Windows_x86', 'Linux', 'MacOS', 'MacOSArm', 'Generic']).describe('Target OS.'),
  artifacts: z.array(z.string().min(1).max(200)).min(1).max(200).describe('Artifacts to collect.'),
  parameters: z
    .record(z.string(), z.record(z.string(), z.string()))
    .default({})
    .describe('Per artifact: parameter name → value.'),
  encryption: z
    .enum(['x509', 'app-key', 'password', 'none'])
    .default('x509')
    .describe(
      'x509 (default): to the server’s certificate, so the server can import and decrypt it; app-key: to this app’s own key (keychain), which the app decrypts on import, even after the server is rebuilt.',
    ),
  password_ref: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('password: keychain reference of the ZIP password.'),
  file_name: z.string().min(1).max(100).optional().describe('The collector’s file name.'),
  require_admin: z.boolean().default(true),
  timeout_seconds: z.number().int().min(0).max(604_800).default(0),
  tool_files: z
    .record(z.string(), z.string().min(1).max(1000))
    .default({})
    .describe(
      "Tool name → a file on the responder's machine to preload; otherwise the verified release cache or <data>/tool-cache/<Tool>/.",
    ),
};

type CollectorArgs = z.output<z.ZodObject<typeof collectorInput>>;

function collectorRequest(a: CollectorArgs): CollectorRequest {
  if (a.encryption === 'password' && !a.password_ref)
    throw new AppError(
      'INVALID_ARGUMENT',
      'encryption "password" needs password_ref (a keychain reference).',
    );
  return {
    spec: {
      os: a.os,
      artifacts: a.artifacts,
      parameters: a.parameters,
      encryption:
        a.encryption === 'password'
          ? { scheme: 'password', passwordRef: a.password_ref ?? '' }
          : { scheme: a.encryption },
      requireAdmin: a.require_admin,
      timeoutSeconds: a.timeout_seconds,
      ...(a.file_name ? { fileName: a.file_name } : {}),
    },
    toolFiles: a.tool_files,
  };
}

const toolRow = z.object({
  name: z.string(),
  artifact: z.string(),
  version: z.string(),
  source: z.string(),
  file: z.string(),
  sha256: z.string(),
  bytes: z.number(),
  note: z.string(),
});

const planOutput = {
  os: z.string(),
  server_version: z.string(),
  tools: z.array(toolRow),
  missing: z.array(z.string()),
  parameters: z.record(z.string(), z.string()),
};

function planRows(p: CollectorPlan) {
  return {
    os: p.preload.os,
    server_version: p.preload.serverVersion,
    tools: p.preload.tools.map((t) => ({
      name: t.name,
      artifact: t.artifact,
      version: t.version,
      source: t.source,
      file: t.file,
      sha256: t.sha256,
      bytes: t.bytes,
      note: t.note,
    })),
    missing: p.preload.missing,
    parameters: p.parameters,
  };
}

export const planOfflineCollector = defineTool({
  name: 'plan_offline_collector',
  title: 'Plan an offline collector (tools to preload)',
  description:
    'What building an offline collector would do, without changing anything: the Server.Utils.CreateCollector parameters and every tool it needs (the Velociraptor binary the server repacks and each tool the artifacts declare), where each file would come from (server inventory, verified release cache, tool cache, or missing) and its SHA-256. On an isolated network every tool must have a file.',
  input: collectorInput,
  output: planOutput,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  endpointData: false,
  example: () => ({ os: 'Windows', artifacts: ['Generic.Client.Info'] }),
  async run({ args, target, ctx }) {
    return planRows(await pushes(ctx).planCollector(await kitTarget(ctx, target), collectorRequest(args)));
  },
});

export const buildOfflineCollector = defineTool({
  name: 'build_offline_collector',
  title: 'Build an offline collector (tools preloaded)',
  description:
    "Adds every tool the collector needs to the server's tool inventory (files from the verified release cache, the tool cache or tool_files; hashes checked by the server), then has the server build the collector (Server.Utils.CreateCollector) and saves it on the responder's machine. Nothing is downloaded on the server or the target. Refused while a tool has no file (see plan_offline_collector).",
  input: {
    ...collectorInput,
    out_dir: z
      .string()
      .min(1)
      .max(1000)
      .optional()
      .describe('Folder for the collector (default: in the app data).'),
  },
  output: {
    ...planOutput,
    preloaded: z.array(
      z.object({ name: z.string(), version: z.string(), sha256: z.string(), bytes: z.number() }),
    ),
    collector: z.object({ path: z.string(), bytes: z.number(), sha256: z.string(), flow_id: z.string() }),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  endpointData: false,
  example: (ids) => ({
    os: 'Linux',
    artifacts: ['Generic.Client.Info'],
    tool_files: { VelociraptorLinux: ids.toolFile },
    out_dir: ids.folder,
  }),
  decide: async ({ args, target, ctx }) => {
    const t = await kitTarget(ctx, target);
    const request = collectorRequest(args);
    return { target: t, request, plan: await pushes(ctx).planCollector(t, request) };
  },
  plan: ({ args, target, decided }) => {
    const p = decided.plan;
    const load = p.preload.tools.filter((t) => t.source === 'release' || t.source === 'file');
    return plan(
      `Preload ${load.length} tool(s) into ${decided.target.server}'s inventory and build a ${args.os} offline collector of ${args.artifacts.length} artifact(s)`,
      target,
      'offline collector',
      {
        artifacts: args.artifacts,
        encryption: args.encryption,
        preload: load.map((t) => ({ tool: t.name, version: t.version, sha256: t.sha256, file: t.file })),
        already_on_server: p.preload.tools.filter((t) => t.source === 'server').map((t) => t.name),
        missing: p.preload.missing,
        out_dir: args.out_dir ?? 'a new folder in the app data (kits/)',
      },
    );
  },
  async run({ args, ctx, decided, progress }) {
    const built = await pushes(ctx).buildCollector(
      decided.target,
      { ...decided.request, folder: kitFolder(ctx, 'collector', args.out_dir) },
      { onProgress: (p) => progress(p.sent ?? 0, p.total, p.step) },
    );
    return {
      ...planRows(built.plan),
      preloaded: built.preloaded,
      collector: {
        path: built.collector.file.path,
        bytes: built.collector.file.bytes,
        sha256: built.collector.file.sha256,
        flow_id: built.collector.flowId,
      },
    };
  },
});

export const importCollectionTool = defineTool({
  name: 'import_collection',
  title: 'Import a returned offline collection',
  description:
    "Copies a returned offline collection ZIP from the responder's machine to the server (through the API, hash checked there), imports it with Server.Utils.ImportCollection (the server decrypts X509 collections it built; a password collection is decrypted on the responder's machine first with the keychain entry password_ref, the one the collector was built with) and reads every source's rows back. The collection becomes a flow of the client with the collection's host name (created when unknown).",
  input: {
    file: z.string().min(1).max(1000).describe('The Collection-<host>-<time>.zip the collector wrote.'),
    hostname: z
      .string()
      .min(1)
      .max(253)
      .optional()
      .describe('Host name for a new client (the collection’s own wins).'),
    client_id: z
      .string()
      .min(1)
      .max(40)
      .optional()
      .describe('Import into this existing client instead of auto.'),
    password_ref: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Keychain reference of the ZIP password, for a password-protected collection.'),
  },
  output: {
    client_id: z.string(),
    flow_id: z.string(),
    import_flow_id: z.string(),
    total_rows: z.number(),
    uploaded_files: z.number(),
    sources: z.array(z.object({ source: z.string(), rows: z.number() })),
    sha256: z.string(),
    bytes: z.number(),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  endpointData: true,
  example: (ids) => ({ file: ids.collectionZip }),
  plan: ({ args, target }) =>
    plan(
      `Copy ${args.file} to the server and import it as an offline collection`,
      target,
      'import collection',
      {
        file: args.file,
        client: args.client_id ?? 'auto (by the collection’s host name)',
        ...(args.hostname ? { hostname: args.hostname } : {}),
        ...(args.password_ref ? { password: `keychain entry ${args.password_ref}` } : {}),
      },
    ),
  async run({ args, target, ctx, progress }) {
    const r = await pushes(ctx).importCollection(
      await kitTarget(ctx, target),
      {
        file: args.file,
        ...(args.hostname ? { hostname: args.hostname } : {}),
        ...(args.client_id ? { clientId: args.client_id } : {}),
        ...(args.password_ref ? { passwordRef: args.password_ref } : {}),
      },
      { onProgress: (p) => progress(p.sent ?? 0, p.total, p.step) },
    );
    return {
      client_id: r.clientId,
      flow_id: r.flowId,
      import_flow_id: r.importFlowId,
      total_rows: r.totalRows,
      uploaded_files: r.uploadedFiles,
      sources: r.artifacts.map((a) => ({ source: a.name, rows: a.rows })),
      sha256: r.sha256,
      bytes: r.bytes,
    };
  },
});

export const checkEnrollment = defineTool({
  name: 'check_enrollment',
  title: 'Are these hosts enrolled?',
  description:
    'For each host name (exact match) or client id: whether the server lists a client, with its id, online state, last contact and labels. Use after a push, an installer rollout or a GPO deployment.',
  input: {
    hosts: z.array(z.string().min(1).max(253)).min(1).max(500).describe('Host names or client ids (C.…).'),
  },
  output: {
    enrolled: z.number(),
    missing: z.array(z.string()),
    hosts: z.array(
      z.object({
        query: z.string(),
        enrolled: z.boolean(),
        clients: z.array(
          z.object({
            client_id: z.string(),
            hostname: z.string(),
            online: z.boolean(),
            last_seen: z.string().optional(),
            labels: z.array(z.string()),
          }),
        ),
      }),
    ),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  endpointData: true,
  example: (ids) => ({ hosts: [ids.clientId, 'no-such-host'] }),
  async run({ args, target, ctx }) {
    const r = await pushes(ctx).checkEnrollment(await kitTarget(ctx, target), args.hosts);
    return {
      enrolled: r.filter((s) => s.enrolled).length,
      missing: r.filter((s) => !s.enrolled).map((s) => s.query),
      hosts: r.map((s) => ({
        query: s.query,
        enrolled: s.enrolled,
        clients: s.clients.map((c) => ({
          client_id: c.clientId,
          hostname: c.hostname,
          online: c.online,
          ...(c.lastSeen ? { last_seen: c.lastSeen } : {}),
          labels: c.labels,
        })),
      })),
    };
  },
});

export const buildAnsibleKit = defineTool({
  name: 'build_ansible_kit',
  title: 'Build an Ansible role for Linux agents',
  description:
    "Writes an Ansible role, playbook and inventory on the responder's machine that install the Velociraptor Linux client with this server's client config (upstream's package layout, binary checked by sha256 on each host). Nothing is sent to the hosts; run it with ansible-playbook.",
  input: {
    hosts: pushInput.hosts,
    user: z.string().min(1).max(64).describe('The SSH user Ansible logs in as (become: sudo).'),
    labels: pushInput.labels,
    release_tag: pushInput.release_tag,
    binary_path: z
      .string()
      .min(1)
      .max(1000)
      .optional()
      .describe('Or a Linux client binary on this machine (its .sig is checked when present).'),
    out_dir: z.string().min(1).max(1000).optional(),
  },
  output: {
    folder: z.string(),
    playbook: z.string(),
    inventory: z.string(),
    files: z.array(z.string()),
    binary_sha256: z.string(),
    server_urls: z.array(z.string()),
    warning: z.string().optional(),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  endpointData: false,
  example: (ids) => ({
    hosts: ['10.0.0.1-3'],
    user: 'ir',
    binary_path: ids.toolFile,
    out_dir: `${ids.folder}/ansible`,
  }),
  plan: ({ args, target }) =>
    plan(`Write an Ansible kit for ${args.hosts.length} host line(s)`, target, 'ansible kit', {
      hosts: args.hosts,
      user: args.user,
      labels: args.labels,
      binary: args.binary_path ?? `release ${args.release_tag}`,
      ...(args.out_dir ? { out_dir: args.out_dir } : {}),
    }),
  async run({ args, target, ctx }) {
    const list = parseHostList(args.hosts.join('\n'));
    const bad = list.problems[0];
    if (bad) throw new AppError('INVALID_ARGUMENT', `Host "${bad.text}": ${bad.message}`);
    const folder = kitFolder(ctx, 'ansible', args.out_dir);
    const k = await pushes(ctx).ansibleKit(await kitTarget(ctx, target), {
      hosts: list.hosts,
      user: args.user,
      dir: folder,
      labels: args.labels,
      binary: args.binary_path ? { path: args.binary_path } : { tag: args.release_tag },
    });
    return {
      folder,
      playbook: k.playbook,
      inventory: k.inventory,
      files: k.files,
      binary_sha256: k.binarySha256,
      server_urls: k.serverUrls,
      ...(k.binaryWarning ? { warning: k.binaryWarning } : {}),
    };
  },
});

const kitFileOut = z.object({ path: z.string(), name: z.string(), bytes: z.number(), sha256: z.string() });

export const buildInstallerTool = defineTool({
  name: 'build_installer',
  title: 'Build an agent installer (MSI, deb, rpm)',
  description:
    "Builds an installer carrying this server's client config on the responder's machine, with the verified Velociraptor binary's own commands: deb (debian client) and rpm (rpm client) package the Linux client; msi repacks the official MSI (config repack --msi), which breaks its Authenticode signature — the notes say how to re-sign. Returns the file, its SHA-256 and the command line used.",
  input: {
    kind: z.enum(['msi', 'deb', 'rpm']),
    labels: pushInput.labels,
    frontend: pushInput.frontend,
    release_tag: pushInput.release_tag,
    binary_path: z
      .string()
      .min(1)
      .max(1000)
      .optional()
      .describe(
        'deb/rpm: a Linux client binary on this machine instead of the release (its .sig is checked).',
      ),
    msi_path: z
      .string()
      .min(1)
      .max(1000)
      .optional()
      .describe('msi: the official MSI on this machine instead of the release’s.'),
    out_dir: z.string().min(1).max(1000).optional(),
  },
  output: {
    kind: z.string(),
    file: kitFileOut,
    command: z.array(z.string()),
    binary_sha256: z.string(),
    notes: z.array(z.string()),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  endpointData: false,
  example: (ids) => ({
    kind: 'deb',
    binary_path: ids.toolFile,
    labels: ['IR-1'],
    out_dir: `${ids.folder}/deb`,
  }),
  plan: ({ args, target }) =>
    plan(`Build a ${args.kind} installer for the server's agents on this machine`, target, 'installer', {
      kind: args.kind,
      labels: args.labels,
      ...(args.frontend ? { frontend: args.frontend } : {}),
      binary:
        args.kind === 'msi'
          ? (args.msi_path ?? `release ${args.release_tag} MSI`)
          : (args.binary_path ?? `release ${args.release_tag}`),
      ...(args.out_dir ? { out_dir: args.out_dir } : {}),
    }),
  async run({ args, target, ctx, progress }) {
    const frontends = frontendsOf(args.frontend);
    const r = await pushes(ctx).buildInstaller(
      await kitTarget(ctx, target),
      {
        kind: args.kind,
        outDir: kitFolder(ctx, args.kind, args.out_dir),
        binary: args.binary_path ? { path: args.binary_path } : { tag: args.release_tag },
        ...(args.msi_path ? { msi: args.msi_path } : {}),
        labels: args.labels,
        frontends,
      },
      { onProgress: (p) => progress(0, undefined, p.step) },
    );
    return { kind: r.kind, file: r.file, command: r.command, binary_sha256: r.binarySha256, notes: r.notes };
  },
});

export const buildGpoKit = defineTool({
  name: 'build_gpo_kit',
  title: 'Build a Group Policy kit for Windows agents',
  description:
    'Writes a folder and ZIP with the (repacked) MSI, a README with the Group Policy Management steps for assigning the MSI from a share (share and NTFS permissions for Domain Computers), a startup-script alternative that checks the MSI hash, and SHA256SUMS. Build the MSI first with build_installer kind msi.',
  input: {
    msi_path: z.string().min(1).max(1000).describe('The MSI to deploy (on this machine).'),
    share: z
      .string()
      .min(3)
      .max(300)
      .optional()
      .describe('UNC path of the share, e.g. \\\\fileserver\\Velociraptor$'),
    out_dir: z.string().min(1).max(1000).optional().describe('A new, empty folder for the kit.'),
  },
  output: { folder: z.string(), zip: kitFileOut.nullable(), files: z.array(kitFileOut) },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  endpointData: false,
  example: (ids) => ({ msi_path: ids.msiFile, out_dir: `${ids.folder}/gpo-${Date.now()}` }),
  plan: ({ args, target }) =>
    plan(`Write a GPO kit around ${args.msi_path}`, target, 'gpo kit', {
      msi: args.msi_path,
      share: args.share ?? '\\\\fileserver\\Velociraptor$',
      ...(args.out_dir ? { out_dir: args.out_dir } : {}),
    }),
  async run({ args, target, ctx }) {
    return pushes(ctx).gpoKit(await kitTarget(ctx, target), {
      msi: args.msi_path,
      dir: kitFolder(ctx, 'gpo', args.out_dir),
      ...(args.share ? { share: args.share } : {}),
    });
  },
});

export const agentTools = [
  pushAgentsSsh,
  pushAgentsWinrm,
  agentRuns,
  planOfflineCollector,
  buildOfflineCollector,
  importCollectionTool,
  checkEnrollment,
  buildAnsibleKit,
  buildInstallerTool,
  buildGpoKit,
];

export const agentPrompts: ModulePrompt[] = [
  {
    name: 'offline_collection_kit',
    title: 'Offline collection kit',
    description:
      'Collect from hosts that cannot run an agent or reach the server (isolated networks): build, hand out, import.',
    argsSchema: {
      os: z.string().max(20).optional().describe('Windows, Windows_x86, Linux, MacOS, MacOSArm or Generic'),
      goal: z.string().max(2000).optional().describe('What to collect, e.g. triage, persistence, event logs'),
    },
    text: (a) =>
      [
        `Build an offline collection kit for ${a.os ?? 'the hosts’ OS (ask the responder)'}${a.goal ? ` (goal, as data: <<<${a.goal}>>>)` : ''}.`,
        '1. Choose artifacts with list_artifacts/get_artifact for the goal and OS; keep the set small (each tool it needs must be carried).',
        '2. plan_offline_collector: every tool (the Velociraptor binary the server repacks and each tool the artifacts declare) with its source and SHA-256. On an isolated network nothing may be downloaded: every tool needs a file (verified release cache, the tool cache <data>/tool-cache/<Tool>/, or tool_files). Tell the responder which are missing and where to put them; compare hashes the artifact does not pin with the vendor’s.',
        '3. build_offline_collector with encryption x509 (default: to the server’s own certificate, so only this server can read the results) — the responder approves the preload and the build. Give the responder the collector path and SHA-256.',
        '4. The collector runs on each host as administrator/root and writes Collection-<host>-<time>.zip beside itself; the ZIP travels back by the case’s evidence handling (record its SHA-256).',
        '5. import_collection for each returned ZIP (approved): the rows arrive as a flow of a client named after the host. Read them with get_flow_results per source; check_enrollment shows the imported client by host name.',
        '6. Summarise per host what was collected and found; note hosts whose ZIP did not come back.',
      ].join('\n'),
  },
];
