/**
 * The SSH push with a REAL Velociraptor client binary to a real sshd host, enrolling with a REAL
 * Velociraptor server — run by hand (docs/real-server-conformance.md, "Agents"), skipped without:
 *
 *   MEGARAPTOR_AGENTS_REAL_API_CONFIG  an API config of the server (a role that may read clients)
 *   MEGARAPTOR_AGENTS_REAL_BINARY      the Linux client binary of the same release
 *
 * The product does what it does for any host: the client config from the server's orgs()
 * `_client_config`, the push's label, the binary uploaded and checked by sha256, upstream's client
 * layout and unit (run by the recording service manager: no systemd here), then "enrolled" observed:
 * the client id from the host's writeback listed by the real server with the host's name and the
 * label. Uninstall (writeback dropped) ends the run.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealPart } from '../../../../test/real-parts';
import { MemorySecretStore } from '../../credentials/memory-store';
import { ConnectionRegistry, loadApiConfig, VelociraptorService } from '../../velociraptor/index';
import { ReleaseCache } from '../releases/cache';
import { ReleaseSource } from '../releases/source';
import { HostKeyStore } from '../ssh/host-keys';
import { ServiceRecorder } from '../testing/recording-services';
import { makeClientKeys, sshdHosts, TEST_PASSWORDS, type ClientKeys } from '../testing/sshd-host';
import { pollFor } from './enrollment';
import { AgentPushRunner } from './fanout';
import { AgentRunStore } from './run-journal';
import { SshAgentPusher, type SshPushSettingsInput } from './ssh-push';
import { startAgentHost, type AgentTestHost } from './testing/agent-world';

const apiConfig = process.env.MEGARAPTOR_AGENTS_REAL_API_CONFIG;
const binary = process.env.MEGARAPTOR_AGENTS_REAL_BINARY;
// Never required in CI: no real Velociraptor runs there.
const real = new RealPart(
  'a real Velociraptor server and client binary',
  apiConfig && binary ? undefined : 'set MEGARAPTOR_AGENTS_REAL_API_CONFIG and MEGARAPTOR_AGENTS_REAL_BINARY',
  false,
);
const sshd = sshdHosts();

it(`has ${real.name} (run by hand)`, () => real.check());

describe.runIf(real.ready && sshd.ready)('agent push with the real Velociraptor client', () => {
  let root: string;
  let keys: ClientKeys;
  let host: AgentTestHost;
  let server: VelociraptorService;
  let runner: AgentPushRunner;
  const hostname = `mr-agent-real-${process.pid}`;
  const label = `mr-push-${process.pid}`;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'megaraptor-agents-real-'));
    keys = await makeClientKeys();
    host = await startAgentHost(keys, 'linux', hostname);
    const registry = new ConnectionRegistry();
    registry.addConfig('real', loadApiConfig(await readFile(apiConfig!, 'utf8')));
    server = new VelociraptorService(registry.connection('real'));
    const secrets = new MemorySecretStore();
    await secrets.set('ssh:deployer-sudo', TEST_PASSWORDS.deployer);
    const hostKeys = new HostKeyStore({ appFile: join(root, 'known_hosts'), userFiles: [] });
    await hostKeys.verify(host.host, host.port, host.hostKeyBlob, () => Promise.resolve(true));
    const services = new ServiceRecorder();
    const pusher = new SshAgentPusher({
      ssh: { secrets, hostKeys },
      // Not used: the binary is the responder's own file.
      releases: new ReleaseCache({
        dir: join(root, 'releases'),
        source: new ReleaseSource({ kind: 'github', apiBase: 'https://127.0.0.1:9/' }),
      }),
      server: () => Promise.resolve(server),
      services: services.factory,
      rootOf: () => host.prefix,
    });
    runner = new AgentPushRunner({ store: new AgentRunStore(join(root, 'runs')), pushers: [pusher] });
  }, 300_000);

  afterAll(async () => {
    await host?.stop();
    await keys?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  }, 120_000);

  const settings = (extra: Partial<SshPushSettingsInput> = {}): SshPushSettingsInput => ({
    server: { connection: 'real' },
    login: {
      username: 'deployer',
      auth: { method: 'key', keyPath: keys.plain },
      sudo: { mode: 'sudo', passwordRef: 'ssh:deployer-sudo' },
    },
    binary: { kind: 'files', files: { 'linux-amd64': binary! } },
    config: { labels: [label] },
    enrollTimeoutMs: 120_000,
    ...extra,
  });

  it('installs, enrols (listed by the real server with its host name and label), uninstalls', async () => {
    const pushed = await runner.start({
      name: 'real-client',
      channel: 'ssh',
      settings: settings(),
      hosts: [{ host: host.host, port: host.port, os: 'linux' }],
      concurrency: 1,
      retries: 0,
    });
    const row = pushed.hosts[0]!;
    expect(row.state, row.error?.message).toBe('enrolled');
    // The real server lists a new client as soon as it enrols, but learns its host name and its
    // config's labels from the first interrogation (Generic.Client.Info), moments later.
    const listedAt = Date.now();
    const client = await pollFor(
      async () => {
        const c = await server.getClient(row.clientId!);
        return c.hostname && c.labels.includes(label) ? c : null;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(client?.hostname).toBe(hostname);
    expect(client?.labels).toContain(label);
    console.info(
      `real client ${row.clientId} (${client?.hostname ?? ''}, labels ${client?.labels.join(', ') ?? ''}); host name and labels ${Date.now() - listedAt} ms after it was listed`,
    );

    const removed = await runner.start({
      name: 'real-client-uninstall',
      channel: 'ssh',
      settings: settings({ mode: 'uninstall', keepWriteback: false }),
      hosts: [{ host: host.host, port: host.port, os: 'linux' }],
      concurrency: 1,
      retries: 0,
    });
    expect(removed.hosts[0]!.state, removed.hosts[0]!.error?.message).toBe('removed');
    await server.setLabels(row.clientId!, [label], 'remove');
  }, 400_000);
});
