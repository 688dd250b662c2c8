/**
 * An SSH host deployment run in a child process for the crash tests: it deploys (or resumes) and, when
 * told, stops dead after its Nth journal write — printing `BOUNDARY <n> <label>` and waiting for the
 * parent's SIGKILL. A full run prints `WRITE <n> <label>` for every write, so the parent can pick its
 * kill points. Secrets live in a real file vault so they survive the kill like keychain entries.
 * Input: one JSON argument (SshCrashChildConfig).
 */
import type { SshHostSettingsInput } from '../ssh-host/settings';
import { openVault } from './vault';
import { messageOf } from '../../../../shared/errors';
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
  let writes = 0;
  const world = await sshWorld({
    dataDir: config.dataDir,
    release: config.release,
    secrets,
    hosts: config.hosts.map((h) => ({ ...h, hostKeyBlob: Buffer.from(h.hostKeyBlob, 'base64') })),
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
  if (config.mode === 'deploy') {
    const plan = await world.runner.plan('ssh', {
      name: 'crash',
      profile: 'rapid',
      overrides: SMALL,
      settings: config.settings,
    });
    process.stdout.write(`PLANNED ${plan.deploymentId}\n`);
    const out = await world.runner.deploy(plan);
    process.stdout.write(`DONE ${out.journal.state} ${writes}\n`);
  } else {
    const out = await world.runner.resume(config.deploymentId ?? '');
    process.stdout.write(`DONE ${out.journal.state} ${writes}\n`);
  }
  await world.close();
}

main().catch((e: unknown) => {
  process.stdout.write(`ERROR ${messageOf(e)}\n`);
  process.exitCode = 1;
});
