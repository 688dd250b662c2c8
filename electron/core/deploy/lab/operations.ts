/**
 * Operations on a local lab: the server process and its ports, the tail of its log file, a new
 * config written in the lab folder (0600), and restart (the journaled process ended, then the
 * deployer's own server step starts it again and waits for its ports). The lab has no timer of its
 * own: its target is this machine, so the app's reaper is its self-destruction.
 */
import { open, writeFile } from 'node:fs/promises';
import { AppError } from '../../../../shared/errors';
import type { TargetHealth } from '../../../../shared/deploy';
import type { DeploymentPlan, StepContext } from '../model';
import type { TargetOperations } from '../target-operations';
import { PlannedLabSettings, tcpOpen, type LabDeployer } from './lab-deployer';
import { alive, readPidFile, stopProcess } from './processes';

/** The last `lines` lines of a file, reading at most its last 256 KiB. */
async function tail(path: string, lines: number): Promise<string> {
  const f = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (!f) return '';
  try {
    const { size } = await f.stat();
    const length = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(length);
    await f.read(buf, 0, length, size - length);
    return buf
      .toString('utf8')
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  } finally {
    await f.close();
  }
}

export class LabOperations implements TargetOperations {
  readonly target = 'lab' as const;

  constructor(private readonly deps: { deployer: LabDeployer; clock?: () => Date }) {}

  private planned(plan: DeploymentPlan) {
    return { ...plan, settings: PlannedLabSettings.parse(plan.settings) };
  }

  async health(planIn: DeploymentPlan): Promise<TargetHealth> {
    const plan = this.planned(planIn);
    const p = this.deps.deployer.paths(plan.settings);
    const checkedAt = (this.deps.clock?.() ?? new Date()).toISOString();
    const proc = await readPidFile(p.serverPid);
    const running = proc !== null && alive(proc.pid);
    const ports = Object.values(plan.settings.ports);
    const open = await Promise.all(ports.map((port) => tcpOpen(port)));
    const closed = ports.filter((_, i) => !open[i]);
    return {
      ok: running && closed.length === 0,
      state: running ? (closed.length ? 'running (ports closed)' : 'running') : 'stopped',
      detail: [
        proc ? `server pid ${proc.pid}` : 'no server pid file',
        closed.length
          ? `not listening on ${closed.join(', ')}`
          : `listening on 127.0.0.1:${ports.join(', ')}`,
        `log ${p.serverLog}`,
      ].join('; '),
      checkedAt,
    };
  }

  async logs(planIn: DeploymentPlan, lines: number): Promise<string> {
    const plan = this.planned(planIn);
    return tail(this.deps.deployer.paths(plan.settings).serverLog, lines);
  }

  async deliverConfig(planIn: DeploymentPlan, yaml: string, ctx: StepContext): Promise<void> {
    const plan = this.planned(planIn);
    const path = this.deps.deployer.paths(plan.settings).serverConfig;
    await writeFile(path, yaml, { mode: 0o600 });
    ctx.log(`Config written to ${path} (0600)`);
  }

  async restart(planIn: DeploymentPlan, ctx: StepContext): Promise<void> {
    const plan = this.planned(planIn);
    const p = this.deps.deployer.paths(plan.settings);
    const proc = await readPidFile(p.serverPid);
    if (proc) ctx.log(`Server (pid ${proc.pid}): ${await stopProcess(proc)}`);
    const start = this.deps.deployer.steps(plan).find((s) => s.id === 'server');
    if (!start) throw new AppError('INTERNAL', 'The lab deployer has no server step.');
    await start.run(ctx);
  }
}
