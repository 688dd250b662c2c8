/**
 * Operations on a deployed AWS server, through AWS's own channels only (the app has no shell on the
 * VM): the instances' state, their console output (the boot script logs there), a new config put in
 * Secrets Manager for the VM's config fetcher (journaled; deleted again once the server serves),
 * restart as an instance stop and start (every boot reruns the fetcher before the server, and the
 * stopped state is something AWS confirms, unlike a reboot), and the self-destruction moved by
 * re-tagging the instances (the on-instance timer reads its time from the instance's tag).
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
import type { TargetHealth } from '../../../../shared/deploy';
import { AppError, messageOf } from '../../../../shared/errors';
import type { DeploymentPlan, StepContext } from '../model';
import type { TargetOperations } from '../target-operations';
import { awsPlan, type AwsDeployer, type AwsSettings } from './aws-deployer';
import { awsError } from './errors';
import { TAG } from './names';
import { createConfigSecret, deleteConfigSecret } from './stack';

/** How long an instance may take to stop or start before the restart gives up. */
const STATE_TIMEOUT_MS = 10 * 60_000;

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
    const plan = awsPlan(planIn);
    const ids = (await this.instances(plan)).map((i) => i.InstanceId).filter((x): x is string => !!x);
    try {
      await this.deps.deployer
        .aws(plan.settings)
        .ec2.send(
          new CreateTagsCommand({ Resources: ids, Tags: [{ Key: TAG.destroyAt, Value: at.toISOString() }] }),
        );
    } catch (e) {
      throw awsError(e, `re-tagging ${ids.join(', ')}`);
    }
    await ctx.setOutput('targetDestroyAt', at.toISOString());
    ctx.log(
      `The instances' self-destruction timers now fire at ${at.toISOString()} (their ${TAG.destroyAt} tag)`,
    );
  }
}
