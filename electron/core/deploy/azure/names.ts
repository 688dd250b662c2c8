/**
 * The names an Azure deployment gives its resources, chosen before anything exists (a clean-up after a
 * crash looks for exactly these), and the tags on everything it makes. Key Vault names are global
 * (3–24 letters, digits and dashes), so the vault's is derived from the deployment id.
 */
import { createHash } from 'node:crypto';

export const AZURE_TAG = {
  deployment: 'megaraptor-deployment',
  managedBy: 'megaraptor-managed-by',
  /** The self-destruction time the on-VM timer reads from the instance metadata (an extension moves it). */
  destroyAt: 'megaraptor-destroy-at',
} as const;

export const AZURE_NAMES = {
  vm: 'velociraptor',
  nic: 'velociraptor-nic',
  publicIp: 'velociraptor-ip',
  nsg: 'velociraptor-nsg',
  vnet: 'megaraptor-vnet',
  subnet: 'servers',
  secret: 'server-config',
} as const;

export function resourceGroupOf(deploymentId: string): string {
  return `megaraptor-${deploymentId}`;
}

export function vaultNameOf(deploymentId: string): string {
  return `mr${createHash('sha256').update(deploymentId).digest('hex').slice(0, 22)}`;
}

export function armDeploymentNameOf(deploymentId: string): string {
  return `megaraptor-${deploymentId}`;
}
