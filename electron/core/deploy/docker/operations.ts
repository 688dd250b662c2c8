/**
 * Operations on a deployed Docker server: health and logs from the engine, a new config put into the
 * config volume over the Docker API (through a one-shot container that mounts it read-write, as the
 * register step does — never an environment variable), and restart (stop, then the deployer's own
 * start step, which waits for the health check and reads the published ports again), the timer
 * container replaced (extend) or removed (legal hold), and scale-out
 * of a multi-frontend deployment (one more minion container on the shared data volume).
 */
import { parse, stringify } from 'yaml';
import { AppError } from '../../../../shared/errors';
import type { HoldTargetTimer, ResourceRef, TargetHealth } from '../../../../shared/deploy';
import type { DeploymentPlan, StepContext } from '../model';
import { identitySecrets, loadServerConfig } from '../server-identity';
import type { ScaleOutRequest, ScaleOutWork, TargetOperations } from '../target-operations';
import { nodeName } from '../frontends';
import { containerLogs, dockerPlan, type DockerDeployer, type DockerSettings } from './docker-deployer';
import { dockerError, engineKey, isNotFound, type DockerEngines } from './engine';
import { CONFIG_PATH, minionContainerName, namesFor } from './spec';

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

  /** Each minion's state (`port: running (healthy)`), and whether all of them are healthy. */
  private async minionStates(
    plan: DeploymentPlan<DockerSettings>,
  ): Promise<{ ok: boolean; detail: string[] }> {
    const docker = await this.deps.engines.get(plan.settings.engine);
    let ok = true;
    const detail: string[] = [];
    for (const m of plan.settings.minions) {
      const name = minionContainerName(plan.deploymentId, m.port);
      try {
        const info = await docker.getContainer(name).inspect();
        const health = info.State.Health?.Status ?? 'none';
        ok &&= info.State.Running && health === 'healthy';
        detail.push(`minion ${m.port}: ${info.State.Running ? `running (${health})` : info.State.Status}`);
      } catch (e) {
        if (!isNotFound(e)) throw dockerError(e, `reading the minion ${name}`);
        ok = false;
        detail.push(`minion ${m.port}: missing`);
      }
    }
    return { ok, detail };
  }

  async health(planIn: DeploymentPlan): Promise<TargetHealth> {
    const plan = dockerPlan(planIn);
    const checkedAt = this.now().toISOString();
    try {
      const info = await (await this.server(plan)).inspect();
      const health = info.State.Health?.Status ?? 'none';
      const minions = await this.minionStates(plan);
      const ok = info.State.Running && health === 'healthy' && minions.ok;
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
          ...minions.detail,
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

  /**
   * Removes the timer container (journaled): the engine has nothing left that destroys the server.
   * `rescheduleExpiry` makes a new one (it needs nothing of the old). A timer already gone (removed
   * by hand) is fine: the removal of a missing container succeeds.
   */
  async disarmExpiry(planIn: DeploymentPlan, ctx: StepContext): Promise<HoldTargetTimer> {
    const plan = dockerPlan(planIn);
    const ref = this.deps.deployer.expiryRef(plan);
    await ctx.remove(ref);
    await ctx.setOutput('targetDestroyAt', '');
    ctx.log(
      `The self-destruction timer ${ref.id} is removed from the engine: nothing there destroys the server`,
    );
    return 'disarmed';
  }

  /**
   * One more minion: the config with its ExtraFrontends entry and URL (keychain, then the config
   * volume; the master keeps running — it needs no list of its minions), its container on the shared
   * data volume, started and healthy, and the master's API reporting it. The port defaults to the
   * one after the highest frontend port, the bind address to the last minion's.
   */
  scaleOut(planIn: DeploymentPlan, request: ScaleOutRequest): ScaleOutWork {
    const plan = dockerPlan(planIn);
    const s = plan.settings;
    const deployer = this.deps.deployer;
    const last = s.minions.at(-1);
    if (!last)
      throw new AppError(
        'CONFLICT',
        `Deployment ${plan.name} runs one server (no minions): scale-out needs a multi-frontend (enterprise) deployment.`,
      );
    const minion = {
      bindAddress: request.bindAddress ?? last.bindAddress,
      port: request.port ?? Math.max(s.frontend.port, ...s.minions.map((m) => m.port)) + 1,
    };
    const probe: Record<string, unknown> = {
      Frontend: { hostname: s.frontend.hostname, bind_port: s.frontend.port },
      ExtraFrontends: s.minions.map((m) => ({ hostname: s.frontend.hostname, bind_port: m.port })),
      Client: {},
    };
    // Checked now (ports, profile, node names), so a refused request changes nothing.
    const settings = deployer.withMinion(plan, probe, minion);
    const grown = { ...plan, settings };
    const secretId = identitySecrets(plan.deploymentId).serverConfig.id;
    let previous: string | undefined;
    return {
      node: nodeName(deployer.minionNode(s, minion)),
      settings,
      resources: [deployer.minionRef(plan, minion)],
      steps: [
        {
          id: 'config',
          title: 'Add the minion to the server config (keychain, config volume)',
          run: async (ctx) => {
            previous = await loadServerConfig(ctx.secrets, plan.deploymentId);
            const config = parse(previous) as Record<string, unknown>;
            deployer.withMinion(plan, config, minion);
            const yaml = stringify(config, { lineWidth: 0 });
            await ctx.secrets.set(secretId, yaml);
            await this.deliverConfig(plan, yaml, ctx);
          },
        },
        {
          id: 'minion',
          title: `Minion container on port ${minion.port}`,
          run: async (ctx) => {
            await deployer.createMinion(grown, minion, ctx);
            await deployer.startMinion(grown, minion, ctx);
          },
        },
        {
          id: 'verify-frontends',
          title: 'The master reports the new minion',
          run: (ctx) => deployer.verifyMinions(grown, ctx, [minion]),
        },
      ],
      undo: async (ctx) => {
        if (previous === undefined) return;
        await ctx.secrets.set(secretId, previous);
        await this.deliverConfig(plan, previous, ctx);
        ctx.log('The previous server config is back (keychain and config volume)');
      },
    };
  }
}
