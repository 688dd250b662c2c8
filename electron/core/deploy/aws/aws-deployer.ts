/**
 * The AWS target: a Velociraptor server (or, with the enterprise profile, a master and minions sharing
 * an EFS file store) on EC2, made by one CloudFormation stack (template.ts), with OUR config delivered
 * through Secrets Manager — never in user-data — and deleted once the server is verified.
 *
 * Steps (each journaled by the runner):
 *   account           who the credentials are (STS), shown before anything is made
 *   binary            the verified release for linux-amd64 from the cache: its SHA-256 and URL go into
 *                     the boot script, which downloads it on the VM and refuses any other file
 *   stack             the CloudFormation stack (instance role, security group, Elastic IP(s), VM(s),
 *                     EFS); its name is chosen before it exists, so a clean-up after a crash finds it
 *   identity          CA, certificates, API identity, admin password → keychain; the config names the
 *                     Elastic IP(s) the agents dial (and the minions, for a multi-frontend deployment)
 *   secret            the config in Secrets Manager, readable only by the stack's instance role
 *   boot              wait until the VM(s) read it, registered the API identity and serve the API
 *   verify-api, verify-frontends (minions), verify-gui, seal (the secret deleted), connect
 *
 * Self-destruction (rapid profile) does not depend on the laptop: the boot script arms a timer on each
 * instance that shuts it down at the deadline (shutdown behaviour: terminate), moved by the instance's
 * `megaraptor:destroy-at` tag when the responder extends; the app's reaper deletes the stack.
 */
import {
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import { ValidateTemplateCommand } from '@aws-sdk/client-cloudformation';
import { z } from 'zod';
import type { PreflightCheck, ResourceRef } from '../../../../shared/deploy';
import { AppError, messageOf } from '../../../../shared/errors';
import type { SecretStore } from '../../credentials/index';
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
import { bootScript, NODE_HOST_TOKEN } from '../cloud/vm-script';
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
import type { TrustedKey } from '../releases/signature';
import { checkUserNames, loadServerConfig } from '../server-identity';
import { AwsClientPool, AwsCredentialSource, AwsRegion, type AwsClients, type AwsOverrides } from './clients';
import { awsError, isAwsNotFound } from './errors';
import { nodeLogicalId, secretNameOf, stackNameOf } from './names';
import {
  createConfigSecret,
  createStack,
  deleteConfigSecret,
  deleteStack,
  describeStack,
  outputsOf,
  waitForStack,
} from './stack';
import {
  AL2023_PARAMETER,
  awsTemplate,
  ingressRules,
  stackContents,
  templateBody,
  type AwsNodeSpec,
} from './template';
import { removeStackNode, STACK_UPDATE_TIMEOUT_MS } from './scale-out';
import { awsVmParts } from './vm-parts';

export const AwsSettings = z.object({
  credentials: AwsCredentialSource.default({ source: 'chain' }),
  region: AwsRegion,
  /** EC2 instance type; the profile's when absent. */
  instanceType: z
    .string()
    .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'an EC2 instance type such as t3.medium')
    .optional(),
  /** Root volume size (GiB); the profile's minimum disk when absent. */
  diskGiB: z.number().int().min(20).max(16_384).optional(),
  /** Amazon Linux 2023 (x86_64): an AMI id, or the SSM parameter naming the newest one (default). */
  image: z
    .string()
    .regex(/^(ami-[0-9a-f]{8,17}|\/[A-Za-z0-9._/-]+)$/, 'an AMI id or an SSM parameter path')
    .default(AL2023_PARAMETER),
  /** A subnet with a route to the internet; a default subnet of the region's default VPC when absent. */
  subnetId: z
    .string()
    .regex(/^subnet-[0-9a-f]+$/)
    .optional(),
  /** The EC2 key pair the VM trusts (needed for the SSH tunnel). */
  keyPair: z.string().min(1).max(255).optional(),
  ...CloudCommon,
});
export type AwsSettings = z.output<typeof AwsSettings>;
export type AwsSettingsInput = z.input<typeof AwsSettings>;

export interface AwsDeployerDeps extends CloudDeployerDeps {
  /** The keychain: an access key the responder saved there is read at signing time (removal too). */
  secrets: SecretStore | null;
  trustedKey?: TrustedKey;
  /** Test seams: moto's endpoint and fixed credentials. */
  aws?: AwsOverrides;
}

const STEP_TITLES = cloudStepTitles({
  account: 'AWS account and region',
  infrastructure: { stack: 'CloudFormation stack (VM, security group, instance role, address)' },
  secret: 'Server config in Secrets Manager (for the VM only)',
  seal: 'Config secret deleted from Secrets Manager',
});

/** The profile's instance type and disk when the responder chose none. */
const PROFILE_MACHINE: Record<string, { type: string; diskGiB: number }> = {
  rapid: { type: 't3.medium', diskGiB: 30 },
  standard: { type: 'm6i.large', diskGiB: 100 },
  enterprise: { type: 'm6i.xlarge', diskGiB: 200 },
};

export function awsPlan(plan: DeploymentPlan): DeploymentPlan<AwsSettings> {
  if (plan.target !== 'aws')
    throw new AppError('INVALID_ARGUMENT', `Deployment ${plan.name} is not an AWS deployment.`);
  return { ...plan, settings: AwsSettings.parse(plan.settings) };
}

function scopeOf(s: Pick<AwsSettings, 'region'>): string {
  return `aws://${s.region}`;
}

export class AwsDeployer extends CloudDeployer<AwsSettings> implements Deployer<AwsSettings> {
  readonly target = 'aws' as const;
  readonly kinds = ['cloud-stack', 'cloud-stack-node', 'cloud-secret'] as const;
  readonly clients: AwsClientPool;
  protected readonly titles = STEP_TITLES;
  protected readonly sealNote =
    'The config secret is deleted from Secrets Manager (no recovery window): the keys live on the VM(s) and in your keychain only';
  protected readonly bootLogHint =
    "The boot script logs to the instance's console output (EC2 console → Get system log).";

  constructor(private readonly deps: AwsDeployerDeps) {
    super(deps, 'ec2-user');
    this.clients = new AwsClientPool(deps.secrets, deps.aws);
  }

  override close(): void {
    this.clients.close();
    super.close();
  }

  /** The SDK clients of the deployment's account and region. */
  aws(s: AwsSettings): AwsClients {
    return this.clients.get({ region: s.region, credentials: s.credentials });
  }

  machine(plan: { settings: AwsSettings; profile: { name: string; minimum: { diskBytes: number } } }): {
    type: string;
    diskGiB: number;
  } {
    const d = PROFILE_MACHINE[plan.profile.name] ?? PROFILE_MACHINE.standard!;
    const minDisk = Math.ceil(plan.profile.minimum.diskBytes / 1024 ** 3);
    const multi = plan.settings.minions > 0;
    return {
      type: plan.settings.instanceType ?? d.type,
      // With a shared file store the datastore is on EFS: the root volume holds the system only.
      diskGiB: plan.settings.diskGiB ?? (multi ? 30 : Math.max(d.diskGiB, minDisk)),
    };
  }

  secretRef(plan: { deploymentId: string; name: string; settings: AwsSettings }): ResourceRef {
    return {
      kind: 'cloud-secret',
      id: secretNameOf(plan.deploymentId),
      scope: scopeOf(plan.settings),
      title: 'the server config in Secrets Manager (read by the VM, deleted once verified)',
    };
  }

  private stackRef(plan: { deploymentId: string; settings: AwsSettings }, contents: string): ResourceRef {
    return {
      kind: 'cloud-stack',
      id: stackNameOf(plan.deploymentId),
      scope: scopeOf(plan.settings),
      title: `CloudFormation stack: ${contents}`,
    };
  }

  /** The template for these settings; `release` and the subnet are placeholders before the stack step. */
  template(
    plan: DeploymentPlan<AwsSettings>,
    input: {
      release: { url: string; sha256: string };
      subnetId: string;
      vpcId: string;
      destroyAt: string | null;
    },
  ): Record<string, unknown> {
    const s = plan.settings;
    const layout = this.layout(plan.deploymentId);
    const secretName = secretNameOf(plan.deploymentId);
    const multi = s.minions > 0;
    const m = this.machine(plan);
    const nodes: AwsNodeSpec[] = this.nodePorts(s).map((port, i) => {
      const role = i === 0 ? ('master' as const) : ('minion' as const);
      return {
        role,
        port,
        userData: bootScript({
          deploymentId: plan.deploymentId,
          name: plan.name,
          layout,
          role,
          ...(role === 'minion' ? { nodeHost: NODE_HOST_TOKEN } : {}),
          nodePort: port,
          release: input.release,
          apiUser: s.apiUser,
          serviceUser: CLOUD_VM.serviceUser,
          destroyAt: input.destroyAt,
          limits: plan.profile.limits,
          ...this.vmTiming(),
          cloud: awsVmParts({
            region: s.region,
            secretName,
            sharedStore: multi,
            fstab: `${layout.prefix}/etc/fstab`,
          }),
        }),
      };
    });
    return awsTemplate({
      deploymentId: plan.deploymentId,
      name: plan.name,
      profile: plan.profile.name,
      destroyAt: input.destroyAt,
      instanceType: m.type,
      diskGiB: m.diskGiB,
      image: s.image,
      subnetId: input.subnetId,
      vpcId: input.vpcId,
      ...(s.keyPair ? { keyName: s.keyPair } : {}),
      access: s.access,
      ports: s.ports,
      secretName,
      nodes,
    });
  }

  private preview(plan: DeploymentPlan<AwsSettings>): Record<string, unknown> {
    return this.template(plan, {
      release: { url: 'https://example.invalid/velociraptor', sha256: '0'.repeat(64) },
      subnetId: plan.settings.subnetId ?? 'subnet-00000000',
      vpcId: 'vpc-00000000',
      destroyAt: plan.autoDestroyAt,
    });
  }

  async plan(
    request: DeployRequest<AwsSettingsInput>,
    ctx: PlanContext,
  ): Promise<DeploymentPlan<AwsSettings>> {
    const s = parseSettings(AwsSettings, request.settings, 'AWS');
    checkUserNames(s);
    if (s.minions > 0 && ctx.profile.name !== 'enterprise')
      throw new AppError(
        'DEPLOY_PROFILE_VIOLATION',
        'Minions (multi-frontend) are for the enterprise profile: choose it, or deploy one server.',
      );
    if (s.access.via.mode === 'ssh-tunnel' && !s.keyPair)
      throw new AppError(
        'INVALID_ARGUMENT',
        'The SSH tunnel needs the EC2 key pair the VM should trust (keyPair).',
      );
    const base = cloudPlanBase(request, ctx, 'aws', s);
    const template = this.preview(base);
    templateBody(template);
    // EC2 names its types without the provider (EIP, Instance): the title fits the journal with 5 minions.
    const contents = describeContents(stackContents(template), /^AWS::(EC2::)?/);
    const m = this.machine(base);
    const frontends = 1 + s.minions;
    const cost = costHint({
      instances: [{ type: m.type, count: frontends, diskGiB: m.diskGiB }],
      disk: 'aws-gp3',
      publicAddresses: frontends,
      ...(s.minions ? { sharedStoreGiB: Math.ceil(ctx.profile.minimum.diskBytes / 1024 ** 3) } : {}),
      hours: ctx.profile.autoDestroyHours,
    });
    const rules = ingressRules({
      access: s.access,
      ports: s.ports,
      nodes: this.nodePorts(s).map((port) => ({ role: 'master', port, userData: '' })),
    }).length;
    return {
      ...base,
      steps: this.plannedSteps(s, {
        ...this.sharedRefs(base),
        stack: [this.stackRef(base, contents)],
        secret: [this.secretRef(base)],
      }),
      warnings: [describeCost(cost), ...accessNotes(s.access, s.ports, this.nodePorts(s), rules)],
      cost,
    };
  }

  async preflight(plan: DeploymentPlan<AwsSettings>, ctx: PreflightContext): Promise<PreflightCheck[]> {
    const s = plan.settings;
    const aws = this.aws(s);
    const checks = new PreflightChecks();
    ctx.progress({ message: `Asking AWS who these credentials are (${s.region})` });
    try {
      const who = await this.clients.whoami({ region: s.region, credentials: s.credentials }, ctx.signal);
      checks.list.push({
        id: 'account',
        title: 'AWS account',
        status: 'ok',
        message: `Account ${who.account} as ${who.arn}, region ${s.region}.`,
      });
    } catch (e) {
      return [{ id: 'account', title: 'AWS account', status: 'failed', message: messageOf(e) }];
    }
    await checks.run(
      'network',
      'Subnet with a way to the internet',
      async () => {
        const net = await this.subnet(aws, s);
        return ['ok', `${net.subnetId} in ${net.vpcId} (${net.zone})`];
      },
      '',
    );
    if (s.keyPair)
      await checks.run(
        'key-pair',
        'EC2 key pair',
        async () => {
          try {
            await aws.ec2.send(new DescribeKeyPairsCommand({ KeyNames: [s.keyPair!] }));
            return 'ok';
          } catch (e) {
            if (isAwsNotFound(e))
              return [
                'failed',
                `There is no key pair "${s.keyPair}" in ${s.region}: import your public key there first.`,
              ];
            throw awsError(e, 'reading the key pair');
          }
        },
        `${s.keyPair} exists in ${s.region}.`,
      );
    await checks.run(
      'stack',
      'Stack name free',
      async () => {
        const existing = await describeStack(aws.cfn, stackNameOf(plan.deploymentId));
        return existing ? ['failed', `A stack ${stackNameOf(plan.deploymentId)} exists already.`] : 'ok';
      },
      stackNameOf(plan.deploymentId),
    );
    await checks.run(
      'template',
      'CloudFormation accepts the template',
      async () => {
        try {
          await aws.cfn.send(new ValidateTemplateCommand({ TemplateBody: templateBody(this.preview(plan)) }));
        } catch (e) {
          throw awsError(e, 'validating the template');
        }
        return 'ok';
      },
      'The template is valid.',
    );
    await checks.connectionFree(this.deps.connections, plan.name);
    return checks.list;
  }

  /** The subnet the VMs go in (the responder's, or a default subnet of the default VPC). */
  private async subnet(
    aws: AwsClients,
    s: AwsSettings,
  ): Promise<{ subnetId: string; vpcId: string; zone: string }> {
    try {
      if (s.subnetId) {
        const r = await aws.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [s.subnetId] }));
        const sub = r.Subnets?.[0];
        if (!sub?.VpcId) throw new AppError('NOT_FOUND', `There is no subnet ${s.subnetId} in ${s.region}.`);
        return { subnetId: s.subnetId, vpcId: sub.VpcId, zone: sub.AvailabilityZone ?? '?' };
      }
      const vpcs = await aws.ec2.send(
        new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }),
      );
      const vpcId = vpcs.Vpcs?.[0]?.VpcId;
      if (!vpcId)
        throw new AppError(
          'INVALID_ARGUMENT',
          `${s.region} has no default VPC: choose a subnet (subnetId) that has a route to the internet.`,
        );
      const subs = await aws.ec2.send(
        new DescribeSubnetsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'default-for-az', Values: ['true'] },
          ],
        }),
      );
      const sub = [...(subs.Subnets ?? [])].sort((a, b) =>
        (a.AvailabilityZone ?? '').localeCompare(b.AvailabilityZone ?? ''),
      )[0];
      if (!sub?.SubnetId)
        throw new AppError(
          'INVALID_ARGUMENT',
          `The default VPC of ${s.region} has no default subnet: choose one.`,
        );
      return { subnetId: sub.SubnetId, vpcId, zone: sub.AvailabilityZone ?? '?' };
    } catch (e) {
      throw awsError(e, 'finding the subnet for the VM');
    }
  }

  protected ownSteps(plan: DeploymentPlan<AwsSettings>): Record<string, (ctx: StepContext) => Promise<void>> {
    return {
      account: (ctx) => this.account(plan, ctx),
      stack: (ctx) => this.stack(plan, ctx),
      secret: (ctx) => this.secret(plan, ctx),
    };
  }

  private async account(plan: DeploymentPlan<AwsSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const who = await this.clients.whoami({ region: s.region, credentials: s.credentials }, ctx.signal);
    await ctx.setOutput('awsAccountId', who.account);
    await ctx.setOutput('awsCallerArn', who.arn);
    await ctx.setOutput('awsRegion', s.region);
    ctx.log(`AWS account ${who.account} as ${who.arn}, region ${s.region}`);
  }

  private async stack(plan: DeploymentPlan<AwsSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const aws = this.aws(s);
    const name = stackNameOf(plan.deploymentId);
    const net = await this.subnet(aws, s);
    const destroyAt = this.vmDestroyAt(plan, ctx);
    const template = this.template(plan, {
      release: { url: String(ctx.outputs.binaryUrl), sha256: String(ctx.outputs.binarySha256) },
      subnetId: net.subnetId,
      vpcId: net.vpcId,
      destroyAt,
    });
    const body = templateBody(template);
    const title = plan.steps.find((x) => x.id === 'stack')?.resources[0]?.title ?? 'CloudFormation stack';
    await ctx.create(
      { ...this.stackRef(plan, ''), title },
      () => createStack(aws.cfn, { name, body, deploymentId: plan.deploymentId, timeoutMinutes: 30 }),
      (stackId) => ({ stackId, subnet: net.subnetId, vpc: net.vpcId }),
    );
    ctx.log(`Stack ${name} requested in ${s.region} (${net.subnetId})`);
    const stack = await waitForStack(aws.cfn, name, 'CREATE_COMPLETE', {
      signal: ctx.signal,
      pollMs: this.pollMs(),
      timeoutMs: 30 * 60_000,
      progress: (message, fraction) =>
        ctx.progress({ message, ...(fraction === undefined ? {} : { fraction }) }),
    });
    const out = outputsOf(stack);
    const ports = this.nodePorts(s);
    for (let i = 0; i < ports.length; i++) {
      const id = nodeLogicalId(i);
      const instance = out[`${id}InstanceId`];
      const address = out[`${id}PublicIp`];
      const privateIp = out[`${id}PrivateIp`];
      if (!instance || !address || !privateIp)
        throw new AppError('DEPLOY_FAILED', `The stack ${name} gave no instance or address for ${id}.`);
      await ctx.setOutput(`node${i}InstanceId`, instance);
      await ctx.setOutput(`node${i}Address`, address);
      await ctx.setOutput(`node${i}PrivateIp`, privateIp);
    }
    if (out.SharedFileSystemId) await ctx.setOutput('sharedFileSystemId', out.SharedFileSystemId);
    if (destroyAt) {
      await ctx.setOutput('targetDestroyAt', destroyAt);
      // Its timer reads HOLD_TAG_VALUE as a legal hold (vm-script.ts): a hold can disarm it.
      await ctx.setOutput('targetHoldAware', true);
    }
    ctx.log(
      `Stack ready: ${ports.map((p, i) => `${i ? `minion ${i}` : 'master'} ${String(ctx.outputs[`node${i}Address`])}`).join(', ')}`,
    );
  }

  private async secret(plan: DeploymentPlan<AwsSettings>, ctx: StepContext): Promise<void> {
    const aws = this.aws(plan.settings);
    const ref = this.secretRef(plan);
    const yaml = await loadServerConfig(ctx.secrets, plan.deploymentId);
    await ctx.create(
      ref,
      () => createConfigSecret(aws.secrets, { name: ref.id, value: yaml, deploymentId: plan.deploymentId }),
      (arn) => ({ arn }),
    );
    ctx.log(`Server config in Secrets Manager as ${ref.id}; only the stack's instance role may read it`);
  }

  protected async stillThere(
    plan: DeploymentPlan<AwsSettings>,
    outputs: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    const ids = this.nodePorts(plan.settings).map((_, i) => String(outputs[`node${i}InstanceId`]));
    let r;
    try {
      r = await this.aws(plan.settings).ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    } catch (e) {
      throw awsError(e, 'reading the instances');
    }
    const gone = (r.Reservations ?? [])
      .flatMap((res) => res.Instances ?? [])
      .map((i) => [i.InstanceId ?? '?', i.State?.Name ?? '?'] as const)
      .filter(([, st]) => st !== 'running' && st !== 'pending');
    if (gone.length)
      throw new AppError(
        'DEPLOY_FAILED',
        `Instance(s) ${gone.map(([id, st]) => `${id} (${st})`).join(', ')} stopped while booting: see their console output in the EC2 console.`,
      );
  }

  async remove(ref: ResourceRef, ctx: RemoveContext): Promise<void> {
    const s = AwsSettings.parse(ctx.settings);
    const aws = this.aws(s);
    if (ref.kind === 'cloud-stack') {
      await deleteStack(aws.cfn, ref.id, {
        signal: ctx.signal,
        pollMs: this.pollMs(),
        timeoutMs: 30 * 60_000,
        progress: (m) => ctx.log(m),
      });
      ctx.log(
        `Stack ${ref.id} deleted (VMs, volumes, addresses, security group, role${s.minions ? ', file store' : ''})`,
      );
    } else if (ref.kind === 'cloud-stack-node') {
      await removeStackNode(this, s, ref, {
        signal: ctx.signal,
        pollMs: this.pollMs(),
        timeoutMs: STACK_UPDATE_TIMEOUT_MS,
        progress: (m) => ctx.log(m),
      });
      ctx.log(`${ref.id} taken out of its stack (its instance, Elastic IP and inbound rules)`);
    } else if (ref.kind === 'cloud-secret') {
      await deleteConfigSecret(aws.secrets, ref.id);
      ctx.log(`Secret ${ref.id} deleted`);
    } else throw new AppError('INTERNAL', `The AWS target does not make ${ref.kind} resources.`);
  }
}
