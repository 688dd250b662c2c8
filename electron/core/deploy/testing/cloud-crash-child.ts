/**
 * A cloud deployment run in a child process for the crash tests: it deploys (against the parent's
 * moto, or its fake ARM and Key Vault; the parent's stand-in fleet boots the VMs) and, when told,
 * stops dead after its Nth journal write — printing `BOUNDARY <n> <label>` and waiting for the
 * parent's SIGKILL. A full run prints `WRITE <n> <label>` for every write, so the parent can pick its
 * kill points. Secrets live in a real file vault so they survive the kill like keychain entries.
 * With `scaleOut` it adds a minion to the parent's deployment instead (through the app's service).
 * Input: one JSON argument (CloudCrashChildConfig).
 */
import { cloudService, cloudWorld, type CloudCrashChildConfig } from './cloud-world';
import { SMALL } from './docker-world';
import { openVault } from './vault';
import { crashCounter, deployReporting, runCrashChild } from './crash-protocol';

async function main(): Promise<void> {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const config = JSON.parse(process.argv[2] ?? '{}') as CloudCrashChildConfig;
  const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
  const counter = crashCounter(config.stopAt);
  if (config.scaleOut) {
    const { deploymentId, port } = config.scaleOut;
    const world = cloudWorld(config, secrets);
    const service = cloudService(world, { ...config, secrets, afterJournalWrite: counter.afterJournalWrite });
    process.stdout.write(`PLANNED ${deploymentId}\n`);
    const r = await service.scaleOut(deploymentId, { port });
    process.stdout.write(`DONE ${r.operation.state} ${counter.writes()}\n`);
    await service.dispose();
    await world.close();
    return;
  }
  const world = cloudWorld(config, secrets, counter.afterJournalWrite);
  await deployReporting(
    world.runner,
    config.target,
    { name: 'crash', profile: 'rapid', overrides: SMALL, settings: config.settings },
    counter,
  );
  await world.close();
}

runCrashChild(main);
