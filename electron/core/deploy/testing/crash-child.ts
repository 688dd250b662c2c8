/**
 * A deployment run in a child process for the crash tests: it deploys (or resumes) and, when told,
 * stops dead after the Nth journal write — printing `BOUNDARY <n> <label>` and then waiting for the
 * parent's SIGKILL. Secrets live in a real file vault so they survive the kill like keychain entries.
 * Input: one JSON argument (CrashChildConfig).
 */
import { FileVaultSecretStore } from '../../credentials/file-vault';
import { JournalStore } from '../journal';
import type { Deployer } from '../model';
import { DeploymentRunner } from '../runner';
import { FileDeployer, type FileSettings } from './file-deployer';

export interface CrashChildConfig {
  journalDir: string;
  vaultPath: string;
  vaultPassphrase: string;
  /** Stop after this many journal writes (heartbeats not counted); null = run to the end. */
  stopAt: number | null;
  mode: 'deploy' | 'resume';
  deploymentId?: string;
  target: 'files';
  settings: FileSettings;
}

export async function openVault(path: string, passphrase: string): Promise<FileVaultSecretStore> {
  const fast = { N: 2 ** 10, r: 8, p: 1 };
  return (await FileVaultSecretStore.exists(path))
    ? FileVaultSecretStore.open(path, passphrase)
    : FileVaultSecretStore.create(path, passphrase, fast);
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as CrashChildConfig;
  const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
  const deployers: Deployer[] = [new FileDeployer()];
  let writes = 0;
  const runner = new DeploymentRunner({
    journals: new JournalStore(config.journalDir),
    secrets,
    deployers,
    afterJournalWrite: async (_doc, label) => {
      if (label === 'heartbeat') return;
      writes++;
      if (config.stopAt !== null && writes === config.stopAt) {
        process.stdout.write(`BOUNDARY ${writes} ${label}\n`);
        await new Promise(() => undefined); // the parent kills us here
      }
    },
  });
  if (config.mode === 'deploy') {
    const plan = await runner.plan('ssh', { name: 'crash', profile: 'standard', settings: config.settings });
    process.stdout.write(`PLANNED ${plan.deploymentId}\n`);
    const out = await runner.deploy(plan);
    process.stdout.write(`DONE ${out.journal.state} ${writes}\n`);
  } else {
    const out = await runner.resume(config.deploymentId ?? '');
    process.stdout.write(`DONE ${out.journal.state} ${writes}\n`);
  }
}

main().catch((e: unknown) => {
  process.stdout.write(`ERROR ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
