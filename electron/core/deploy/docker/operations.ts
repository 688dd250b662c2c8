/**
 * Operations on a deployed Docker server: health and logs from the engine, a new config put into the
 * config volume over the Docker API (through a one-shot container that mounts it read-write, as the
 * register step does — never an environment variable), and restart (stop, then the deployer's own
 * start step, which waits for the health check and reads the published ports again).
 */
import { AppError } from '../../../../shared/errors';
import type { ResourceRef, TargetHealth } from '../../../../shared/deploy';
import type { DeploymentPlan, StepContext } from '../model';
import type { TargetOperations } from '../target-operations';
import { containerLogs, dockerPlan, type DockerDeployer, type DockerSettings } from './docker-deployer';
import { dockerError, engineKey, isNotFound, type DockerEngines } from './engine';
import { CONFIG_PATH, namesFor } from './spec';

export class DockerOperations implements TargetOperations {
  readonly target = 'docker' as const;

  constructor(
    private readonly deps: { engines: DockerEngines; deployer: DockerDeployer; clock?: () => Date },
  ) {}

  private now(): Date {
    return this.deps.clock?.() ?? new Date();
  }

  private server(plan: DeploymentPlan<DockerSettings>) {
    return this.deps.engines
      .get(plan.settings.engine)
      .then((d) => d.getContainer(namesFor(plan.deploymentId).server));
  }

  async health(planIn: DeploymentPlan): Promise<TargetHealth> {
    const plan = dockerPlan(planIn);
    const checkedAt = this.now().toISOString();
    try {
      const info = await (await this.server(plan)).inspect();
      const health = info.State.Health?.Status ?? 'none';
      const ok = info.State.Running && health === 'healthy';
      const last = info.State.Health?.Log?.at(-1)?.Output?.trim();
      return {
        ok,
        state: info.State.Running ? `running (${health})` : info.State.Status,
        detail: [
          `container ${namesFor(plan.deploymentId).server} on ${engineKey(plan.settings.engine)}`,
          `started ${info.State.StartedAt}`,
          `restarts ${info.RestartCount}`,
          ...(!ok && last ? [`last health check: ${last.slice(-300)}`] : []),
          ...(!info.State.Running ? [`exit code ${info.State.ExitCode}`] : []),
        ].join('; '),
        checkedAt,
      };
    } catch (e) {
      if (isNotFound(e))
        return {
          ok: false,
          state: 'missing',
          detail: 'The server container is gone from the engine.',
          checkedAt,
        };
      throw dockerError(e, 'reading the server container');
    }
  }

  async logs(planIn: DeploymentPlan, lines: number): Promise<string> {
    const plan = dockerPlan(planIn);
    try {
      return await containerLogs(await this.server(plan), lines);
    } catch (e) {
      throw dockerError(e, "reading the server container's log");
    }
  }

  async deliverConfig(planIn: DeploymentPlan, yaml: string, ctx: StepContext): Promise<void> {
    const plan = dockerPlan(planIn);
    const names = namesFor(plan.deploymentId);
    const ref: ResourceRef = {
      kind: 'container',
      id: names.init,
      scope: engineKey(plan.settings.engine),
      title: 'one-shot container that puts the config into its volume (removed after use)',
    };
    // Never started: Docker writes archives into a created container's volumes.
    await this.deps.deployer.configContainer(plan, ctx, ref, {
      argv: [this.deps.deployer.runAs(plan.settings).binary, 'version'],
      what: 'config delivery container',
      yaml,
    });
    ctx.log(`Config delivered to ${CONFIG_PATH} (volume ${names.configVolume}) over the Docker API`);
    await ctx.remove(ref);
  }

  async restart(planIn: DeploymentPlan, ctx: StepContext): Promise<void> {
    const plan = dockerPlan(planIn);
    const container = await this.server(plan);
    try {
      await container.stop({ t: 10 });
    } catch (e) {
      // 304: not running.
      if ((e as { statusCode?: number }).statusCode !== 304) throw dockerError(e, 'stopping the server');
    }
    ctx.log('Server stopped; starting it again');
    const start = this.deps.deployer.steps(plan).find((s) => s.id === 'start');
    if (!start) throw new AppError('INTERNAL', 'The Docker deployer has no start step.');
    await start.run(ctx);
  }

  async rescheduleExpiry(planIn: DeploymentPlan, at: Date, ctx: StepContext): Promise<void> {
    const plan = dockerPlan(planIn);
    const ref = this.deps.deployer.expiryRef(plan);
    // The timer reads its time from its command line: a new timer replaces the old one.
    await ctx.remove(ref);
    await this.deps.deployer.startExpiryTimer(plan, at, ctx);
  }
}
