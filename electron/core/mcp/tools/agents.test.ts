/**
 * The agent tools through MCP against the simulator: push_agents_ssh is gated and its plan lists every
 * host (ranges expanded, duplicates once), the login without a secret, the server and labels; denied,
 * nothing is journaled; approved, the run is journaled and its hosts are reported (an unreachable host
 * fails with its reason), and agent_runs lists it.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../sim/index';
import type { ApprovalAnswer, ApprovalRequest, Approver } from '../approvals';
import { connectInProcess, makeHarness } from '../testing/harness';
import { simServers, type SimServers } from '../testing/sim-servers';

let sim: RunningSimulator;
let s: SimServers;
let client: Client;
const asked: ApprovalRequest[] = [];
let answer: ApprovalAnswer['decision'] = 'approved';
const approver: Approver = {
  ask(request) {
    asked.push(request);
    return Promise.resolve({ decision: answer });
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
  answer = 'approved';
});

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult;
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

const push = {
  hosts: ['127.0.0.1:1', '127.0.0.2-3:1', '127.0.0.1:1'],
  user: 'ir',
  auth: 'password',
  password_ref: 'ssh:ir-password',
  sudo: true,
  sudo_password_ref: 'ssh:ir-sudo',
  labels: ['IR-42'],
  retries: 0,
  wait_seconds: 60,
};

describe('push_agents_ssh', () => {
  it('asks first; the plan lists each host once, the login without secrets, server and labels', async () => {
    answer = 'denied';
    const before = (await call('agent_runs', {})).structuredContent as { runs: unknown[] };
    const r = await call('push_agents_ssh', push);
    expect(r.isError).toBe(true);
    expect(asked).toHaveLength(1);
    const p = asked[0]!.plan;
    expect(p.summary).toBe(
      'Install the Velociraptor agent on 3 host(s) over SSH as ir (sudo), enrolling with sim',
    );
    expect(p.operations[0]!.details).toMatchObject({
      hosts: ['127.0.0.1:1', '127.0.0.2:1', '127.0.0.3:1'],
      login: { user: 'ir', auth: 'password', sudo: true },
      server: 'sim',
      labels: ['IR-42'],
      release: 'latest',
      concurrency: 8,
      retries: 0,
    });
    // Keychain references are names, not secrets; no secret value could be in the plan at all.
    expect(JSON.stringify(p)).not.toMatch(/password_ref|sudo_password_ref/);
    const after = (await call('agent_runs', {})).structuredContent as { runs: unknown[] };
    expect(after.runs).toHaveLength(before.runs.length);
  });

  it('refuses a bad host before asking', async () => {
    const r = await call('push_agents_ssh', { ...push, hosts: ['ir@host'] });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/ir@host.* carries a user name/);
    expect(asked).toHaveLength(0);
  });

  it('approved: journals the run and reports each host; agent_runs lists it', async () => {
    const r = await call('push_agents_ssh', push);
    expect(r.isError, text(r)).toBeFalsy();
    const out = r.structuredContent as {
      run_id: string;
      state: string;
      still_running: boolean;
      counts: { total: number; failed: number };
      hosts: Array<{ host: string; state: string; error_code?: string }>;
    };
    expect(out).toMatchObject({ state: 'finished', still_running: false, counts: { total: 3, failed: 3 } });
    // The password is read from the keychain at login, and this server has none: said per host.
    for (const h of out.hosts)
      expect(h).toMatchObject({ state: 'failed', error_code: 'KEYCHAIN_UNAVAILABLE' });
    const listed = (await call('agent_runs', { run_id: out.run_id })).structuredContent as {
      runs: Array<{ run_id: string }>;
      run: { hosts: unknown[] };
    };
    expect(listed.runs[0]!.run_id).toBe(out.run_id);
    expect(listed.run.hosts).toHaveLength(3);
  });
});

describe('push_agents_winrm', () => {
  const win = {
    hosts: ['127.0.0.1-2:1'],
    user: 'Administrator',
    domain: 'CORP',
    password_ref: 'winrm:admin',
    certificate_fingerprints: { '127.0.0.1:1': 'AB'.repeat(32) },
    serve_host: '127.0.0.1',
    retries: 0,
    wait_seconds: 60,
  };

  it('the plan names the hosts, the account (no password), how certificates are checked, where the MSI comes from', async () => {
    answer = 'denied';
    const r = await call('push_agents_winrm', win);
    expect(r.isError).toBe(true);
    const p = asked[0]!.plan;
    expect(p.summary).toBe(
      'Install the Velociraptor MSI on 2 Windows host(s) over WinRM as CORP\\Administrator, enrolling with sim',
    );
    expect(p.operations[0]!.details).toMatchObject({
      hosts: ['127.0.0.1:1', '127.0.0.2:1'],
      login: { user: 'Administrator', domain: 'CORP', auth: 'ntlm' },
      certificates: { pinned: { '127.0.0.1:1': 'AB'.repeat(32) } },
      downloads_from: '127.0.0.1',
    });
  });

  it('refuses without a certificate check, and an install without serve_host, before asking', async () => {
    const { certificate_fingerprints: _f, ...unchecked } = win;
    expect(text(await call('push_agents_winrm', unchecked))).toMatch(
      /how the WinRM certificates are checked/,
    );
    const { serve_host: _s, ...noServe } = win;
    expect(text(await call('push_agents_winrm', noServe))).toMatch(/serve_host is needed/);
    expect(asked).toHaveLength(0);
  });
});
