/**
 * The deployment tools, resources and prompts through a real MCP SDK client, on a real local lab
 * (the simulator as the Velociraptor binary, from a signed local release over HTTPS) run by the
 * DeploymentService the app builds: the approval shows every resource the deployment creates or
 * the journal holds, what runs is what was approved, a legal hold refuses before asking, a denied
 * destroy removes nothing, and a destroy with evidence leaves nothing but the evidence.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalAnswer, ApprovalRequest } from '../../../../shared/contracts/mcp';
import { buildCli } from '../../../../scripts/build-cli.mjs';
import { MemorySecretStore } from '../../credentials/memory-store';
import { alive } from '../../deploy/lab/processes';
import { describePlatform, hostPlatform } from '../../deploy/releases/assets';
import { identitySecrets, loadAdminPassword } from '../../deploy/server-identity';
import { makeTestSigner, type TestSigner } from '../../deploy/testing/gpg';
import { startReleaseServer, type ReleaseServer } from '../../deploy/testing/release-server';
import { serviceWorld, type ServiceWorld } from '../../deploy/testing/service-world';
import { signedRelease, SSH_TEST_TAG, testServerBinary } from '../../deploy/testing/ssh-world';
import { toolsFor } from '../registry';
import { connectInProcess, makeHarness, noConnections, type Harness } from '../testing/harness';

const ASSET = `velociraptor-v0.77.2-${describePlatform(hostPlatform())}`;
const DAY = 86_400_000;
const DEPLOY_TOOLS = [
  'deploy_server',
  'list_deployments',
  'deployment_status',
  'renew_deployment_certificates',
  'export_deployment_docs',
  'destroy_deployment',
];

/** The responder: answers each request with the next decision and keeps what it was shown. */
class RecordingApprover {
  readonly asked: ApprovalRequest[] = [];
  next: ApprovalAnswer['decision'] = 'approved';
  ask(request: ApprovalRequest): Promise<ApprovalAnswer> {
    this.asked.push(request);
    return Promise.resolve({ decision: this.next });
  }
}

function txt(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

describe('MCP deployment tools on a local lab', () => {
  let root: string;
  let signer: TestSigner;
  let releases: ReleaseServer;
  let world: ServiceWorld;
  let h: Harness;
  let client: Client;
  const secrets = new MemorySecretStore();
  const approver = new RecordingApprover();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'megaraptor-mcp-deploy-'));
    signer = await makeTestSigner();
    const bin = await testServerBinary(await buildCli(join(root, 'megaraptor.mjs')));
    releases = await startReleaseServer([
      await signedRelease(SSH_TEST_TAG, { [ASSET]: bin.data }, (d) => signer.sign(d)),
    ]);
    const dataDir = join(root, 'data');
    await mkdir(dataDir);
    world = serviceWorld({
      dataDir,
      secrets,
      release: { url: releases.url, caPem: releases.caPem, key: signer.key },
    });
    // Every deployment tool that changes something is allow-listed: each must still ask.
    h = makeHarness(noConnections(), {
      dataDir,
      approver,
      policy: {
        mode: 'allow-listed',
        allowTools: [
          'deploy_server',
          'renew_deployment_certificates',
          'scale_out_deployment',
          'destroy_deployment',
        ],
      },
    });
    h.ctx.deployments = world.service;
    client = await connectInProcess(h);
  }, 240_000);

  afterAll(async () => {
    await client?.close();
    await world?.close();
    await releases?.close();
    await signer?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  }, 120_000);

  const results: string[] = [];
  const call = async (name: string, args: Record<string, unknown>): Promise<CallToolResult> => {
    const r = (await client.callTool({ name, arguments: args }, undefined, {
      timeout: 180_000,
    })) as CallToolResult;
    results.push(txt(r));
    return r;
  };

  it('offers the tools, resources and prompts where the deployments are, and only there', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(DEPLOY_TOOLS));
    expect(toolsFor({}).map((t) => t.name)).not.toEqual(expect.arrayContaining(['deploy_server']));
    for (const t of (await client.listTools()).tools.filter((x) => DEPLOY_TOOLS.includes(x.name))) {
      // They act on the app's deployments, not on a Velociraptor server.
      expect(t.inputSchema.properties, t.name).not.toHaveProperty('server');
      expect(t.annotations?.readOnlyHint, t.name).toBe(
        ['list_deployments', 'deployment_status'].includes(t.name),
      );
    }
    expect((await client.listResources()).resources.map((r) => r.uri)).toContain(
      'velociraptor://deployments',
    );
    expect((await client.listResourceTemplates()).resourceTemplates.map((r) => r.uriTemplate)).toContain(
      'velociraptor://deployments/{deployment}',
    );
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toEqual(expect.arrayContaining(['rapid_ir_deployment', 'deploy_and_triage']));
    const p = await client.getPrompt({
      name: 'rapid_ir_deployment',
      arguments: { target: 'ssh', host: 'ir1' },
    });
    const text = JSON.stringify(p.messages);
    expect(text).toContain("deploy_server with target='ssh'");
    expect(text).toContain("host:'ir1'");
    expect(text).toContain('export_deployment_docs');
  });

  it('deploys, reads, renews, documents and destroys a lab, each change approved on its full plan', async () => {
    // Deployed "6 days ago" with 7-day certificates: renewal has something to move.
    world.shift(-6 * DAY);
    approver.asked.length = 0;
    const progress: Array<{ progress: number; total?: number; message?: string }> = [];
    const deployed = (await client.callTool(
      {
        name: 'deploy_server',
        arguments: {
          target: 'lab',
          name: 'mcp-lab',
          profile: 'standard',
          settings: { binary: { kind: 'release', tag: SSH_TEST_TAG }, client: false },
        },
      },
      undefined,
      { timeout: 180_000, onprogress: (p) => progress.push(p) },
    )) as CallToolResult;
    world.shift(0);
    expect(deployed.isError, txt(deployed)).toBeFalsy();
    // Progress while it ran: increasing, out of the plan's steps, ending with all of them done.
    expect(progress.length).toBeGreaterThan(5);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
    // The approval lists each step, then the settings and the warnings.
    const steps = approver.asked[0]!.plan.operations.length - 2;
    expect(progress.at(-1)).toMatchObject({ progress: steps, total: steps });
    expect(progress.map((p) => p.message).join('\n')).toContain('Start the server');
    const out = deployed.structuredContent as {
      deployment_id: string;
      state: string;
      outputs: { connection: string; ca_fingerprint: string; gui_url: string };
    };
    expect(out.state).toBe('deployed');
    expect(out.outputs.connection).toBe('mcp-lab');
    const id = out.deployment_id;
    const password = await loadAdminPassword(secrets, id);
    expect(password.length).toBeGreaterThan(8);

    // The approval listed every resource the deployment then journaled.
    expect(approver.asked.map((a) => a.tool)).toEqual(['deploy_server']);
    const shown = JSON.stringify(approver.asked[0]!.plan);
    const journal = await world.service.find(id);
    expect(journal.resources.length).toBeGreaterThan(3);
    for (const r of journal.resources) expect(shown, `${r.kind} ${r.id}`).toContain(JSON.stringify(r.id));
    expect(approver.asked[0]!.plan.summary).toContain('mcp-lab');

    const listed = (await call('list_deployments', {})).structuredContent as {
      deployments: Array<{ id: string; state: string; certificates: Array<{ level: string }> }>;
    };
    expect(listed.deployments).toEqual([expect.objectContaining({ id, state: 'deployed' })]);
    const status = (await call('deployment_status', { deployment: 'mcp-lab' })).structuredContent as {
      health: { ok: boolean };
      resources: unknown[];
    };
    expect(status.health.ok).toBe(true);
    expect(status.resources).toHaveLength(journal.resources.length);

    // The resources: the list and one deployment, by name.
    const all = await client.readResource({ uri: 'velociraptor://deployments' });
    expect(JSON.parse((all.contents[0] as { text: string }).text)).toMatchObject({
      deployments: [{ id, name: 'mcp-lab' }],
    });
    const one = await client.readResource({ uri: 'velociraptor://deployments/mcp-lab' });
    expect(JSON.parse((one.contents[0] as { text: string }).text)).toMatchObject({
      deployment: { id },
      health: { ok: true },
    });

    // Renewal: approved on a plan with today's expiry; the new certificates end later.
    const before = Date.parse(String(journal.outputs.frontendCertNotAfter));
    const renewed = await call('renew_deployment_certificates', { deployment: id });
    expect(renewed.isError, txt(renewed)).toBeFalsy();
    const r = renewed.structuredContent as { state: string; frontend_not_after: string };
    expect(r.state).toBe('done');
    expect(Date.parse(r.frontend_not_after) - before).toBeGreaterThan(5 * DAY);
    expect(approver.asked.at(-1)!.tool).toBe('renew_deployment_certificates');
    expect(JSON.stringify(approver.asked.at(-1)!.plan)).toContain(
      String(journal.outputs.frontendCertNotAfter),
    );

    // Hand-over docs: the README and the agents' config, which carries no private key.
    const docs = (await call('export_deployment_docs', { deployment: id })).structuredContent as {
      files: string[];
      readme: string;
    };
    expect(docs.readme).toContain(out.outputs.ca_fingerprint);
    const clientConfig = docs.files.find((f) => f.endsWith('client.config.yaml'))!;
    expect(await readFile(clientConfig, 'utf8')).not.toMatch(/private_key/i);

    // A legal hold refuses the destruction before anyone is asked.
    const asked = approver.asked.length;
    await world.service.setLegalHold(id, true, 'case 42');
    const held = await call('destroy_deployment', { deployment: id, evidence: 'skip' });
    expect(held.isError).toBe(true);
    expect(txt(held)).toContain('DEPLOY_LEGAL_HOLD');
    expect(approver.asked).toHaveLength(asked);
    await world.service.setLegalHold(id, false);

    // Denied: asked although the policy allow-lists the tool, and nothing is removed.
    approver.next = 'denied';
    const denied = await call('destroy_deployment', { deployment: id, evidence: 'skip' });
    expect(txt(denied)).toContain('APPROVAL_DENIED');
    expect(approver.asked).toHaveLength(asked + 1);
    expect((await world.service.find(id)).state).toBe('deployed');

    // Approved with the evidence export: the plan listed every live resource; nothing is left.
    // A hunt on the new server through the app's connection: the export has it to carry (a real
    // server starts with no flow or hunt; the simulator with a seeded fleet).
    const svc = await world.connections.service({ server: 'mcp-lab', org: '' });
    const hunt = await svc.createHunt({ description: 'mcp evidence', artifacts: ['Generic.Client.Info'] });
    approver.next = 'approved';
    const pids = journal.resources.filter((x) => x.kind === 'process').map((x) => Number(x.facts?.pid));
    expect(pids.length).toBeGreaterThan(0);
    const destroyed = await call('destroy_deployment', { deployment: 'mcp-lab', evidence: 'export' });
    expect(destroyed.isError, txt(destroyed)).toBeFalsy();
    const plan = JSON.stringify(approver.asked.at(-1)!.plan);
    for (const x of journal.resources) expect(plan, `${x.kind} ${x.id}`).toContain(JSON.stringify(x.id));
    const d = destroyed.structuredContent as {
      removed: Array<{ ok: boolean }>;
      evidence_folder: string;
      evidence_files: number;
    };
    expect(d.removed.filter((x) => !x.ok)).toEqual([]);
    expect(d.evidence_files).toBeGreaterThan(0);
    expect(await readFile(join(d.evidence_folder, 'SHA256SUMS'), 'utf8')).toContain(
      `hunts/${hunt.huntId}.zip`,
    );
    expect(await readdir(d.evidence_folder)).toEqual(expect.arrayContaining(['manifest.json', 'SHA256SUMS']));
    expect(pids.some(alive)).toBe(false);
    expect(await readdir(join(h.dataDir, 'labs'))).toEqual([]);
    for (const ref of Object.values(identitySecrets(id))) expect(await secrets.get(ref.id)).toBeUndefined();
    expect(
      ((await call('list_deployments', {})).structuredContent as { deployments: unknown[] }).deployments,
    ).toEqual([]);

    // Every call is in the audit log; no secret is.
    const { entries } = await h.audit.page(1000);
    expect(entries.map((e) => e.name)).toEqual(expect.arrayContaining(DEPLOY_TOOLS));
    expect(JSON.stringify(entries)).not.toContain(password);
    expect(results.join('')).not.toContain(password);
  }, 400_000);
});
