import { describe, expect, it } from 'vitest';
import { CloudAccess } from '../cloud/settings';
import { NODE_HOST_TOKEN } from '../cloud/vm-script';
import { FILE_SYSTEM_TOKEN } from './names';
import {
  awsTemplate,
  ingressRules,
  MAX_INGRESS_RULES,
  stackContents,
  templateBody,
  withNode,
  withoutNode,
  type AwsTemplateInput,
} from './template';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;

function input(over: Partial<AwsTemplateInput> = {}): AwsTemplateInput {
  return {
    deploymentId: 'd-1',
    name: 'ir',
    profile: 'rapid',
    destroyAt: '2026-12-09T20:00:00.000Z',
    instanceType: 't3.medium',
    diskGiB: 30,
    image: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
    subnetId: 'subnet-0abc',
    vpcId: 'vpc-0abc',
    access: CloudAccess.parse({
      agentCidrs: ['198.51.100.0/24', '2001:db8:1::/48'],
      responderCidrs: ['203.0.113.7/32'],
    }),
    ports: { frontend: 8000, api: 8001, gui: 8889 },
    secretName: 'megaraptor/d-1/server-config',
    nodes: [{ role: 'master', port: 8000, userData: '#!/bin/bash\necho boot\n' }],
    ...over,
  };
}

function resources(t: Record<string, unknown>): Resources {
  return t.Resources as Resources;
}

function rulesOf(t: Record<string, unknown>): string[] {
  return Object.values(resources(t))
    .filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress')
    .map((r) => {
      const p = r.Properties;
      const from = (p.CidrIp ?? p.CidrIpv6 ?? (p.SourceSecurityGroupId ? 'group' : '?')) as string;
      return `${String(p.FromPort)} ${from}`;
    })
    .sort();
}

describe('the AWS template', () => {
  it('opens the frontend to the agents and GUI and API to the responder only', () => {
    const t = awsTemplate(input());
    expect(rulesOf(t)).toEqual([
      '8000 198.51.100.0/24',
      '8000 2001:db8:1::/48',
      '8001 203.0.113.7/32',
      '8889 203.0.113.7/32',
    ]);
    expect(JSON.stringify(t)).not.toContain('0.0.0.0/0');
  });

  it('opens only SSH to the responder when the app tunnels', () => {
    const access = CloudAccess.parse({
      agentCidrs: ['198.51.100.0/24'],
      responderCidrs: ['203.0.113.7/32'],
      via: { mode: 'ssh-tunnel', auth: { method: 'agent' } },
    });
    expect(rulesOf(awsTemplate(input({ access, keyName: 'ir-key' })))).toEqual([
      '22 203.0.113.7/32',
      '8000 198.51.100.0/24',
    ]);
  });

  it('makes an encrypted VM that terminates itself, IMDSv2 only, reading exactly its own secret', () => {
    const r = resources(awsTemplate(input()));
    const vm = r.Master!.Properties;
    expect(vm).toMatchObject({
      InstanceType: 't3.medium',
      InstanceInitiatedShutdownBehavior: 'terminate',
      MetadataOptions: { HttpTokens: 'required', InstanceMetadataTags: 'enabled' },
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 30, Encrypted: true, DeleteOnTermination: true } },
      ],
    });
    expect(vm.Tags).toContainEqual({ Key: 'megaraptor:destroy-at', Value: '2026-12-09T20:00:00.000Z' });
    expect(vm.UserData).toEqual({ 'Fn::Base64': '#!/bin/bash\necho boot\n' });
    const policy = JSON.stringify(r.InstanceRole!.Properties.Policies);
    expect(policy).toContain('"Action":"secretsmanager:GetSecretValue"');
    expect(policy).toContain(':secret:megaraptor/d-1/server-config-??????');
    expect(Object.keys(r).filter((k) => r[k]!.Type.startsWith('AWS::EFS'))).toEqual([]);
  });

  it('shares an encrypted EFS store among master and minions, joining in what CloudFormation knows', () => {
    const script = `#!/bin/bash\nNODE_HOST=${NODE_HOST_TOKEN}\nFS=${FILE_SYSTEM_TOKEN}\n`;
    const t = awsTemplate(
      input({
        profile: 'enterprise',
        nodes: [
          { role: 'master', port: 8000, userData: '#!/bin/bash\n' },
          { role: 'minion', port: 8000, userData: script },
          { role: 'minion', port: 8000, userData: script },
        ],
      }),
    );
    const r = resources(t);
    expect(stackContents(t)).toMatchObject({
      'AWS::EC2::Instance': 3,
      'AWS::EC2::EIP': 3,
      'AWS::EC2::EIPAssociation': 3,
      'AWS::EFS::FileSystem': 1,
      'AWS::EFS::MountTarget': 1,
    });
    expect(r.SharedFileSystem!.Properties.Encrypted).toBe(true);
    expect(r.Minion2!.DependsOn).toEqual(['SharedMountTarget']);
    expect(r.Minion1!.Properties.UserData).toEqual({
      'Fn::Base64': {
        'Fn::Join': [
          '',
          ['#!/bin/bash\nNODE_HOST=', { Ref: 'Minion1Address' }, '\nFS=', { Ref: 'SharedFileSystem' }, '\n'],
        ],
      },
    });
    // NFS and the master's API reach the group's own members, nobody else.
    expect(rulesOf(t).filter((x) => x.endsWith('group'))).toEqual(['2049 group', '8001 group']);
    expect(Object.keys(t.Outputs as object)).toEqual(
      expect.arrayContaining(['MasterPublicIp', 'Minion1PublicIp', 'Minion2PrivateIp', 'SharedFileSystemId']),
    );
  });

  it('refuses more inbound rules than a security group takes, and a template CloudFormation would refuse', () => {
    const access = CloudAccess.parse({
      agentCidrs: Array.from({ length: 50 }, (_, i) => `10.${i}.0.0/16`),
      responderCidrs: Array.from({ length: 11 }, (_, i) => `203.0.113.${i}/32`),
    });
    expect(ingressRules({ access, ports: input().ports, nodes: input().nodes })).toHaveLength(72);
    expect(() => awsTemplate(input({ access }))).toThrow(`AWS allows ${MAX_INGRESS_RULES} by default`);
    expect(() =>
      templateBody({ Resources: { X: { Type: 'x', Properties: { Big: 'x'.repeat(52_000) } } } }),
    ).toThrow(/over CloudFormation's 51200/);
  });

  it('scale-out adds one node to the stack as a deploy makes it, and opens only a port no rule opens yet', () => {
    const minion = (port: number) => ({ role: 'minion' as const, port, userData: `#!/bin/bash\n${port}\n` });
    const master = { role: 'master' as const, port: 8000, userData: '#!/bin/bash\n' };
    const current = awsTemplate(input({ profile: 'enterprise', nodes: [master, minion(8000)] }));
    const grown = awsTemplate(input({ profile: 'enterprise', nodes: [master, minion(8000), minion(9100)] }));
    const access = input().access;

    const added = withNode(current, grown, 2, { agentCidrs: access.agentCidrs, port: 9100, tag: 'a1' });
    const r = resources(added);
    for (const [id, res] of Object.entries(resources(current))) expect([id, r[id]]).toEqual([id, res]);
    expect(
      Object.keys(r)
        .filter((k) => !(k in resources(current)))
        .sort(),
    ).toEqual([
      'Minion2a1',
      'Minion2a1Address',
      'Minion2a1AddressAssociation',
      'Minion2a1Ingress1',
      'Minion2a1Ingress2',
    ]);
    // The deploy's node under the scale-out's logical ids (its own address joined into its script).
    expect(JSON.stringify(r.Minion2a1)).toBe(
      JSON.stringify(resources(grown).Minion2).replaceAll('"Minion2Address"', '"Minion2a1Address"'),
    );
    expect(r.Minion2a1AddressAssociation!.Properties).toEqual({
      AllocationId: { 'Fn::GetAtt': ['Minion2a1Address', 'AllocationId'] },
      InstanceId: { Ref: 'Minion2a1' },
    });
    expect(rulesOf(added).filter((x) => x.startsWith('9100'))).toEqual([
      '9100 198.51.100.0/24',
      '9100 2001:db8:1::/48',
    ]);
    expect(added.Outputs).toMatchObject({
      Minion2a1InstanceId: { Value: { Ref: 'Minion2a1' } },
      Minion2a1PublicIp: { Value: { Ref: 'Minion2a1Address' } },
      Minion2a1PrivateIp: { Value: { 'Fn::GetAtt': ['Minion2a1', 'PrivateIp'] } },
    });
    // On the port the agents reach already, no rule more; taking the node out gives the stack back.
    const samePort = withNode(current, grown, 2, { agentCidrs: access.agentCidrs, port: 8000, tag: 'a1' });
    expect(
      Object.keys(resources(samePort)).filter((k) => k.includes('Ingress') && k.startsWith('Minion')),
    ).toEqual([]);
    expect(withoutNode(added, 2, 'a2')).toEqual(added);
    expect(withoutNode(added, 2, 'a1')).toEqual(current);
    expect(() => withNode(added, grown, 2, { agentCidrs: access.agentCidrs, port: 9100, tag: 'a2' })).toThrow(
      /already has a frontend node Minion2/,
    );
  });
});
