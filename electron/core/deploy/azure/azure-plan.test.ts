/**
 * What the Azure deployer plans, without Azure (planning makes no request): the steps, the resources
 * the MCP approval lists (the resource group, every resource type of the template, the Key Vault
 * secret, the keychain entries, the connection) and the cost until the self-destruction.
 */
import { describe, expect, it } from 'vitest';
import { deployApproval } from '../../mcp/tools/deploy';
import type { ConnectionSink } from '../connection-sink';
import { resolveProfile } from '../profiles';
import { ReleaseCache } from '../releases/cache';
import { ReleaseSource } from '../releases/source';
import { AzureDeployer } from './azure-deployer';
import { RAPID_AZURE_STEPS } from '../testing/expected-steps';

const deployer = new AzureDeployer({
  releases: new ReleaseCache({ dir: '/nonexistent', source: new ReleaseSource({ kind: 'github' }) }),
  connections: {} as ConnectionSink,
});

describe('an Azure plan', () => {
  it('lists every cloud resource and the cost in the MCP approval', async () => {
    const p = await deployer.plan(
      {
        name: 'ir',
        profile: 'rapid',
        settings: {
          subscriptionId: '11111111-2222-4333-8444-555555555555',
          location: 'westeurope',
          access: { agentCidrs: ['0.0.0.0/0'], responderCidrs: ['203.0.113.7/32'] },
          release: { tag: 'v0.77.2' },
        },
      },
      {
        deploymentId: 'dplan000002',
        now: new Date('2026-12-06T20:00:00Z'),
        profile: resolveProfile('rapid'),
      },
    );
    expect(p.steps.map((s) => s.id)).toEqual(RAPID_AZURE_STEPS);
    const approval = JSON.stringify(deployApproval(p));
    expect(approval).toContain(
      '"kind":"cloud-resource-group","id":"megaraptor-dplan000002","where":"azure://11111111-2222-4333-8444-555555555555"',
    );
    for (const type of [
      'Compute/virtualMachines',
      'Network/networkSecurityGroups',
      'Network/publicIPAddresses',
      'KeyVault/vaults',
    ])
      expect(approval).toContain(`1 × ${type}`);
    expect(approval).toMatch(/"kind":"cloud-secret","id":"mr[a-z0-9-]+\/[a-z-]+"/);
    expect(approval).toContain('"kind":"connection","id":"ir"');
    expect(approval).toContain('"cost":{"currency":"USD"');
    expect(p.cost?.items[0]).toMatchObject({ what: 'VM Standard_B2s', count: 1 });
    expect(p.cost?.hours).toBe(72);
    expect(p.warnings.join('\n')).toMatch(/frontend port\(s\) 8000 are open to the whole internet/);
  });
});
