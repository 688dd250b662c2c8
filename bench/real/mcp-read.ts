/**
 * bench/real's MCP side: the built CLI's MCP server over stdio (`megaraptor mcp --stdio --api-config
 * FILE`, as an assistant launches it) against a real server, driven by the SDK client. Calls one read
 * tool N times after a warm-up and prints the per-call latencies (ms) as one JSON line.
 * Usage (bundled by bench/real/run.mjs): node mcp-read.mjs CLI API_CONFIG TOOL ARGS_JSON N
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const [cli, config, tool, argsJson, n] = process.argv.slice(2) as [string, string, string, string, string];
const dataDir = mkdtempSync(join(tmpdir(), 'mr-bench-real-mcp-'));
const client = new Client({ name: 'bench-real', version: '1' });
await client.connect(
  new StdioClientTransport({
    command: process.execPath,
    args: [cli, 'mcp', '--stdio', '--api-config', config],
    env: { PATH: process.env.PATH ?? '', MEGARAPTOR_DATA_DIR: dataDir },
  }),
);
const args = JSON.parse(argsJson) as Record<string, unknown>;
const call = async (): Promise<void> => {
  const r = await client.callTool({ name: tool, arguments: args });
  if (r.isError) throw new Error(`${tool} failed: ${JSON.stringify(r.content)}`);
};
for (let i = 0; i < 5; i++) await call();
const ms: number[] = [];
for (let i = 0; i < Number(n); i++) {
  const t = performance.now();
  await call();
  ms.push(performance.now() - t);
}
await client.close();
rmSync(dataDir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ ms })}\n`);
