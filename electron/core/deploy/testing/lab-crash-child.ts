/**
 * A local lab deployment run in a child process for the crash tests: it deploys and stops dead at the
 * first journal write whose label starts with `stopAtLabel` — printing `BOUNDARY <label>` and waiting
 * for the parent's SIGKILL, with the lab's server (and client) left running as orphans.
 * Input: one JSON argument (LabCrashChildConfig).
 */
import { labWorld } from './lab-world';
import { openVault } from './vault';
import { messageOf } from '../../../../shared/errors';

export interface LabCrashChildConfig {
  dataDir: string;
  vaultPath: string;
  vaultPassphrase: string;
  release: { url: string; caPem: string; key: { armored: string; fingerprint: string } };
  stopAtLabel: string;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as LabCrashChildConfig;
  const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
  const { runner } = labWorld({
    dataDir: config.dataDir,
    secrets,
    release: config.release,
    afterJournalWrite: async (_doc, label) => {
      // Stop once the resource is recorded as made (its process runs) or at the named step boundary.
      if (
        label.startsWith(config.stopAtLabel) &&
        (!label.startsWith('resource:') || label.endsWith(':created'))
      ) {
        process.stdout.write(`BOUNDARY ${label}\n`);
        await new Promise(() => undefined);
      }
    },
  });
  const plan = await runner.plan('lab', {
    name: 'lab-crash',
    profile: 'standard',
    settings: { binary: { kind: 'release', tag: 'v0.77.2' } },
  });
  process.stdout.write(`PLANNED ${plan.deploymentId}\n`);
  await runner.deploy(plan);
  process.stdout.write('DONE\n');
}

main().catch((e: unknown) => {
  process.stdout.write(`ERROR ${messageOf(e)}\n`);
  process.exitCode = 1;
});
