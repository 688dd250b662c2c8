/**
 * Operations on a deployed Linux host over SSH: the unit's state and its ports, its journal, a new
 * config installed over SFTP (0600, owned by the service user, through the login user's staging
 * folder, journaled), restart (stop, then the deployer's own start step: start and wait for the
 * ports), and the host's self-destruction timer moved (the deployer's rescheduleExpiry) or stopped and
 * disabled under a legal hold (its disarmExpiry).
 */
import { AppError, messageOf } from '../../../../shared/errors';
import type { HoldTargetTimer, TargetHealth } from '../../../../shared/deploy';
import type { DeploymentPlan, StepContext } from '../model';
import { listeningSockets } from '../ssh/platform';
import { describeHop } from '../ssh/target';
import type { TargetOperations } from '../target-operations';
import { sshHostPlan, type SshHostDeployer } from './ssh-host-deployer';

export class SshHostOperations implements TargetOperations {
  readonly target = 'ssh' as const;

  constructor(private readonly deps: { deployer: SshHostDeployer; clock?: () => Date }) {}

  async health(planIn: DeploymentPlan): Promise<TargetHealth> {
    const plan = sshHostPlan(planIn);
    const s = plan.settings;
    const layout = this.deps.deployer.layout(plan);
    const checkedAt = (this.deps.clock?.() ?? new Date()).toISOString();
    try {
      return await this.deps.deployer.onHost(s, layout, async ({ conn, services }) => {
        const status = await services.status(layout.serverUnit);
        const listening = await listeningSockets(conn);
        const wanted = [s.frontend.port, s.api.port, s.gui.port];
        const missing = wanted.filter((p) => !listening.some((l) => l.port === p));
        return {
          ok: status.active && missing.length === 0,
          state: status.active ? (missing.length ? 'active (ports missing)' : 'active') : status.state,
          detail: [
            `${layout.serverUnit} on ${describeHop(s.ssh)}`,
            status.mainPid ? `pid ${status.mainPid}` : 'no main process',
            missing.length ? `not listening on ${missing.join(', ')}` : `listening on ${wanted.join(', ')}`,
          ].join('; '),
          checkedAt,
        };
      });
    } catch (e) {
      return { ok: false, state: 'unreachable', detail: messageOf(e), checkedAt };
    }
  }

  async logs(planIn: DeploymentPlan, lines: number): Promise<string> {
    const plan = sshHostPlan(planIn);
    const layout = this.deps.deployer.layout(plan);
    return this.deps.deployer.onHost(plan.settings, layout, ({ services }) =>
      services.logs(layout.serverUnit, lines),
    );
  }

  async deliverConfig(planIn: DeploymentPlan, yaml: string, ctx: StepContext): Promise<void> {
    const plan = sshHostPlan(planIn);
    const s = plan.settings;
    const layout = this.deps.deployer.layout(plan);
    await this.deps.deployer.staged(plan, ctx, ({ files }) =>
      files.install({ data: yaml }, layout.config, {
        mode: 0o600,
        owner: s.serviceUser,
        group: s.serviceUser,
      }),
    );
    ctx.log(`Config installed at ${layout.config} over SFTP (0600, ${s.serviceUser})`);
  }

  async restart(planIn: DeploymentPlan, ctx: StepContext): Promise<void> {
    const plan = sshHostPlan(planIn);
    const layout = this.deps.deployer.layout(plan);
    await this.deps.deployer.onHost(plan.settings, layout, ({ services }) =>
      services.stop(layout.serverUnit),
    );
    ctx.log(`${layout.serverUnit} stopped; starting it again`);
    const start = this.deps.deployer.steps(plan).find((x) => x.id === 'start');
    if (!start) throw new AppError('INTERNAL', 'The SSH host deployer has no start step.');
    await start.run(ctx);
  }

  async rescheduleExpiry(planIn: DeploymentPlan, at: Date, ctx: StepContext): Promise<void> {
    await this.deps.deployer.rescheduleExpiry(planIn, at);
    await ctx.setOutput('targetDestroyAt', at.toISOString());
    ctx.log(`The host's self-destruction timer now fires at ${at.toISOString()}`);
  }

  async disarmExpiry(planIn: DeploymentPlan, ctx: StepContext): Promise<HoldTargetTimer> {
    const layout = this.deps.deployer.layout(sshHostPlan(planIn));
    const disarmed = await this.deps.deployer.disarmExpiry(planIn);
    await ctx.setOutput('targetDestroyAt', '');
    ctx.log(
      disarmed
        ? `The host's self-destruction timer ${layout.expireTimer} is stopped and disabled: nothing there destroys the server`
        : `The host has no self-destruction timer ${layout.expireTimer} (gone already): nothing to disarm`,
    );
    return disarmed ? 'disarmed' : 'none';
  }

  withApi<T>(planIn: DeploymentPlan, work: (endpoint: string) => Promise<T>): Promise<T> {
    const plan = sshHostPlan(planIn);
    return this.deps.deployer.reach(plan, plan.settings.api.port, plan.settings.api.expose, work);
  }
}
