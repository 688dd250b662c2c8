/**
 * A deployment run in a child process for the crash tests: it deploys (or resumes) and, when told,
 * stops dead after the Nth journal write — printing `BOUNDARY <n> <label>` and then waiting for the
 * parent's SIGKILL. Secrets live in a real file vault so they survive the kill like keychain entries.
 * Input: one JSON argument (CrashChildConfig).
 */
import type { DockerSettingsInput } from '../docker/docker-deployer';
import type { ImageFile } from '../docker/spec';
import { JournalStore } from '../journal';
import type { Deployer } from '../model';
import { DeploymentRunner } from '../runner';
import { dockerWorld, type ReleaseFixture } from './docker-world';
import { FileDeployer, type FileSettings } from './file-deployer';
import { crashCounter, deployReporting, resumeReporting, runCrashChild } from './crash-protocol';
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
  const counter = crashCounter(config.stopAt, 'W');
  const { afterJournalWrite } = counter;
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
  if (config.mode === 'deploy')
    await deployReporting(
      runner,
      config.target === 'files' ? 'ssh' : 'docker',
      {
        name: config.name ?? 'crash',
        profile: config.target === 'files' ? 'standard' : (config.profile ?? 'rapid'),
        ...(config.target === 'docker' ? { overrides: config.overrides } : {}),
        settings: config.settings,
      },
      counter,
    );
  else await resumeReporting(runner, config.deploymentId ?? '', counter);
  await close();
}

runCrashChild(main);
