import { describe, expect, it } from 'vitest';
import { deploymentDocs } from './docs-export';
import type { JournalDoc } from './journal';

function doc(extra: Partial<JournalDoc>): JournalDoc {
  return {
    format: 'megaraptor-deployment-journal',
    version: 1,
    id: 'dcloud00001',
    name: 'ir-cloud',
    target: 'aws',
    profile: { name: 'rapid', title: 'Rapid response' },
    settings: {},
    plannedSteps: [],
    warnings: [],
    state: 'deployed',
    owner: null,
    createdAt: '2026-12-06T20:00:00.000Z',
    updatedAt: '2026-12-06T20:10:00.000Z',
    autoDestroyAt: '2026-12-09T20:10:00.000Z',
    steps: [],
    resources: [],
    outputs: {},
    ...extra,
  };
}

const at = { step: 'stack', at: '2026-12-06T20:01:00.000Z' };
const now = new Date('2026-12-06T21:00:00Z');

describe('deployment docs', () => {
  it('say what a legal hold protects from: a disarmed target timer, or one that still fires', () => {
    const held = (targetTimer: 'disarmed' | 'armed' | undefined) =>
      deploymentDocs(
        doc({
          legalHold: {
            since: '2026-12-07T01:00:00.000Z',
            reason: 'case 44',
            ...(targetTimer ? { targetTimer } : {}),
          },
        }),
        { certificates: [], now },
      ).readme;
    expect(held('disarmed')).toContain(
      "**Legal hold** since 2026-12-07T01:00:00.000Z: case 44. Its target's own self-destruction timer is disarmed",
    );
    expect(held('armed')).toMatch(/could not be disarmed and still fires: the hold stops the app only/);
    expect(held(undefined)).toMatch(
      /placed before holds disarmed the target's own timer, which may still fire/,
    );
  });

  it('say where an AWS deployment lives: account, region, each VM and every cloud resource still held', () => {
    const { readme } = deploymentDocs(
      doc({
        outputs: {
          awsAccountId: '123456789012',
          awsRegion: 'eu-west-1',
          node0Address: '198.51.100.10',
          node0InstanceId: 'i-0master',
          node1Address: '198.51.100.11',
          node1InstanceId: 'i-0minion',
        },
        resources: [
          {
            kind: 'cloud-stack',
            id: 'megaraptor-dcloud00001',
            scope: 'aws://eu-west-1',
            title: 'CloudFormation stack: 2 × EC2::Instance',
            state: 'created',
            ...at,
          },
          {
            kind: 'cloud-secret',
            id: 'megaraptor/dcloud00001/config',
            scope: 'aws://eu-west-1',
            title: 'the server config',
            state: 'removed',
            ...at,
          },
          { kind: 'connection', id: 'ir-cloud', scope: 'app', title: 'connection', state: 'created', ...at },
        ],
      }),
      { certificates: [], now },
    );
    const cloud = readme.slice(readme.indexOf('## In the cloud'), readme.indexOf('## Trust'));
    expect(cloud).toContain('- **AWS account and region:** 123456789012, eu-west-1');
    expect(cloud).toContain('- Master: 198.51.100.10 (instance i-0master)');
    expect(cloud).toContain('- Minion 1: 198.51.100.11 (instance i-0minion)');
    expect(cloud).toContain(
      'CloudFormation stack: 2 × EC2::Instance: `megaraptor-dcloud00001` (aws://eu-west-1, created)',
    );
    // Gone already, or not a cloud resource: not listed.
    expect(cloud).not.toContain('server config');
    expect(cloud).not.toContain('connection');
  });

  it('name the Azure subscription and resource group, and say nothing of a cloud for other targets', () => {
    const azure = deploymentDocs(
      doc({
        target: 'azure',
        outputs: { azureSubscriptionId: '11111111-2222-4333-8444-555555555555', node0Address: '192.0.2.10' },
        resources: [
          {
            kind: 'cloud-resource-group',
            id: 'megaraptor-dcloud00001',
            scope: 'azure://11111111-2222-4333-8444-555555555555',
            title: 'resource group in westeurope',
            state: 'created',
            ...at,
          },
        ],
      }),
      { certificates: [], now },
    ).readme;
    expect(azure).toContain('- **Azure subscription:** 11111111-2222-4333-8444-555555555555');
    expect(azure).toContain('- Master: 192.0.2.10\n');
    expect(azure).toContain('resource group in westeurope: `megaraptor-dcloud00001`');
    const docker = deploymentDocs(doc({ target: 'docker' }), { certificates: [], now }).readme;
    expect(docker).not.toContain('## In the cloud');
  });

  it('tell how soon an agent enrolled through a minion gets its first task, only with minions', () => {
    const multi = deploymentDocs(
      doc({
        target: 'docker',
        outputs: {
          frontendUrl: 'https://localhost:8000/',
          minionNodes: 'localhost-8100,localhost-8101',
        },
      }),
      { certificates: [], now },
    ).readme;
    const agents = multi.slice(multi.indexOf('## Next step: agents'));
    expect(agents).toContain('the master and the minions localhost-8100, localhost-8101.');
    expect(agents).toContain('every 15 s in this deployment (Frontend.resources.client_info_write_time');
    expect(agents).toContain('within about 40 s');
    const single = deploymentDocs(
      doc({ target: 'docker', outputs: { frontendUrl: 'https://localhost:8000/' } }),
      { certificates: [], now },
    ).readme;
    expect(single).not.toContain('minion');
  });
});
