/**
 * "Test this snippet" on the Assistants page: runs what the snippet says, as an assistant would — the
 * stdio command as a new process with the environment an MCP client gives it, or the HTTP endpoint
 * with the bearer token — with the MCP SDK's own client, and reports each step: started, handshake
 * (the server's name and version), tools listed. A failure names the step and, for stdio, the
 * server's last stderr lines.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { messageOf } from '../../../shared/errors';

export interface SnippetStep {
  step: string;
  ok: boolean;
  detail: string;
}

export interface SnippetTest {
  ok: boolean;
  ran: string;
  steps: SnippetStep[];
  stderr?: string;
}

/** How long the whole test may take (a stdio server opens the keychain and its server first). */
const TIMEOUT_MS = 45_000;
const STDERR_KEEP = 4000;

async function handshake(transport: Transport, ran: string, stderr?: () => string): Promise<SnippetTest> {
  const steps: SnippetStep[] = [];
  const client = new Client({ name: 'megaraptor-snippet-test', version: '1' });
  const timer = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS).unref(),
  );
  try {
    await Promise.race([client.connect(transport), timer]);
    const info = client.getServerVersion();
    steps.push({
      step: 'handshake',
      ok: true,
      detail: `initialize answered by ${info?.name ?? 'a server'} ${info?.version ?? ''}`.trim(),
    });
    const tools = await Promise.race([client.listTools(), timer]);
    steps.push({ step: 'tools', ok: true, detail: `${tools.tools.length} tools listed` });
    return { ok: true, ran, steps };
  } catch (e) {
    steps.push({ step: steps.length === 0 ? 'handshake' : 'tools', ok: false, detail: messageOf(e) });
    const err = stderr?.().trim();
    return { ok: false, ran, steps, ...(err ? { stderr: err.slice(-STDERR_KEEP) } : {}) };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * The stdio snippet: `command` run as a new process with an MCP client's default environment plus
 * the snippet's own `env` (what Claude Desktop's config passes).
 */
export async function testStdioSnippet(
  command: readonly string[],
  ran: string,
  env: Record<string, string> = {},
): Promise<SnippetTest> {
  const [cmd, ...args] = command;
  if (!cmd) return { ok: false, ran, steps: [{ step: 'start', ok: false, detail: 'No command to run.' }] };
  const transport = new StdioClientTransport({
    command: cmd,
    args,
    env: { ...getDefaultEnvironment(), ...env },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (c: Buffer) => {
    err = (err + c.toString()).slice(-STDERR_KEEP);
  });
  return handshake(transport, ran, () => err);
}

/** The HTTP snippet: the endpoint at `url` with `Authorization: Bearer <token>`. */
export function testHttpSnippet(url: string, token: string): Promise<SnippetTest> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  return handshake(transport, url);
}
