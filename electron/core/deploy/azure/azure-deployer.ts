/**
 * The Azure target: a Velociraptor server on an Azure VM in a resource group of its own, made by one
 * ARM template deployment (template.ts), with OUR config delivered through the group's Key Vault —
 * never in custom data — and deleted (and purged) once the server is verified.
 *
 * Steps (each journaled by the runner):
 *   account         who the credentials are (tenant, object id), shown before anything is made
 *   binary          the verified release for linux-amd64: its SHA-256 and URL go into the boot script
 *   group           the resource group (its name chosen before it exists: a clean-up after a crash finds
 *                   it); deleting it deletes everything below, the vault then purged
 *   infrastructure  the template: security group, network, public IP, VM with its identity, Key Vault
 *   identity        CA, certificates, API identity, admin password → keychain
 *   secret          the config in Key Vault, readable by the VM's identity only (and the responder's)
 *   boot, verify-api, verify-gui, seal (the secret deleted and purged), connect
 *
 * Self-destruction (rapid profile): an on-VM timer at the deadline stops the server and shuts the OS
 * down (moved by the VM's `megaraptor-destroy-at` tag), Azure's auto-shutdown deallocates a VM that
 * lives at most a day, and the app's reaper deletes the group. One server only: the multi-frontend
 * (minions) is built for AWS and Docker.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { PreflightCheck, ResourceRef } from '../../../../shared/deploy';
import { AppError, messageOf } from '../../../../shared/errors';
import {
  accessNotes,
  CLOUD_VM,
  CloudDeployer,
  cloudPlanBase,
  cloudStepTitles,
  describeContents,
  PreflightChecks,
  type CloudDeployerDeps,
} from '../cloud/cloud-steps';
import { costHint, describeCost } from '../cloud/cost';
import { CloudCommon } from '../cloud/settings';
import { bootScript } from '../cloud/vm-script';
import { parseSettings } from '../common-steps';
import type {
  Deployer,
  DeploymentPlan,
  DeployRequest,
  PlanContext,
  PreflightContext,
  RemoveContext,
  StepContext,
} from '../model';
import { checkUserNames, loadServerConfig } from '../server-identity';
import {
  AzureClientPool,
  AzureCredentialSource,
  azureError,
  isAzureNotFound,
  type AzureConnection,
  type AzureOverrides,
} from './clients';
import { armDeploymentNameOf, AZURE_NAMES as N, resourceGroupOf, vaultNameOf } from './names';
import { API_VERSIONS, azureTemplate, nsgRules, templateContents } from './template';
import { azureVmParts } from './vm-parts';

const Uuid = z.string().regex(/^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/, 'a GUID');

export const AzureSettings = z.object({
  credentials: AzureCredentialSource.default({ source: 'chain' }),
  subscriptionId: Uuid,
  tenantId: Uuid.optional(),
  location: z.string().regex(/^[a-z][a-z0-9]{2,30}$/, 'an Azure region such as westeurope'),
  /** VM size; the profile's when absent. */
  vmSize: z
    .string()
    .regex(/^Standard_[A-Za-z0-9_]+$/, 'an Azure VM size such as Standard_D2s_v5')
    .optional(),
  diskGiB: z.number().int().min(30).max(4095).optional(),
  image: z
    .object({
      publisher: z.string().min(1),
      offer: z.string().min(1),
      sku: z.string().min(1),
      version: z.string().min(1),
    })
    .default({
      publisher: 'Canonical',
      offer: '0001-com-ubuntu-server-jammy',
      sku: '22_04-lts-gen2',
      version: 'latest',
    }),
  /** The VM's admin login (SSH keys only). */
  vmAdminUser: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/)
    .default('megaraptor'),
  /** The OpenSSH public key the VM trusts (needed for the SSH tunnel); a throw-away key when absent. */
  sshPublicKey: z
    .string()
    .regex(/^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( .*)?$/, 'an OpenSSH public key')
    .optional(),
  ...CloudCommon,
});
export type AzureSettings = z.output<typeof AzureSettings>;
export type AzureSettingsInput = z.input<typeof AzureSettings>;

export interface AzureDeployerDeps extends CloudDeployerDeps {
  /** Test seams: the local ARM endpoint, its CA, a test credential, the vault address. */
  azure?: AzureOverrides;
}

const STEP_TITLES = cloudStepTitles({
  account: 'Azure subscription and account',
  infrastructure: {
    group: 'Resource group of this deployment',
    infrastructure: 'VM, network security group, public IP, Key Vault (ARM template)',
  },
  secret: 'Server config in Key Vault (for the VM only)',
  seal: 'Config secret deleted and purged from Key Vault',
});

const PROFILE_MACHINE: Record<string, { size: string; diskGiB: number }> = {
  rapid: { size: 'Standard_B2s', diskGiB: 30 },
  standard: { size: 'Standard_D2s_v5', diskGiB: 100 },
  enterprise: { size: 'Standard_D4s_v5', diskGiB: 200 },
};

export function azurePlan(plan: DeploymentPlan): DeploymentPlan<AzureSettings> {
  if (plan.target !== 'azure')
    throw new AppError('INVALID_ARGUMENT', `Deployment ${plan.name} is not an Azure deployment.`);
  return { ...plan, settings: AzureSettings.parse(plan.settings) };
}

function connectionOf(s: AzureSettings): AzureConnection {
  return { subscriptionId: s.subscriptionId, tenantId: s.tenantId, credentials: s.credentials };
}

interface ArmErrorDetail {
  code?: string;
  message?: string;
  details?: ArmErrorDetail[];
}

/** An ARM error with its nested details, innermost reasons included (they name the resource). */
function armErrorText(e: ArmErrorDetail | undefined): string {
  if (!e) return '';
  const inner = (e.details ?? []).map(armErrorText).filter(Boolean);
  const own = [e.code, e.message].filter(Boolean).join(': ');
  return [own, ...inner].filter(Boolean).join('; ');
}

/** The vault URI Azure gives a vault of that name (public cloud). */
export function vaultUriOf(deploymentId: string): string {
  return `https://${vaultNameOf(deploymentId)}.vault.azure.net/`;
}

/** An OpenSSH public key whose private half is never kept: the VM needs one, nobody logs in with it. */
const generateKeyPairAsync = promisify(generateKeyPair);

export async function throwAwayPublicKey(): Promise<string> {
  const { publicKey } = await generateKeyPairAsync('rsa', { modulusLength: 3072 });
  const jwk = publicKey.export({ format: 'jwk' });
  // RFC 4253 §6.6: string "ssh-rsa", mpint e, mpint n.
  const field = (b: Buffer) =>
    Buffer.concat([Buffer.from([0, 0, 0, 0].map((_, i) => (b.length >>> (24 - 8 * i)) & 255)), b]);
  const mpint = (b64: string) => {
    const b = Buffer.from(b64, 'base64url');
    return field(b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
  };
  const blob = Buffer.concat([field(Buffer.from('ssh-rsa')), mpint(jwk.e!), mpint(jwk.n!)]);
  return `ssh-rsa ${blob.toString('base64')} megaraptor-no-login`;
}

export class AzureDeployer extends CloudDeployer<AzureSettings> implements Deployer<AzureSettings> {
  readonly target = 'azure' as const;
  readonly kinds = ['cloud-resource-group', 'cloud-secret'] as const;
  readonly clients: AzureClientPool;
  protected readonly titles = STEP_TITLES;
  protected readonly sealNote =
    'The config secret is deleted and purged from Key Vault: the keys live on the VM and in your keychain only';
  protected readonly bootLogHint =
    "The boot script logs to the VM's serial console (Azure portal → Boot diagnostics).";

  constructor(deps: AzureDeployerDeps) {
    super(deps, 'megaraptor');
    this.clients = new AzureClientPool(deps.azure);
  }

  override close(): void {
    this.clients.close();
    super.close();
  }

  connection(s: AzureSettings): AzureConnection {
    return connectionOf(s);
  }

  machine(plan: { settings: AzureSettings; profile: { name: string; minimum: { diskBytes: number } } }): {
    size: string;
    diskGiB: number;
  } {
    const d = PROFILE_MACHINE[plan.profile.name] ?? PROFILE_MACHINE.standard!;
    const minDisk = Math.ceil(plan.profile.minimum.diskBytes / 1024 ** 3);
    return {
      size: plan.settings.vmSize ?? d.size,
      diskGiB: plan.settings.diskGiB ?? Math.max(d.diskGiB, minDisk),
    };
  }

  private groupRef(plan: { deploymentId: string; settings: AzureSettings }): ResourceRef {
    return {
      kind: 'cloud-resource-group',
      id: resourceGroupOf(plan.deploymentId),
      scope: `azure://${plan.settings.subscriptionId}`,
      title: `resource group in ${plan.settings.location} (everything of the deployment; its Key Vault purged on delete)`,
      facts: { location: plan.settings.location, vault: vaultNameOf(plan.deploymentId) },
    };
  }

  secretRef(plan: { deploymentId: string; settings: AzureSettings }): ResourceRef {
    return {
      kind: 'cloud-secret',
      id: `${vaultNameOf(plan.deploymentId)}/${N.secret}`,
      scope: `azure://${plan.settings.subscriptionId}`,
      title: 'the server config in Key Vault (read by the VM, deleted and purged once verified)',
    };
  }

  template(
    plan: DeploymentPlan<AzureSettings>,
    input: {
      release: { url: string; sha256: string };
      tenantId: string;
      appObjectId: string;
      destroyAt: string | null;
      sshPublicKey: string;
    },
  ): Record<string, unknown> {
    const s = plan.settings;
    const m = this.machine(plan);
    const script = bootScript({
      deploymentId: plan.deploymentId,
      name: plan.name,
      layout: this.layout(plan.deploymentId),
      role: 'master',
      nodePort: s.ports.frontend,
      release: input.release,
      apiUser: s.apiUser,
      serviceUser: CLOUD_VM.serviceUser,
      destroyAt: input.destroyAt,
      limits: plan.profile.limits,
      ...this.vmTiming(),
      cloud: azureVmParts({ vaultUri: vaultUriOf(plan.deploymentId), secretName: N.secret }),
    });
    return azureTemplate({
      deploymentId: plan.deploymentId,
      location: s.location,
      tenantId: input.tenantId,
      appObjectId: input.appObjectId,
      vmSize: m.size,
      diskGiB: m.diskGiB,
      image: s.image,
      adminUser: s.vmAdminUser,
      sshPublicKey: input.sshPublicKey,
      access: s.access,
      ports: s.ports,
      vaultName: vaultNameOf(plan.deploymentId),
      customData: script,
      destroyAt: input.destroyAt,
      lifetimeHours: plan.profile.autoDestroyHours,
    });
  }

  async plan(
    request: DeployRequest<AzureSettingsInput>,
    ctx: PlanContext,
  ): Promise<DeploymentPlan<AzureSettings>> {
    const s = parseSettings(AzureSettings, request.settings, 'Azure');
    checkUserNames(s);
    if (s.minions > 0)
      throw new AppError(
        'INVALID_ARGUMENT',
        'The multi-frontend (minions) is built for AWS and the local Docker engine; on Azure deploy one server.',
      );
    if (s.access.via.mode === 'ssh-tunnel' && !s.sshPublicKey)
      throw new AppError(
        'INVALID_ARGUMENT',
        'The SSH tunnel needs the public key the VM should trust (sshPublicKey).',
      );
    const base = cloudPlanBase(request, ctx, 'azure', s);
    const preview = this.template(base, {
      release: { url: 'https://example.invalid/velociraptor', sha256: '0'.repeat(64) },
      tenantId: '00000000-0000-0000-0000-000000000000',
      appObjectId: '00000000-0000-0000-0000-000000000000',
      destroyAt: base.autoDestroyAt,
      sshPublicKey: 'ssh-rsa AAAA preview',
    });
    const contents = describeContents(templateContents(preview), /^Microsoft\./);
    const m = this.machine(base);
    const cost = costHint({
      instances: [{ type: m.size, count: 1, diskGiB: m.diskGiB }],
      disk: 'azure-premium-ssd',
      publicAddresses: 1,
      hours: ctx.profile.autoDestroyHours,
    });
    return {
      ...base,
      steps: this.plannedSteps(
        s,
        { ...this.sharedRefs(base), group: [this.groupRef(base)], secret: [this.secretRef(base)] },
        { ...STEP_TITLES, infrastructure: `${STEP_TITLES.infrastructure}: ${contents}` },
      ),
      warnings: [
        describeCost(cost),
        ...accessNotes(s.access, s.ports, this.nodePorts(s), nsgRules(s).length),
      ],
      cost,
    };
  }

  async preflight(plan: DeploymentPlan<AzureSettings>, ctx: PreflightContext): Promise<PreflightCheck[]> {
    const s = plan.settings;
    const checks = new PreflightChecks();
    ctx.progress({ message: 'Asking Azure who these credentials are' });
    try {
      const who = await this.clients.whoami(connectionOf(s), ctx.signal);
      checks.list.push({
        id: 'account',
        title: 'Azure account',
        status: 'ok',
        message: `${who.name} (tenant ${who.tenantId}), subscription ${s.subscriptionId}.`,
      });
    } catch (e) {
      return [{ id: 'account', title: 'Azure account', status: 'failed', message: messageOf(e) }];
    }
    const rg = resourceGroupOf(plan.deploymentId);
    await checks.run(
      'group',
      'Resource group name free',
      async () => {
        const exists = await this.clients
          .arm(connectionOf(s))
          .resourceGroups.checkExistence(rg)
          .then((r) => r.body)
          .catch((e: unknown) => {
            throw azureError(e, 'reading the resource groups');
          });
        return exists ? ['failed', `A resource group ${rg} exists already.`] : 'ok';
      },
      rg,
    );
    await checks.connectionFree(this.base.connections, plan.name);
    return checks.list;
  }

  protected ownSteps(
    plan: DeploymentPlan<AzureSettings>,
  ): Record<string, (ctx: StepContext) => Promise<void>> {
    return {
      account: (ctx) => this.account(plan, ctx),
      group: (ctx) => this.group(plan, ctx),
      infrastructure: (ctx) => this.infrastructure(plan, ctx),
      secret: (ctx) => this.secret(plan, ctx),
    };
  }

  private async account(plan: DeploymentPlan<AzureSettings>, ctx: StepContext): Promise<void> {
    const who = await this.clients.whoami(connectionOf(plan.settings), ctx.signal);
    await ctx.setOutput('azureTenantId', who.tenantId);
    await ctx.setOutput('azureObjectId', who.objectId);
    await ctx.setOutput('azureCaller', who.name);
    await ctx.setOutput('azureSubscriptionId', plan.settings.subscriptionId);
    ctx.log(`Azure subscription ${plan.settings.subscriptionId} as ${who.name} (tenant ${who.tenantId})`);
  }

  private async group(plan: DeploymentPlan<AzureSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const arm = this.clients.arm(connectionOf(s));
    const ref = this.groupRef(plan);
    await ctx.create(
      ref,
      async () => {
        try {
          return await arm.resourceGroups.createOrUpdate(ref.id, {
            location: s.location,
            tags: {
              'megaraptor-deployment': plan.deploymentId,
              'megaraptor-managed-by': 'megaraptor-desktop',
            },
          });
        } catch (e) {
          throw azureError(e, `creating the resource group ${ref.id}`);
        }
      },
      (g) => ({ armId: g.id ?? '' }),
    );
    ctx.log(`Resource group ${ref.id} in ${s.location}`);
  }

  private async infrastructure(plan: DeploymentPlan<AzureSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const arm = this.clients.arm(connectionOf(s));
    const rg = resourceGroupOf(plan.deploymentId);
    const destroyAt = this.vmDestroyAt(plan, ctx);
    const template = this.template(plan, {
      release: { url: String(ctx.outputs.binaryUrl), sha256: String(ctx.outputs.binarySha256) },
      tenantId: String(ctx.outputs.azureTenantId),
      appObjectId: String(ctx.outputs.azureObjectId),
      destroyAt,
      sshPublicKey: s.sshPublicKey ?? (await throwAwayPublicKey()),
    });
    ctx.progress({ message: `ARM deployment in ${rg}` });
    let result;
    try {
      result = await arm.deployments.beginCreateOrUpdateAndWait(
        rg,
        armDeploymentNameOf(plan.deploymentId),
        { properties: { mode: 'Incremental', template } },
        { updateIntervalInMs: this.pollMs(), abortSignal: ctx.signal },
      );
    } catch (e) {
      // The poller only says that it failed; the deployment says why.
      const why = await arm.deployments
        .get(rg, armDeploymentNameOf(plan.deploymentId))
        .then((d) => armErrorText(d.properties?.error))
        .catch(() => '');
      if (why)
        throw new AppError('DEPLOY_FAILED', `The ARM deployment in ${rg} failed: ${why}`, { cause: e });
      throw azureError(e, `deploying the template into ${rg}`);
    }
    if (result.properties?.provisioningState !== 'Succeeded')
      throw new AppError(
        'DEPLOY_FAILED',
        `The ARM deployment in ${rg} ended ${result.properties?.provisioningState ?? 'without a state'}: ${armErrorText(result.properties?.error) || 'no reason given'}`,
      );
    const base = `/subscriptions/${s.subscriptionId}/resourceGroups/${rg}/providers`;
    const get = async (path: string, version: string) => {
      try {
        return (await arm.resources.getById(`${base}/${path}`, version)).properties as Record<
          string,
          unknown
        >;
      } catch (e) {
        throw azureError(e, `reading ${path}`);
      }
    };
    const ip = await get(`Microsoft.Network/publicIPAddresses/${N.publicIp}`, API_VERSIONS.network);
    const vault = await get(
      `Microsoft.KeyVault/vaults/${vaultNameOf(plan.deploymentId)}`,
      API_VERSIONS.keyVault,
    );
    if (typeof ip.ipAddress !== 'string' || typeof vault.vaultUri !== 'string')
      throw new AppError(
        'DEPLOY_FAILED',
        `The deployment in ${rg} gave the VM no public address or no vault.`,
      );
    await ctx.setOutput('node0Address', ip.ipAddress);
    await ctx.setOutput('vaultUri', vault.vaultUri);
    if (destroyAt) {
      await ctx.setOutput('targetDestroyAt', destroyAt);
      // Its timer reads HOLD_TAG_VALUE as a legal hold (vm-script.ts): a hold can disarm it.
      await ctx.setOutput('targetHoldAware', true);
    }
    ctx.log(`VM ${N.vm} at ${ip.ipAddress}; Key Vault ${vault.vaultUri}`);
  }

  /** Puts a server config in the deployment's vault for the VM (journaled until deleted). */
  async putConfig(plan: DeploymentPlan<AzureSettings>, yaml: string, ctx: StepContext): Promise<void> {
    const ref = this.secretRef(plan);
    const vaultUri =
      typeof ctx.outputs.vaultUri === 'string' ? ctx.outputs.vaultUri : vaultUriOf(plan.deploymentId);
    const client = this.clients.vault(connectionOf(plan.settings), vaultUri);
    await ctx.create(
      ref,
      async () => {
        try {
          return await client.setSecret(N.secret, yaml, {
            contentType: 'application/x-yaml',
            tags: { 'megaraptor-deployment': plan.deploymentId },
          });
        } catch (e) {
          throw azureError(e, `writing the config to ${vaultUri}`);
        }
      },
      (made) => ({ version: made.properties.version ?? '' }),
    );
  }

  private async secret(plan: DeploymentPlan<AzureSettings>, ctx: StepContext): Promise<void> {
    await this.putConfig(plan, await loadServerConfig(ctx.secrets, plan.deploymentId), ctx);
    ctx.log(`Server config in Key Vault as ${N.secret}; only the VM's identity may read it`);
  }

  protected async stillThere(plan: DeploymentPlan<AzureSettings>): Promise<void> {
    const s = plan.settings;
    const vmId = `/subscriptions/${s.subscriptionId}/resourceGroups/${resourceGroupOf(plan.deploymentId)}/providers/Microsoft.Compute/virtualMachines/${N.vm}`;
    try {
      const vm = await this.clients.arm(connectionOf(s)).resources.getById(vmId, API_VERSIONS.compute);
      const state = (vm.properties as { provisioningState?: string } | undefined)?.provisioningState;
      if (state === 'Failed' || state === 'Deleting')
        throw new AppError(
          'DEPLOY_FAILED',
          `The VM ${N.vm} is ${state}: see its boot diagnostics in the Azure portal.`,
        );
    } catch (e) {
      throw azureError(e, `reading the VM ${N.vm}`);
    }
  }

  async remove(ref: ResourceRef, ctx: RemoveContext): Promise<void> {
    const s = AzureSettings.parse(ctx.settings);
    const c = connectionOf(s);
    if (ref.kind === 'cloud-secret') {
      const [vault, name] = ref.id.split('/');
      const client = this.clients.vault(c, `https://${vault}.vault.azure.net/`);
      try {
        const poller = await client.beginDeleteSecret(name!, { intervalInMs: this.pollMs() });
        await poller.pollUntilDone();
      } catch (e) {
        if (!isAzureNotFound(e)) throw azureError(e, `deleting the secret ${ref.id}`);
      }
      try {
        await client.purgeDeletedSecret(name!);
      } catch (e) {
        if (!isAzureNotFound(e)) throw azureError(e, `purging the secret ${ref.id}`);
      }
      ctx.log(`Secret ${ref.id} deleted and purged`);
    } else if (ref.kind === 'cloud-resource-group') {
      const arm = this.clients.arm(c);
      try {
        await arm.resourceGroups.beginDeleteAndWait(ref.id, { updateIntervalInMs: this.pollMs() });
      } catch (e) {
        if (!isAzureNotFound(e)) throw azureError(e, `deleting the resource group ${ref.id}`);
      }
      const vault = typeof ref.facts?.vault === 'string' ? ref.facts.vault : null;
      const location = typeof ref.facts?.location === 'string' ? ref.facts.location : s.location;
      const purged = vault
        ? await this.clients.purgeDeletedVault(c, vault, location, 10 * 60_000, this.pollMs())
        : false;
      ctx.log(`Resource group ${ref.id} deleted${purged ? `; Key Vault ${vault} purged` : ''}`);
    } else throw new AppError('INTERNAL', `The Azure target does not make ${ref.kind} resources.`);
  }
}
