/**
 * MCP overhead: the same read (list_hunts → VelociraptorService.listHunts against the simulator) made
 * directly on the core, through MCP over Streamable HTTP (SSE answers, the default, and JSON answers,
 * the SDK's enableJsonResponse, each its own endpoint in the same process), and through MCP over stdio
 * (the built CLI), in one run. Prints p50/p99 latency of each and the added latency, and calls/s with 16
 * concurrent HTTP sessions, and the process CPU time per call (client + server + simulator in this process:
 * robust to a loaded machine). The stdio path runs `node out/cli/megaraptor.mjs mcp --stdio` (build first)
 * with an API config for the same simulator; `--no-stdio` skips it. `--cpu-prof` style profiling: run
 * the bundle with `node --cpu-prof`. Node 20 has no TypeScript stripping, so from the repo root:
 *   npm run bench -- mcp [--no-stdio]
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startSimulator } from '../../electron/core/sim/index';
import { loadApiConfig } from '../../electron/core/velociraptor/config/api-config';
import { ConnectionRegistry } from '../../electron/core/velociraptor/registry';
import { startHttpTransport } from '../../electron/core/mcp/http';
import { createMcpServer } from '../../electron/core/mcp/server';
import { makeHarness } from '../../electron/core/mcp/testing/harness';
import { RegistryServers } from '../../electron/core/mcp/servers';

const N = Number(process.env.BENCH_N ?? 300);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function time(n: number, f: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await f();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  return out;
}

const sim = await startSimulator({ host: '127.0.0.1' });
const registry = new ConnectionRegistry();
registry.addConfig('sim', loadApiConfig(await sim.mintApiConfig('bench', ['administrator'])));
const servers = new RegistryServers({ registry, defaultServer: () => 'sim' });
const directRead = async () => (await servers.service({})).listHunts({ limit: 21 });
const h = makeHarness(servers, { dataDir: mkdtempSync(join(tmpdir(), 'mr-bench-')) });
const TOKEN = 'bench-token-0123456789';
const makeServer = () =>
  createMcpServer({ version: 'bench', transport: 'http' }, (l) => ({ ...h.ctx, clientLabel: l }));
const httpSse = await startHttpTransport({ token: () => TOKEN, makeServer });
const httpJson = await startHttpTransport({ token: () => TOKEN, makeServer, jsonResponse: true });
const connect = async (url: string) => {
  const c = new Client({ name: 'bench', version: '1' });
  await c.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
    }),
  );
  return c;
};
const call = (c: Client) => c.callTool({ name: 'list_hunts', arguments: {} });

const cSse = await connect(httpSse.url);
const cJson = await connect(httpJson.url);
// Interleaved series (direct, SSE, JSON, direct, ...) so all three share the machine's load.
const direct: number[] = [];
const viaHttp: number[] = [];
const viaJson: number[] = [];
for (const [, f] of [
  [direct, directRead],
  [viaHttp, () => call(cSse)],
  [viaJson, () => call(cJson)],
] as const)
  for (let i = 0; i < 20; i++) await f();
for (let i = 0; i < N; i++) {
  for (const [xs, f] of [
    [direct, directRead],
    [viaHttp, () => call(cSse)],
    [viaJson, () => call(cJson)],
  ] as const) {
    const t = performance.now();
    await f();
    xs.push(performance.now() - t);
  }
}

/** CPU time of this process (SDK client, MCP server, simulator) per call: robust to the machine's load. */
async function cpuPerCall(f: () => Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / N / 1000;
}
const cpuDirect = await cpuPerCall(directRead);
const cpuSse = await cpuPerCall(() => call(cSse));
const cpuJson = await cpuPerCall(() => call(cJson));

async function concurrent(url: string): Promise<number> {
  const clients = await Promise.all(Array.from({ length: 16 }, () => connect(url)));
  const t0 = performance.now();
  let calls = 0;
  const until = t0 + 5000;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < until) {
        await call(c);
        calls++;
      }
    }),
  );
  const rate = calls / ((performance.now() - t0) / 1000);
  for (const c of clients) await c.close();
  return rate;
}
const rate = await concurrent(httpSse.url);
const rateJson = await concurrent(httpJson.url);

const row = (name: string, xs: number[]) =>
  `${name.padEnd(20)} p50 ${pct(xs, 50).toFixed(2)} ms  p99 ${pct(xs, 99).toFixed(2)} ms`;
const added = (name: string, xs: number[], base: number[]) =>
  `${name.padEnd(20)} p50 ${(pct(xs, 50) - pct(base, 50)).toFixed(2)} ms  p99 ${(pct(xs, 99) - pct(base, 99)).toFixed(2)} ms`;
console.log(row('direct', direct));
console.log(row('MCP over HTTP (SSE)', viaHttp));
console.log(row('MCP over HTTP (JSON)', viaJson));
console.log(added('added (HTTP SSE)', viaHttp, direct));
console.log(added('added (HTTP JSON)', viaJson, direct));
console.log(
  `CPU per call         direct ${cpuDirect.toFixed(2)} ms, HTTP SSE ${cpuSse.toFixed(2)} ms (+${(cpuSse - cpuDirect).toFixed(2)}), HTTP JSON ${cpuJson.toFixed(2)} ms (+${(cpuJson - cpuDirect).toFixed(2)})`,
);
console.log(
  `16 HTTP sessions: ${rate.toFixed(0)} calls/s SSE, ${rateJson.toFixed(0)} calls/s JSON (list_hunts, 5 s each)`,
);
for (const c of [cSse, cJson]) await c.close();
await httpSse.close();
await httpJson.close();

// stdio: the built CLI in its own process, as an assistant launches it.
if (!process.argv.includes('--no-stdio')) {
  const cli = resolve(process.cwd(), 'out', 'cli', 'megaraptor.mjs');
  if (!existsSync(cli))
    throw new Error(
      `${cli} is missing: run \`npm run build\` (and run this from the repo root), or pass --no-stdio.`,
    );
  const stdioDir = mkdtempSync(join(tmpdir(), 'mr-bench-stdio-'));
  const stdioConfig = join(stdioDir, 'api.yaml');
  writeFileSync(stdioConfig, await sim.mintApiConfig('bench-stdio', ['administrator']), { mode: 0o600 });
  const cs = new Client({ name: 'bench-stdio', version: '1' });
  await cs.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [cli, 'mcp', '--stdio', '--api-config', stdioConfig],
      env: { PATH: process.env.PATH ?? '', MEGARAPTOR_DATA_DIR: stdioDir },
    }),
  );
  // Direct again right before, so both stdio numbers share the machine's load of the moment.
  const direct2 = await time(N, directRead);
  const viaStdio = await time(N, () => call(cs));
  console.log(row('direct (2)', direct2));
  console.log(row('MCP over stdio', viaStdio));
  console.log(added('added (stdio)', viaStdio, direct2));
  await cs.close();
}

registry.close();
await sim.stop();
