/**
 * An Azure deployment run in a child process for the crash tests: it deploys (against the parent's
 * fake ARM and Key Vault, whose stand-in fleet boots the VM) and, when told, stops dead after its Nth journal write —
 * printing `BOUNDARY <n> <label>` and waiting for the parent's SIGKILL. A full run prints
 * `WRITE <n> <label>` for every write, so the parent can pick its kill points. Secrets live in a
 * real file vault so they survive the kill like keychain entries.
 * Input: one JSON argument (AzureCrashChildConfig).
 */
import type { AzureSettingsInput } from '../azure/azure-deployer';
import { azureWorld } from './azure-world';
import { SMALL } from './docker-world';
import { openVault } from './vault';
import { messageOf } from '../../../../shared/errors';

export interface AzureCrashChildConfig {
  dataDir: string;
  vaultPath: string;
  vaultPassphrase: string;
  fake: { endpoint: string; caPem: string };
  vmRoot: string;
  release: { url: string; caPem: string; key: { armored: string; fingerprint: string } };
  settings: AzureSettingsInput;
  /** Stop after this many journal writes (heartbeats not counted); null = run to the end. */
  stopAt: number | null;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as AzureCrashChildConfig;
  const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
  let writes = 0;
  const world = azureWorld({
    dataDir: config.dataDir,
    fake: config.fake,
    vmRoot: config.vmRoot,
    release: config.release,
    secrets,
    afterJournalWrite: async (_doc, label) => {
      if (label === 'heartbeat') return;
      writes++;
      if (config.stopAt === null) process.stdout.write(`WRITE ${writes} ${label}\n`);
      else if (writes === config.stopAt) {
        process.stdout.write(`BOUNDARY ${writes} ${label}\n`);
        await new Promise(() => undefined); // the parent kills us here
      }
    },
  });
  const plan = await world.runner.plan('azure', {
    name: 'crash',
    profile: 'rapid',
    overrides: SMALL,
    settings: config.settings,
  });
  process.stdout.write(`PLANNED ${plan.deploymentId}\n`);
  const out = await world.runner.deploy(plan);
  process.stdout.write(`DONE ${out.journal.state} ${writes}\n`);
  await world.close();
}

main().catch((e: unknown) => {
  process.stdout.write(`ERROR ${messageOf(e)}\n`);
  process.exitCode = 1;
});
