/**
 * Approvals show everything, and what runs is what was approved: create_hunt and start_hunt plans
 * (artifacts with every parameter, scope as asked and as the server applies it, expiry, limits),
 * and the DFIR tools, which decide their collection once. Checked on the approval request the
 * responder sees and on the queries the simulator then receives.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type ReceivedQuery, type RunningSimulator } from '../sim/index';
import type { ApprovalAnswer, ApprovalRequest, Approver } from './approvals';
import { connectInProcess, makeHarness } from './testing/harness';
import { simServers, type SimServers } from './testing/sim-servers';

let sim: RunningSimulator;
let s: SimServers;
let client: Client;
const asked: ApprovalRequest[] = [];
/** What the responder answers; a test may look at the request (and the server) first. */
let answer: (r: ApprovalRequest) => Promise<ApprovalAnswer> = async () => ({ decision: 'approved' });
const approver: Approver = {
  async ask(request) {
    asked.push(request);
    return answer(request);
  },
};

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1', speed: 50 });
  s = await simServers(sim);
  client = await connectInProcess(makeHarness(s.servers, { approver, policy: { mode: 'ask' } }));
}, 60_000);

afterAll(async () => {
  await client?.close();
  s?.close();
  await sim?.stop();
});

beforeEach(() => {
  asked.length = 0;
  answer = async () => ({ decision: 'approved' });
});

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult;
}

function text(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

function sentSince(mark: number): ReceivedQuery[] {
  return sim.receivedQueries().slice(mark);
}

const vqlOf = (q: ReceivedQuery) => q.queries.map((x) => x.VQL).join('\n');
const envOf = (q: ReceivedQuery) => Object.fromEntries(q.env.map((e) => [e.key, e.value]));

interface PlanParam {
  name: string;
  value: string;
  from: string;
}

describe('create_hunt is gated and its plan shows everything', () => {
  it('shows artifacts with every parameter, scope, expiry and limits; approved, the server gets exactly the planned hunt()', async () => {
    const mark = sim.receivedQueries().length;
    const r = await call('create_hunt', {
      description: 'IR-42 pslist sweep',
      artifacts: ['Windows.System.Pslist', 'Generic.Client.Info'],
      parameters: { 'Windows.System.Pslist': { ProcessRegex: 'powershell' } },
      include_labels: ['Finance'],
      exclude_labels: ['DomainControllers'],
      expires_hours: 12,
      timeout_seconds: 900,
      max_rows: 5000,
      cpu_limit: 30,
    });
    expect(r.isError, text(r)).toBeFalsy();
    expect(asked).toHaveLength(1);
    const op = asked[0]!.plan.operations[0]!;
    expect(asked[0]!.tool).toBe('create_hunt');
    expect(asked[0]!.plan.summary).toMatch(
      /IR-42 pslist sweep.*paused.*Windows\.System\.Pslist, Generic\.Client\.Info.*clients labelled Finance, except those labelled DomainControllers.*12 h/,
    );
    const d = op.details as {
      artifacts: Array<{ artifact: string; parameters: PlanParam[] }>;
      scope: Record<string, unknown>;
      expires: { in_hours: number; at: string };
      limits: Record<string, unknown>;
      state_after: string;
    };
    expect(d.state_after).toBe('PAUSED');
    const pslist = d.artifacts.find((a) => a.artifact === 'Windows.System.Pslist')!;
    // Every parameter the server declares: the hunt's value, and the defaults for the rest.
    expect(pslist.parameters).toEqual([
      { name: 'ProcessRegex', value: 'powershell', from: 'this hunt' },
      { name: 'PidRegex', value: '.', from: 'artifact default' },
      { name: 'UntrustedAuthenticode', value: '', from: 'artifact default' },
    ]);
    expect(d.artifacts.map((a) => a.artifact)).toEqual(['Windows.System.Pslist', 'Generic.Client.Info']);
    expect(d.scope).toMatchObject({
      os: 'any',
      include_labels: ['Finance'],
      exclude_labels: ['DomainControllers'],
      applied_by_server: { os: 'any', include_labels: ['Finance'], exclude_labels: ['DomainControllers'] },
    });
    expect(d.scope.warning).toBeUndefined();
    const finance = (await s.admin.searchClients({ search: 'label:Finance', limit: 200 })).filter(
      (c) => !c.labels.includes('DomainControllers'),
    );
    expect(d.scope.clients_reached_now).toBe(finance.length);
    expect(d.expires.in_hours).toBe(12);
    expect(Date.parse(d.expires.at) - Date.now()).toBeGreaterThan(11.9 * 3_600_000);
    expect(d.limits).toEqual({
      timeout_seconds: 900,
      max_rows: 5000,
      max_bytes: 'no limit',
      cpu_limit_percent: 30,
    });
    // What reached the server is the planned query, byte for byte, and the hunt is as shown.
    const hunts = sentSince(mark).filter((q) => vqlOf(q).includes('hunt('));
    expect(hunts).toHaveLength(1);
    expect(vqlOf(hunts[0]!)).toBe(op.vql);
    expect(envOf(hunts[0]!)).toEqual(op.env);
    const huntId = (r.structuredContent as { hunt_id: string }).hunt_id;
    const stored = await s.admin.huntStatus(huntId);
    expect(stored).toMatchObject({
      state: 'PAUSED',
      artifacts: ['Windows.System.Pslist', 'Generic.Client.Info'],
      parameters: { 'Windows.System.Pslist': { ProcessRegex: 'powershell' } },
      includeLabels: ['Finance'],
      excludeLabels: ['DomainControllers'],
      limits: { timeoutSeconds: 900, maxRows: 5000, cpuLimit: 30 },
    });
  });

  it('says when the server will drop labels because an OS is set', async () => {
    const r = await call('create_hunt', {
      description: 'windows but not the DCs',
      artifacts: ['Windows.System.Pslist'],
      os: 'windows',
      exclude_labels: ['DomainControllers'],
    });
    expect(r.isError, text(r)).toBeFalsy();
    const d = asked[0]!.plan.operations[0]!.details as { scope: Record<string, unknown> };
    expect(d.scope).toMatchObject({
      os: 'windows',
      exclude_labels: ['DomainControllers'],
      applied_by_server: { os: 'windows', include_labels: [], exclude_labels: [] },
    });
    expect(d.scope.warning).toMatch(/drops the exclude labels DomainControllers.*every windows client/);
    const windows = (await s.admin.searchClients({ search: 'all', limit: 200 })).filter(
      (c) => c.os === 'windows',
    );
    expect(d.scope.clients_reached_now).toBe(windows.length);
  });

  it('denied, nothing is created', async () => {
    answer = async () => ({ decision: 'denied', reason: 'no' });
    const before = (await s.admin.listHunts({ limit: 1000 })).length;
    const mark = sim.receivedQueries().length;
    const r = await call('create_hunt', { description: 'denied', artifacts: ['Generic.Client.Info'] });
    expect(text(r)).toContain('APPROVAL_DENIED');
    expect(sentSince(mark).filter((q) => vqlOf(q).includes('hunt('))).toEqual([]);
    expect((await s.admin.listHunts({ limit: 1000 })).length).toBe(before);
  });

  it('refuses an artifact the server does not have before asking', async () => {
    const r = await call('create_hunt', { description: 'x', artifacts: ['No.Such.Artifact'] });
    expect(text(r)).toContain('NOT_FOUND');
    expect(asked).toEqual([]);
  });
});

describe('start_hunt shows the hunt as the server stored it', () => {
  it('reads artifacts, parameters, scope, expiry and limits from the server; approved, it sends the planned hunt_update()', async () => {
    const { huntId } = await s.admin.createHunt({
      description: 'stored hunt',
      artifacts: ['Linux.Sys.BashHistory'],
      parameters: { 'Linux.Sys.BashHistory': { SearchRegex: 'curl' } },
      includeLabels: ['Servers'],
      excludeLabels: ['DMZ'],
      expiresInSeconds: 3 * 86_400,
      timeoutSeconds: 1200,
      maxRows: 777,
    });
    const stored = await s.admin.huntStatus(huntId);
    const mark = sim.receivedQueries().length;
    const r = await call('start_hunt', { hunt_id: huntId });
    expect(r.isError, text(r)).toBeFalsy();
    const op = asked[0]!.plan.operations[0]!;
    const d = op.details as {
      state_before: string;
      artifacts: Array<{ artifact: string; parameters: PlanParam[] }>;
      scope: Record<string, unknown>;
      expires: { at: string };
      limits: Record<string, unknown>;
    };
    expect(d.state_before).toBe('PAUSED');
    expect(d.artifacts).toEqual([
      {
        artifact: 'Linux.Sys.BashHistory',
        parameters: expect.arrayContaining([
          { name: 'SearchRegex', value: 'curl', from: 'this hunt' },
          { name: 'TargetGlob', value: expect.any(String), from: 'artifact default' },
        ]),
      },
    ]);
    expect(d.scope).toMatchObject({ include_labels: ['Servers'], exclude_labels: ['DMZ'] });
    expect(d.expires.at).toBe(stored.expires);
    expect(d.limits).toMatchObject({ timeout_seconds: 1200, max_rows: 777 });
    expect(asked[0]!.plan.summary).toMatch(/clients labelled Servers, except those labelled DMZ/);
    const updates = sentSince(mark).filter((q) => vqlOf(q).includes('hunt_update('));
    expect(updates.map(vqlOf)).toEqual([op.vql]);
    expect(envOf(updates[0]!)).toEqual(op.env);
    expect((await s.admin.huntStatus(huntId)).state).toBe('RUNNING');
  });
});

describe('DFIR tools run exactly what was approved', () => {
  it.each([
    ['dfir_persistence', {}],
    ['dfir_file_search', { glob: '/home/*/.ssh/*' }],
    ['dfir_file_search', { glob: '/tmp/**', hashes: ['D41D8CD98F00B204E9800998ECF8427E'] }],
  ])(
    '%s %j: after approval the one collection sent is the planned query, and nothing is decided again',
    async (name, extra) => {
      const lin = (await s.admin.searchClients({ search: 'all', onlineOnly: true, limit: 200 })).find(
        (c) => c.os === 'linux',
      )!;
      let approvedAt = -1;
      answer = async () => {
        approvedAt = sim.receivedQueries().length;
        return { decision: 'approved' };
      };
      const r = await call(name, { client_id: lin.clientId, wait_seconds: 30, ...extra });
      expect(r.isError, text(r)).toBeFalsy();
      const op = asked[0]!.plan.operations[0]!;
      const after = sentSince(approvedAt);
      const collects = after.filter((q) => vqlOf(q).includes('collect_client('));
      expect(collects).toHaveLength(1);
      expect(vqlOf(collects[0]!)).toBe(op.vql);
      expect(envOf(collects[0]!)).toEqual(op.env);
      // The client's OS (what the artifacts depend on) is not looked up again after the approval.
      expect(after.filter((q) => vqlOf(q).includes('FROM clients('))).toEqual([]);
      const out = r.structuredContent as { artifacts: Array<{ artifact: string }> };
      expect(out.artifacts.map((a) => a.artifact)).toEqual((op.details as { artifacts: string[] }).artifacts);
    },
  );
});

describe('parameters are checked before any plan is shown (the wizards check the same way)', () => {
  it('refuses a regex RE2 cannot compile and a parameter the artifact does not declare, asking nothing', async () => {
    const mark = sim.receivedQueries().length;
    const bad = await call('collect_artifact', {
      client_id: 'C.1234abcd5678ef90',
      artifacts: ['Windows.System.Pslist'],
      parameters: { 'Windows.System.Pslist': { ProcessRegex: 'cmd(?=\\.exe)' } },
    });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/Windows\.System\.Pslist ProcessRegex: Not a valid RE2 regex: lookahead/);
    const typo = await call('create_hunt', {
      description: 'typo',
      artifacts: ['Windows.System.Pslist'],
      parameters: { 'Windows.System.Pslist': { ProcessRegx: 'cmd' } },
    });
    expect(typo.isError).toBe(true);
    expect(text(typo)).toMatch(/has no parameter ProcessRegx \(it has .*ProcessRegex/);
    expect(asked).toHaveLength(0);
    // Only definition reads reached the server; nothing was collected or created.
    expect(sentSince(mark).map(vqlOf).join('\n')).not.toMatch(/collect_client|hunt\(/);
  });
});

describe('approvals name the machine, not only its id', () => {
  it('quarantine_client shows the host name of its client id, and says when the id is unknown', async () => {
    const win = (await s.admin.searchClients({ search: 'all', limit: 200 })).find((c) => c.os === 'windows')!;
    answer = async () => ({ decision: 'denied', reason: 'checking the host' });
    await call('quarantine_client', { client_id: win.clientId, quarantine: true });
    expect(asked[0]?.plan.hosts).toEqual({ [win.clientId]: win.hostname });

    asked.length = 0;
    await call('label_client', { client_id: 'C.00000000000dead', labels: ['x'], operation: 'add' });
    expect(asked).toHaveLength(1);
    expect(asked[0]?.plan.hosts).toEqual({ 'C.00000000000dead': '(unknown to the server)' });
  });
});
