#!/usr/bin/env node
// MCP over HTTP, before/after in one process: the MCP server code of a git revision (default HEAD) and
// of the working tree, each on its own Streamable HTTP endpoint in front of the same simulator and
// Velociraptor service, with calls interleaved one by one (direct, before, after SSE, after JSON; the order
// flips every round) so both sides share the machine's load of each moment. Prints p25/p50/p99 and the
// added latency over the direct call. Run from the repo root:
//   node bench/mcp/before-after.mjs [REV] [--n 400]
// The revision is exported with `git archive` into a temporary folder (nothing in the checkout changes).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const nAt = args.indexOf('--n');
const n = nAt >= 0 ? Number(args[nAt + 1]) : 400;
const rev = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--n') ?? 'HEAD';

const base = mkdtempSync(join(tmpdir(), 'mr-mcp-before-'));
try {
  const tar = execFileSync('git', ['archive', rev, 'electron', 'shared', 'proto', 'package.json'], {
    cwd: ROOT,
    maxBuffer: 1 << 30,
  });
  execFileSync('tar', ['-x', '-C', base], { input: tar });
  // Generated protobuf descriptors are not committed: the working tree's are the same schema.
  cpSync(join(ROOT, 'proto', 'gen'), join(base, 'proto', 'gen'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(base, 'node_modules'));
  const now = (p) => JSON.stringify(join(ROOT, p));
  const old = (p) => JSON.stringify(join(base, p));
  const entry = `
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startSimulator } from ${now('electron/core/sim/index')};
import { loadApiConfig } from ${now('electron/core/velociraptor/config/api-config')};
import { ConnectionRegistry } from ${now('electron/core/velociraptor/registry')};
import { RegistryServers } from ${now('electron/core/mcp/servers')};
import { startHttpTransport } from ${now('electron/core/mcp/http')};
import { createMcpServer } from ${now('electron/core/mcp/server')};
import { makeHarness } from ${now('electron/core/mcp/testing/harness')};
import { startHttpTransport as startOld } from ${old('electron/core/mcp/http')};
import { createMcpServer as createOld } from ${old('electron/core/mcp/server')};
import { makeHarness as harnessOld } from ${old('electron/core/mcp/testing/harness')};
const N = ${n};
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };
const sim = await startSimulator({ host: '127.0.0.1' });
const registry = new ConnectionRegistry();
registry.addConfig('sim', loadApiConfig(await sim.mintApiConfig('bench', ['administrator'])));
const servers = new RegistryServers({ registry, defaultServer: () => 'sim' });
// Revisions before the MCP servers seam bound tools to a VelociraptorBridge port.
const oldBridge = await import(${old('electron/core/mcp/velociraptor-port')}).catch(() => null);
const oldDeps = oldBridge ? new oldBridge.VelociraptorBridge({ registry, defaultServer: () => 'sim' }) : servers;
const TOKEN = 'bench-token-0123456789';
const hNew = makeHarness(servers, { dataDir: mkdtempSync(join(tmpdir(), 'mr-ab-new-')) });
const hOld = harnessOld(oldDeps, { dataDir: mkdtempSync(join(tmpdir(), 'mr-ab-old-')) });
const before = await startOld({ token: () => TOKEN, makeServer: () => createOld({ version: 'before', transport: 'http' }, (l) => ({ ...hOld.ctx, clientLabel: l })) });
const after = await startHttpTransport({ token: () => TOKEN, makeServer: () => createMcpServer({ version: 'after', transport: 'http' }, (l) => ({ ...hNew.ctx, clientLabel: l })) });
const afterJson = await startHttpTransport({ token: () => TOKEN, jsonResponse: true, makeServer: () => createMcpServer({ version: 'after', transport: 'http' }, (l) => ({ ...hNew.ctx, clientLabel: l })) });
const connect = async (url) => { const c = new Client({ name: 'ab', version: '1' }); await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: 'Bearer ' + TOKEN } } })); return c; };
const [cb, ca, cj] = [await connect(before.url), await connect(after.url), await connect(afterJson.url)];
const call = (c) => c.callTool({ name: 'list_hunts', arguments: {} });
const series = [
  ['direct core call', async () => (await servers.service({})).listHunts({ limit: 21 })],
  ['before (${rev}): HTTP, SSE', () => call(cb)],
  ['after: HTTP, SSE', () => call(ca)],
  ['after: HTTP, JSON answers', () => call(cj)],
];
const res = new Map(series.map(([name]) => [name, []]));
for (let i = 0; i < 30; i++) for (const [, f] of series) await f();
for (let i = 0; i < N; i++) {
  for (const [name, f] of i % 2 ? series : [...series].reverse()) { const t = performance.now(); await f(); res.get(name).push(performance.now() - t); }
}
const d = res.get('direct core call');
for (const [name, xs] of res) console.log(name.padEnd(34) + ' p25 ' + pct(xs, 25).toFixed(2) + '  p50 ' + pct(xs, 50).toFixed(2) + '  p99 ' + pct(xs, 99).toFixed(2) + ' ms   added p25 ' + (pct(xs, 25) - pct(d, 25)).toFixed(2) + '  p50 ' + (pct(xs, 50) - pct(d, 50)).toFixed(2) + ' ms');
for (const c of [cb, ca, cj]) await c.close();
await before.close(); await after.close(); await afterJson.close(); registry.close(); await sim.stop();
`;
  mkdirSync(join(base, 'bench'), { recursive: true });
  writeFileSync(join(base, 'bench', 'before-after.ts'), entry);
  const { bundleForNode } = await import('../lib.mjs');
  await bundleForNode({ 'before-after': join(base, 'bench', 'before-after.ts') }, base, {
    external: ['@napi-rs/keyring'],
  });
  const r = spawnSync(process.execPath, [join(base, 'before-after.mjs')], { cwd: ROOT, stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(base, { recursive: true, force: true });
}
