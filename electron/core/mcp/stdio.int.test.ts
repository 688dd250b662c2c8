/**
 * The real CLI over stdio: the CLI is bundled by scripts/build-cli.mjs into a folder of the test's own, spawned
 * by the SDK's StdioClientTransport with an API config from VELOCIRAPTOR_API_CONFIG (no keychain),
 * against the simulator. Gated tools are refused with no app running, and go through the approval
 * socket to an in-process broker when one listens.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../../scripts/build-cli.mjs';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { startApprovalSocket } from './approval-socket';
import { ApprovalBroker } from './approvals';
import { allTools, toolsFor } from './registry';
import { testStdioSnippet } from './snippet-test';

let sim: RunningSimulator;
let cli: string;
let dataDir: string;
let configPath: string;
let keyMaterial: string;

beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), 'mr-cli-'));
  cli = join(out, 'megaraptor.mjs');
  await buildCli(cli);
  sim = await startSimulator({ host: '127.0.0.1', speed: 50 });
  dataDir = mkdtempSync(join(tmpdir(), 'mr-stdio-data-'));
  configPath = join(dataDir, 'api.yaml');
  const yaml = await sim.mintApiConfig('mcp-stdio', ['administrator']);
  keyMaterial =
    /client_private_key: \|?\s*\n?\s*(-----BEGIN[^\n]*\n\s*[A-Za-z0-9+/=]{20})/.exec(yaml)?.[1] ?? 'MISSING';
  writeFileSync(configPath, yaml, { mode: 0o600 });
  expect(keyMaterial).not.toBe('MISSING');
}, 120_000);

afterAll(async () => {
  await sim?.stop();
});

async function connect(extra: string[] = []): Promise<Client> {
  const client = new Client({ name: 'stdio-test', version: '1.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [cli, 'mcp', '--stdio', ...extra],
      env: {
        PATH: process.env.PATH ?? '',
        VELOCIRAPTOR_API_CONFIG: configPath,
        MEGARAPTOR_DATA_DIR: dataDir,
      },
      stderr: 'pipe',
    }),
  );
  return client;
}

describe('megaraptor mcp --stdio (built CLI, simulator)', () => {
  it('lists every tool and calls read tools; output matches the schema', async () => {
    const client = await connect();
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name).sort()).toEqual(
        // A stdio server has no deployments: the app's endpoint alone offers those tools.
        toolsFor({})
          .map((t) => t.name)
          .sort(),
      );
      const r = (await client.callTool({
        name: 'search_clients',
        arguments: { search: 'all', max_rows: 5 },
      })) as CallToolResult;
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      expect(
        allTools()
          .find((t) => t.name === 'search_clients')!
          .outputSchema.safeParse(r.structuredContent).success,
      ).toBe(true);
      expect((r.structuredContent as { rows: unknown[] }).rows).toHaveLength(5);
      const info = (await client.callTool({ name: 'list_connections', arguments: {} })) as CallToolResult;
      expect(JSON.stringify(info)).not.toContain(keyMaterial);
    } finally {
      await client.close();
    }
    const log = readFileSync(join(dataDir, 'mcp-audit.jsonl'), 'utf8');
    expect(log).toContain('"client":"stdio-test 1.0 (stdio)"');
    expect(log).not.toContain(keyMaterial);
  }, 60_000);

  it('refuses a gated tool when no app runs, and asks the app when one listens', async () => {
    const client = await connect();
    try {
      const found = (await client.callTool({
        name: 'search_clients',
        arguments: { search: 'all', max_rows: 1 },
      })) as CallToolResult;
      const clientId = (found.structuredContent as { rows: Array<{ client_id: string }> }).rows[0]!.client_id;
      const refused = (await client.callTool({
        name: 'label_client',
        arguments: { client_id: clientId, labels: ['stdio'] },
      })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toContain('POLICY_FORBIDDEN');

      const broker = new ApprovalBroker();
      const sock = await startApprovalSocket(dataDir, broker);
      try {
        const pending = client.callTool({
          name: 'label_client',
          arguments: { client_id: clientId, labels: ['stdio'] },
        });
        await expect.poll(() => broker.list().length, { timeout: 10_000 }).toBe(1);
        expect(broker.list()[0]!.client).toBe('stdio-test 1.0 (stdio)');
        broker.decide(broker.list()[0]!.id, { decision: 'approved' });
        const r = (await pending) as CallToolResult;
        expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
        expect((r.structuredContent as { labels: string[] }).labels).toContain('stdio');
      } finally {
        await sock.close();
      }
    } finally {
      await client.close();
    }
  }, 60_000);

  it('runs read-only VQL as --read-only-api-config; without one it is gated (refused with no app)', async () => {
    const roPath = join(dataDir, 'ro.yaml');
    writeFileSync(roPath, await sim.mintApiConfig('mcp-stdio-ro', ['api']), { mode: 0o600 });
    const query = { name: 'run_vql', arguments: { query: 'SELECT whoami() AS Me FROM scope()' } };
    const withRo = await connect(['--read-only-api-config', roPath]);
    try {
      const r = (await withRo.callTool(query)) as CallToolResult;
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      expect((r.structuredContent as { rows: unknown[] }).rows).toEqual([{ Me: 'mcp-stdio-ro' }]);
    } finally {
      await withRo.close();
    }
    const without = await connect();
    try {
      const r = (await without.callTool(query)) as CallToolResult;
      expect(r.isError).toBe(true);
      expect(JSON.stringify(r.content)).toContain('POLICY_FORBIDDEN');
    } finally {
      await without.close();
    }
    const log = readFileSync(join(dataDir, 'mcp-audit.jsonl'), 'utf8').trim().split('\n');
    const last = log.slice(-2).map((l) => JSON.parse(l) as { readOnly?: unknown; approval: string });
    expect(last[0]).toMatchObject({ approval: 'not-required', readOnly: { identity: 'mcp-stdio-ro' } });
    expect(last[1]).toMatchObject({ approval: 'forbidden-by-policy', readOnly: { identity: null } });
  }, 60_000);

  it('refuses a policy file the app did not sign, saying why (no allow-listing from a file)', async () => {
    const policyFile = join(dataDir, 'mcp-policy.json');
    writeFileSync(
      policyFile,
      JSON.stringify({ mode: 'allow-listed', allowTools: ['label_client'], approvalTimeoutSeconds: 30 }),
    );
    const client = await connect();
    try {
      const found = (await client.callTool({
        name: 'search_clients',
        arguments: { search: 'all', max_rows: 1 },
      })) as CallToolResult;
      const clientId = (found.structuredContent as { rows: Array<{ client_id: string }> }).rows[0]!.client_id;
      const r = (await client.callTool({
        name: 'label_client',
        arguments: { client_id: clientId, labels: ['forged-policy'] },
      })) as CallToolResult;
      expect(r.isError).toBe(true);
      const body = JSON.stringify(r.content);
      expect(body).toContain('POLICY_FORBIDDEN');
      expect(body).toMatch(/policy file .* was refused/);
    } finally {
      await client.close();
      rmSync(policyFile, { force: true });
    }
  }, 60_000);
});

describe('"Test this snippet" (the Assistants page)', () => {
  it('runs a stdio command as an assistant would and reports the handshake and the tools', async () => {
    const r = await testStdioSnippet(
      [process.execPath, cli, 'mcp', '--stdio', '--api-config', configPath, '--data-dir', dataDir],
      'the command',
    );
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(r.steps).toEqual([
      { step: 'handshake', ok: true, detail: expect.stringMatching(/^initialize answered by megaraptor/) },
      { step: 'tools', ok: true, detail: `${toolsFor({}).length} tools listed` },
    ]);
  }, 60_000);

  it('reports a command that fails, with the server’s own words', async () => {
    const r = await testStdioSnippet(
      [process.execPath, cli, 'mcp', '--stdio', '--connection', 'nope', '--data-dir', dataDir],
      'the command',
    );
    expect(r.ok).toBe(false);
    expect(r.steps.at(-1)).toMatchObject({ step: 'handshake', ok: false });
    expect(r.stderr).toMatch(/No saved connection named "nope"/);
  }, 60_000);
});
