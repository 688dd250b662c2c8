/**
 * Operations on a deployed AWS server, through AWS's own channels only (the app has no shell on the
 * VM): the instances' state, their console output (the boot script logs there), a new config put in
 * Secrets Manager for the VM's config fetcher (journaled; deleted again once the server serves),
 * restart as an instance stop and start (every boot reruns the fetcher before the server, and the
 * stopped state is something AWS confirms, unlike a reboot), and the self-destruction moved by
 * re-tagging the instances (the on-instance timer reads its time from the instance's tag).
 *
 * Scale-out (scale-out.ts) adds a minion by a stack update, its config through a temporary secret.
 *
 * The deployment's instances are found by their `megaraptor:deployment` tag, so the status page needs
 * nothing from the journal.
 */
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  GetConsoleOutputCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import type { HoldTargetTimer, TargetHealth } from '../../../../shared/deploy';
import { AppError, messageOf } from '../../../../shared/errors';
import { parse, stringify } from 'yaml';
import { minionPortsOf } from '../cloud/settings';
import { HOLD_TAG_VALUE } from '../cloud/vm-script';
import { addMinion, nodeName } from '../frontends';
import type { DeploymentPlan, StepContext } from '../model';
import { identitySecrets, loadServerConfig } from '../server-identity';
import type { ScaleOutRequest, ScaleOutWork, TargetOperations } from '../target-operations';
import { awsPlan, type AwsDeployer, type AwsSettings } from './aws-deployer';
import { awsError } from './errors';
import { nodeLogicalId, TAG } from './names';
import { addStackNode, nodeTag, STACK_UPDATE_TIMEOUT_MS, stackNodeRef } from './scale-out';
import { createConfigSecret, deleteConfigSecret } from './stack';
import { templateBody } from './template';

/** How long an instance may take to stop or start before the restart gives up. */
const STATE_TIMEOUT_MS = 10 * 60_000;
/** The most minions a deployment takes (CloudCommon.minions). */
const MAX_MINIONS = 5;

export class AwsOperations implements TargetOperations {
  readonly target = 'aws' as const;

  constructor(private readonly deps: { deployer: AwsDeployer; clock?: () => Date; pollMs?: number }) {}

  private pollMs(): number {
    return this.deps.pollMs ?? 5_000;
  }

  /** The deployment's instances that are not terminated, the master first. */
  async instances(plan: DeploymentPlan<AwsSettings>): Promise<Instance[]> {
    const aws = this.deps.deployer.aws(plan.settings);
    try {
      const r = await aws.ec2.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: `tag:${TAG.deployment}`, Values: [plan.deploymentId] }],
        }),
      );
      const all = (r.Reservations ?? []).flatMap((x) => x.Instances ?? []);
      const role = (i: Instance) => i.Tags?.find((t) => t.Key === TAG.role)?.Value ?? '';
      return all
        .filter((i) => i.State?.Name !== 'terminated')
        .sort((a, b) => Number(role(b) === 'master') - Number(role(a) === 'master'));
    } catch (e) {
      throw awsError(e, `reading the instances of ${plan.name}`);
    }
  }

  async health(planIn: DeploymentPlan): Promise<TargetHealth> {
    const plan = awsPlan(planIn);
    const checkedAt = (this.deps.clock?.() ?? new Date()).toISOString();
    try {
      const list = await this.instances(plan);
      const want = 1 + plan.settings.minions;
      const running = list.filter((i) => i.State?.Name === 'running');
      const states = list.map((i) => `${i.InstanceId ?? '?'} ${i.State?.Name ?? '?'}`);
      return {
        ok: running.length === want,
        state: !list.length
          ? 'gone'
          : running.length === want
            ? 'running'
            : (list[0]?.State?.Name ?? 'unknown'),
        detail: `${states.join(', ') || 'no instance'} in ${plan.settings.region}${running.length === want ? '' : ` (${want} expected running)`}`,
        checkedAt,
      };
    } catch (e) {
      return { ok: false, state: 'unreachable', detail: messageOf(e), checkedAt };
    }
  }

  /** The master's console output (the boot script's log and the kernel's), its last `lines` lines. */
  async logs(planIn: DeploymentPlan, lines: number): Promise<string> {
    const plan = awsPlan(planIn);
    const [master] = await this.instances(plan);
    if (!master?.InstanceId)
      throw new AppError('NOT_FOUND', `Deployment ${plan.name} has no instance on AWS.`);
    try {
      const r = await this.deps.deployer
        .aws(plan.settings)
        .ec2.send(new GetConsoleOutputCommand({ InstanceId: master.InstanceId, Latest: true }));
      const text = Buffer.from(r.Output ?? '', 'base64').toString('utf8');
      return text.split('\n').slice(-lines).join('\n');
    } catch (e) {
      throw awsError(e, `reading the console output of ${master.InstanceId}`);
    }
  }

  async deliverConfig(planIn: DeploymentPlan, yaml: string, ctx: StepContext): Promise<void> {
    const plan = awsPlan(planIn);
    const aws = this.deps.deployer.aws(plan.settings);
    const ref = this.deps.deployer.secretRef(plan);
    // One left by an interrupted delivery holds an older config: the VM must not read that one.
    await deleteConfigSecret(aws.secrets, ref.id);
    await ctx.create(
      ref,
      () => createConfigSecret(aws.secrets, { name: ref.id, value: yaml, deploymentId: plan.deploymentId }),
      (arn) => ({ arn }),
    );
    ctx.log(`The new config is in Secrets Manager as ${ref.id}; the VM reads it at its next start`);
  }

  private async waitFor(
    plan: DeploymentPlan<AwsSettings>,
    ids: string[],
    state: 'stopped' | 'running',
    ctx: StepContext,
  ): Promise<void> {
    const deadline = Date.now() + STATE_TIMEOUT_MS;
    for (;;) {
      if (ctx.signal.aborted) throw new AppError('CANCELLED', 'The operation was cancelled.');
      const now = new Map((await this.instances(plan)).map((i) => [i.InstanceId, i.State?.Name ?? '?']));
      const pending = ids.filter((id) => now.get(id) !== state);
      if (!pending.length) return;
      const gone = pending.filter((id) => !now.has(id));
      if (gone.length)
        throw new AppError('DEPLOY_FAILED', `Instance(s) ${gone.join(', ')} ended while being restarted.`);
      if (Date.now() > deadline)
        throw new AppError(
          'TIMEOUT',
          `Instance(s) ${pending.map((id) => `${id} (${now.get(id)})`).join(', ')} were not ${state} after ${STATE_TIMEOUT_MS / 60_000} minutes.`,
        );
      ctx.progress({ message: `Waiting for ${pending.length} instance(s) to be ${state}` });
      await new Promise((r) => setTimeout(r, this.pollMs()));
    }
  }

  async restart(planIn: DeploymentPlan, ctx: StepContext): Promise<void> {
    const plan = awsPlan(planIn);
    const aws = this.deps.deployer.aws(plan.settings);
    const ids = (await this.instances(plan)).map((i) => i.InstanceId).filter((x): x is string => !!x);
    if (!ids.length)
      throw new AppError('NOT_FOUND', `Deployment ${plan.name} has no instance on AWS to restart.`);
    try {
      await aws.ec2.send(new StopInstancesCommand({ InstanceIds: ids }));
    } catch (e) {
      throw awsError(e, `stopping ${ids.join(', ')}`);
    }
    await this.waitFor(plan, ids, 'stopped', ctx);
    ctx.log(`${ids.join(', ')} stopped; starting again (the config fetcher runs before the server)`);
    try {
      await aws.ec2.send(new StartInstancesCommand({ InstanceIds: ids }));
    } catch (e) {
      throw awsError(e, `starting ${ids.join(', ')}`);
    }
    await this.waitFor(plan, ids, 'running', ctx);
    const boot = this.deps.deployer.steps(plan).find((x) => x.id === 'boot');
    if (!boot) throw new AppError('INTERNAL', 'The AWS deployer has no boot step.');
    await boot.run(ctx);
    // Whatever config the VM read is on its disk now; the store must not keep it.
    await ctx.remove(this.deps.deployer.secretRef(plan));
    ctx.log('The server serves again; the config secret is deleted');
  }

  async rescheduleExpiry(planIn: DeploymentPlan, at: Date, ctx: StepContext): Promise<void> {
    await this.tagDestroyAt(awsPlan(planIn), at.toISOString());
    await ctx.setOutput('targetDestroyAt', at.toISOString());
    ctx.log(
      `The instances' self-destruction timers now fire at ${at.toISOString()} (their ${TAG.destroyAt} tag)`,
    );
  }

  /**
   * A legal hold: the instances' tag says "held", which their timers read when they fire and then
   * destroy nothing (asking again hourly) until the lift tags a time again. Instances made before
   * their timer knew that value would read it as "now": those are left armed, and the hold says so.
   */
  async disarmExpiry(planIn: DeploymentPlan, ctx: StepContext): Promise<HoldTargetTimer> {
    if (ctx.outputs.targetHoldAware !== true) return 'armed';
    await this.tagDestroyAt(awsPlan(planIn), HOLD_TAG_VALUE);
    await ctx.setOutput('targetDestroyAt', '');
    ctx.log(
      `The instances' ${TAG.destroyAt} tag is "${HOLD_TAG_VALUE}": their self-destruction timers destroy nothing until the hold is lifted`,
    );
    return 'disarmed';
  }

  private async tagDestroyAt(plan: ReturnType<typeof awsPlan>, value: string): Promise<void> {
    const ids = (await this.instances(plan)).map((i) => i.InstanceId).filter((x): x is string => !!x);
    try {
      await this.deps.deployer
        .aws(plan.settings)
        .ec2.send(new CreateTagsCommand({ Resources: ids, Tags: [{ Key: TAG.destroyAt, Value: value }] }));
    } catch (e) {
      throw awsError(e, `re-tagging ${ids.join(', ')}`);
    }
  }

  /**
   * One more minion: a stack update adds its VM (scale-out.ts), the server config with its entry and
   * URL reaches it through a temporary secret that its instance role reads once at boot, the master's
   * API must report it (the master needs no list of its minions), the secret is deleted, and only then
   * does the keychain's config list it — so a scale-out that fails or is cleaned up after a crash
   * leaves the config as it was, with nothing to undo. The port defaults to the master's frontend port
   * (each minion is a VM of its own with its own Elastic IP).
   */
  scaleOut(planIn: DeploymentPlan, request: ScaleOutRequest): ScaleOutWork {
    const plan = awsPlan(planIn);
    const s = plan.settings;
    const deployer = this.deps.deployer;
    if (!s.minions)
      throw new AppError(
        'CONFLICT',
        `Deployment ${plan.name} runs one server (no minions): scale-out needs a multi-frontend (enterprise) deployment.`,
      );
    if (request.bindAddress !== undefined)
      throw new AppError(
        'INVALID_ARGUMENT',
        'On AWS every minion is a VM of its own with its own Elastic IP: there is no address to bind it to. Leave the bind address out (a port may be chosen).',
      );
    if (s.minions >= MAX_MINIONS)
      throw new AppError(
        'INVALID_ARGUMENT',
        `Deployment ${plan.name} has ${s.minions} minions, the most a deployment takes (${MAX_MINIONS}).`,
      );
    const port = request.port ?? s.ports.frontend;
    if (port === s.ports.api || port === s.ports.gui)
      throw new AppError(
        'INVALID_ARGUMENT',
        `Port ${port} is the server's ${port === s.ports.api ? 'API' : 'GUI'} port: choose another for the minion.`,
      );
    const index = s.minions + 1;
    const settings: AwsSettings = { ...s, minions: index, minionPorts: [...minionPortsOf(s), port] };
    const grown = { ...plan, settings };
    // Checked now (CloudFormation's size limit), so a refused request changes nothing.
    templateBody(
      deployer.template(grown, {
        release: { url: 'https://example.invalid/velociraptor', sha256: '0'.repeat(64) },
        subnetId: 'subnet-00000000',
        vpcId: 'vpc-00000000',
        destroyAt: plan.autoDestroyAt,
      }),
    );
    const newPort = !minionPortsOf(s).includes(port) && port !== s.ports.frontend;
    const tag = nodeTag(request.attempt ?? 1);
    const node = stackNodeRef(
      plan,
      index,
      tag,
      `EC2 instance (encrypted volume, the shared EFS store), Elastic IP and its association${newPort ? `, ${s.access.agentCidrs.length} inbound rule(s) for port ${port} from the agents' ranges` : ''}`,
    );
    const secret = {
      ...deployer.secretRef(plan),
      title:
        'the server config with the new minion in Secrets Manager (read once by its VM, deleted once it reports)',
    };
    const wait = (ctx: StepContext) => ({
      signal: ctx.signal,
      pollMs: this.pollMs(),
      timeoutMs: STACK_UPDATE_TIMEOUT_MS,
      progress: (message: string, fraction?: number) =>
        ctx.progress({ message, ...(fraction === undefined ? {} : { fraction }) }),
    });
    const name = () => nodeName({ hostname: address, port });
    let address = '';
    let yaml = '';
    return {
      node: `${nodeLogicalId(index)}${tag} (<its Elastic IP>-${port})`,
      settings,
      resources: [node, secret],
      steps: [
        {
          id: 'stack',
          title: `CloudFormation stack update: ${nodeLogicalId(index)}${tag} on port ${port}`,
          run: async (ctx) => {
            const made = await ctx.create(
              node,
              () => addStackNode(deployer, grown, ctx.outputs, tag, wait(ctx)),
              (o) => ({ instanceId: o.instanceId, address: o.address }),
            );
            address = made.address;
            await ctx.setOutput(`node${index}InstanceId`, made.instanceId);
            await ctx.setOutput(`node${index}Address`, made.address);
            await ctx.setOutput(`node${index}PrivateIp`, made.privateIp);
            ctx.log(`${nodeLogicalId(index)}${tag} is ${made.instanceId} at ${made.address}`);
          },
        },
        {
          id: 'secret',
          title: 'The server config with the new minion, in Secrets Manager for its boot',
          run: async (ctx) => {
            address ||= String(ctx.outputs[`node${index}Address`]);
            const config = parse(await loadServerConfig(ctx.secrets, plan.deploymentId)) as Record<
              string,
              unknown
            >;
            const bindAddress = deployer.nodes(grown, ctx.outputs)[index]!.bindAddress;
            addMinion(config, { hostname: address, port, bindAddress });
            yaml = stringify(config, { lineWidth: 0 });
            // One left by an interrupted delivery holds an older config: the VM must not read that one.
            await deleteConfigSecret(deployer.aws(s).secrets, secret.id);
            await ctx.create(
              secret,
              () =>
                createConfigSecret(deployer.aws(s).secrets, {
                  name: secret.id,
                  value: yaml,
                  deploymentId: plan.deploymentId,
                }),
              (arn) => ({ arn }),
            );
            ctx.log(`The config listing ${name()} is in Secrets Manager as ${secret.id}, for its VM only`);
          },
        },
        {
          id: 'verify-frontends',
          title: 'The master reports the new minion',
          // The VM boots meanwhile (packages, the release download): the boot's time, not a check's.
          run: (ctx) => deployer.verifyNodes(grown, ctx, [name()], s.bootTimeoutMs),
        },
        {
          id: 'seal',
          title: 'Config secret deleted from Secrets Manager',
          run: async (ctx) => {
            await ctx.remove(secret);
            ctx.log('The config secret is deleted: the keys live on the VMs and in your keychain only');
          },
        },
        {
          id: 'record',
          title: 'The server config in the keychain lists the new minion',
          run: async (ctx) => {
            await ctx.secrets.set(identitySecrets(plan.deploymentId).serverConfig.id, yaml);
            const before = String(ctx.outputs.minionNodes ?? '');
            await ctx.setOutput('minionNodes', [before, name()].filter(Boolean).join(','));
          },
        },
      ],
      // The stack owns the node now: deleting the stack (destroy) deletes it, not a stack update.
      retain: [node],
    };
  }
}
