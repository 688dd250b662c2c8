/**
 * What the AWS deployer plans, without AWS (planning makes no request): the steps, what the stack
 * will hold and its cost for one server and for the enterprise multi-frontend, and the settings it
 * refuses before anything is made; what a scale-out of it would add (the MCP approval lists it).
 */
import { describe, expect, it } from 'vitest';
import { ResourceRef } from '../../../../shared/deploy';
import { makeHarness, noConnections, recordingApprover } from '../../mcp/testing/harness';
import type { McpDeployments } from '../../mcp/tool-kit';
import { deployApproval, scaleOutDeployment } from '../../mcp/tools/deploy';
import { ReleaseCache } from '../releases/cache';
import { ReleaseSource } from '../releases/source';
import { resolveProfile } from '../profiles';
import type { ConnectionSink } from '../connection-sink';
import { AwsDeployer, type AwsSettingsInput } from './aws-deployer';
import { AwsOperations } from './operations';

const deployer = new AwsDeployer({
  releases: new ReleaseCache({ dir: '/nonexistent', source: new ReleaseSource({ kind: 'github' }) }),
  connections: {} as ConnectionSink,
  secrets: null,
});

const settings = (extra: Partial<AwsSettingsInput> = {}): AwsSettingsInput => ({
  region: 'eu-west-1',
  access: { agentCidrs: ['198.51.100.0/24'], responderCidrs: ['203.0.113.7/32'] },
  release: { tag: 'v0.77.2' },
  ...extra,
});

function plan(profile: 'rapid' | 'enterprise', s: AwsSettingsInput) {
  return deployer.plan(
    { name: 'ir', profile, settings: s },
    { deploymentId: 'dplan000001', now: new Date('2026-12-06T20:00:00Z'), profile: resolveProfile(profile) },
  );
}

describe('an AWS plan', () => {
  it('lists a master and two minions on a shared EFS store for the enterprise profile', async () => {
    const p = await plan('enterprise', settings({ minions: 2 }));
    expect(p.steps.map((s) => s.id)).toContain('verify-frontends');
    expect(p.steps.find((s) => s.id === 'stack')!.resources[0]!.title).toMatch(
      /1 × EFS::FileSystem, 1 × EFS::MountTarget, 3 × EIP, 3 × Instance, 3 × EIPAssociation/,
    );
    expect(p.cost?.items.map((i) => [i.what, i.count])).toEqual([
      ['VM m6i.xlarge', 3],
      ['30 GiB encrypted disk', 3],
      ['public IPv4 address', 3],
      [expect.stringMatching(/^shared file store \(EFS/), 1],
    ]);
    expect(p.autoDestroyAt).toBeNull();
    expect(p.warnings[0]).toMatch(/does not destroy itself/);
    // The MCP approval shows every cloud resource the stack holds, and the cost.
    const approval = JSON.stringify(deployApproval(p));
    expect(approval).toContain(
      '"kind":"cloud-stack","id":"megaraptor-dplan000001","where":"aws://eu-west-1"',
    );
    expect(approval).toContain('3 × Instance');
    expect(approval).toContain('"cost":{"currency":"USD"');
    // The journal takes the stack's entry with the most minions CloudFormation's size limit allows.
    const five = await plan('enterprise', settings({ minions: 4 }));
    for (const step of five.steps)
      for (const r of step.resources) expect(() => ResourceRef.parse(r)).not.toThrow();
  });

  it('plans one server without frontends checks for the rapid profile', async () => {
    const p = await plan('rapid', settings());
    expect(p.steps.map((s) => s.id)).not.toContain('verify-frontends');
    expect(p.autoDestroyAt).toBe('2026-12-09T20:00:00.000Z');
    expect(p.warnings.join('\n')).toMatch(
      /GUI \(8889\) and API \(8001\) are open to 203\.0\.113\.7\/32 only/,
    );
  });

  it('refuses minions outside the enterprise profile, a tunnel without a key pair, GUI/API for everyone', async () => {
    await expect(plan('rapid', settings({ minions: 1 }))).rejects.toThrow(
      /Minions \(multi-frontend\) are for the enterprise profile/,
    );
    await expect(
      plan(
        'rapid',
        settings({
          access: {
            agentCidrs: ['0.0.0.0/0'],
            responderCidrs: ['203.0.113.7/32'],
            via: { mode: 'ssh-tunnel', auth: { method: 'agent' } },
          },
        }),
      ),
    ).rejects.toThrow(/SSH tunnel needs the EC2 key pair/);
    await expect(
      plan('rapid', settings({ access: { agentCidrs: ['0.0.0.0/0'], responderCidrs: ['0.0.0.0/0'] } })),
    ).rejects.toThrow(/must not be open to the whole internet/);
  });

  it('scale-out lists the stack update and the temporary secret in the approval; refuses what AWS has not', async () => {
    const ops = new AwsOperations({ deployer });
    const multi = await plan('enterprise', settings({ minions: 1 }));
    const work = ops.scaleOut(multi, { port: 8100 });
    expect(work.settings).toMatchObject({ minions: 2, minionPorts: [8000, 8100] });
    expect(work.steps.map((x) => x.id)).toEqual(['stack', 'secret', 'verify-frontends', 'seal', 'record']);
    expect(work.retain?.map((r) => r.id)).toEqual(['megaraptor-dplan000001/Minion2a1']);

    const approver = recordingApprover('denied');
    const { asked } = approver;
    const h = makeHarness(noConnections(), { policy: { mode: 'ask' }, approver });
    h.ctx.deployments = {
      scaleOutPlan: (_id: string, request: { port?: number }) => {
        const w = ops.scaleOut(multi, request);
        return Promise.resolve({
          id: multi.deploymentId,
          name: multi.name,
          target: 'aws' as const,
          node: w.node,
          resources: w.resources,
          steps: w.steps.map((x) => x.title),
        });
      },
    } as unknown as McpDeployments;
    await scaleOutDeployment.invoke({ deployment: 'ir', port: 8100 }, h.ctx);
    const shown = JSON.stringify(asked[0]);
    expect(shown).toContain(
      '"kind":"cloud-stack-node","id":"megaraptor-dplan000001/Minion2a1","where":"aws://eu-west-1"',
    );
    expect(shown).toMatch(/EC2 instance.*Elastic IP.*1 inbound rule\(s\) for port 8100/);
    expect(shown).toContain('"kind":"cloud-secret","id":"megaraptor/dplan000001/server-config"');
    expect(shown).toContain('CloudFormation stack update: Minion2a1 on port 8100');

    // The master's port needs no new rule; Docker's bind address, a one-server deployment and the
    // API's port are refused before anything is asked of AWS.
    expect(ops.scaleOut(multi, {}).resources[0]!.title).not.toMatch(/inbound rule/);
    expect(() => ops.scaleOut(multi, { bindAddress: '10.0.0.9' })).toThrow(/no address to bind it to/);
    expect(() => ops.scaleOut(multi, { port: 8001 })).toThrow(/the server's API port/);
    const one = await plan('enterprise', settings());
    expect(() => ops.scaleOut(one, {})).toThrow(/runs one server \(no minions\)/);
  });
});
