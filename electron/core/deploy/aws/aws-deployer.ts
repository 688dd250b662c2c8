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
import { describeCost, costHint } from '../cloud/cost';
import { CloudReach, hostPort, type Dial } from '../cloud/reach';
import { waitForServer } from '../cloud/server-wait';
import { CloudCommon, minionPortsOf, type CloudAccess } from '../cloud/settings';
import { bootScript, NODE_HOST_TOKEN } from '../cloud/vm-script';
import { autoDestroyAt, parseSettings } from '../common-steps';
import type { ConnectionSink } from '../connection-sink';
import { nodeName, type FrontendNode } from '../frontends';
import type {
  Deployer,
  DeploymentPlan,
  DeployRequest,
  PlanContext,
  PreflightContext,
  RemoveContext,
  StepContext,
  StepDefinition,
} from '../model';
import type { PlatformWanted } from '../releases/assets';
import type { ReleaseCache } from '../releases/cache';
import type { TrustedKey } from '../releases/signature';
import {
  apiClientConfig,
  checkUserNames,
  identitySecrets,
  loadAdminPassword,
  loadServerConfig,
  mintIdentities,
} from '../server-identity';
import type { SshDeps } from '../ssh/connect';
import { hostLayout, type HostLayout } from '../ssh-host/layout';
import { verifyApi, verifyGui } from '../verify';
import { verifyFrontends } from '../verify-frontends';
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

export interface AwsDeployerDeps {
  releases: ReleaseCache;
  connections: ConnectionSink;
  /** The keychain: an access key the responder saved there is read at signing time (removal too). */
  secrets: SecretStore | null;
  /** The SSH layer, for deployments reached through an SSH tunnel. */
  ssh?: SshDeps;
  trustedKey?: TrustedKey;
  /** Test seams: moto's endpoint and fixed credentials. */
  aws?: AwsOverrides;
  /** Test seam: where a VM's public address is dialled from here (loopback stand-ins). */
  dial?: Dial;
  /**
   * Test seam: the stand-in VMs' filesystem root, the address their server binds (loopback) and how
   * fast the boot script polls. Never set by the app.
   */
  vm?: { root: string; bindAddress: string; pollSeconds?: number; configWaitSeconds?: number };
  /** How often CloudFormation and the boot are polled (5 s by default). */
  pollMs?: number;
}

const STEP_TITLES = {
  account: 'AWS account and region',
  binary: 'Verified Velociraptor binary',
  stack: 'CloudFormation stack (VM, security group, instance role, address)',
  identity: 'Certificates, API identity and admin password',
  secret: 'Server config in Secrets Manager (for the VM only)',
  boot: 'VM boots, reads its config, starts Velociraptor',
  'verify-api': 'API answers as the registered identity',
  'verify-frontends': 'Every minion reports to the master',
  'verify-gui': 'GUI accepts the admin password',
  seal: 'Config secret deleted from Secrets Manager',
  connect: "Add to the app's connections",
} as const;
type StepId = keyof typeof STEP_TITLES;
const VERIFY: readonly StepId[] = ['verify-api', 'verify-frontends', 'verify-gui', 'seal', 'connect'];

/** The profile's instance type and disk when the responder chose none. */
const PROFILE_MACHINE: Record<string, { type: string; diskGiB: number }> = {
  rapid: { type: 't3.medium', diskGiB: 30 },
  standard: { type: 'm6i.large', diskGiB: 100 },
  enterprise: { type: 'm6i.xlarge', diskGiB: 200 },
};
const LINUX_AMD64: PlatformWanted = { os: 'linux', arch: 'amd64', variant: '' };
const SERVICE_USER = 'velociraptor';
const DATASTORE = '/var/lib/velociraptor';

export function awsPlan(plan: DeploymentPlan): DeploymentPlan<AwsSettings> {
  if (plan.target !== 'aws')
    throw new AppError('INVALID_ARGUMENT', `Deployment ${plan.name} is not an AWS deployment.`);
  return { ...plan, settings: AwsSettings.parse(plan.settings) };
}

function scopeOf(s: Pick<AwsSettings, 'region'>): string {
  return `aws://${s.region}`;
}

export class AwsDeployer implements Deployer<AwsSettings> {
  readonly target = 'aws' as const;
  readonly kinds = ['cloud-stack', 'cloud-secret'] as const;
  readonly clients: AwsClientPool;
  readonly reach: CloudReach;

  constructor(private readonly deps: AwsDeployerDeps) {
    this.clients = new AwsClientPool(deps.secrets, deps.aws);
    this.reach = new CloudReach(
      { ...(deps.ssh ? { ssh: deps.ssh } : {}), ...(deps.dial ? { dial: deps.dial } : {}) },
      'ec2-user',
    );
  }

  close(): void {
    this.clients.close();
    this.reach.close();
  }

  /** The SDK clients of the deployment's account and region. */
  aws(s: AwsSettings): AwsClients {
    return this.clients.get({ region: s.region, credentials: s.credentials });
  }

  private pollMs(): number {
    return this.deps.pollMs ?? 5_000;
  }

  /** Where things are on the VM (the tests' stand-ins keep them under a folder of their own). */
  layout(deploymentId: string): HostLayout {
    return hostLayout(deploymentId, this.deps.vm?.root ?? '', DATASTORE);
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

  /** The config secret's journal entry (made at deploy and by a config delivery, deleted once verified). */
  secretRef(plan: { deploymentId: string; name: string; settings: AwsSettings }): ResourceRef {
    return this.refs(plan, '').secret[0]!;
  }

  private refs(
    plan: { deploymentId: string; name: string; settings: AwsSettings },
    contents: string,
  ): Record<StepId, ResourceRef[]> {
    const s = plan.settings;
    const secrets = identitySecrets(plan.deploymentId);
    const stack: ResourceRef = {
      kind: 'cloud-stack',
      id: stackNameOf(plan.deploymentId),
      scope: scopeOf(s),
      title: `CloudFormation stack: ${contents}`,
    };
    const secret: ResourceRef = {
      kind: 'cloud-secret',
      id: secretNameOf(plan.deploymentId),
      scope: scopeOf(s),
      title: 'the server config in Secrets Manager (read by the VM, deleted once verified)',
    };
    return {
      account: [],
      binary: [],
      stack: [stack],
      identity: [secrets.ca, secrets.serverConfig, secrets.apiIdentity, secrets.adminPassword],
      secret: [secret],
      boot: [],
      'verify-api': [],
      'verify-frontends': [],
      'verify-gui': [],
      seal: [],
      connect: [
        {
          kind: 'connection',
          id: plan.name,
          scope: 'app',
          title: `connection "${plan.name}" (API config in the keychain)`,
        },
      ],
    };
  }

  private stepIds(s: AwsSettings): StepId[] {
    return (Object.keys(STEP_TITLES) as StepId[]).filter((id) => id !== 'verify-frontends' || s.minions > 0);
  }

  /** The nodes of the deployment: the master, then each minion with its frontend port. */
  private nodePorts(s: AwsSettings): number[] {
    return [s.ports.frontend, ...minionPortsOf(s)];
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
          serviceUser: SERVICE_USER,
          destroyAt: input.destroyAt,
          limits: plan.profile.limits,
          configWaitSeconds: this.deps.vm?.configWaitSeconds ?? 1800,
          pollSeconds: this.deps.vm?.pollSeconds ?? 10,
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
      subnetId: s0(plan.settings.subnetId),
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
    const base: DeploymentPlan<AwsSettings> = {
      deploymentId: ctx.deploymentId,
      name: request.name,
      target: 'aws',
      profile: ctx.profile,
      settings: s,
      steps: [],
      warnings: [],
      createdAt: ctx.now.toISOString(),
      autoDestroyAt: autoDestroyAt(ctx),
    };
    const template = this.preview(base);
    templateBody(template);
    const contents = Object.entries(stackContents(template))
      .map(([type, n]) => `${n} × ${type.replace(/^AWS::/, '')}`)
      .join(', ');
    const resources = this.refs(base, contents);
    const m = this.machine(base);
    const frontends = 1 + s.minions;
    const cost = costHint({
      instances: [{ type: m.type, count: frontends, diskGiB: m.diskGiB }],
      disk: 'aws-gp3',
      publicAddresses: frontends,
      ...(s.minions ? { sharedStoreGiB: Math.ceil(ctx.profile.minimum.diskBytes / 1024 ** 3) } : {}),
      hours: ctx.profile.autoDestroyHours,
    });
    const warnings = [
      describeCost(cost),
      ...accessNotes(
        s.access,
        s.ports,
        this.nodePorts(s),
        ingressRules({
          access: s.access,
          ports: s.ports,
          nodes: this.nodePorts(s).map((port) => ({ role: 'master', port, userData: '' })),
        }).length,
      ),
    ];
    return {
      ...base,
      steps: this.stepIds(s).map((id) => ({ id, title: STEP_TITLES[id], resources: resources[id] })),
      warnings,
      cost,
    };
  }

  async preflight(plan: DeploymentPlan<AwsSettings>, ctx: PreflightContext): Promise<PreflightCheck[]> {
    const s = plan.settings;
    const aws = this.aws(s);
    const checks: PreflightCheck[] = [];
    ctx.progress({ message: `Asking AWS who these credentials are (${s.region})` });
    try {
      const who = await this.clients.whoami({ region: s.region, credentials: s.credentials }, ctx.signal);
      checks.push({
        id: 'account',
        title: 'AWS account',
        status: 'ok',
        message: `Account ${who.account} as ${who.arn}, region ${s.region}.`,
      });
    } catch (e) {
      return [{ id: 'account', title: 'AWS account', status: 'failed', message: messageOf(e) }];
    }
    const run = async (
      id: string,
      title: string,
      check: () => Promise<PreflightCheck['status'] | [PreflightCheck['status'], string]>,
      ok: string,
    ) => {
      try {
        const r = await check();
        const [status, message] = Array.isArray(r) ? r : [r, ok];
        checks.push({ id, title, status, message });
      } catch (e) {
        checks.push({ id, title, status: 'failed', message: messageOf(e) });
      }
    };
    await run(
      'network',
      'Subnet with a way to the internet',
      async () => {
        const net = await this.subnet(aws, s);
        return ['ok', `${net.subnetId} in ${net.vpcId} (${net.zone})`];
      },
      '',
    );
    if (s.keyPair)
      await run(
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
    await run(
      'stack',
      'Stack name free',
      async () => {
        const existing = await describeStack(aws.cfn, stackNameOf(plan.deploymentId));
        return existing ? ['failed', `A stack ${stackNameOf(plan.deploymentId)} exists already.`] : 'ok';
      },
      stackNameOf(plan.deploymentId),
    );
    await run(
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
    const exists = await this.deps.connections.has(plan.name);
    checks.push({
      id: 'connection',
      title: 'Connection name free',
      status: exists ? 'failed' : 'ok',
      message: exists ? `A connection named "${plan.name}" exists already; choose another name.` : plan.name,
    });
    return checks;
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

  steps(plan: DeploymentPlan<AwsSettings>): StepDefinition[] {
    const run: Record<StepId, (ctx: StepContext) => Promise<void>> = {
      account: (ctx) => this.account(plan, ctx),
      binary: (ctx) => this.binary(plan, ctx),
      stack: (ctx) => this.stack(plan, ctx),
      identity: (ctx) => this.identity(plan, ctx),
      secret: (ctx) => this.secret(plan, ctx),
      boot: (ctx) => this.boot(plan, ctx),
      'verify-api': (ctx) => this.verifyApi(plan, ctx),
      'verify-frontends': (ctx) => this.verifyFrontends(plan, ctx),
      'verify-gui': (ctx) => this.verifyGui(plan, ctx),
      seal: (ctx) => this.seal(plan, ctx),
      connect: (ctx) => this.connect(plan, ctx),
    };
    return this.stepIds(plan.settings).map((id) => ({
      id,
      title: STEP_TITLES[id],
      phase: VERIFY.includes(id) ? ('verify' as const) : ('apply' as const),
      run: run[id],
    }));
  }

  private async account(plan: DeploymentPlan<AwsSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const who = await this.clients.whoami({ region: s.region, credentials: s.credentials }, ctx.signal);
    await ctx.setOutput('awsAccountId', who.account);
    await ctx.setOutput('awsCallerArn', who.arn);
    await ctx.setOutput('awsRegion', s.region);
    ctx.log(`AWS account ${who.account} as ${who.arn}, region ${s.region}`);
  }

  private async binary(plan: DeploymentPlan<AwsSettings>, ctx: StepContext): Promise<void> {
    const tag = plan.settings.release.tag;
    ctx.log(`Fetching Velociraptor ${tag} (linux-amd64) into the release cache`);
    const bin = await this.deps.releases.obtain(tag, LINUX_AMD64, {
      signal: ctx.signal,
      onProgress: (p) =>
        ctx.progress({
          done: p.done,
          total: p.total,
          fraction: p.total ? p.done / p.total : 0,
          message: p.file,
        }),
    });
    if (!bin.url)
      throw new AppError(
        'RELEASE_UNAVAILABLE',
        `The release list is out of reach, so the VM would not know where to download ${bin.assetName ?? 'the binary'}. Try again when the release source answers.`,
      );
    ctx.log(
      `Signature verified (key ${bin.signature.status === 'valid' ? bin.signature.fingerprint : '?'}); the VM accepts only SHA-256 ${bin.sha256}`,
    );
    await ctx.setOutput('binaryUrl', bin.url);
    await ctx.setOutput('binarySha256', bin.sha256);
    await ctx.setOutput('binarySigned', bin.signature.status === 'valid');
    if (bin.version) await ctx.setOutput('binaryVersion', bin.version);
    if (bin.tag) await ctx.setOutput('binaryTag', bin.tag);
  }

  private async stack(plan: DeploymentPlan<AwsSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const aws = this.aws(s);
    const name = stackNameOf(plan.deploymentId);
    const net = await this.subnet(aws, s);
    // The on-instance timer's time; the journal's (deployedAt + hours) comes a few minutes later.
    const destroyAt =
      plan.profile.autoDestroyHours === null
        ? null
        : new Date(ctx.now().getTime() + plan.profile.autoDestroyHours * 3_600_000).toISOString();
    const template = this.template(plan, {
      release: { url: String(ctx.outputs.binaryUrl), sha256: String(ctx.outputs.binarySha256) },
      subnetId: net.subnetId,
      vpcId: net.vpcId,
      destroyAt,
    });
    const body = templateBody(template);
    const ref = this.refs(plan, '').stack[0]!;
    await ctx.create(
      { ...ref, title: this.refsTitle(plan) },
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
    if (destroyAt) await ctx.setOutput('targetDestroyAt', destroyAt);
    ctx.log(
      `Stack ready: ${ports.map((p, i) => `${i ? `minion ${i}` : 'master'} ${String(ctx.outputs[`node${i}Address`])}`).join(', ')}`,
    );
  }

  private refsTitle(plan: DeploymentPlan<AwsSettings>): string {
    return plan.steps.find((x) => x.id === 'stack')?.resources[0]?.title ?? 'CloudFormation stack';
  }

  /** The frontend nodes with the addresses the stack gave them. */
  private nodes(
    plan: DeploymentPlan<AwsSettings>,
    outputs: Readonly<Record<string, unknown>>,
  ): FrontendNode[] {
    const bind = this.deps.vm?.bindAddress ?? '0.0.0.0';
    return this.nodePorts(plan.settings).map((port, i) => ({
      hostname:
        i === 0 && plan.settings.frontendHostname
          ? plan.settings.frontendHostname
          : String(outputs[`node${i}Address`]),
      port,
      bindAddress: bind,
    }));
  }

  private async identity(plan: DeploymentPlan<AwsSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const [master, ...minions] = this.nodes(plan, ctx.outputs);
    // In the tests the stand-in VMs listen on loopback; on AWS the security group is the boundary.
    const onLoopback = this.deps.vm?.bindAddress?.startsWith('127.') ?? false;
    const direct = s.access.via.mode === 'direct';
    await mintIdentities(ctx, {
      frontendHostname: master!.hostname,
      ports: s.ports,
      frontendBindAddress: master!.bindAddress,
      placement: 'host',
      ...(direct && !onLoopback ? { exposeApi: true, exposeGui: true } : {}),
      datastoreDir: this.layout(plan.deploymentId).datastore,
      adminUser: s.adminUser,
      apiUser: s.apiUser,
      certificates: plan.profile.certificates,
      logRetentionDays: plan.profile.logRetentionDays,
      ...(typeof ctx.outputs.binaryVersion === 'string' ? { version: ctx.outputs.binaryVersion } : {}),
      ...(minions.length
        ? {
            frontends: {
              minions,
              // Minions dial the master's API at its private address (the group lets its members in).
              apiHostname: this.reach.dial(String(ctx.outputs.node0PrivateIp), s.ports.api).host,
              apiBindAddress: onLoopback ? '127.0.0.1' : '0.0.0.0',
            },
          }
        : {}),
    });
    if (minions.length) await ctx.setOutput('minionNodes', minions.map(nodeName).join(','));
  }

  private async secret(plan: DeploymentPlan<AwsSettings>, ctx: StepContext): Promise<void> {
    const aws = this.aws(plan.settings);
    const ref = this.refs(plan, '').secret[0]!;
    const yaml = await loadServerConfig(ctx.secrets, plan.deploymentId);
    await ctx.create(
      ref,
      () => createConfigSecret(aws.secrets, { name: ref.id, value: yaml, deploymentId: plan.deploymentId }),
      (arn) => ({ arn }),
    );
    ctx.log(`Server config in Secrets Manager as ${ref.id}; only the stack's instance role may read it`);
  }

  /** The address of the master's API as this machine reaches it (directly, or the tunnel's local end). */
  private async withApi<T>(
    plan: DeploymentPlan<AwsSettings>,
    outputs: Readonly<Record<string, unknown>>,
    work: (endpoint: string) => Promise<T>,
  ): Promise<T> {
    return this.reach.with(plan.settings.access, String(outputs.node0Address), plan.settings.ports.api, work);
  }

  private async apiYaml(
    plan: DeploymentPlan<AwsSettings>,
    ctx: StepContext,
    endpoint: string,
  ): Promise<string> {
    return apiClientConfig(ctx.secrets, plan.deploymentId, plan.settings.apiUser, endpoint);
  }

  private async instanceStates(
    plan: DeploymentPlan<AwsSettings>,
    outputs: Readonly<Record<string, unknown>>,
  ): Promise<Map<string, string>> {
    const ids = this.nodePorts(plan.settings).map((_, i) => String(outputs[`node${i}InstanceId`]));
    try {
      const r = await this.aws(plan.settings).ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
      const out = new Map<string, string>();
      for (const res of r.Reservations ?? [])
        for (const i of res.Instances ?? []) if (i.InstanceId) out.set(i.InstanceId, i.State?.Name ?? '?');
      return out;
    } catch (e) {
      throw awsError(e, 'reading the instances');
    }
  }

  private async boot(plan: DeploymentPlan<AwsSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    await waitForServer(
      {
        apiUser: s.apiUser,
        timeoutMs: s.bootTimeoutMs,
        pollMs: this.pollMs(),
        withApiYaml: (work) =>
          this.withApi(plan, ctx.outputs, async (endpoint) => work(await this.apiYaml(plan, ctx, endpoint))),
        stillThere: async () => {
          const states = await this.instanceStates(plan, ctx.outputs);
          const gone = [...states].filter(([, st]) => st !== 'running' && st !== 'pending');
          if (gone.length)
            throw new AppError(
              'DEPLOY_FAILED',
              `Instance(s) ${gone.map(([id, st]) => `${id} (${st})`).join(', ')} stopped while booting: see their console output in the EC2 console.`,
            );
        },
        logHint: "The boot script logs to the instance's console output (EC2 console → Get system log).",
      },
      ctx,
    );
  }

  private async verifyApi(plan: DeploymentPlan<AwsSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const endpoint = await this.withApi(plan, ctx.outputs, async (at) => {
      const user = await verifyApi(await this.apiYaml(plan, ctx, at), s.apiUser, {
        signal: ctx.signal,
        onAttempt: (n, err) => ctx.progress({ message: `API not answering yet (attempt ${n}): ${err}` }),
      });
      ctx.log(
        `The API answered over mTLS as ${user}${s.access.via.mode === 'ssh-tunnel' ? ' (through an SSH tunnel)' : ''}`,
      );
      return at;
    });
    const direct = s.access.via.mode === 'direct';
    const address = String(ctx.outputs.node0Address);
    const gui = this.reach.dial(address, s.ports.gui);
    await ctx.setOutput('apiEndpoint', direct ? endpoint : `127.0.0.1:${s.ports.api}`);
    await ctx.setOutput(
      'guiUrl',
      direct ? `https://${hostPort(gui.host, gui.port)}/` : `https://127.0.0.1:${s.ports.gui}/`,
    );
    await ctx.setOutput(
      'frontendUrl',
      `https://${hostPort(this.nodes(plan, ctx.outputs)[0]!.hostname, s.ports.frontend)}/`,
    );
    if (!direct)
      await ctx.setOutput(
        'tunnelCommand',
        `ssh -N -L ${s.ports.api}:127.0.0.1:${s.ports.api} -L ${s.ports.gui}:127.0.0.1:${s.ports.gui} ${(s.access.via.mode === 'ssh-tunnel' && s.access.via.username) || 'ec2-user'}@${address}`,
      );
  }

  private async verifyFrontends(plan: DeploymentPlan<AwsSettings>, ctx: StepContext): Promise<void> {
    const nodes = String(ctx.outputs.minionNodes ?? '')
      .split(',')
      .filter(Boolean);
    await this.withApi(plan, ctx.outputs, async (endpoint) =>
      verifyFrontends(await this.apiYaml(plan, ctx, endpoint), nodes, {
        timeoutMs: Math.min(plan.settings.bootTimeoutMs, 180_000),
        signal: ctx.signal,
        onNode: (n) => ctx.log(`Frontend ${n} reports to the master`),
      }),
    );
  }

  private async verifyGui(plan: DeploymentPlan<AwsSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const ca = JSON.parse((await ctx.secrets.get(identitySecrets(plan.deploymentId).ca.id)) ?? '{}') as {
      certificatePem?: string;
    };
    if (!ca.certificatePem)
      throw new AppError('SECRET_MISSING', "The deployment's CA is missing from the keychain.");
    const password = await loadAdminPassword(ctx.secrets, plan.deploymentId);
    await this.reach.with(s.access, String(ctx.outputs.node0Address), s.ports.gui, (at) =>
      verifyGui(`https://${at}/`, ca.certificatePem!, s.adminUser, password, { signal: ctx.signal }),
    );
    ctx.log(`The GUI accepted ${s.adminUser}'s password and refused a wrong one`);
  }

  private async seal(plan: DeploymentPlan<AwsSettings>, ctx: StepContext): Promise<void> {
    await ctx.remove(this.refs(plan, '').secret[0]!);
    ctx.log(
      'The config secret is deleted from Secrets Manager (no recovery window): the keys live on the VM(s) and in your keychain only',
    );
  }

  private async connect(plan: DeploymentPlan<AwsSettings>, ctx: StepContext): Promise<void> {
    const yaml = await this.apiYaml(plan, ctx, String(ctx.outputs.apiEndpoint));
    await ctx.create(this.refs(plan, '').connect[0]!, () =>
      this.deps.connections.import({ name: plan.name, yaml, storage: 'keychain' }),
    );
    await ctx.setOutput('connectionName', plan.name);
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
    } else if (ref.kind === 'cloud-secret') {
      await deleteConfigSecret(aws.secrets, ref.id);
      ctx.log(`Secret ${ref.id} deleted`);
    } else throw new AppError('INTERNAL', `The AWS target does not make ${ref.kind} resources.`);
  }
}

function s0(subnetId: string | undefined): string {
  return subnetId ?? 'subnet-00000000';
}

/** What the review says about who reaches which port. */
function accessNotes(
  access: CloudAccess,
  ports: { api: number; gui: number },
  frontendPorts: number[],
  rules: number,
): string[] {
  const notes: string[] = [];
  if (access.agentCidrs.some((c) => c.endsWith('/0')))
    notes.push(
      `The frontend port(s) ${[...new Set(frontendPorts)].join(', ')} are open to the whole internet (agents anywhere). Narrow the agents' ranges if you know them.`,
    );
  notes.push(
    access.via.mode === 'direct'
      ? `The GUI (${ports.gui}) and API (${ports.api}) are open to ${access.responderCidrs.join(', ')} only; nothing else reaches them (${rules} inbound rule(s) in all).`
      : `Only SSH (22) is open to ${access.responderCidrs.join(', ')}; the GUI and API listen on the VM's loopback and the app reaches them through an SSH tunnel (${rules} inbound rule(s) in all).`,
  );
  return notes;
}
