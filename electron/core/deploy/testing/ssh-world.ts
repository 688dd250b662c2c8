/**
 * Everything an SSH host deployment test (and its crash child) needs, built the way the app builds it:
 * the release cache pointed at a local HTTPS release server whose linux-amd64 asset is the simulator
 * launcher (or, by hand, a real Velociraptor binary: MEGARAPTOR_REAL_VELOCIRAPTOR=/path), signed by a
 * key `gpg` made for the run; journals and connections in a data dir; the app's known-hosts file with
 * each test host's key confirmed; the runner with the SSH host deployer and the recording service
 * manager (no systemd here).
 */
import { chmod, mkdir, readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectionManager } from '../../connections/index';
import { velociraptorLauncher } from '../../sim/launcher';
import type { JournalStore } from '../journal';
import type { DeploymentRunner } from '../runner';
import { HostKeyStore } from '../ssh/host-keys';
import { SshHostDeployer } from '../ssh-host/ssh-host-deployer';
import type { SshHostSettingsInput } from '../ssh-host/settings';
import type { SshTargetInput } from '../ssh/target';
import { freePort } from './docker-world';
import { worldParts, type WorldOptions } from './world-parts';
import type { ServedRelease } from './release-server';
import { ServiceRecorder } from './recording-services';
import type { SshdHost } from './sshd-host';

export const SSH_TEST_TAG = 'v0.77.2';
export const SSH_TEST_ASSET = 'velociraptor-v0.77.2-linux-amd64';

/** The folders every Linux host has, made under a test host's install root. */
export const HOST_SKELETON = [
  'usr/local/bin',
  'usr/local/sbin',
  'etc/systemd/system',
  'opt',
  'var/tmp',
  'run',
];

export async function makeSkeleton(prefix: string): Promise<void> {
  for (const d of HOST_SKELETON) await mkdir(join(prefix, d), { recursive: true });
  await chmod(join(prefix, 'var/tmp'), 0o1777);
}

/**
 * The binary the test release publishes: a real Velociraptor when MEGARAPTOR_REAL_VELOCIRAPTOR names
 * one (by-hand conformance runs), else the simulator launcher for the CLI bundle at `cli`.
 */
export async function testServerBinary(cli: string, padBytes = 0): Promise<{ data: Buffer; real: boolean }> {
  const real = process.env.MEGARAPTOR_REAL_VELOCIRAPTOR;
  if (real) return { data: await readFile(real), real: true };
  const launcher = velociraptorLauncher(cli, await realpath(process.execPath));
  return { data: Buffer.from(launcher + (padBytes ? `// ${'x'.repeat(padBytes)}\n` : '')), real: false };
}

export async function signedRelease(
  tag: string,
  assets: Record<string, Buffer>,
  sign: (b: Buffer) => Promise<Buffer>,
): Promise<ServedRelease> {
  const out: Record<string, Buffer> = {};
  for (const [name, data] of Object.entries(assets)) {
    out[name] = data;
    out[`${name}.sig`] = await sign(data);
  }
  return { tag, publishedAt: '2026-05-31T00:00:00Z', assets: out };
}

export interface SshWorldOptions extends WorldOptions {
  /** Hosts whose keys the responder confirmed (remembered in the app's known-hosts file). */
  hosts: Array<Pick<SshdHost, 'host' | 'port' | 'hostKeyBlob'>>;
}

export interface SshWorld {
  connections: ConnectionManager;
  deployer: SshHostDeployer;
  runner: DeploymentRunner;
  journals: JournalStore;
  hostKeys: HostKeyStore;
  services: ServiceRecorder;
  close(): Promise<void>;
}

export async function sshWorld(o: SshWorldOptions): Promise<SshWorld> {
  const { connections, sink, releases, journals, runnerFor } = worldParts(o);
  const hostKeys = new HostKeyStore({ appFile: join(o.dataDir, 'ssh', 'known_hosts'), userFiles: [] });
  for (const h of o.hosts) await hostKeys.verify(h.host, h.port, h.hostKeyBlob, () => Promise.resolve(true));
  const services = new ServiceRecorder();
  const deployer = new SshHostDeployer({
    ssh: { secrets: o.secrets, hostKeys },
    releases,
    connections: sink,
    trustedKey: o.release.key,
    services: services.factory,
  });
  const runner = runnerFor(deployer);
  return {
    connections,
    deployer,
    runner,
    journals,
    hostKeys,
    services,
    async close() {
      deployer.close();
      await connections.dispose();
    },
  };
}

/** Settings for a test host: its install root, free loopback ports, the test release. */
export async function hostSettings(
  host: SshdHost,
  ssh: Omit<SshTargetInput, 'host' | 'port'>,
  extra: Partial<SshHostSettingsInput> = {},
): Promise<SshHostSettingsInput> {
  const [frontend, api, gui] = [await freePort(), await freePort(), await freePort()];
  return {
    ssh: { host: host.host, port: host.port, ...ssh },
    binary: { kind: 'release', tag: SSH_TEST_TAG },
    frontend: { hostname: '127.0.0.1', bindAddress: '127.0.0.1', port: frontend },
    api: { port: api, expose: false },
    gui: { port: gui, expose: false },
    prefix: host.prefix,
    startTimeoutMs: 60_000,
    ...extra,
  };
}
