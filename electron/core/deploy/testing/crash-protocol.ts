/**
 * What a crash-test child (crash-child.ts, ssh-crash-child.ts, cloud-crash-child.ts) tells its parent on
 * stdout: `<tag> <n> <label>` for every journal write of a full run (the parent picks its kill points
 * from them), `BOUNDARY <n> <label>` at the write it was told to stop at (then it waits for SIGKILL),
 * `PLANNED <id>`, `DONE <state> <writes>`, or `ERROR <message>`.
 */
import type { TargetKind } from '../../../../shared/deploy';
import { messageOf } from '../../../../shared/errors';
import type { JournalWriteListener } from '../journal';
import type { DeployRequest } from '../model';
import type { DeploymentRunner } from '../runner';

export interface CrashCounter {
  /** The runner's afterJournalWrite: counts writes (heartbeats not), stops dead at `stopAt`. */
  afterJournalWrite: JournalWriteListener;
  writes(): number;
}

export function crashCounter(stopAt: number | null, tag = 'WRITE'): CrashCounter {
  let writes = 0;
  return {
    writes: () => writes,
    afterJournalWrite: async (_doc, label) => {
      if (label === 'heartbeat') return;
      writes++;
      if (stopAt === null) process.stdout.write(`${tag} ${writes} ${label}\n`);
      else if (writes === stopAt) {
        process.stdout.write(`BOUNDARY ${writes} ${label}\n`);
        await new Promise(() => undefined); // the parent kills us here
      }
    },
  };
}

/** Plans and deploys, saying PLANNED and DONE. */
export async function deployReporting(
  runner: DeploymentRunner,
  target: TargetKind,
  request: DeployRequest<unknown>,
  counter: CrashCounter,
): Promise<void> {
  const plan = await runner.plan(target, request);
  process.stdout.write(`PLANNED ${plan.deploymentId}\n`);
  const out = await runner.deploy(plan);
  process.stdout.write(`DONE ${out.journal.state} ${counter.writes()}\n`);
}

/** Resumes deployment `id`, saying DONE. */
export async function resumeReporting(
  runner: DeploymentRunner,
  id: string,
  counter: CrashCounter,
): Promise<void> {
  const out = await runner.resume(id);
  process.stdout.write(`DONE ${out.journal.state} ${counter.writes()}\n`);
}

/** Runs the child's main; a failure is said as ERROR and exits 1. */
export function runCrashChild(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stdout.write(`ERROR ${messageOf(e)}\n`);
    process.exitCode = 1;
  });
}
