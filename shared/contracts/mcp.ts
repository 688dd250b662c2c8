/**
 * The assistants (MCP) domain: endpoint status and token, copy-paste client configs, the audit log
 * (page + live tail), pending approvals and the responder's answers, and the assistant policy.
 */
import { z } from 'zod';
import { call, stream } from '../contract';

export const PolicyMode = z.enum(['read-only', 'ask', 'allow-listed']);
export type PolicyMode = z.infer<typeof PolicyMode>;

export const McpPolicy = z.object({
  mode: PolicyMode,
  /** Tools that run without asking in `allow-listed` mode (and headless, with no app running). */
  allowTools: z.array(z.string().min(1).max(100)).max(200),
  approvalTimeoutSeconds: z.number().int().min(5).max(3600),
});
export type McpPolicy = z.infer<typeof McpPolicy>;

/** What the responder approves: the exact operations, with their arguments and the VQL they run. */
export const ApprovalPlan = z.object({
  summary: z.string(),
  server: z.string().optional(),
  org: z.string().optional(),
  /** Host name of each client id the call names, so the responder sees which machine it is. */
  hosts: z.record(z.string(), z.string()).optional(),
  operations: z.array(
    z.object({
      operation: z.string(),
      details: z.record(z.string(), z.unknown()),
      /** The VQL the operation sends, where it is known (user values are env, listed apart). */
      vql: z.string().optional(),
      env: z.record(z.string(), z.string()).optional(),
    }),
  ),
});
export type ApprovalPlan = z.infer<typeof ApprovalPlan>;

export const ApprovalRequest = z.object({
  id: z.string(),
  tool: z.string(),
  /** The MCP client (its name and version) and transport that asked. */
  client: z.string(),
  arguments: z.record(z.string(), z.unknown()),
  plan: ApprovalPlan,
  createdAt: z.string(),
  expiresAt: z.string(),
});
export type ApprovalRequest = z.infer<typeof ApprovalRequest>;

export const ApprovalAnswer = z.object({
  decision: z.enum(['approved', 'denied']),
  reason: z.string().max(500).optional(),
});
export type ApprovalAnswer = z.infer<typeof ApprovalAnswer>;

export const ApprovalOutcome = z.enum([
  'not-required',
  'approved',
  'allowed-by-policy',
  'denied',
  'timeout',
  'forbidden-by-policy',
]);

export const AuditEntry = z.object({
  time: z.string(),
  /** MCP client name/version and transport, e.g. `claude-code 1.2 (http)`. */
  client: z.string(),
  /** `app`: a change the responder made in the app (policy, read-only identities). */
  kind: z.enum(['tool', 'resource', 'prompt', 'app']),
  /** Tool or prompt name, resource URI, or what changed. */
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()),
  approval: ApprovalOutcome,
  durationMs: z.number(),
  resultBytes: z.number().int(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** The VQL a gated call's plan showed (and the call then sent), with its env. */
  queries: z.array(z.object({ vql: z.string(), env: z.record(z.string(), z.string()) })).optional(),
  /**
   * run_vql with read_only: the least-privilege user the server ran it as, or null when there was
   * none (then the call was not read-only and needed approval) with the reason.
   */
  readOnly: z.object({ identity: z.string().nullable(), reason: z.string().optional() }).optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const McpStatus = z.object({
  running: z.boolean(),
  /** Why the policy file was refused (then the default applies); set the policy again to fix it. */
  policyNotice: z.string().optional(),
  /** http://127.0.0.1:PORT/mcp when running. */
  url: z.string().optional(),
  port: z.number().int().optional(),
  sessions: z.number().int(),
  /** Where the token comes from: the OS keychain, or memory when no keychain exists. */
  tokenStore: z.string(),
  approvalSocket: z.string().optional(),
  auditLog: z.string(),
  policy: McpPolicy,
  /** The tools that wait for the policy or the responder (the ones an allow-list can name). */
  gatedTools: z.array(z.string()),
  /** The gated tools that ask the responder every time, whatever the allow-list says. */
  alwaysAskTools: z.array(z.string()),
  pendingApprovals: z.number().int(),
  /** Why the endpoint is not running, when it failed to start. */
  error: z.string().optional(),
});
export type McpStatus = z.infer<typeof McpStatus>;

export const McpSnippets = z.object({
  claudeDesktop: z.string(),
  claudeCode: z.string(),
  genericHttp: z.string(),
  stdio: z.string(),
  /**
   * Why the stdio snippets (Claude Desktop, command) cannot work now: the server they would name is
   * one another process cannot open (the demo simulator inside the app, a connection kept for this
   * session only), or there is none. The page shows this instead of a snippet that fails.
   */
  stdioProblem: z.string().optional(),
  /** The preferred HTTP port was taken: this run's port differs, and a saved config goes stale. */
  httpWarning: z.string().optional(),
  /** 'session': no keychain, so the token (and the HTTP snippets) last until the app quits. */
  tokenLifetime: z.enum(['keychain', 'session']),
});
export type McpSnippets = z.infer<typeof McpSnippets>;

export const ApprovalEvent = z.union([
  z.object({ type: z.literal('snapshot'), pending: z.array(ApprovalRequest) }),
  z.object({ type: z.literal('added'), request: ApprovalRequest }),
  z.object({
    type: z.literal('resolved'),
    id: z.string(),
    outcome: z.enum(['approved', 'denied', 'timeout', 'cancelled']),
  }),
]);
export type ApprovalEvent = z.infer<typeof ApprovalEvent>;

/** A connection's least-privilege identity for read-only VQL (role `api` alone). */
export const ReadOnlyIdentityStatus = z.object({
  server: z.string(),
  /** none: read-only run_vql on this server needs the responder's approval. */
  state: z.enum(['none', 'saved', 'session']),
  /** The Velociraptor user it runs as. */
  user: z.string().optional(),
  /** Set by a check: why the server does not treat it as read-only. */
  problem: z.string().optional(),
});
export type ReadOnlyIdentityStatus = z.infer<typeof ReadOnlyIdentityStatus>;

const ServerName = z.string().min(1).max(64);
/** Config files are a few kilobytes; the core refuses anything near this. */
const ConfigText = z
  .string()
  .min(1)
  .max(1024 * 1024);

const Empty = z.object({}).strict();

export const mcpContract = {
  'mcp:status': call(Empty, McpStatus),
  /** Starts or stops the HTTP endpoint. */
  'mcp:setEnabled': call(z.object({ enabled: z.boolean() }), McpStatus),
  'mcp:token': call(Empty, z.object({ token: z.string() })),
  /** A new token; sessions opened with the old one keep working until they end. */
  'mcp:rotateToken': call(Empty, z.object({ token: z.string() })),
  'mcp:snippets': call(Empty, McpSnippets),
  /**
   * Runs a snippet exactly as an assistant would (the stdio command as a new process, or the HTTP
   * endpoint with the token) and reports each step of the MCP handshake.
   */
  'mcp:testSnippet': call(
    z.object({ transport: z.enum(['stdio', 'http']) }),
    z.object({
      ok: z.boolean(),
      /** What was run: the command line, or the URL. */
      ran: z.string(),
      steps: z.array(z.object({ step: z.string(), ok: z.boolean(), detail: z.string() })),
      /** The last lines the stdio server wrote to stderr, when it failed. */
      stderr: z.string().optional(),
    }),
  ),
  'mcp:auditPage': call(
    z.object({
      limit: z.number().int().min(1).max(500).default(100),
      before: z.number().int().min(0).optional(),
    }),
    z.object({ entries: z.array(AuditEntry.extend({ index: z.number().int() })), total: z.number().int() }),
  ),
  'mcp:auditTail': stream(Empty, AuditEntry),
  'mcp:approvals': call(Empty, z.object({ pending: z.array(ApprovalRequest) })),
  'mcp:approvalEvents': stream(Empty, ApprovalEvent),
  'mcp:decide': call(
    z.object({
      id: z.string().min(1).max(100),
      decision: z.enum(['approved', 'denied']),
      reason: z.string().max(500).optional(),
    }),
    z.object({ found: z.boolean() }),
  ),
  'mcp:getPolicy': call(Empty, McpPolicy),
  'mcp:setPolicy': call(McpPolicy, McpPolicy),
  'mcp:readOnlyIdentities': call(Empty, z.object({ identities: z.array(ReadOnlyIdentityStatus) })),
  /**
   * Creates the user on the server with the connection's own (administrator) identity and mints
   * its certificate from the CA in `serverConfig` (server.config.yaml; the key is not kept).
   */
  'mcp:createReadOnlyIdentity': call(
    z.object({
      server: ServerName,
      serverConfig: ConfigText,
      userName: z.string().min(1).max(100).optional(),
    }),
    ReadOnlyIdentityStatus,
  ),
  /** An API config made on the server with `config api_client --role api`; checked before it is kept. */
  'mcp:importReadOnlyIdentity': call(
    z.object({ server: ServerName, yaml: ConfigText }),
    ReadOnlyIdentityStatus,
  ),
  /** Forgets it here (the user stays on the server: remove it there with user_delete). */
  'mcp:removeReadOnlyIdentity': call(z.object({ server: ServerName }), ReadOnlyIdentityStatus),
};
