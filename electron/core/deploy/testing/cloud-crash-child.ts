/**
 * A cloud deployment run in a child process for the crash tests: it deploys (against the parent's
 * moto, or its fake ARM and Key Vault; the parent's stand-in fleet boots the VMs) and, when told,
 * stops dead after its Nth journal write — printing `BOUNDARY <n> <label>` and waiting for the
 * parent's SIGKILL. A full run prints `WRITE <n> <label>` for every write, so the parent can pick its
 * kill points. Secrets live in a real file vault so they survive the kill like keychain entries.
 * Input: one JSON argument (CloudCrashChildConfig).
 */
import { cloudWorld, type CloudCrashChildConfig } from './cloud-world';
import { SMALL } from './docker-world';
import { openVault } from './vault';
import { messageOf } from '../../../../shared/errors';

async function main(): Promise<void> {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const config = JSON.parse(process.argv[2] ?? '{}') as CloudCrashChildConfig;
  const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
  let writes = 0;
  const world = cloudWorld(config, secrets, async (_doc, label) => {
    if (label === 'heartbeat') return;
    writes++;
    if (config.stopAt === null) process.stdout.write(`WRITE ${writes} ${label}\n`);
    else if (writes === config.stopAt) {
      process.stdout.write(`BOUNDARY ${writes} ${label}\n`);
      await new Promise(() => undefined); // the parent kills us here
    }
  });
  const plan = await world.runner.plan(config.target, {
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
