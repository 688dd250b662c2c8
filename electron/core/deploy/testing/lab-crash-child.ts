/**
 * A local lab deployment run in a child process for the crash tests: it deploys and, when told, stops
 * dead after its Nth journal write — printing `BOUNDARY <n> <label>` and waiting for the parent's
 * SIGKILL, with whatever the lab started (server, client) left running as orphans. A full run prints
 * `WRITE <n> <label>` for every write, so the parent can pick its kill points (crash-protocol.ts).
 * Secrets live in a real file vault so they survive the kill like keychain entries.
 * Input: one JSON argument (LabCrashChildConfig).
 */
import { crashCounter, deployReporting, runCrashChild } from './crash-protocol';
import { labWorld } from './lab-world';
import { openVault } from './vault';

export interface LabCrashChildConfig {
  dataDir: string;
  vaultPath: string;
  vaultPassphrase: string;
  release: { url: string; caPem: string; key: { armored: string; fingerprint: string } };
  /** Stop after this many journal writes (heartbeats not counted); null = run to the end. */
  stopAt: number | null;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as LabCrashChildConfig;
  const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
  const counter = crashCounter(config.stopAt);
  const world = labWorld({
    dataDir: config.dataDir,
    secrets,
    release: config.release,
    afterJournalWrite: counter.afterJournalWrite,
  });
  await deployReporting(
    world.runner,
    'lab',
    { name: 'lab-crash', profile: 'standard', settings: { binary: { kind: 'release', tag: 'v0.77.2' } } },
    counter,
  );
  await world.close();
}

runCrashChild(main);
