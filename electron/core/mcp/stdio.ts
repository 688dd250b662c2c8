/**
 * The stdio MCP server an assistant launches (`megaraptor mcp --stdio`). It shares the data dir with
 * the app: the same policy file, the same audit log, and approvals go to the running app over the
 * approval socket (refused when no app runs, unless the policy file allow-lists the tool).
 */
import { join } from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { PolicyStore, type Approver } from './approvals';
import { SocketApprover } from './approval-socket';
import { AuditLog } from './audit';
import type { McpServers } from './servers';
import { Redactor } from './redact';
import { createMcpServer } from './server';

export interface StdioOptions {
  dataDir: string;
  version: string;
  servers: McpServers;
  /** Values never to show (key material of the API config in use). */
  secrets: string[];
  approver?: Approver;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
}

/** Serves MCP on stdin/stdout until the client closes the stream. */
export async function runStdio(opts: StdioOptions): Promise<void> {
  const redactor = new Redactor();
  for (const s of opts.secrets) redactor.addSecret(s);
  const audit = new AuditLog(opts.dataDir, redactor);
  const policy = new PolicyStore(opts.dataDir);
  const server = createMcpServer({ version: opts.version, transport: 'stdio' }, (clientLabel) => ({
    servers: opts.servers,
    redactor,
    audit,
    policy: () => policy.get(),
    approver: opts.approver ?? new SocketApprover(opts.dataDir),
    resultsDir: join(opts.dataDir, 'mcp-results'),
    clientLabel,
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
