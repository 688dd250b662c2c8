/**
 * The stdio MCP server an assistant launches (`megaraptor mcp --stdio`). It shares the data dir with
 * the app: the same policy file, the same audit log, and approvals go to the running app over the
 * approval socket (refused when no app runs, unless the policy file allow-lists the tool).
 */
import { join } from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { SecretStore } from '../credentials/index';
import { PolicyStore, type Approver } from './approvals';
import { SocketApprover } from './approval-socket';
import { AuditLog } from './audit';
import type { ReadOnlyVql } from './read-only-identity';
import type { McpServers } from './servers';
import { Redactor } from './redact';
import { createMcpServer } from './server';

export interface StdioOptions {
  dataDir: string;
  version: string;
  servers: McpServers;
  /** Values never to show (key material of the API config in use). */
  secrets: string[];
  /** The least-privilege identities for read-only VQL; without, run_vql always asks for approval. */
  readOnly?: ReadOnlyVql;
  /** The OS keychain, where the policy's signing key is (without, the policy file is refused). */
  policySecrets?: () => Promise<SecretStore | null>;
  /** Where to say why the policy file was refused (stderr). */
  warn?: (line: string) => void;
  approver?: Approver;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
}

/** Serves MCP on stdin/stdout until the client closes the stream. */
export async function runStdio(opts: StdioOptions): Promise<void> {
  const redactor = new Redactor();
  for (const s of opts.secrets) redactor.addSecret(s);
  const audit = new AuditLog(opts.dataDir, redactor);
  const store = new PolicyStore(opts.dataDir, opts.policySecrets ?? (() => Promise.resolve(null)));
  let said: string | undefined;
  const policy = {
    async get() {
      const p = await store.get();
      // A refused policy file is said once per reason: the default then applies to every call.
      if (p.notice && p.notice !== said) opts.warn?.(p.notice);
      said = p.notice;
      return p;
    },
  };
  const server = createMcpServer({ version: opts.version, transport: 'stdio' }, (clientLabel) => ({
    servers: opts.servers,
    redactor,
    audit,
    policy: () => policy.get(),
    approver: opts.approver ?? new SocketApprover(opts.dataDir),
    resultsDir: join(opts.dataDir, 'mcp-results'),
    clientLabel,
    ...(opts.readOnly ? { readOnly: opts.readOnly } : {}),
  }));
  const transport = new StdioServerTransport(
    opts.stdin as NodeJS.ReadStream | undefined,
    opts.stdout as NodeJS.WriteStream | undefined,
  );
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  (opts.stdin ?? process.stdin).on('end', () => void server.close());
  await server.connect(transport);
  await closed;
  // Every call's audit line is on disk before the process may exit.
  await audit.flush().finally(() => audit.close());
}
