/**
 * The MCP service inside the app: runs the HTTP endpoint and the approval socket, owns the approval
 * broker, the audit log and the policy, and answers the `mcp:*` contract for the Assistants page.
 * The bearer token lives in the secret store (the OS keychain), never in a file.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AuditEntry, McpSnippets, McpStatus } from '../../../shared/contracts/mcp';
import type { ApprovalEvent } from '../../../shared/contracts/mcp';
import { AppError, messageOf } from '../../../shared/errors';
import type { SecretStore } from '../credentials/index';
import { startApprovalSocket, type ApprovalSocketServer } from './approval-socket';
import {
  ApprovalBroker,
  POLICY_KEY_REF,
  PolicyStore,
  type ApprovalAnswer,
  type ApprovalRequest,
  type McpPolicy,
} from './approvals';
import { AuditLog } from './audit';
import { startHttpTransport, type RunningHttp } from './http';
import type { ReadOnlyVql } from './read-only-identity';
import type { ReadOnlySetup } from './read-only-setup';
import type { McpServers } from './servers';
import { Redactor } from './redact';
import { allTools } from './registry';
import { testHttpSnippet, testStdioSnippet, type SnippetTest } from './snippet-test';
import { createMcpServer } from './server';
import type { McpContext, McpDeployments } from './tool-kit';
import type { AgentPushes } from './tools/agents';

export const TOKEN_REF = 'mcp:http-token';

export interface McpServiceDeps {
  dataDir: string;
  version: string;
  servers: McpServers;
  secrets: SecretStore;
  /** How an assistant launches the stdio server: [node, /path/to/megaraptor.mjs]. */
  stdioCommand: string[];
  /**
   * Environment the stdio server needs beyond what an MCP client passes (the SDK passes only HOME,
   * PATH, USER and a few more): on Linux the session bus address, without which the Secret Service
   * (the keychain holding the connection) cannot be reached.
   */
  stdioEnv?: Record<string, string>;
  /** The HTTP port (0 or absent: any free port). Taken by another program: the endpoint does not start. */
  httpPort?: number;
  /** The saved connection a stdio snippet should name (`--connection`), when there is one. */
  defaultConnection?: () => string | undefined;
  /**
   * Where a connection lives: only one in the keychain can be opened by another process (the stdio
   * server an assistant starts); the demo runs inside the app, a session connection in its memory.
   */
  connectionStorage?: (name: string) => 'keychain' | 'session' | 'demo' | undefined;
  /** Whether the token is in the OS keychain (else it lasts until the app quits). */
  tokenPersists?: () => Promise<boolean>;
  /** Secret values to redact everywhere (API key material known to the app). */
  secretsToRedact?: () => string[];
  /** Lists the token in the credential index (so repair does not take it for an orphan). */
  tokenRecord?: TokenRecord;
  /** The least-privilege identities read-only VQL runs as. */
  readOnly?: ReadOnlyVql;
  /** Lists, creates, imports and forgets those identities (the Assistants page). */
  readOnlySetup?: ReadOnlySetup;
  /** The app's agent pushes, for the agent tools. */
  agents?: AgentPushes;
  /** The app's deployments: with them the endpoint offers the deployment tools, resources, prompts. */
  deployments?: McpDeployments;
  /**
   * Where the policy's signing key lives. Default: `secrets` (the keychain, or this run's memory
   * when none answers: then the app's own endpoint follows the policy, stdio servers refuse it).
   */
  policySecrets?: () => Promise<SecretStore | null>;
}

/** Who made a change recorded with kind `app`. */
export const RESPONDER = 'Megaraptor Desktop (responder)';

/** The part of CredentialService the MCP domain uses for its token's index entry. */
export interface TokenRecord {
  register(input: {
    id: string;
    name: string;
    kind: 'token';
    owner: Record<string, never>;
    expiresAt: null;
  }): Promise<unknown>;
  unregister(id: string): Promise<unknown>;
}

/** Turns a subscribe/unsubscribe pair into an async iterable that ends when `signal` aborts. */
export async function* eventsUntil<T>(
  subscribe: (push: (v: T) => void) => () => void,
  signal: AbortSignal,
  initial: T[] = [],
): AsyncGenerator<T> {
  const queue: T[] = [...initial];
  let wake: (() => void) | undefined;
  const unsubscribe = subscribe((v) => {
    queue.push(v);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    while (!signal.aborted) {
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}

export class McpService {
  readonly broker = new ApprovalBroker();
  readonly redactor = new Redactor();
  readonly audit: AuditLog;
  readonly policyStore: PolicyStore;
  private http: RunningHttp | undefined;
  private socket: ApprovalSocketServer | undefined;
  private token: string | undefined;
  private lastError: string | undefined;

  constructor(private readonly deps: McpServiceDeps) {
    this.audit = new AuditLog(deps.dataDir, this.redactor);
    this.policyStore = new PolicyStore(
      deps.dataDir,
      deps.policySecrets ?? (() => Promise.resolve(deps.secrets)),
    );
  }

  private context(clientLabel: () => string): McpContext {
    for (const s of this.deps.secretsToRedact?.() ?? []) this.redactor.addSecret(s);
    return {
      servers: this.deps.servers,
      redactor: this.redactor,
      audit: this.audit,
      policy: () => this.policyStore.get(),
      approver: this.broker,
      resultsDir: join(this.deps.dataDir, 'mcp-results'),
      clientLabel,
      ...(this.deps.readOnly ? { readOnly: this.deps.readOnly } : {}),
      ...(this.deps.agents ? { agents: this.deps.agents } : {}),
      ...(this.deps.deployments ? { deployments: this.deps.deployments } : {}),
    };
  }

  /** One audit line for a change the responder made in the app. */
  async recordChange(name: string, details: Record<string, unknown>): Promise<void> {
    await this.audit.append({
      time: new Date().toISOString(),
      client: RESPONDER,
      kind: 'app',
      name,
      arguments: details,
      approval: 'not-required',
      durationMs: 0,
      resultBytes: 0,
    });
  }

  private async currentToken(): Promise<string> {
    if (this.token) return this.token;
    let t = await this.deps.secrets.get(TOKEN_REF);
    if (!t) {
      t = randomBytes(32).toString('base64url');
      await this.deps.secrets.set(TOKEN_REF, t);
    }
    // Also for a token found already stored: older versions wrote it without an index entry.
    await this.registerToken();
    this.token = t;
    this.redactor.addSecret(t);
    return t;
  }

  /** Index entry for the token; a failure leaves MCP working (repair can adopt the secret later). */
  private async registerToken(): Promise<void> {
    await this.deps.tokenRecord
      ?.register({
        id: TOKEN_REF,
        name: 'MCP HTTP endpoint bearer token',
        kind: 'token',
        owner: {},
        expiresAt: null,
      })
      .catch(() => undefined);
  }

  /** Starts the approval socket (always) and the HTTP endpoint (when `http`). */
  async start(options: { http?: boolean } = {}): Promise<McpStatus> {
    this.socket ??= await startApprovalSocket(this.deps.dataDir, this.broker);
    if (options.http ?? true) await this.setEnabled(true);
    return this.status();
  }

  async setEnabled(enabled: boolean): Promise<McpStatus> {
    if (enabled && !this.http) {
      try {
        await this.currentToken();
        const listen = (port: number): Promise<RunningHttp> =>
          startHttpTransport({
            port,
            token: () => this.token ?? '',
            makeServer: () =>
              createMcpServer({ version: this.deps.version, transport: 'http' }, (label) =>
                this.context(label),
              ),
          });
        const port = this.deps.httpPort ?? 0;
        try {
          this.http = await listen(port);
        } catch (e) {
          // Never move silently: assistants configured for this port would reach whoever holds it.
          if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
          throw new AppError(
            'CONFLICT',
            `Port ${port} on 127.0.0.1 is in use by another program, so the MCP endpoint did not start there (assistants configured for it would reach that program). Free the port and turn the endpoint on again, or set MEGARAPTOR_MCP_PORT to another port and update the assistants' configs.`,
            { cause: e },
          );
        }
        this.lastError = undefined;
      } catch (e) {
        this.lastError = messageOf(e);
        throw e instanceof AppError
          ? e
          : new AppError('INTERNAL', `The MCP endpoint did not start: ${this.lastError}`, { cause: e });
      }
    } else if (!enabled && this.http) {
      await this.http.close();
      this.http = undefined;
    }
    return this.status();
  }

  async status(): Promise<McpStatus> {
    return {
      running: this.http !== undefined,
      ...(this.http ? { url: this.http.url, port: this.http.port } : {}),
      sessions: this.http?.sessions() ?? 0,
      tokenStore: this.deps.secrets.backend,
      ...(this.socket ? { approvalSocket: this.socket.path } : {}),
      auditLog: this.audit.path,
      ...(await (async () => {
        const { notice, ...policy } = await this.policyStore.get();
        return { policy, ...(notice ? { policyNotice: notice } : {}) };
      })()),
      gatedTools: allTools()
        .filter((t) => t.gated)
        .map((t) => t.name),
      alwaysAskTools: allTools()
        .filter((t) => t.alwaysAsk)
        .map((t) => t.name),
      pendingApprovals: this.broker.list().length,
      ...(this.lastError ? { error: this.lastError } : {}),
    };
  }

  async getToken(): Promise<{ token: string }> {
    return { token: await this.currentToken() };
  }

  async rotateToken(): Promise<{ token: string }> {
    const t = randomBytes(32).toString('base64url');
    await this.deps.secrets.set(TOKEN_REF, t);
    await this.registerToken();
    this.token = t;
    this.redactor.addSecret(t);
    return { token: t };
  }

  /** Why a stdio server started by an assistant could not open the server it would name, or undefined. */
  private stdioProblem(conn: string | undefined): string | undefined {
    if (!conn)
      return 'No server is connected yet: import one under Connections (it is saved in the OS keychain), then the assistant can open it.';
    const storage = this.deps.connectionStorage?.(conn) ?? 'keychain';
    if (storage === 'demo')
      return 'The active server is the demo simulator, which runs inside this app: the stdio server an assistant starts is another process and cannot reach it. Use the HTTP endpoint, or import a real server under Connections.';
    if (storage === 'session')
      return `“${conn}” is kept for this app session only (no OS keychain): the stdio server an assistant starts is another process and cannot read it. Use the HTTP endpoint, or save the connection in the keychain.`;
    return undefined;
  }

  /** The stdio command an assistant runs: this installation's CLI, on the app's data folder. */
  private stdioArgs(conn: string | undefined): string[] {
    const [, ...args] = this.deps.stdioCommand;
    return [
      ...args,
      'mcp',
      '--stdio',
      '--data-dir',
      this.deps.dataDir,
      ...(conn ? ['--connection', conn] : []),
    ];
  }

  async snippets(): Promise<McpSnippets> {
    const token = await this.currentToken();
    const url = this.http?.url ?? `http://127.0.0.1:${this.deps.httpPort ?? 'PORT'}/mcp`;
    const cmd = this.deps.stdioCommand[0] ?? 'megaraptor';
    const conn = this.deps.defaultConnection?.();
    const stdioArgs = this.stdioArgs(conn);
    const stdioProblem = this.stdioProblem(conn);
    return {
      claudeDesktop: JSON.stringify(
        {
          mcpServers: {
            megaraptor: {
              command: cmd,
              args: stdioArgs,
              ...(Object.keys(this.deps.stdioEnv ?? {}).length ? { env: this.deps.stdioEnv } : {}),
            },
          },
        },
        null,
        2,
      ),
      claudeCode: `claude mcp add --transport http megaraptor ${url} --header "Authorization: Bearer ${token}"`,
      genericHttp: JSON.stringify(
        { mcpServers: { megaraptor: { type: 'http', url, headers: { Authorization: `Bearer ${token}` } } } },
        null,
        2,
      ),
      stdio: commandLine([cmd, ...stdioArgs]),
      ...(stdioProblem ? { stdioProblem } : {}),
      // The endpoint never moves to another port (assistants would reach whoever holds it): when it could
      // not start, the HTTP snippets say why they do not work now.
      ...(!this.http
        ? {
            httpWarning: this.lastError
              ? `These snippets do not work now: ${this.lastError}`
              : 'The HTTP endpoint is stopped: turn on "Serve over HTTP" for these snippets to work.',
          }
        : {}),
      tokenLifetime: (await (this.deps.tokenPersists?.() ?? Promise.resolve(true))) ? 'keychain' : 'session',
    };
  }

  /** Runs a snippet as an assistant would and reports the MCP handshake (snippet-test.ts). */
  async testSnippet(transport: 'stdio' | 'http'): Promise<SnippetTest> {
    if (transport === 'http') {
      if (!this.http)
        return {
          ok: false,
          ran: '(the HTTP endpoint)',
          steps: [
            { step: 'start', ok: false, detail: 'The HTTP endpoint is stopped: turn on "Serve over HTTP".' },
          ],
        };
      return testHttpSnippet(this.http.url, await this.currentToken());
    }
    const conn = this.deps.defaultConnection?.();
    const cmd = this.deps.stdioCommand[0] ?? 'megaraptor';
    const full = [cmd, ...this.stdioArgs(conn)];
    const problem = this.stdioProblem(conn);
    if (problem)
      return { ok: false, ran: commandLine(full), steps: [{ step: 'start', ok: false, detail: problem }] };
    return testStdioSnippet(full, commandLine(full), this.deps.stdioEnv);
  }

  auditPage(limit: number, before?: number) {
    return this.audit.page(limit, before);
  }

  auditTail(signal: AbortSignal): AsyncGenerator<AuditEntry> {
    return eventsUntil<AuditEntry>((push) => this.audit.subscribe(push), signal);
  }

  approvals(): { pending: ApprovalRequest[] } {
    return { pending: this.broker.list() };
  }

  approvalEvents(signal: AbortSignal): AsyncGenerator<ApprovalEvent> {
    return eventsUntil<ApprovalEvent>((push) => this.broker.subscribe(push), signal, [
      { type: 'snapshot', pending: this.broker.list() },
    ]);
  }

  decide(id: string, answer: ApprovalAnswer): { found: boolean } {
    return { found: this.broker.decide(id, answer) };
  }

  async getPolicy(): Promise<McpPolicy> {
    const { notice: _notice, ...policy } = await this.policyStore.get();
    return policy;
  }

  /** Only here (the app) is the policy changed: signed with the keychain's key, and audited. */
  async setPolicy(p: McpPolicy): Promise<McpPolicy> {
    const { notice, ...before } = await this.policyStore.get();
    const after = await this.policyStore.set(p);
    await this.deps.tokenRecord
      ?.register({
        id: POLICY_KEY_REF,
        name: 'MCP assistant policy signing key',
        kind: 'token',
        owner: {},
        expiresAt: null,
      })
      .catch(() => undefined);
    await this.recordChange('assistant policy changed', {
      from: before,
      ...(notice ? { replaced_refused_file: notice } : {}),
      to: after,
    });
    return after;
  }

  /** The read-only identity setup, or an error saying this app has none. */
  readOnlySetup(): ReadOnlySetup {
    if (!this.deps.readOnlySetup)
      throw new AppError('NOT_FOUND', 'Read-only identities are not available in this MCP server.');
    return this.deps.readOnlySetup;
  }

  async dispose(): Promise<void> {
    this.broker.close();
    await this.http?.close();
    this.http = undefined;
    await this.socket?.close();
    this.socket = undefined;
    // Audit lines are written in the background: have them all on disk before the app exits.
    await this.audit.flush().catch(() => undefined);
    this.audit.close();
  }
}

/** A command as a shell line: arguments with spaces or quotes quoted. */
function commandLine(argv: readonly string[]): string {
  return argv.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

/** The `mcp:*` handlers for the composition root. */
export function mcpHandlers(svc: McpService) {
  return {
    'mcp:status': () => svc.status(),
    'mcp:setEnabled': (i: { enabled: boolean }) => svc.setEnabled(i.enabled),
    'mcp:token': () => svc.getToken(),
    'mcp:rotateToken': () => svc.rotateToken(),
    'mcp:snippets': () => svc.snippets(),
    'mcp:testSnippet': (i: { transport: 'stdio' | 'http' }) => svc.testSnippet(i.transport),
    'mcp:auditPage': (i: { limit: number; before?: number | undefined }) => svc.auditPage(i.limit, i.before),
    'mcp:auditTail': (_i: Record<string, never>, ctx: { signal: AbortSignal }) => svc.auditTail(ctx.signal),
    'mcp:approvals': () => svc.approvals(),
    'mcp:approvalEvents': (_i: Record<string, never>, ctx: { signal: AbortSignal }) =>
      svc.approvalEvents(ctx.signal),
    'mcp:decide': (i: { id: string; decision: 'approved' | 'denied'; reason?: string | undefined }) =>
      svc.decide(i.id, { decision: i.decision, ...(i.reason ? { reason: i.reason } : {}) }),
    'mcp:getPolicy': () => svc.getPolicy(),
    'mcp:setPolicy': (p: McpPolicy) => svc.setPolicy(p),
    'mcp:readOnlyIdentities': () => svc.readOnlySetup().list(),
    'mcp:createReadOnlyIdentity': (i: {
      server: string;
      serverConfig: string;
      userName?: string | undefined;
    }) => svc.readOnlySetup().create(i),
    'mcp:importReadOnlyIdentity': (i: { server: string; yaml: string }) => svc.readOnlySetup().import(i),
    'mcp:removeReadOnlyIdentity': (i: { server: string }) => svc.readOnlySetup().remove(i),
  };
}
