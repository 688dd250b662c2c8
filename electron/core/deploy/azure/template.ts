/**
 * The ARM template of an Azure deployment, a pure function of the plan (the review step shows what it
 * holds; tests assert on it), deployed into the deployment's own resource group — the old tool's
 * template had no VM; this one is built around it:
 *
 * - a network security group: the frontend port from the agents' ranges, the GUI and API ports (or
 *   SSH only, when the app tunnels) from the responder's ranges; Azure's default rules deny the rest
 *   of the internet;
 * - a virtual network and subnet behind that group, a static Standard public IP, the NIC;
 * - the VM (Ubuntu 22.04 LTS; managed disks are encrypted at rest by Azure; deleted with the VM), with
 *   a system-assigned identity, SSH keys only, and the boot script as custom data (no secret in it);
 * - a Key Vault (soft delete, 7 days; purged on destroy) whose access policies let the VM's identity
 *   read secrets and the responder's identity write, delete and purge them — the config goes there;
 * - for a life of at most 24 hours, Azure's own auto-shutdown at the deadline (a daily schedule, so a
 *   longer life would be cut short by it): it deallocates the VM without the laptop.
 *
 * Names are literal (names.ts) and ids come from `resourceId(...)`, the identity from `reference(...)`.
 */
import { AppError } from '../../../../shared/errors';
import { parseCidr } from '../cloud/cidr';
import type { CloudAccess } from '../cloud/settings';
import { AZURE_NAMES as N, AZURE_TAG } from './names';

export const API_VERSIONS = {
  network: '2023-09-01',
  compute: '2024-03-01',
  keyVault: '2023-07-01',
  devTestLab: '2018-09-15',
} as const;

/** Network security group rules: priorities 100–4096, user rules within. */
export const MAX_NSG_RULES = 1000;

export interface AzureImage {
  publisher: string;
  offer: string;
  sku: string;
  version: string;
}

export interface AzureTemplateInput {
  deploymentId: string;
  location: string;
  tenantId: string;
  /** The responder's object id (the token's `oid`): the vault lets it write and purge the config. */
  appObjectId: string;
  vmSize: string;
  diskGiB: number;
  image: AzureImage;
  adminUser: string;
  sshPublicKey: string;
  access: CloudAccess;
  ports: { frontend: number; api: number; gui: number };
  vaultName: string;
  /** The boot script (cloud/vm-script.ts), plain text; base64 here. */
  customData: string;
  destroyAt: string | null;
  /** Hours from now to destroyAt (the auto-shutdown only when ≤ 24). */
  lifetimeHours: number | null;
}

type Json = Record<string, unknown>;

function rid(type: string, ...names: string[]): string {
  return `[resourceId('${type}', ${names.map((n) => `'${n}'`).join(', ')})]`;
}

function tags(input: AzureTemplateInput): Record<string, string> {
  return {
    [AZURE_TAG.deployment]: input.deploymentId,
    [AZURE_TAG.managedBy]: 'megaraptor-desktop',
    ...(input.destroyAt ? { [AZURE_TAG.destroyAt]: input.destroyAt } : {}),
  };
}

/** Every inbound rule of the security group: what the review lists and the tests compare. */
export function nsgRules(input: Pick<AzureTemplateInput, 'access' | 'ports'>): Json[] {
  const wanted: Array<{ cidr: string; port: number; what: string }> = [];
  for (const cidr of input.access.agentCidrs)
    wanted.push({ cidr, port: input.ports.frontend, what: 'frontend' });
  for (const cidr of input.access.responderCidrs) {
    if (input.access.via.mode === 'direct') {
      wanted.push({ cidr, port: input.ports.gui, what: 'gui' });
      wanted.push({ cidr, port: input.ports.api, what: 'api' });
    } else wanted.push({ cidr, port: 22, what: 'ssh' });
  }
  if (wanted.length > MAX_NSG_RULES)
    throw new AppError(
      'INVALID_ARGUMENT',
      `The security group would need ${wanted.length} rules: give fewer, wider ranges.`,
    );
  return wanted.map((w, i) => ({
    name: `allow-${w.what}-${i + 1}`,
    properties: {
      priority: 100 + i,
      direction: 'Inbound',
      access: 'Allow',
      protocol: 'Tcp',
      sourceAddressPrefix: parseCidr(w.cidr).text,
      sourcePortRange: '*',
      destinationAddressPrefix: '*',
      destinationPortRange: String(w.port),
    },
  }));
}

/** Azure's auto-shutdown time of day ("HHmm", UTC) for the deadline. */
function shutdownTime(iso: string): string {
  const d = new Date(iso);
  return `${String(d.getUTCHours()).padStart(2, '0')}${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

export function azureTemplate(input: AzureTemplateInput): Json {
  const t = tags(input);
  const vmId = rid('Microsoft.Compute/virtualMachines', N.vm);
  const resources: Json[] = [
    {
      type: 'Microsoft.Network/networkSecurityGroups',
      apiVersion: API_VERSIONS.network,
      name: N.nsg,
      location: input.location,
      tags: t,
      properties: { securityRules: nsgRules(input) },
    },
    {
      type: 'Microsoft.Network/virtualNetworks',
      apiVersion: API_VERSIONS.network,
      name: N.vnet,
      location: input.location,
      tags: t,
      dependsOn: [rid('Microsoft.Network/networkSecurityGroups', N.nsg)],
      properties: {
        addressSpace: { addressPrefixes: ['10.20.0.0/16'] },
        subnets: [
          {
            name: N.subnet,
            properties: {
              addressPrefix: '10.20.0.0/24',
              networkSecurityGroup: { id: rid('Microsoft.Network/networkSecurityGroups', N.nsg) },
            },
          },
        ],
      },
    },
    {
      type: 'Microsoft.Network/publicIPAddresses',
      apiVersion: API_VERSIONS.network,
      name: N.publicIp,
      location: input.location,
      tags: t,
      sku: { name: 'Standard' },
      properties: { publicIPAllocationMethod: 'Static', publicIPAddressVersion: 'IPv4' },
    },
    {
      type: 'Microsoft.Network/networkInterfaces',
      apiVersion: API_VERSIONS.network,
      name: N.nic,
      location: input.location,
      tags: t,
      dependsOn: [
        rid('Microsoft.Network/virtualNetworks', N.vnet),
        rid('Microsoft.Network/publicIPAddresses', N.publicIp),
      ],
      properties: {
        ipConfigurations: [
          {
            name: 'primary',
            properties: {
              privateIPAllocationMethod: 'Dynamic',
              subnet: { id: rid('Microsoft.Network/virtualNetworks/subnets', N.vnet, N.subnet) },
              publicIPAddress: { id: rid('Microsoft.Network/publicIPAddresses', N.publicIp) },
            },
          },
        ],
      },
    },
    {
      type: 'Microsoft.Compute/virtualMachines',
      apiVersion: API_VERSIONS.compute,
      name: N.vm,
      location: input.location,
      tags: t,
      identity: { type: 'SystemAssigned' },
      dependsOn: [rid('Microsoft.Network/networkInterfaces', N.nic)],
      properties: {
        hardwareProfile: { vmSize: input.vmSize },
        storageProfile: {
          imageReference: input.image,
          osDisk: {
            createOption: 'FromImage',
            diskSizeGB: input.diskGiB,
            managedDisk: { storageAccountType: 'Premium_LRS' },
            deleteOption: 'Delete',
          },
        },
        osProfile: {
          computerName: N.vm,
          adminUsername: input.adminUser,
          customData: Buffer.from(input.customData).toString('base64'),
          linuxConfiguration: {
            disablePasswordAuthentication: true,
            ssh: {
              publicKeys: [
                { path: `/home/${input.adminUser}/.ssh/authorized_keys`, keyData: input.sshPublicKey },
              ],
            },
          },
        },
        // Managed boot diagnostics: the serial log (the boot script's output) the app shows as logs.
        diagnosticsProfile: { bootDiagnostics: { enabled: true } },
        networkProfile: {
          networkInterfaces: [
            { id: rid('Microsoft.Network/networkInterfaces', N.nic), properties: { deleteOption: 'Delete' } },
          ],
        },
      },
    },
    {
      type: 'Microsoft.KeyVault/vaults',
      apiVersion: API_VERSIONS.keyVault,
      name: input.vaultName,
      location: input.location,
      tags: t,
      dependsOn: [vmId],
      properties: {
        tenantId: input.tenantId,
        sku: { family: 'A', name: 'standard' },
        enableSoftDelete: true,
        softDeleteRetentionInDays: 7,
        enableRbacAuthorization: false,
        accessPolicies: [
          {
            tenantId: input.tenantId,
            objectId: `[reference(${vmId.slice(1, -1)}, '${API_VERSIONS.compute}', 'full').identity.principalId]`,
            permissions: { secrets: ['get'] },
          },
          {
            tenantId: input.tenantId,
            objectId: input.appObjectId,
            permissions: { secrets: ['get', 'set', 'delete', 'purge'] },
          },
        ],
      },
    },
  ];
  if (input.destroyAt && input.lifetimeHours !== null && input.lifetimeHours <= 24)
    resources.push({
      type: 'Microsoft.DevTestLab/schedules',
      apiVersion: API_VERSIONS.devTestLab,
      name: `shutdown-computevm-${N.vm}`,
      location: input.location,
      tags: t,
      dependsOn: [vmId],
      properties: {
        status: 'Enabled',
        taskType: 'ComputeVmShutdownTask',
        dailyRecurrence: { time: shutdownTime(input.destroyAt) },
        timeZoneId: 'UTC',
        targetResourceId: vmId,
      },
    });
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    resources,
  };
}

/** What the template makes, counted by type (the plan lists it for the review and the approval). */
export function templateContents(template: Json): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of template.resources as Array<{ type: string }>) out[r.type] = (out[r.type] ?? 0) + 1;
  return out;
}
