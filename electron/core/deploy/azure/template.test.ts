import { utils as sshUtils } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { CloudAccess } from '../cloud/settings';
import { throwAwayPublicKey } from './azure-deployer';
import { vaultNameOf } from './names';
import { azureTemplate, nsgRules, templateContents, type AzureTemplateInput } from './template';
import { azureVmParts } from './vm-parts';

type Resource = { type: string; name: string; dependsOn?: string[]; properties: Record<string, unknown> };

function input(over: Partial<AzureTemplateInput> = {}): AzureTemplateInput {
  return {
    deploymentId: 'd-1',
    location: 'westeurope',
    tenantId: 't-1',
    appObjectId: 'o-1',
    vmSize: 'Standard_B2s',
    diskGiB: 30,
    image: { publisher: 'Canonical', offer: 'ubuntu', sku: '22_04-lts-gen2', version: 'latest' },
    adminUser: 'megaraptor',
    sshPublicKey: 'ssh-rsa AAAA test',
    access: CloudAccess.parse({ agentCidrs: ['198.51.100.7/24'], responderCidrs: ['203.0.113.7/32'] }),
    ports: { frontend: 8000, api: 8001, gui: 8889 },
    vaultName: vaultNameOf('d-1'),
    customData: '#!/bin/bash\necho boot\n',
    destroyAt: '2026-12-09T20:45:00.000Z',
    lifetimeHours: 72,
    ...over,
  };
}

const resources = (t: Record<string, unknown>) => t.resources as Resource[];

describe('the Azure template', () => {
  it('opens the frontend to the agents, GUI and API to the responder, nothing to everyone', () => {
    const rules = nsgRules(input()).map((r) => {
      const p = (r as { properties: Record<string, string> }).properties;
      return `${p.priority} ${p.access} ${p.destinationPortRange} ${p.sourceAddressPrefix}`;
    });
    expect(rules).toEqual([
      '100 Allow 8000 198.51.100.0/24',
      '101 Allow 8889 203.0.113.7/32',
      '102 Allow 8001 203.0.113.7/32',
    ]);
    const tunnel = CloudAccess.parse({
      agentCidrs: ['198.51.100.0/24'],
      responderCidrs: ['203.0.113.7/32'],
      via: { mode: 'ssh-tunnel', auth: { method: 'agent' } },
    });
    expect(nsgRules(input({ access: tunnel })).map((r) => (r as { name: string }).name)).toEqual([
      'allow-frontend-1',
      'allow-ssh-2',
    ]);
  });

  it('makes the VM with its identity and the vault it may read, custom data in base64, no auto-shutdown past a day', () => {
    const t = azureTemplate(input());
    expect(templateContents(t)).toEqual({
      'Microsoft.Network/networkSecurityGroups': 1,
      'Microsoft.Network/virtualNetworks': 1,
      'Microsoft.Network/publicIPAddresses': 1,
      'Microsoft.Network/networkInterfaces': 1,
      'Microsoft.Compute/virtualMachines': 1,
      'Microsoft.KeyVault/vaults': 1,
    });
    const vm = resources(t).find((r) => r.type === 'Microsoft.Compute/virtualMachines')!;
    const os = vm.properties.osProfile as {
      customData: string;
      linuxConfiguration: { disablePasswordAuthentication: boolean };
    };
    expect(Buffer.from(os.customData, 'base64').toString()).toBe('#!/bin/bash\necho boot\n');
    expect(os.linuxConfiguration.disablePasswordAuthentication).toBe(true);
    const vault = resources(t).find((r) => r.type === 'Microsoft.KeyVault/vaults')!;
    expect(vault.name).toMatch(/^mr[0-9a-f]{22}$/);
    expect(vault.dependsOn).toEqual(["[resourceId('Microsoft.Compute/virtualMachines', 'velociraptor')]"]);
    expect((vault.properties.accessPolicies as Array<{ objectId: string }>)[0]!.objectId).toBe(
      "[reference(resourceId('Microsoft.Compute/virtualMachines', 'velociraptor'), '2024-03-01', 'full').identity.principalId]",
    );
  });

  it("adds Azure's auto-shutdown at the deadline for a life of a day at most", () => {
    const t = azureTemplate(input({ lifetimeHours: 8 }));
    const s = resources(t).find((r) => r.type === 'Microsoft.DevTestLab/schedules')!;
    expect(s.name).toBe('shutdown-computevm-velociraptor');
    expect(s.properties).toMatchObject({
      dailyRecurrence: { time: '2045' },
      timeZoneId: 'UTC',
      status: 'Enabled',
    });
  });

  it('gives the VM an OpenSSH key nobody holds the private half of', async () => {
    const key = await throwAwayPublicKey();
    const parsed = sshUtils.parseKey(key);
    expect(parsed instanceof Error ? parsed.message : (parsed as { type: string }).type).toBe('ssh-rsa');
  });

  it('reads the config from the vault with the managed identity and tells "not there" apart', () => {
    const parts = azureVmParts({ vaultUri: 'https://mrabc.vault.azure.net/', secretName: 'server-config' });
    expect(parts.vars).toMatchObject({
      VAULT_URI: 'https://mrabc.vault.azure.net',
      SECRET_NAME: 'server-config',
    });
    expect(parts.fetchConfig).toContain(
      'metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net',
    );
    expect(parts.fetchConfig).toMatch(/404\) rm -f "\$out"; return 3;;/);
  });
});
