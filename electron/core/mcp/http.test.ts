import { request } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { startApprovalSocket, SocketApprover } from './approval-socket';
import { ApprovalBroker, DEFAULT_POLICY } from './approvals';
import { startHttpTransport, type RunningHttp } from './http';
import { allTools, toolsFor } from './registry';
import { createMcpServer } from './server';
import { makeHarness, noConnections, recordingApprover, type Harness } from './testing/harness';
import { exampleIds, simServers, type SimServers } from './testing/sim-servers';

const TOKEN = 'test-token-0123456789abcdef';

function raw(
  port: number,
  headers: Record<string, string>,
  body: unknown,
): Promise<{ status: number; text: string; type: string; session: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/mcp',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'content-length': String(Buffer.byteLength(data)),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text,
            type: String(res.headers['content-type'] ?? ''),
            session: String(res.headers['mcp-session-id'] ?? ''),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const init = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

async function connect(url: string, token = TOKEN): Promise<Client> {
  const client = new Client({ name: 'http-test', version: '1.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

describe('Streamable HTTP transport', () => {
  let sim: RunningSimulator;
  let s: SimServers;
  let h: Harness;
  let http: RunningHttp;
  beforeAll(async () => {
    sim = await startSimulator({ host: '127.0.0.1', speed: 50 });
    s = await simServers(sim);
    h = makeHarness(s.servers, {
      policy: {
        mode: 'allow-listed',
        allowTools: allTools()
          .filter((t) => t.gated)
          .map((t) => t.name),
      },
      // The tools that always ask (agent pushes) reach the approver despite the allow-list.
      approver: recordingApprover(),
    });
    http = await startHttpTransport({
      token: () => TOKEN,
      makeServer: () =>
        createMcpServer({ version: 'test', transport: 'http' }, (label) => ({
          ...h.ctx,
          clientLabel: label,
        })),
    });
  });
  afterAll(async () => {
    await http?.close();
    s?.close();
    await sim?.stop();
  });

  it('binds 127.0.0.1 only', () => {
    expect(http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  });

  it('no token → 401 with WWW-Authenticate; wrong token → 401', async () => {
    const host = `127.0.0.1:${http.port}`;
    expect((await raw(http.port, { host }, init)).status).toBe(401);
    expect((await raw(http.port, { host, authorization: 'Bearer nope' }, init)).status).toBe(401);
    expect((await raw(http.port, { host, authorization: `Bearer ${TOKEN}x` }, init)).status).toBe(401);
  });

  it('wrong Host or Origin → 403 even with the token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await raw(http.port, { ...auth, host: `evil.example:${http.port}` }, init)).status).toBe(403);
    expect((await raw(http.port, { ...auth, host: `127.0.0.1:${http.port + 1}` }, init)).status).toBe(403);
    expect(
      (
        await raw(
          http.port,
          { ...auth, host: `127.0.0.1:${http.port}`, origin: 'https://evil.example' },
          init,
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await raw(
          http.port,
          { ...auth, host: `127.0.0.1:${http.port}`, origin: `http://localhost:${http.port}` },
          init,
        )
      ).status,
    ).toBe(200);
  });

  it('refuses a non-initialize first request and an unknown session', async () => {
    const auth = { authorization: `Bearer ${TOKEN}`, host: `127.0.0.1:${http.port}` };
    expect((await raw(http.port, auth, { jsonrpc: '2.0', id: 2, method: 'tools/list' })).status).toBe(400);
    expect(
      (
        await raw(
          http.port,
          { ...auth, 'mcp-session-id': 'nope' },
          { jsonrpc: '2.0', id: 2, method: 'tools/list' },
        )
      ).status,
    ).toBe(404);
  });

  it('calls every tool through the SDK client over HTTP and validates output schemas', async () => {
    const client = await connect(http.url);
    const byName = new Map(toolsFor(h.ctx).map((t) => [t.name, t]));
    const ids = await exampleIds(s.admin, `${h.dataDir}/dl`);
    for (const tool of toolsFor(h.ctx)) {
      const name = tool.name;
      const r = (await client.callTool({ name, arguments: tool.example(ids) }, undefined, {
        timeout: 60_000,
      })) as CallToolResult;
      expect(r.isError, `${name}: ${JSON.stringify(r.content)}`).toBeFalsy();
      expect(byName.get(name)!.outputSchema.safeParse(r.structuredContent).success, name).toBe(true);
    }
    const { entries } = await h.audit.page(1);
    expect(entries[0]!.client).toBe('http-test 1.0 (http)');
    await client.close();
  });

  it('keeps sessions apart and serves 16 at once; DELETE ends a session', async () => {
    const clients = await Promise.all(Array.from({ length: 16 }, () => connect(http.url)));
    expect(http.sessions()).toBeGreaterThanOrEqual(16);
    const results = await Promise.all(
      clients.map((c, i) => c.callTool({ name: 'search_clients', arguments: { search: `s${i}` } })),
    );
    expect(results.every((r) => !r.isError)).toBe(true);
    const before = http.sessions();
    await Promise.all(
      clients.map(async (c) => {
        await (c.transport as StreamableHTTPClientTransport).terminateSession();
        await c.close();
      }),
    );
    expect(http.sessions()).toBeLessThanOrEqual(before - 16);
  });
});

describe('approval socket (stdio server → running app)', () => {
  it("routes an ask to the app broker and returns the responder's answer", async () => {
    const h = makeHarness(noConnections());
    const broker = new ApprovalBroker();
    const sock = await startApprovalSocket(h.dataDir, broker);
    try {
      const approver = new SocketApprover(h.dataDir);
      const now = Date.now();
      const req = {
        id: 'r1',
        tool: 'collect_artifact',
        client: 'x (stdio)',
        arguments: {},
        plan: { summary: 's', operations: [] },
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + 60_000).toISOString(),
      };
      const pending = approver.ask(req);
      await expect.poll(() => broker.list().length).toBe(1);
      broker.decide('r1', { decision: 'approved' });
      await expect(pending).resolves.toEqual({ decision: 'approved' });
      const denied = approver.ask({ ...req, id: 'r2' });
      await expect.poll(() => broker.list().length).toBe(1);
      broker.decide('r2', { decision: 'denied', reason: 'no' });
      await expect(denied).resolves.toMatchObject({ decision: 'denied' });
      const timeout = approver.ask({ ...req, id: 'r3', expiresAt: new Date(Date.now() + 200).toISOString() });
      await expect(timeout).rejects.toMatchObject({ code: 'APPROVAL_TIMEOUT' });
    } finally {
      await sock.close();
    }
  });

  it('refuses with POLICY_FORBIDDEN when no app is running, and a wrong token is refused', async () => {
    const h = makeHarness(noConnections());
    const approver = new SocketApprover(h.dataDir);
    const req = {
      id: 'r1',
      tool: 'cancel_flow',
      client: 'x',
      arguments: {},
      plan: { summary: 's', operations: [] },
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    };
    await expect(approver.ask(req)).rejects.toMatchObject({ code: 'POLICY_FORBIDDEN' });
    const broker = new ApprovalBroker();
    const sock = await startApprovalSocket(h.dataDir, broker);
    try {
      const { readFile, writeFile } = await import('node:fs/promises');
      const tokenFile = `${h.dataDir}/mcp-approvals.token`;
      const endpoint = JSON.parse(await readFile(tokenFile, 'utf8')) as { path: string; token: string };
      // A stdio side with the wrong token cannot check the app's proof: it refuses, sending nothing.
      await writeFile(tokenFile, JSON.stringify({ ...endpoint, token: 'f'.repeat(43) }));
      await expect(approver.ask(req)).rejects.toMatchObject({
        code: 'POLICY_FORBIDDEN',
        message: expect.stringContaining('is not the app'),
      });
      // A caller that cannot prove the token is refused by the app before it may ask.
      const { connect } = await import('node:net');
      const reply = await new Promise<string>((resolve) => {
        const s = connect(endpoint.path);
        let got = '';
        s.on('data', (d: Buffer) => {
          got += d.toString();
          if (got.includes('"challenge"') && !got.includes('bogus-sent')) {
            got += 'bogus-sent';
            s.write(JSON.stringify({ type: 'auth', proof: 'x'.repeat(43) }) + '\n');
            s.write(JSON.stringify({ type: 'ask', request: req }) + '\n');
          }
        });
        s.on('close', () => resolve(got));
        s.write(JSON.stringify({ type: 'hello', nonce: 'n'.repeat(22) }) + '\n');
      });
      expect(reply).toContain('CONTRACT_FORBIDDEN_SENDER');
      expect(broker.list()).toHaveLength(0);
    } finally {
      await sock.close();
    }
    expect(DEFAULT_POLICY.mode).toBe('ask');
  });
});

describe('answer framing', () => {
  it.each([
    [false, 'text/event-stream'],
    [true, 'application/json'],
  ])('jsonResponse=%s answers a tool call as %s, with the same result', async (jsonResponse, type) => {
    const h = makeHarness(noConnections());
    const http = await startHttpTransport({
      token: () => TOKEN,
      jsonResponse,
      makeServer: () =>
        createMcpServer({ version: 'test', transport: 'http' }, (label) => ({
          ...h.ctx,
          clientLabel: label,
        })),
    });
    try {
      const host = `127.0.0.1:${http.port}`;
      const auth = { host, authorization: `Bearer ${TOKEN}` };
      const first = await raw(http.port, auth, init);
      expect(first.type).toContain(type);
      const session = { ...auth, 'mcp-session-id': first.session, 'mcp-protocol-version': '2025-06-18' };
      expect(
        (await raw(http.port, session, { jsonrpc: '2.0', method: 'notifications/initialized' })).status,
      ).toBe(202);
      const r = await raw(http.port, session, {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'list_connections', arguments: {} },
      });
      expect(r.status).toBe(200);
      expect(r.type).toContain(type);
      const body =
        type === 'application/json'
          ? r.text
          : r.text
              .split('\n')
              .find((l) => l.startsWith('data: '))!
              .slice(6);
      expect(JSON.parse(body)).toMatchObject({
        jsonrpc: '2.0',
        id: 2,
        result: { structuredContent: { connections: expect.any(Array) } },
      });
    } finally {
      await http.close();
    }
  });
});
