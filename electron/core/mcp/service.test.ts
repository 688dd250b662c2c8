import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { mcpContract } from '../../../shared/contracts/mcp';
import { McpService, mcpHandlers, TOKEN_REF } from './service';
import { noConnections } from './testing/harness';
import { MemorySecretStore } from '../credentials/memory-store';
import { allTools } from './registry';

describe('McpService', () => {
  let svc: McpService | undefined;
  afterEach(async () => {
    await svc?.dispose();
    svc = undefined;
  });

  function make(secrets = new MemorySecretStore()) {
    const dataDir = mkdtempSync(join(tmpdir(), 'mr-mcp-svc-'));
    svc = new McpService({
      dataDir,
      version: 't',
      servers: noConnections(),
      secrets,
      stdioCommand: ['/usr/bin/node', '/opt/megaraptor app/megaraptor.mjs'],
    });
    return { svc, secrets, dataDir };
  }

  it('changes the policy here only: signed, each change audited; a forged file is refused and shown', async () => {
    const { svc, dataDir } = make();
    await svc.setPolicy({ mode: 'allow-listed', allowTools: ['label_client'], approvalTimeoutSeconds: 30 });
    await svc.setPolicy({ mode: 'read-only', allowTools: [], approvalTimeoutSeconds: 30 });
    const changes = (await svc.auditPage(10)).entries.filter((e) => e.kind === 'app');
    expect(changes.map((e) => [e.name, (e.arguments.to as { mode: string }).mode])).toEqual([
      ['assistant policy changed', 'read-only'],
      ['assistant policy changed', 'allow-listed'],
    ]);
    expect(changes[0]!.client).toBe('Megaraptor Desktop (responder)');
    // An assistant's file tool (or anything but the app) writes the policy it would like.
    writeFileSync(
      join(dataDir, 'mcp-policy.json'),
      JSON.stringify({ mode: 'allow-listed', allowTools: ['quarantine_client'], approvalTimeoutSeconds: 30 }),
    );
    const status = await svc.status();
    expect(status.policy.mode).toBe('ask');
    expect(status.policyNotice).toMatch(/was refused/);
    expect(await svc.getPolicy()).toEqual({ mode: 'ask', allowTools: [], approvalTimeoutSeconds: 120 });
  });

  it('reports the gated tools: exactly those that wait for approval', async () => {
    const { svc } = make();
    const { gatedTools } = await svc.status();
    expect(gatedTools).toEqual(
      allTools()
        .filter((t) => t.gated)
        .map((t) => t.name),
    );
    // create_hunt creates server state (issue 11.3): it asks too.
    expect(gatedTools).toEqual(
      expect.arrayContaining(['collect_artifact', 'run_vql', 'create_hunt', 'start_hunt']),
    );
    expect(gatedTools).not.toContain('search_clients');
  });

  it('reports the tools that always ask: making, changing or destroying a deployment, whatever the allow-list says', async () => {
    const { svc } = make();
    const { gatedTools, alwaysAskTools } = await svc.status();
    expect(alwaysAskTools).toEqual([
      'deploy_server',
      'renew_deployment_certificates',
      'scale_out_deployment',
      'destroy_deployment',
    ]);
    for (const t of alwaysAskTools) expect(gatedTools).toContain(t);
  });

  it('keeps the token in the secret store, serves HTTP with it, and rotates it', async () => {
    const { svc, secrets } = make();
    const status = await svc.start();
    expect(status.running).toBe(true);
    expect(status.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const { token } = await svc.getToken();
    expect(secrets.data.get(TOKEN_REF)).toBe(token);
    expect(token.length).toBeGreaterThanOrEqual(40);
    const client = new Client({ name: 'svc', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(status.url!), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    expect((await client.listTools()).tools.length).toBeGreaterThan(30);
    await client.close();
    const rotated = await svc.rotateToken();
    expect(rotated.token).not.toBe(token);
    expect(secrets.data.get(TOKEN_REF)).toBe(rotated.token);
    const stale = new Client({ name: 'svc', version: '1' });
    await expect(
      stale.connect(
        new StreamableHTTPClientTransport(new URL(status.url!), {
          requestInit: { headers: { Authorization: `Bearer ${token}` } },
        }),
      ),
    ).rejects.toThrow();
  });

  it('listens on its port; when another program holds it, says so and does not move', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const dataDir = mkdtempSync(join(tmpdir(), 'mr-mcp-svc-'));
      const make = () =>
        new McpService({
          dataDir,
          version: 't',
          servers: noConnections(),
          secrets: new MemorySecretStore(),
          stdioCommand: ['node'],
          httpPort: taken,
        });
      svc = make();
      await expect(svc.start()).rejects.toMatchObject({ code: 'CONFLICT' });
      const status = await svc.status();
      expect(status.running).toBe(false);
      expect(status.error).toMatch(new RegExp(`Port ${taken} .* in use by another program`));
      // The snippets name the port the endpoint is configured for, never one it did not take.
      expect((await svc.snippets()).genericHttp).toContain(`127.0.0.1:${taken}/mcp`);
      await svc.dispose();
      blocker.close();
      await new Promise((r) => blocker.once('close', r));
      svc = make();
      const running = await svc.start();
      expect(running.port).toBe(taken);
      expect((await svc.snippets()).genericHttp).toContain(running.url!);
    } finally {
      if (blocker.listening) blocker.close();
    }
  });

  it('reuses a token already in the keychain', async () => {
    const secrets = new MemorySecretStore();
    secrets.data.set(TOKEN_REF, 'existing-token-abcdefghijklmnop');
    const { svc } = make(secrets);
    expect((await svc.getToken()).token).toBe('existing-token-abcdefghijklmnop');
  });

  it('gives config snippets for Claude Desktop, Claude Code and generic clients', async () => {
    const { svc, dataDir } = make();
    await svc.start();
    const s = await svc.snippets();
    const { token } = await svc.getToken();
    const desktop = JSON.parse(s.claudeDesktop) as {
      mcpServers: { megaraptor: { command: string; args: string[] } };
    };
    expect(desktop.mcpServers.megaraptor).toEqual({
      command: '/usr/bin/node',
      args: ['/opt/megaraptor app/megaraptor.mjs', 'mcp', '--stdio', '--data-dir', dataDir],
    });
    expect(s.claudeCode).toContain(`Bearer ${token}`);
    expect(s.claudeCode).toContain((await svc.status()).url);
    expect(JSON.parse(s.genericHttp)).toMatchObject({ mcpServers: { megaraptor: { type: 'http' } } });
    expect(s.stdio).toBe(
      `/usr/bin/node "/opt/megaraptor app/megaraptor.mjs" mcp --stdio --data-dir ${dataDir}`,
    );
    expect(s.tokenLifetime).toBe('keychain');
  });

  it('refuses stdio snippets for servers another process cannot open, and says why', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mr-mcp-svc-'));
    let active: string | undefined;
    const storage = new Map<string, 'keychain' | 'session' | 'demo'>([
      ['demo-simulator', 'demo'],
      ['lab', 'session'],
      ['prod', 'keychain'],
    ]);
    svc = new McpService({
      dataDir,
      version: 't',
      servers: noConnections(),
      secrets: new MemorySecretStore(),
      stdioCommand: ['megaraptor'],
      defaultConnection: () => active,
      connectionStorage: (n) => storage.get(n),
      tokenPersists: async () => false,
    });
    expect((await svc.snippets()).stdioProblem).toMatch(/^No server is connected yet/);
    active = 'demo-simulator';
    expect((await svc.snippets()).stdioProblem).toMatch(/demo simulator, which runs inside this app/);
    active = 'lab';
    const lab = await svc.snippets();
    expect(lab.stdioProblem).toMatch(/“lab” is kept for this app session only/);
    expect(lab.tokenLifetime).toBe('session');
    expect((await svc.testSnippet('stdio')).steps).toEqual([
      { step: 'start', ok: false, detail: lab.stdioProblem },
    ]);
    active = 'prod';
    const prod = await svc.snippets();
    expect(prod.stdioProblem).toBeUndefined();
    expect(prod.stdio).toBe(`megaraptor mcp --stdio --data-dir ${dataDir} --connection prod`);
  });

  it('tests the HTTP snippet with the real handshake; when its port is taken the snippets say so', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      svc = new McpService({
        dataDir: mkdtempSync(join(tmpdir(), 'mr-mcp-svc-')),
        version: 't',
        servers: noConnections(),
        secrets: new MemorySecretStore(),
        stdioCommand: ['node'],
        httpPort: taken,
      });
      await svc.start().catch(() => undefined);
      expect((await svc.snippets()).httpWarning).toMatch(
        new RegExp(
          `^These snippets do not work now: Port ${taken} on 127\\.0\\.0\\.1 is in use by another program`,
        ),
      );
      expect((await svc.testSnippet('http')).ok).toBe(false);
      blocker.close();
      await new Promise((r) => blocker.once('close', r));
      const status = await svc.setEnabled(true);
      expect((await svc.snippets()).httpWarning).toBeUndefined();
      const r = await svc.testSnippet('http');
      expect(r).toMatchObject({ ok: true, ran: status.url });
      expect(r.steps.map((x) => x.step)).toEqual(['handshake', 'tools']);
      expect(JSON.stringify(r)).not.toContain((await svc.getToken()).token);
    } finally {
      if (blocker.listening) blocker.close();
    }
  });

  it('streams approvals (snapshot, added, resolved) and answers them; handlers match the contract', async () => {
    const { svc } = make();
    await svc.start();
    const h = mcpHandlers(svc);
    expect(Object.keys(h).sort()).toEqual(Object.keys(mcpContract).sort());
    const ac = new AbortController();
    const events: string[] = [];
    const reader = (async () => {
      for await (const e of svc.approvalEvents(ac.signal)) {
        events.push(e.type);
        if (e.type === 'added') svc.decide(e.request.id, { decision: 'denied' });
        if (e.type === 'resolved') ac.abort();
      }
    })();
    const { token } = await svc.getToken();
    const client = new Client({ name: 'svc', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL((await svc.status()).url!), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    const r = (await client.callTool({
      name: 'cancel_flow',
      arguments: { client_id: 'C.1111111111111111', flow_id: 'F.C1' },
    })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r.content)).toContain('APPROVAL_DENIED');
    await reader;
    expect(events).toEqual(['snapshot', 'added', 'resolved']);
    await client.close();
  });

  it('tails audit entries written by another process, and pages them after a restart', async () => {
    const { svc, dataDir } = make();
    const ac = new AbortController();
    const seen: string[] = [];
    const tail = (async () => {
      for await (const e of svc.auditTail(ac.signal)) {
        seen.push(e.name);
        if (seen.length === 2) ac.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    const entry = {
      time: new Date().toISOString(),
      client: 'other (stdio)',
      kind: 'tool',
      name: 'search_clients',
      arguments: {},
      approval: 'not-required',
      durationMs: 1,
      resultBytes: 10,
    };
    appendFileSync(
      join(dataDir, 'mcp-audit.jsonl'),
      JSON.stringify(entry) + '\n' + JSON.stringify({ ...entry, name: 'list_hunts' }) + '\n',
    );
    await tail;
    expect(seen).toEqual(['search_clients', 'list_hunts']);
    await svc.dispose();
    const again = new McpService({
      dataDir,
      version: 't',
      servers: noConnections(),
      secrets: new MemorySecretStore(),
      stdioCommand: ['node'],
    });
    const page = await again.auditPage(10);
    expect(page.total).toBe(2);
    expect(page.entries.map((e) => e.name)).toEqual(['list_hunts', 'search_clients']);
    await again.dispose();
  });

  it('persists the policy in the data dir', async () => {
    const { svc } = make();
    expect((await svc.getPolicy()).mode).toBe('ask');
    await svc.setPolicy({ mode: 'read-only', allowTools: [], approvalTimeoutSeconds: 60 });
    expect((await svc.status()).policy.mode).toBe('read-only');
  });
});
