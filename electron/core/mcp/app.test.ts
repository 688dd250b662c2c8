/**
 * The in-app MCP domain over the app's live connections (the demo simulator): read-only VQL runs as
 * the demo's least-privilege identity, and the connections' key material never reaches an
 * assistant, in any spelling (PEM, one-line base64 body, each line, base64 of the whole PEM).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionManager, DEMO_NAME } from '../connections/index';
import { startSimulator } from '../sim/index';
import { createMcpDomain, type McpDomain } from './app';
import { keyMaterialForms } from './redact';

let dir: string;
let manager: ConnectionManager;
let domain: McpDomain;
let client: Client;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mr-mcp-app-'));
  manager = new ConnectionManager({
    dataDir: dir,
    secrets: async () => null,
    demo: async () => {
      const sim = await startSimulator({ host: '127.0.0.1' });
      return {
        yaml: await sim.mintApiConfig('demo-admin', ['administrator']),
        readOnlyYaml: await sim.mintApiConfig('demo-ro', ['api']),
        stop: () => sim.stop(),
      };
    },
  });
  await manager.startDemo();
  domain = createMcpDomain({
    dataDir: dir,
    version: 't',
    mode: 'browser',
    env: { MEGARAPTOR_MCP_PORT: '0' },
    keychain: async () => null,
    liveConnections: manager,
  });
  await domain.start();
  const status = await domain.service.status();
  expect(status.running, status.error).toBe(true);
  const { token } = await domain.service.getToken();
  client = new Client({ name: 'app-test', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(status.url!), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
}, 60_000);

afterAll(async () => {
  await client?.close();
  await domain?.dispose();
  await manager?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('in-app MCP over the live connections', () => {
  it("lists the demo's read-only identity and runs read-only VQL as it, without approval", async () => {
    expect((await domain.handlers['mcp:readOnlyIdentities']()).identities).toEqual([
      { server: DEMO_NAME, state: 'session', user: 'demo-ro' },
    ]);
    const r = (await client.callTool({
      name: 'run_vql',
      arguments: { query: 'SELECT whoami() AS Me FROM scope()' },
    })) as CallToolResult;
    expect(r.isError).toBeFalsy();
    expect((r.structuredContent as { rows: unknown[] }).rows).toEqual([{ Me: 'demo-ro' }]);
    expect(domain.service.broker.list()).toHaveLength(0);
  });

  it('redacts the connections key material in every spelling', async () => {
    const pem = manager.registry.config(DEMO_NAME).clientPrivateKeyPem;
    const forms = keyMaterialForms(pem);
    const lines = pem.split('\n').filter((l: string) => l.length >= 16 && !l.startsWith('-----'));
    expect(lines.length).toBeGreaterThan(5);
    const r = (await client.callTool({
      name: 'run_vql',
      arguments: {
        query:
          "SELECT base64encode(string=K) AS B, split(string=K, sep='\\n') AS L, join(array=split(string=K, sep='\\n'), sep='') AS J FROM scope()",
        env: { K: pem },
      },
    })) as CallToolResult;
    expect(r.isError).toBeFalsy();
    await domain.service.audit.flush();
    const seen =
      JSON.stringify(r) + (await domain.service.auditPage(10)).entries.map((e) => JSON.stringify(e)).join('');
    for (const f of [...forms, ...lines]) expect(seen).not.toContain(f);
    expect(seen).toContain('[REDACTED]');
  });
});
