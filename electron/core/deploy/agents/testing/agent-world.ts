/**
 * Everything an agent-push test needs, built the way the app builds it: real OpenSSH sshd hosts (each
 * on its own loopback port, with its own install root, users, sudoers and host name — a private UTS
 * and mount namespace, testing/sshd-host.ts), some of them presenting themselves as macOS (a `uname`
 * that says Darwin, bind-mounted in their namespace only); the simulator as the server agents enrol
 * with, reached through the API as an investigator; a local HTTPS release server whose Linux and
 * macOS assets are the simulator launcher (the "binary" — its `client` is the stand-in agent that
 * enrols for real), signed by a key gpg made for the run; the app's known-hosts file with each host's
 * key confirmed; the recording service manager and launchd stand-in (no systemd or launchd here).
 */
import { chmod, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli } from '../../../../../scripts/build-cli.mjs';
import { MemorySecretStore } from '../../../credentials/memory-store';
import type { SecretStore } from '../../../credentials/secret-store';
import { startSimulator, velociraptorLauncher, type RunningSimulator } from '../../../sim/index';
import { ConnectionRegistry, loadApiConfig, VelociraptorService } from '../../../velociraptor/index';
import { ReleaseCache } from '../../releases/cache';
import { ReleaseSource } from '../../releases/source';
import { HostKeyStore } from '../../ssh/host-keys';
import { makeTestSigner, type TestSigner } from '../../testing/gpg';
import { ServiceRecorder } from '../../testing/recording-services';
import { startReleaseServer, type ReleaseServer } from '../../testing/release-server';
import { signedRelease } from '../../testing/ssh-world';
import {
  makeClientKeys,
  startSshdHost,
  TEST_PASSWORDS,
  type ClientKeys,
  type SshdHost,
  type SshdHostOptions,
} from '../../testing/sshd-host';
import { AgentPushRunner } from '../fanout';
import { AgentRunStore } from '../run-journal';
import { SshAgentPusher } from '../ssh-push';
import { LaunchdRecorder } from './recording-launchd';

export const AGENT_TEST_TAG = 'v0.77.2';
export const AGENT_ASSETS = [
  'velociraptor-v0.77.2-linux-amd64',
  'velociraptor-v0.77.2-linux-arm64',
  'velociraptor-v0.77.2-darwin-amd64',
  'velociraptor-v0.77.2-darwin-arm64',
];

/** The folders a Linux or macOS host has, under a test host's install root. */
const SKELETON = ['usr/local/bin', 'etc/systemd/system', 'var/tmp', 'run', 'Library/LaunchDaemons'];

export type TestHostKind = 'linux' | 'darwin';

export interface AgentTestHost extends SshdHost {
  kind: TestHostKind;
  name: string;
}

/** Shell lines that make a host say it is macOS on arm64 (its own `uname`; no os-release). */
function darwinSetup(dir: string): string[] {
  const fake = join(dir, 'uname-darwin');
  return [
    `printf '%s\\n' '#!/bin/sh' 'case "$1" in -s) echo Darwin;; -m) echo arm64;; -r) echo 23.4.0;; *) echo Darwin;; esac' > ${fake}`,
    `chmod 0755 ${fake}`,
    `mount --bind ${fake} /usr/bin/uname`,
    'rm -f /etc/os-release',
  ];
}

export async function startAgentHost(
  keys: ClientKeys,
  kind: TestHostKind,
  name: string,
  options: SshdHostOptions = {},
): Promise<AgentTestHost> {
  const setupDir = await mkdtemp(join(tmpdir(), 'megaraptor-agent-host-'));
  await chmod(setupDir, 0o755);
  const host = await startSshdHost(keys, {
    ...options,
    hostname: name,
    ...(kind === 'darwin' ? { setupLines: darwinSetup(setupDir) } : {}),
  });
  for (const d of SKELETON) await mkdir(join(host.prefix, d), { recursive: true });
  await chmod(join(host.prefix, 'var/tmp'), 0o1777);
  const stopSshd = host.stop.bind(host);
  return Object.assign(host, {
    kind,
    name,
    stop: async () => {
      await stopSshd();
      await rm(setupDir, { recursive: true, force: true });
    },
  });
}

export interface AgentWorld {
  root: string;
  keys: ClientKeys;
  sim: RunningSimulator;
  /** The server as the app reaches it (an investigator identity). */
  server: VelociraptorService;
  release: ReleaseServer;
  signer: TestSigner;
  secrets: SecretStore;
  hostKeys: HostKeyStore;
  services: ServiceRecorder;
  launchd: LaunchdRecorder;
  store: AgentRunStore;
  releases: ReleaseCache;
  pusher: SshAgentPusher;
  runner: AgentPushRunner;
  hosts: AgentTestHost[];
  /** Starts a host whose key the responder confirmed (remembered in the app's known-hosts file). */
  addHost(kind: TestHostKind, name: string, options?: SshdHostOptions): Promise<AgentTestHost>;
  close(): Promise<void>;
}

export async function agentWorld(
  options: {
    secrets?: SecretStore;
    retryDelayMs?: number;
    /** A CLI bundle built already (benches: out/cli/megaraptor.mjs); default: bundled for this world. */
    cli?: string;
  } = {},
): Promise<AgentWorld> {
  const root = await mkdtemp(join(tmpdir(), 'megaraptor-agents-'));
  await chmod(root, 0o755);
  const hosts: AgentTestHost[] = [];
  const cleanups: Array<() => Promise<void>> = [() => rm(root, { recursive: true, force: true })];
  try {
    const keys = await makeClientKeys();
    cleanups.push(() => keys.cleanup());
    const cli = options.cli ?? (await buildCli(join(root, 'megaraptor.mjs')));
    const launcher = Buffer.from(velociraptorLauncher(cli, await realpath(process.execPath)));
    await writeFile(join(root, 'velociraptor'), launcher, { mode: 0o755 });
    const signer = await makeTestSigner();
    cleanups.push(() => signer.cleanup());
    const release = await startReleaseServer([
      await signedRelease(AGENT_TEST_TAG, Object.fromEntries(AGENT_ASSETS.map((a) => [a, launcher])), (d) =>
        signer.sign(d),
      ),
    ]);
    cleanups.push(() => release.close());
    const sim = await startSimulator({ host: '127.0.0.1', speed: 50, datastoreDir: join(root, 'sim') });
    cleanups.push(() => sim.stop());
    const registry = new ConnectionRegistry();
    registry.addConfig('sim', loadApiConfig(await sim.mintApiConfig('agents-push', ['investigator', 'api'])));
    const server = new VelociraptorService(registry.connection('sim'));
    const secrets = options.secrets ?? new MemorySecretStore();
    await secrets.set('ssh:deployer-sudo', TEST_PASSWORDS.deployer);
    cleanups.push(() => secrets.delete('ssh:deployer-sudo').then(() => undefined));
    const hostKeys = new HostKeyStore({ appFile: join(root, 'data', 'ssh', 'known_hosts'), userFiles: [] });
    const services = new ServiceRecorder();
    const launchd = new LaunchdRecorder();
    const releases = new ReleaseCache({
      dir: join(root, 'data', 'releases'),
      source: new ReleaseSource({ kind: 'github', apiBase: release.url, caCertificates: release.caPem }),
      trustedKey: signer.key,
    });
    const prefixes = new Map<string, string>();
    const pusher = new SshAgentPusher({
      ssh: { secrets, hostKeys },
      releases,
      trustedKey: signer.key,
      server: () => Promise.resolve(server),
      services: services.factory,
      macServices: launchd.factory,
      rootOf: (h) => prefixes.get(`${h.host}:${h.port}`) ?? '',
    });
    const store = new AgentRunStore(join(root, 'data', 'agent-runs'));
    const runner = new AgentPushRunner({
      store,
      pushers: [pusher],
      retryDelayMs: () => options.retryDelayMs ?? 200,
    });
    const world: AgentWorld = {
      root,
      keys,
      sim,
      server,
      release,
      signer,
      secrets,
      hostKeys,
      services,
      launchd,
      store,
      releases,
      pusher,
      runner,
      hosts,
      async addHost(kind, name, hostOptions = {}) {
        const h = await startAgentHost(keys, kind, name, hostOptions);
        hosts.push(h);
        prefixes.set(`${h.host}:${h.port}`, h.prefix);
        await hostKeys.verify(h.host, h.port, h.hostKeyBlob, () => Promise.resolve(true));
        return h;
      },
      async close() {
        for (const h of hosts.splice(0)) await h.stop().catch(() => undefined);
        for (const c of cleanups.reverse()) await c().catch(() => undefined);
      },
    };
    return world;
  } catch (e) {
    for (const h of hosts) await h.stop().catch(() => undefined);
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    throw e;
  }
}
