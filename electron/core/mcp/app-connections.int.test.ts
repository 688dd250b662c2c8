/**
 * MCP over the connections the responder saved in the app, with the real OS keychain
 * (gnome-keyring; `npm test` runs integration tests inside a private D-Bus session with an unlocked
 * keyring, MEGARAPTOR_TEST_KEYRING=1; in CI a missing keyring fails): the app's connection manager
 * saves a server, then `megaraptor mcp --stdio --connection NAME` (the bundled CLI, another process)
 * opens it, and the in-app MCP domain sees it over HTTP without a restart.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyringSession } from '../../../test/real-parts';
import { buildCli } from '../../../scripts/build-cli.mjs';
import { KeychainSecretStore } from '../credentials/keychain-store';
import { ConnectionManager } from '../connections/index';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { createMcpDomain, type McpDomain } from './app';
import { StoredReadOnlyIdentities } from './read-only-identity';
import { keyMaterialForms } from './redact';

const keyring = keyringSession();
// A space and a dot: the app encodes such names into keychain references; the CLI must read them back.
const NAME = `saved lab.${process.pid}`;

let sim: RunningSimulator | undefined;
let cli: string;
let out: string | undefined;
let dataDir: string;
let manager: ConnectionManager | undefined;
let domain: McpDomain | undefined;
let savedKey = '';
const identities = new StoredReadOnlyIdentities(() => Promise.resolve(new KeychainSecretStore()));

function text(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

beforeAll(async () => {
  if (!keyring.run) return;
  // Inside the project, so the bundle's one external (@napi-rs/keyring, the keychain) resolves.
  const cache = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  out = mkdtempSync(join(cache, 'mr-cli-conn-'));
  cli = join(out, 'megaraptor.mjs');
  await buildCli(cli);
  sim = await startSimulator({ host: '127.0.0.1', speed: 50 });
  dataDir = mkdtempSync(join(tmpdir(), 'mr-conn-data-'));
  // The app's domain starts first, before anything is saved.
  domain = createMcpDomain({
    dataDir,
    version: 'test',
    mode: 'browser',
    env: { MEGARAPTOR_MCP_PORT: '0' },
    keychain: () => Promise.resolve(new KeychainSecretStore()),
  });
  await domain.start();
  // Exactly how the app saves a server the responder imported with "Save in the keychain".
  manager = new ConnectionManager({
    dataDir,
    secrets: () => Promise.resolve(new KeychainSecretStore()),
    demo: () => Promise.reject(new Error('no demo in this test')),
  });
  await manager.import({
    name: NAME,
    yaml: await sim.mintApiConfig('mcp-saved', ['administrator']),
    storage: 'keychain',
  });
  savedKey = manager.registry.config(NAME).clientPrivateKeyPem;
  // As the Assistants page keeps a connection's read-only identity.
  await identities.set(NAME, await sim.mintApiConfig('mcp-saved-ro', ['api']));
}, 120_000);

afterAll(async () => {
  await identities.delete(NAME).catch(() => undefined);
  await manager?.remove(NAME).catch(() => undefined); // deletes the keychain entry too
  await manager?.dispose();
  await domain?.dispose();
  await sim?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('saved app connections for MCP', () => {
  it(`runs inside ${keyring.name} (required in CI)`, () => keyring.check());

  it.runIf(keyring.run)(
    'megaraptor mcp --stdio --connection NAME opens the connection the app saved',
    async () => {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env))
        if (v !== undefined && k !== 'VELOCIRAPTOR_API_CONFIG') env[k] = v;
      env.MEGARAPTOR_DATA_DIR = dataDir;
      const client = new Client({ name: 'conn-test', version: '1.0' });
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [cli, 'mcp', '--stdio', '--connection', NAME],
        env,
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      await client.connect(transport).catch((e: unknown) => {
        throw new Error(`the CLI did not serve: ${String(e)}; stderr: ${stderr}`);
      });
      try {
        const conns = (await client.callTool({ name: 'list_connections', arguments: {} })) as CallToolResult;
        expect(conns.structuredContent).toMatchObject({
          connections: [{ name: NAME, user: 'mcp-saved', is_default: true }],
        });
        const info = (await client.callTool({ name: 'server_info', arguments: {} })) as CallToolResult;
        expect(info.isError, text(info)).toBeFalsy();
        expect(info.structuredContent).toMatchObject({ info: { user: 'mcp-saved' } });
        // Read-only VQL runs as the identity the app saved for this connection, and the
        // connection's key comes back redacted in every spelling.
        const ro = (await client.callTool({
          name: 'run_vql',
          arguments: {
            query:
              "SELECT whoami() AS Me, base64encode(string=K) AS B, split(string=K, sep='\\n') AS L FROM scope()",
            env: { K: savedKey },
          },
        })) as CallToolResult;
        expect(ro.isError, text(ro)).toBeFalsy();
        expect((ro.structuredContent as { rows: Array<{ Me: string }> }).rows[0]!.Me).toBe('mcp-saved-ro');
        const seen = JSON.stringify(ro);
        for (const form of keyMaterialForms(savedKey)) expect(seen).not.toContain(form);
        expect(seen).toContain('[REDACTED]');
      } finally {
        await client.close();
      }
      // A name the app never saved: refused, and the message names what is saved.
      const bad = spawnSync(process.execPath, [cli, 'mcp', '--stdio', '--connection', 'never-saved'], {
        env,
        input: '',
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('No saved connection named "never-saved"');
      expect(bad.stderr).toContain(NAME);
    },
    60_000,
  );

  it.runIf(keyring.run)(
    'the in-app endpoint serves a connection saved after it started, as the default server',
    async () => {
      // Before any MCP call: the snippets already name the connection the app saved.
      expect((await domain!.handlers['mcp:snippets']()).stdio).toContain(
        `--connection ${JSON.stringify(NAME)}`,
      );
      const status = await domain!.service.status();
      expect(status.running, status.error).toBe(true);
      expect(status.tokenStore).not.toMatch(/memory/);
      const { token } = await domain!.service.getToken();
      const client = new Client({ name: 'conn-http-test', version: '1.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(status.url!), {
          requestInit: { headers: { Authorization: `Bearer ${token}` } },
        }),
      );
      try {
        const hunts = (await client.callTool({ name: 'list_hunts', arguments: {} })) as CallToolResult;
        expect(hunts.isError, text(hunts)).toBeFalsy();
        const conns = (await client.callTool({ name: 'list_connections', arguments: {} })) as CallToolResult;
        expect(conns.structuredContent).toMatchObject({ connections: [{ name: NAME, is_default: true }] });
      } finally {
        await client.close();
      }
    },
    60_000,
  );
});
