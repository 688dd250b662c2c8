/**
 * A deployment run in a child process for the crash tests: it deploys (or resumes) and, when told,
 * stops dead after the Nth journal write — printing `BOUNDARY <n> <label>` and then waiting for the
 * parent's SIGKILL. Secrets live in a real file vault so they survive the kill like keychain entries.
 * Input: one JSON argument (CrashChildConfig).
 */
import { messageOf } from '../../../../shared/errors';
import type { DockerSettingsInput } from '../docker/docker-deployer';
import type { ImageFile } from '../docker/spec';
import { JournalStore } from '../journal';
import type { Deployer } from '../model';
import { DeploymentRunner, type RunnerDeps } from '../runner';
import { dockerWorld, type ReleaseFixture } from './docker-world';
import { FileDeployer, type FileSettings } from './file-deployer';
import { openVault } from './vault';

interface Common {
  vaultPath: string;
  vaultPassphrase: string;
  /** Stop after this many journal writes (heartbeats not counted); null = run to the end. */
  stopAt: number | null;
  mode: 'deploy' | 'resume';
  deploymentId?: string;
  /** Deployment (and connection) name. */
  name?: string;
}

export type CrashChildConfig = Common &
  (
    | { target: 'files'; journalDir: string; settings: FileSettings }
    | {
        target: 'docker';
        dataDir: string;
        release: ReleaseFixture;
        extraFiles: ImageFile[];
        settings: DockerSettingsInput;
        overrides: Record<string, unknown>;
        /** Default rapid; enterprise for a multi-frontend deployment. */
        profile?: 'rapid' | 'enterprise';
      }
  );

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as CrashChildConfig;
  const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
  let writes = 0;
  const afterJournalWrite: RunnerDeps['afterJournalWrite'] = async (_doc, label) => {
    if (label === 'heartbeat') return;
    writes++;
    if (config.stopAt === null) process.stdout.write(`W ${writes} ${label}\n`);
    else if (writes === config.stopAt) {
      process.stdout.write(`BOUNDARY ${writes} ${label}\n`);
      await new Promise(() => undefined); // the parent kills us here
    }
  };
  let runner: DeploymentRunner;
  let close = async (): Promise<void> => undefined;
  if (config.target === 'files') {
    const deployers: Deployer[] = [new FileDeployer()];
    runner = new DeploymentRunner({
      journals: new JournalStore(config.journalDir),
      secrets,
      deployers,
      afterJournalWrite,
    });
  } else {
    const world = dockerWorld({
      dataDir: config.dataDir,
      engine: config.settings.engine,
      release: config.release,
      secrets,
      extraFiles: config.extraFiles,
      afterJournalWrite,
    });
    runner = world.runner;
    close = () => world.close();
  }
  if (config.mode === 'deploy') {
    const plan = await runner.plan(config.target === 'files' ? 'ssh' : 'docker', {
      name: config.name ?? 'crash',
      profile: config.target === 'files' ? 'standard' : (config.profile ?? 'rapid'),
      ...(config.target === 'docker' ? { overrides: config.overrides } : {}),
      settings: config.settings,
    });
    process.stdout.write(`PLANNED ${plan.deploymentId}\n`);
    const out = await runner.deploy(plan);
    process.stdout.write(`DONE ${out.journal.state} ${writes}\n`);
  } else {
    const out = await runner.resume(config.deploymentId ?? '');
    process.stdout.write(`DONE ${out.journal.state} ${writes}\n`);
  }
  await close();
}

main().catch((e: unknown) => {
  process.stdout.write(`ERROR ${messageOf(e)}\n`);
  process.exitCode = 1;
});
