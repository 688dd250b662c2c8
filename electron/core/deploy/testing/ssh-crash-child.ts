/**
 * An SSH host deployment run in a child process for the crash tests: it deploys (or resumes) and, when
 * told, stops dead after its Nth journal write — printing `BOUNDARY <n> <label>` and waiting for the
 * parent's SIGKILL. A full run prints `WRITE <n> <label>` for every write, so the parent can pick its
 * kill points. Secrets live in a real file vault so they survive the kill like keychain entries.
 * Input: one JSON argument (SshCrashChildConfig).
 */
import type { SshHostSettingsInput } from '../ssh-host/settings';
import { openVault } from './vault';
import { crashCounter, deployReporting, resumeReporting, runCrashChild } from './crash-protocol';
import { SMALL } from './docker-world';
import { sshWorld } from './ssh-world';

export interface SshCrashChildConfig {
  dataDir: string;
  vaultPath: string;
  vaultPassphrase: string;
  release: { url: string; caPem: string; key: { armored: string; fingerprint: string } };
  hosts: Array<{ host: string; port: number; hostKeyBlob: string }>;
  settings: SshHostSettingsInput;
  /** Stop after this many journal writes (heartbeats not counted); null = run to the end. */
  stopAt: number | null;
  mode: 'deploy' | 'resume';
  deploymentId?: string;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as SshCrashChildConfig;
  const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
  const counter = crashCounter(config.stopAt);
  const world = await sshWorld({
    dataDir: config.dataDir,
    release: config.release,
    secrets,
    hosts: config.hosts.map((h) => ({ ...h, hostKeyBlob: Buffer.from(h.hostKeyBlob, 'base64') })),
    afterJournalWrite: counter.afterJournalWrite,
  });
  if (config.mode === 'deploy')
    await deployReporting(
      world.runner,
      'ssh',
      { name: 'crash', profile: 'rapid', overrides: SMALL, settings: config.settings },
      counter,
    );
  else await resumeReporting(world.runner, config.deploymentId ?? '', counter);
  await world.close();
}

runCrashChild(main);
