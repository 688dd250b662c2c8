/**
 * The deployment tools' shape without a deployment: which servers offer them, which ask, what an
 * approval of a plan shows, what a stdio server answers, and the prompts' text. The end-to-end run
 * on a real lab is deploy.int.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { DeploymentPlan } from '../../deploy/index';
import { toolsFor } from '../registry';
import { makeHarness, noConnections, recordingApprover } from '../testing/harness';
import type { McpDeployments } from '../tool-kit';
import { deployApproval, deploymentPrompts, deployTools, scaleOutDeployment } from './deploy';

const NAMES = deployTools.map((t) => t.name);

describe('MCP deployment tools', () => {
  it('are offered where the app has deployments, and only there', () => {
    expect(NAMES).toEqual([
      'deploy_server',
      'list_deployments',
      'deployment_status',
      'renew_deployment_certificates',
      'scale_out_deployment',
      'export_deployment_docs',
      'destroy_deployment',
    ]);
    const without = toolsFor({}).map((t) => t.name);
    for (const n of NAMES) expect(without).not.toContain(n);
    // Any value stands for the service here: only its presence decides.
    const withDeployments = toolsFor({ deployments: {} as McpDeployments }).map((t) => t.name);
    expect(withDeployments).toEqual(expect.arrayContaining(NAMES));
  });

  it('ask before a change, never before a read; take no server or org', () => {
    const gated = Object.fromEntries(deployTools.map((t) => [t.name, t.gated]));
    expect(gated).toEqual({
      deploy_server: true,
      list_deployments: false,
      deployment_status: false,
      renew_deployment_certificates: true,
      scale_out_deployment: true,
      export_deployment_docs: false,
      destroy_deployment: true,
    });
    for (const t of deployTools) {
      expect(Object.keys(t.inputSchema.shape), t.name).not.toContain('server');
      expect(t.inputSchema.safeParse(t.example({} as never)).success, t.name).toBe(true);
    }
    expect(deployTools.find((t) => t.name === 'destroy_deployment')!.annotations.destructiveHint).toBe(true);
  });

  it('say where they run when a server has no deployments (a stdio server)', async () => {
    const h = makeHarness(noConnections());
    const r = await deployTools[1]!.invoke({}, h.ctx);
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r.content)).toContain("use the app's MCP endpoint (HTTP)");
  });

  it('ask before making, changing or destroying a deployment even when the policy allow-lists the tool', async () => {
    const changing = [
      'deploy_server',
      'renew_deployment_certificates',
      'scale_out_deployment',
      'destroy_deployment',
    ];
    expect(deployTools.filter((t) => t.alwaysAsk).map((t) => t.name)).toEqual(changing);
    const approver = recordingApprover('denied');
    const h = makeHarness(noConnections(), {
      approver,
      policy: { mode: 'allow-listed', allowTools: changing },
    });
    const doc = {
      id: 'dlab00000001',
      name: 'ir-lab',
      target: 'lab',
      state: 'deployed',
      outputs: {},
      resources: [],
    };
    const ran: string[] = [];
    const refuse = (what: string) => () => {
      ran.push(what);
      return Promise.reject(new Error(`${what} ran without the responder's approval`));
    };
    h.ctx.deployments = {
      plan: () =>
        Promise.resolve({
          deploymentId: doc.id,
          name: doc.name,
          target: 'lab',
          profile: { title: 'Standard', autoDestroyHours: null },
          settings: {},
          steps: [],
          warnings: [],
          autoDestroyAt: null,
        }),
      find: () => Promise.resolve(doc),
      evidenceFolder: () => '/tmp/evidence',
      scaleOutPlan: () =>
        Promise.resolve({
          id: doc.id,
          name: doc.name,
          target: 'docker',
          node: 'localhost-9003',
          resources: [],
          steps: [],
        }),
      deploy: refuse('deploy'),
      renewCertificates: refuse('renew'),
      scaleOut: refuse('scale-out'),
      destroy: refuse('destroy'),
    } as unknown as McpDeployments;
    const tool = (name: string) => deployTools.find((t) => t.name === name)!;
    const results = [
      await tool('deploy_server').invoke(
        { target: 'lab', name: 'ir-lab', settings: { binary: { kind: 'release', tag: 'v0.77.2' } } },
        h.ctx,
      ),
      await tool('renew_deployment_certificates').invoke({ deployment: 'ir-lab' }, h.ctx),
      await tool('scale_out_deployment').invoke({ deployment: 'ir-lab' }, h.ctx),
      await tool('destroy_deployment').invoke({ deployment: 'ir-lab', evidence: 'skip' }, h.ctx),
    ];
    expect(approver.asked.map((a) => a.tool)).toEqual(changing);
    for (const r of results) expect(JSON.stringify(r.content)).toContain('APPROVAL_DENIED');
    expect(ran).toEqual([]);
  });

  it("show every step's resources, the settings, warnings and the self-destruction in a deploy approval", () => {
    const plan = {
      deploymentId: 'dtest0000000001',
      name: 'ir-42',
      target: 'docker',
      profile: {
        title: 'Rapid',
        limits: { memoryBytes: 1, nanoCpus: 1, pids: 1 },
        certificates: { caDays: 30, serverDays: 7, apiDays: 7 },
        autoDestroyHours: 72,
      },
      settings: { network: 'bridge', frontend: { port: 8000 } },
      steps: [
        {
          id: 'image',
          title: 'Server image',
          resources: [
            { kind: 'image', id: 'megaraptor/velociraptor-server:x', scope: 'engine', title: 'image' },
          ],
        },
        {
          id: 'volumes',
          title: 'Volumes',
          resources: [
            { kind: 'volume', id: 'megaraptor-x-data', scope: 'engine', title: 'data' },
            { kind: 'volume', id: 'megaraptor-x-config', scope: 'engine', title: 'config' },
          ],
        },
      ],
      warnings: ['The frontend is published on 0.0.0.0:8000.'],
      createdAt: '2026-12-06T00:00:00Z',
      autoDestroyAt: '2026-12-09T00:00:00Z',
    } as unknown as DeploymentPlan;
    const a = deployApproval(plan);
    expect(a.summary).toContain('ir-42');
    expect(a.summary).toContain('2026-12-09T00:00:00Z');
    const shown = JSON.stringify(a);
    for (const id of ['megaraptor/velociraptor-server:x', 'megaraptor-x-data', 'megaraptor-x-config'])
      expect(shown).toContain(id);
    expect(shown).toContain('0.0.0.0:8000');
    expect(shown).toContain('"network":"bridge"');
  });

  it('list the new minion container in a scale-out approval, then run what was approved', async () => {
    const approver = recordingApprover('approved');
    const { asked } = approver;
    const h = makeHarness(noConnections(), { policy: { mode: 'ask' }, approver });
    const ran: unknown[] = [];
    h.ctx.deployments = {
      scaleOutPlan: (_id: string, request: { port?: number }) =>
        Promise.resolve({
          id: 'dmulti',
          name: 'ir-ent',
          target: 'docker' as const,
          node: `localhost-${request.port}`,
          resources: [
            {
              kind: 'container' as const,
              id: `megaraptor-dmulti-minion-${request.port}`,
              scope: 'unix:///run/docker.sock',
              title: 'minion',
            },
          ],
          steps: ['Add the minion to the server config', 'Minion container', 'The master reports it'],
        }),
      scaleOut: (id: string, request: unknown) => {
        ran.push([id, request]);
        return Promise.resolve({
          journal: { settings: { minions: [1, 2, 3] } },
          operation: { id: 'op-1', state: 'done' },
        });
      },
    } as unknown as McpDeployments;
    const r = await scaleOutDeployment.invoke({ deployment: 'ir-ent', port: 9003 }, h.ctx);
    expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
    expect(asked).toHaveLength(1);
    expect(asked[0]!.plan.summary).toContain('localhost-9003');
    expect(JSON.stringify(asked[0])).toContain('megaraptor-dmulti-minion-9003');
    expect(ran).toEqual([['dmulti', { port: 9003 }]]);
    expect(r.structuredContent).toMatchObject({ node: 'localhost-9003', minions: 3, state: 'done' });
  });

  it('prompts name the tools and the target, and carry no secret slot', () => {
    const rapid = deploymentPrompts.find((p) => p.name === 'rapid_ir_deployment')!;
    const text = rapid.text({ target: 'ssh', host: 'ir-host', name: 'case-7' });
    expect(text).toContain("deploy_server with target='ssh', name='case-7', profile='rapid'");
    expect(text).toContain("host:'ir-host'");
    expect(text).toContain("auth:{method:'agent'}");
    const triage = deploymentPrompts.find((p) => p.name === 'deploy_and_triage')!;
    const t = triage.text({ incident_type: 'ransomware' });
    expect(t).toContain("target='lab'");
    expect(t).toContain('ransomware');
    expect(t).toContain("server='ir-triage'");
    for (const p of deploymentPrompts)
      expect(Object.keys(p.argsSchema).join(' ')).not.toMatch(/pass|key|token/i);
  });
});
