import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allTools } from './registry';
import type { ReadOnlyVql } from './read-only-identity';
import { FakePort, INJECTION } from './testing/fake-port';
import { connectInProcess, makeHarness, type Harness } from './testing/harness';
import { toolCases } from './testing/tool-cases';

const tools = allTools();
const byName = new Map(tools.map((t) => [t.name, t]));

function text(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

function errorCode(r: CallToolResult): string | undefined {
  if (!r.isError) return undefined;
  return (JSON.parse(text(r)) as { error: { code: string } }).error.code;
}

describe('MCP server (in-process SDK client, fake port)', () => {
  let port: FakePort;
  let h: Harness;
  let client: Client;
  const cases = toolCases({
    clientId: 'C.1111111111111111',
    flowId: 'F.C1',
    huntId: 'H.1',
    source: 'Windows.System.Pslist',
    folder: '',
    vfsPath: '/clients/C.1/collections/F.C1/uploads/auto/C%3A/evil.exe',
  });

  beforeEach(async () => {
    port = new FakePort();
    h = makeHarness(port, {
      policy: { mode: 'allow-listed', allowTools: tools.filter((t) => t.gated).map((t) => t.name) },
    });
    cases.download_upload!.folder = join(h.dataDir, 'evidence');
    client = await connectInProcess(h);
  });
  afterEach(async () => {
    await client.close();
  });

  it('lists every tool with all four annotations, an output schema and a description', async () => {
    const listed = await client.listTools();
    expect(listed.tools.map((t) => t.name).sort()).toEqual(tools.map((t) => t.name).sort());
    expect(listed.tools.length).toBeGreaterThanOrEqual(35);
    for (const t of listed.tools) {
      expect(t.outputSchema, t.name).toBeDefined();
      expect(t.description!.length, t.name).toBeGreaterThan(60);
      for (const k of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        expect(typeof t.annotations?.[k], `${t.name}.${k}`).toBe('boolean');
      }
      expect(t.inputSchema.properties).toHaveProperty('server');
      expect(t.inputSchema.properties).toHaveProperty('org');
    }
  });

  it('has a case for every tool', () => {
    expect(Object.keys(cases).sort()).toEqual(tools.map((t) => t.name).sort());
  });

  it.each(
    Object.keys(toolCases({ clientId: '', flowId: '', huntId: '', source: '', folder: '', vfsPath: '' })),
  )('%s answers with structured content matching its output schema', async (name) => {
    const r = (await client.callTool({ name, arguments: cases[name] })) as CallToolResult;
    expect(r.isError, text(r)).toBeFalsy();
    const parsed = byName.get(name)!.outputSchema.safeParse(r.structuredContent);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it('read tools never mark gated; every endpoint-changing tool is gated', () => {
    for (const t of tools) {
      if (t.annotations.readOnlyHint) expect(t.gated, t.name).toBe(false);
    }
    for (const n of [
      'label_client',
      'quarantine_client',
      'collect_artifact',
      'collect_and_wait',
      'cancel_flow',
      'start_hunt',
      'stop_hunt',
      'vfs_refresh',
      'vfs_list',
      'dfir_processes',
      'dfir_file_search',
      'download_upload',
      'run_vql',
    ]) {
      expect(byName.get(n)!.gated, n).toBe(true);
    }
  });

  it('passes server and org through to the port', async () => {
    await client.callTool({
      name: 'search_clients',
      arguments: { search: 'x', server: 'lab2', org: 'O123' },
    });
    expect(port.calls.at(-1)).toMatchObject({ op: 'searchClients', target: { server: 'lab2', org: 'O123' } });
  });

  it('fences endpoint data as untrusted, with the injection inside the fence', async () => {
    const r = (await client.callTool({ name: 'search_clients', arguments: {} })) as CallToolResult;
    const t = text(r);
    const m = /<<<UNTRUSTED-ENDPOINT-DATA ([0-9a-f]{16})\n([\s\S]*)\nUNTRUSTED-ENDPOINT-DATA \1>>>/.exec(t);
    expect(m).not.toBeNull();
    expect(m![2]).toContain('IGNORE ALL PREVIOUS INSTRUCTIONS');
    expect(t.slice(0, t.indexOf('<<<'))).not.toContain('IGNORE ALL PREVIOUS INSTRUCTIONS');
    // The tool did not act on the instruction.
    expect(port.calls.some((c) => c.op === 'quarantine')).toBe(false);
  });

  it('pages with a cursor, and refuses a cursor from other arguments', async () => {
    const args = {
      client_id: 'C.1111111111111111',
      flow_id: 'F.C1',
      source: 'Windows.System.Pslist',
      max_rows: 100,
    };
    const p1 = (await client.callTool({ name: 'get_flow_results', arguments: args })) as CallToolResult;
    const s1 = p1.structuredContent as {
      rows: Array<{ Pid: number }>;
      page: { next_cursor?: string; returned_rows: number };
    };
    expect(s1.page.returned_rows).toBe(100);
    expect(s1.page.next_cursor).toBeDefined();
    const p2 = (await client.callTool({
      name: 'get_flow_results',
      arguments: { ...args, cursor: s1.page.next_cursor },
    })) as CallToolResult;
    const s2 = p2.structuredContent as { rows: Array<{ Pid: number }> };
    expect(s2.rows[0]!.Pid).toBe(100);
    const bad = (await client.callTool({
      name: 'get_flow_results',
      arguments: { ...args, flow_id: 'F.OTHER', cursor: s1.page.next_cursor },
    })) as CallToolResult;
    expect(errorCode(bad)).toBe('INVALID_ARGUMENT');
  });

  it('stops at the byte cap and says so; selects columns', async () => {
    const r = (await client.callTool({
      name: 'get_flow_results',
      arguments: {
        client_id: 'C.1111111111111111',
        flow_id: 'F.C1',
        source: 'X',
        max_rows: 1000,
        max_bytes: 2000,
        columns: ['Pid', 'Nope'],
      },
    })) as CallToolResult;
    const s = r.structuredContent as {
      rows: Array<Record<string, unknown>>;
      page: { bytes: number; cut: string[]; truncated: boolean };
    };
    expect(s.page.bytes).toBeLessThanOrEqual(2000);
    expect(s.page.truncated).toBe(true);
    expect(s.page.cut.join(' ')).toMatch(/max_bytes=2000/);
    expect(s.page.cut.join(' ')).toMatch(/Nope/);
    expect(Object.keys(s.rows[0]!)).toEqual(['Pid']);
  });

  it('writes large results to a file when asked and returns only its path and hash', async () => {
    const r = (await client.callTool({
      name: 'get_flow_results',
      arguments: { client_id: 'C.1111111111111111', flow_id: 'F.C1', source: 'X', to_file: true },
    })) as CallToolResult;
    const s = r.structuredContent as { rows: unknown[]; file: { path: string; rows: number } };
    expect(s.rows).toEqual([]);
    expect(s.file.rows).toBe(250);
    expect(readFileSync(s.file.path, 'utf8').trim().split('\n')).toHaveLength(250);
    expect(s.file.path.startsWith(h.dataDir)).toBe(true);
  });

  it('run_vql read-only refuses a writing query without reaching the server, and runs an allowed one with env', async () => {
    const bad = (await client.callTool({
      name: 'run_vql',
      arguments: { query: "SELECT collect_client(client_id='C.1', artifacts='X') FROM scope()" },
    })) as CallToolResult;
    expect(errorCode(bad)).toBe('POLICY_FORBIDDEN');
    expect(port.calls.some((c) => c.op === 'query')).toBe(false);
    await client.callTool({
      name: 'run_vql',
      arguments: { query: 'SELECT * FROM clients(search=Term)', env: { Term: "x' OR 1" } },
    });
    expect(port.calls.at(-1)).toMatchObject({
      op: 'query',
      args: ['SELECT * FROM clients(search=Term)', { Term: "x' OR 1" }, { timeoutSeconds: 60 }],
    });
    const broken = (await client.callTool({
      name: 'run_vql',
      arguments: { query: 'SELECT * FROM scope() WHERE broken' },
    })) as CallToolResult;
    expect(errorCode(broken)).toBe('VQL_ERROR');
  });

  it('rejects malformed ids before any server call', async () => {
    const before = port.calls.length;
    const r = (await client.callTool({
      name: 'get_client',
      arguments: { client_id: "C.1' OR 1=1" },
    })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(port.calls.length).toBe(before);
  });

  it('picks artifacts per client OS', async () => {
    await client.callTool({ name: 'dfir_processes', arguments: { client_id: 'C.2222222222222222' } });
    expect((port.calls.at(-1)!.args[0] as { artifacts: string[] }).artifacts).toEqual(['Linux.Sys.Pslist']);
    await client.callTool({ name: 'dfir_persistence', arguments: { client_id: 'C.3333333333333333' } });
    expect((port.calls.at(-1)!.args[0] as { artifacts: string[] }).artifacts).toEqual([
      'MacOS.Detection.Autoruns',
    ]);
    await client.callTool({ name: 'quarantine_client', arguments: { client_id: 'C.2222222222222222' } });
    expect(port.calls.at(-1)).toMatchObject({
      op: 'quarantine',
      args: ['C.2222222222222222', true, undefined],
    });
    await client.callTool({
      name: 'dfir_file_search',
      arguments: {
        client_id: 'C.1111111111111111',
        glob: 'C:/x/*',
        hashes: ['d41d8cd98f00b204e9800998ecf8427e'],
      },
    });
    expect(port.calls.at(-1)!.args[0]).toMatchObject({
      artifacts: ['Generic.Detection.HashHunter'],
      parameters: {
        'Generic.Detection.HashHunter': { TargetGlob: 'C:/x/*', MD5List: 'd41d8cd98f00b204e9800998ecf8427e' },
      },
    });
  });

  it('audits every call with redacted arguments and the approval outcome', async () => {
    await client.callTool({
      name: 'label_client',
      arguments: { client_id: 'C.1111111111111111', labels: ['a'] },
    });
    await client.callTool({
      name: 'run_vql',
      arguments: { query: 'SELECT * FROM scope()', env: { password: 'hunter2-secret' } },
    });
    await client.readResource({ uri: 'velociraptor://hunts' });
    await client.getPrompt({ name: 'persistence_review', arguments: { client_id: 'C.3333333333333333' } });
    const { entries } = await h.audit.page(10);
    expect(entries.map((e) => e.name)).toEqual([
      'persistence_review',
      'velociraptor://hunts',
      'run_vql',
      'label_client',
    ]);
    expect(entries[3]).toMatchObject({
      kind: 'tool',
      approval: 'allowed-by-policy',
      client: 'vitest 1.0 (memory)',
    });
    expect(JSON.stringify(entries[2])).not.toContain('hunter2-secret');
    expect(entries[2]!.resultBytes).toBeGreaterThan(0);
  });
});

describe('approval gate through MCP', () => {
  let port: FakePort;
  let h: Harness;
  let client: Client;
  beforeEach(async () => {
    port = new FakePort();
    h = makeHarness(port);
    client = await connectInProcess(h);
  });
  afterEach(async () => {
    await client.close();
  });

  it('waits for the responder; approve runs the action once with the approved plan', async () => {
    const pending = client.callTool({
      name: 'collect_artifact',
      arguments: { client_id: 'C.1111111111111111', artifacts: ['Windows.System.Pslist'] },
    });
    await expect.poll(() => h.broker.list().length).toBe(1);
    const req = h.broker.list()[0]!;
    expect(req.tool).toBe('collect_artifact');
    expect(req.client).toBe('vitest 1.0 (memory)');
    expect(req.plan.operations[0]).toMatchObject({
      operation: 'collect',
      details: { clientId: 'C.1111111111111111', artifacts: ['Windows.System.Pslist'] },
    });
    expect(port.calls.some((c) => c.op === 'collect')).toBe(false);
    h.broker.decide(req.id, { decision: 'approved' });
    const r = (await pending) as CallToolResult;
    expect(r.structuredContent).toMatchObject({ flow_id: 'F.C1' });
    expect(port.calls.filter((c) => c.op === 'collect')).toHaveLength(1);
    expect((await h.audit.page(1)).entries[0]).toMatchObject({ approval: 'approved' });
  });

  it('deny → APPROVAL_DENIED and nothing runs', async () => {
    const pending = client.callTool({
      name: 'quarantine_client',
      arguments: { client_id: 'C.1111111111111111' },
    });
    await expect.poll(() => h.broker.list().length).toBe(1);
    expect(h.broker.list()[0]!.plan.operations[0]!.details).toMatchObject({
      artifact: 'Windows.Remediation.Quarantine',
    });
    h.broker.decide(h.broker.list()[0]!.id, { decision: 'denied', reason: 'not now' });
    const r = (await pending) as CallToolResult;
    expect(errorCode(r)).toBe('APPROVAL_DENIED');
    expect(port.calls.some((c) => c.op === 'quarantine')).toBe(false);
    expect((await h.audit.page(1)).entries[0]).toMatchObject({
      approval: 'denied',
      error: { code: 'APPROVAL_DENIED' },
    });
  });

  it('timeout → APPROVAL_TIMEOUT', async () => {
    h.setPolicy({ approvalTimeoutSeconds: 5 });
    const started = Date.now();
    // Shorten by answering through the broker's timer: fake a past expiry by a 5 s policy and a poll.
    const r = (await client.callTool(
      { name: 'cancel_flow', arguments: { client_id: 'C.1111111111111111', flow_id: 'F.C1' } },
      undefined,
      { timeout: 20_000 },
    )) as CallToolResult;
    expect(errorCode(r)).toBe('APPROVAL_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
    expect(port.calls.some((c) => c.op === 'cancelFlow')).toBe(false);
    expect((await h.audit.page(1)).entries[0]).toMatchObject({ approval: 'timeout' });
  }, 15_000);

  it('read-only policy refuses gated tools without asking; read tools still work', async () => {
    h.setPolicy({ mode: 'read-only' });
    const r = (await client.callTool({
      name: 'start_hunt',
      arguments: { hunt_id: 'H.1' },
    })) as CallToolResult;
    expect(errorCode(r)).toBe('POLICY_FORBIDDEN');
    expect(h.broker.list()).toHaveLength(0);
    const ok = (await client.callTool({ name: 'list_hunts', arguments: {} })) as CallToolResult;
    expect(ok.isError).toBeFalsy();
  });

  it('run_vql with read_only=false is gated and shows the VQL and env in the plan', async () => {
    const pending = client.callTool({
      name: 'run_vql',
      arguments: { query: 'SELECT * FROM info()', env: { A: 'b' }, read_only: false },
    });
    await expect.poll(() => h.broker.list().length).toBe(1);
    expect(h.broker.list()[0]!.plan.operations[0]).toMatchObject({
      vql: 'SELECT * FROM info()',
      env: { A: 'b' },
    });
    h.broker.decide(h.broker.list()[0]!.id, { decision: 'approved' });
    expect(((await pending) as CallToolResult).isError).toBeFalsy();
    expect(port.calls.at(-1)).toMatchObject({
      op: 'query',
      args: ['SELECT * FROM info()', { A: 'b' }, { timeoutSeconds: 60 }],
    });
  });
});

describe('run_vql read_only: enforced by a least-privilege identity, else gated', () => {
  const sent: Array<{ user: string; vql: string }> = [];
  const withIdentity: ReadOnlyVql = {
    decide: async () => ({
      kind: 'identity',
      user: 'mcp-reader',
      query: async (vql) => {
        sent.push({ user: 'mcp-reader', vql });
        return { rows: [{ ok: 1 }], errors: [] };
      },
    }),
  };
  const without: ReadOnlyVql = {
    decide: async () => ({ kind: 'none', reason: 'no least-privilege identity is set up for "s1"' }),
  };

  async function lastAudit(h: Harness) {
    await h.audit.flush();
    return (await h.audit.page(1)).entries[0]!;
  }

  it('runs as the identity with no approval, and the audit names it', async () => {
    const port = new FakePort();
    const h = makeHarness(port, { readOnly: withIdentity });
    const client = await connectInProcess(h);
    const r = (await client.callTool({
      name: 'run_vql',
      arguments: { query: 'SELECT * FROM clients()' },
    })) as CallToolResult;
    expect(r.isError).toBeFalsy();
    expect(sent.at(-1)).toEqual({ user: 'mcp-reader', vql: 'SELECT * FROM clients()' });
    expect(port.calls.some((c) => c.op === 'query')).toBe(false);
    expect(await lastAudit(h)).toMatchObject({
      approval: 'not-required',
      readOnly: { identity: 'mcp-reader' },
    });
    await client.close();
  });

  it('without an identity asks the responder (fail closed) and the audit says why', async () => {
    const port = new FakePort();
    const h = makeHarness(port, { readOnly: without });
    const client = await connectInProcess(h);
    const pending = client.callTool({ name: 'run_vql', arguments: { query: 'SELECT * FROM clients()' } });
    await expect.poll(() => h.broker.list().length).toBe(1);
    const asked = h.broker.list()[0]!;
    expect(asked.plan.summary).toContain('no least-privilege identity is set up for "s1"');
    expect(asked.plan.operations[0]!.details).toMatchObject({ read_only_requested: true });
    expect(port.calls.some((c) => c.op === 'query')).toBe(false);
    h.broker.decide(asked.id, { decision: 'denied' });
    expect(errorCode((await pending) as CallToolResult)).toBe('APPROVAL_DENIED');
    expect(port.calls.some((c) => c.op === 'query')).toBe(false);
    expect(await lastAudit(h)).toMatchObject({
      approval: 'denied',
      readOnly: { identity: null, reason: 'no least-privilege identity is set up for "s1"' },
    });
    await client.close();
  });

  it('with no read-only identities at all, asks too; refused queries never reach the approval', async () => {
    const port = new FakePort();
    const h = makeHarness(port);
    const client = await connectInProcess(h);
    const bad = (await client.callTool({
      name: 'run_vql',
      arguments: {
        query:
          "LET label = SELECT 1 FROM scope() SELECT label(client_id='C.1', labels=['x'], op='set') FROM scope()",
      },
    })) as CallToolResult;
    expect(errorCode(bad)).toBe('POLICY_FORBIDDEN');
    expect(h.broker.list()).toHaveLength(0);
    const pending = client.callTool({ name: 'run_vql', arguments: { query: 'SELECT * FROM hunts()' } });
    await expect.poll(() => h.broker.list().length).toBe(1);
    h.broker.decide(h.broker.list()[0]!.id, { decision: 'approved' });
    expect(((await pending) as CallToolResult).isError).toBeFalsy();
    expect(port.calls.at(-1)).toMatchObject({
      op: 'query',
      args: ['SELECT * FROM hunts()', {}, { timeoutSeconds: 60 }],
    });
    expect(await lastAudit(h)).toMatchObject({ approval: 'approved', readOnly: { identity: null } });
    await client.close();
  });
});

describe('secret canaries', () => {
  it('never appear in tool output, errors or the audit log', async () => {
    const canary = 'CANARY-7f3a9e-SECRET-VALUE';
    const pem = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBk3\n-----END EC PRIVATE KEY-----';
    const port = new FakePort();
    port.results = [
      {
        Name: `token=${canary}`,
        Key: pem,
        password: 'plain-pass',
        nested: { client_private_key: 'abc123456' },
      },
    ];
    port.clients[0]!.labels = [canary];
    const h = makeHarness(port, {
      policy: { mode: 'allow-listed', allowTools: ['collect_and_wait', 'run_vql'] },
    });
    h.redactor.addSecret(canary);
    const client = await connectInProcess(h);
    const outputs: string[] = [];
    for (const [name, args] of Object.entries({
      get_flow_results: { client_id: 'C.1111111111111111', flow_id: 'F.C1', source: 'X' },
      search_clients: {},
      get_client: { client_id: 'C.1111111111111111' },
      collect_and_wait: { client_id: 'C.1111111111111111', artifacts: ['X.Y'] },
      run_vql: { query: `SELECT * FROM scope() WHERE x = '${canary}'` },
    })) {
      outputs.push(JSON.stringify(await client.callTool({ name, arguments: args })));
    }
    outputs.push(
      JSON.stringify(await client.readResource({ uri: 'velociraptor://clients/C.1111111111111111' })),
    );
    await h.audit.flush();
    outputs.push(readFileSync(h.audit.path, 'utf8'));
    const all = outputs.join('\n');
    expect(all).not.toContain(canary);
    expect(all).not.toContain('MHcCAQEEIBk3');
    expect(all).not.toContain('plain-pass');
    expect(all).not.toContain('abc123456');
    expect(all).toContain('[REDACTED]');
    await client.close();
  });
});

describe('prompts and resources', () => {
  it('lists the 8 prompts and chooses artifacts by the client OS', async () => {
    const h = makeHarness(new FakePort());
    const client = await connectInProcess(h);
    const prompts = await client.listPrompts();
    expect(prompts.prompts.map((p) => p.name).sort()).toEqual([
      'investigate_endpoint',
      'ioc_sweep',
      'lateral_movement',
      'malware_analysis',
      'persistence_review',
      'ransomware_triage',
      'threat_hunt',
      'triage_incident',
    ]);
    const linux = await client.getPrompt({
      name: 'investigate_endpoint',
      arguments: { client_id: 'C.2222222222222222' },
    });
    const t = JSON.stringify(linux.messages);
    expect(t).toContain('Linux.Sys.Pslist');
    expect(t).not.toContain('Windows.System.Pslist');
    const mac = JSON.stringify(
      (await client.getPrompt({ name: 'persistence_review', arguments: { client_id: 'C.3333333333333333' } }))
        .messages,
    );
    expect(mac).toContain('MacOS.Detection.Autoruns');
    const hunt = JSON.stringify(
      (await client.getPrompt({ name: 'threat_hunt', arguments: { indicators: INJECTION } })).messages,
    );
    expect(hunt).toContain('<<<INDICATORS');
    await client.close();
  });

  it('lists resources and templates and reads them', async () => {
    const h = makeHarness(new FakePort());
    const client = await connectInProcess(h);
    const res = await client.listResources();
    expect(res.resources.map((r) => r.uri).sort()).toEqual([
      'velociraptor://artifacts',
      'velociraptor://clients',
      'velociraptor://connections',
      'velociraptor://hunts',
      'velociraptor://server-info',
    ]);
    const tpl = await client.listResourceTemplates();
    expect(tpl.resourceTemplates.map((r) => r.uriTemplate).sort()).toEqual([
      'velociraptor://artifacts/{name}',
      'velociraptor://clients/{client_id}',
      'velociraptor://clients/{client_id}/flows',
      'velociraptor://clients/{client_id}/flows/{flow_id}/results/{source}',
      'velociraptor://hunts/{hunt_id}',
      'velociraptor://hunts/{hunt_id}/results/{source}',
    ]);
    const fr = await client.readResource({
      uri: 'velociraptor://clients/C.1111111111111111/flows/F.C1/results/Windows.System.Pslist',
    });
    const body = JSON.parse((fr.contents[0] as { text: string }).text) as {
      notice: string;
      data: { rows: unknown[]; truncated: boolean };
    };
    expect(body.notice).toMatch(/UNTRUSTED/);
    expect(body.data.rows).toHaveLength(100);
    expect(body.data.truncated).toBe(true);
    await expect(client.readResource({ uri: "velociraptor://clients/C.1'x" })).rejects.toThrow();
    await client.close();
  });
});
