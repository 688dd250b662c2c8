/**
 * Agent pushes over SSH against real OpenSSH sshd hosts — ten Linux and two "macOS" hosts, each with
 * its own loopback port, install root, users and host name — plus one whose host key changed after
 * it was confirmed and one that does not accept our key. Pushed all at once: the changed key is
 * refused, the wrong key fails with a clear error, and every other host gets the agent — the
 * simulator launcher, whose `client` is the stand-in agent that enrols for real — so "enrolled" is
 * observed through the API (the client appears in clients() with its host name and the push's
 * label). Units pass `systemd-analyze verify`; the plists `service install` writes are property lists
 * with the required keys. Each platform's release asset is fetched and verified once. Then a re-push
 * keeps the client's identity, a push through a jump host checks the jump host's key first, and
 * uninstall removes the agent, the writeback only when asked.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { keychainStoreFor } from '../../credentials/index';
import { sshdHosts } from '../testing/sshd-host';
import { systemdVerify } from '../testing/recording-services';
import { writebackClientId } from './enrollment';
import { LINUX_CLIENT_UNIT } from './layout';
import { checkAgentPlist } from './mac-service';
import type { SshPushSettingsInput } from './ssh-push';
import { summaryCsv } from './summary';
import {
  agentWorld,
  AGENT_TEST_TAG,
  startAgentHost,
  type AgentTestHost,
  type AgentWorld,
} from './testing/agent-world';
import { parsePlist, parseXml } from './xml';

const sshd = sshdHosts();

it(`has ${sshd.name} (required in CI)`, () => sshd.check());

describe.runIf(sshd.run)('agent push over SSH to a dozen real sshd hosts', () => {
  let world: AgentWorld;
  const linux: AgentTestHost[] = [];
  const mac: AgentTestHost[] = [];
  let changed: AgentTestHost;
  let wrongKey: AgentTestHost;

  const login = (): SshPushSettingsInput['login'] => ({
    username: 'deployer',
    auth: { method: 'key', keyPath: world.keys.plain },
    sudo: { mode: 'sudo', passwordRef: 'ssh:deployer-sudo' },
  });
  const settings = (extra: Partial<SshPushSettingsInput> = {}): SshPushSettingsInput => ({
    server: { connection: 'sim' },
    login: login(),
    binary: { kind: 'release', tag: AGENT_TEST_TAG },
    config: { labels: ['Incident-17'] },
    enrollTimeoutMs: 120_000,
    ...extra,
  });

  beforeAll(async () => {
    const dataDir = join('/tmp', `megaraptor-agents-keyring-${process.pid}`);
    world = await agentWorld(
      process.env.MEGARAPTOR_TEST_KEYRING === '1' ? { secrets: keychainStoreFor(dataDir) } : {},
    );
    for (let i = 1; i <= 10; i++)
      linux.push(await world.addHost('linux', `agent-lin-${String(i).padStart(2, '0')}`));
    for (let i = 1; i <= 2; i++)
      mac.push(await world.addHost('darwin', `agent-mac-${String(i).padStart(2, '0')}`));
    changed = await world.addHost('linux', 'agent-rekeyed');
    await changed.rotateHostKey();
    const strangerPub = (await readFile(`${world.keys.stranger}.pub`, 'utf8')).trim();
    wrongKey = await world.addHost('linux', 'agent-wrong-key', { authorizedKeys: [strangerPub] });
  }, 600_000);

  afterAll(async () => {
    await world?.close();
  }, 300_000);

  it('pushes to all at once: refuses the changed key, fails the wrong key clearly, enrols the rest', async () => {
    const all = [...linux, ...mac, changed, wrongKey];
    const doc = await world.runner.start({
      name: 'dozen',
      channel: 'ssh',
      settings: settings(),
      hosts: all.map((h) => ({ host: h.host, port: h.port, os: 'auto' as const })),
      concurrency: 8,
      retries: 2,
    });
    const by = new Map(doc.hosts.map((h) => [h.port, h]));
    const rekeyed = by.get(changed.port)!;
    expect(rekeyed).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'SSH_HOST_KEY_MISMATCH' } });
    expect(rekeyed.error!.message).toMatch(/changed/);
    const refused = by.get(wrongKey.port)!;
    expect(refused).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'SSH_AUTH_FAILED' } });
    expect(refused.error!.message).toMatch(/refused the login as "deployer"/);

    for (const h of [...linux, ...mac]) {
      const row = by.get(h.port)!;
      expect(row.state, `${h.name}: ${row.error?.message ?? ''}`).toBe('enrolled');
      expect(writebackClientId(`client_id: ${row.clientId ?? ''}`)).toBe(row.clientId);
      // Observed through the API: the client the server lists is this host, with the push's label.
      const client = await world.server.getClient(row.clientId!);
      expect(client.hostname).toBe(h.name);
      expect(client.labels).toContain('Incident-17');
      // The writeback on the host names the same client.
      const wb = await readFile(join(h.prefix, 'etc/velociraptor.writeback.yaml'), 'utf8');
      expect(writebackClientId(wb)).toBe(row.clientId);
      expect(row.platform).toMatch(h.kind === 'darwin' ? /^darwin\/arm64/ : /^linux\/amd64/);
    }
    expect(doc.state).toBe('finished');
    const csv = summaryCsv(doc);
    expect(csv.split('\n').filter(Boolean)).toHaveLength(15);
    expect(csv).toMatch(/SSH_HOST_KEY_MISMATCH/);

    // Each platform's asset was downloaded (and verified) once for the whole run, not per host.
    const downloads = (suffix: string) =>
      world.release.requests.filter((r) => r.path.endsWith(suffix) && !r.path.endsWith('.sig')).length;
    expect(downloads('linux-amd64')).toBeLessThanOrEqual(2); // the redirect and the object
    expect(downloads('darwin-arm64')).toBeLessThanOrEqual(2);
  }, 900_000);

  it('Linux hosts: upstream client layout, a unit systemd accepts, config for root only', async () => {
    const units: Record<string, string> = {};
    for (const h of linux) {
      const unit = await readFile(join(h.prefix, 'etc/systemd/system', LINUX_CLIENT_UNIT), 'utf8');
      expect(unit).toContain(
        `ExecStart=${h.prefix}/usr/local/bin/velociraptor_client --config ${h.prefix}/etc/velociraptor/client.config.yaml client --quiet`,
      );
      units[LINUX_CLIENT_UNIT] = unit;
      const verified = await systemdVerify({ [LINUX_CLIENT_UNIT]: unit });
      expect(verified.output).toBe('');
      const cfg = await stat(join(h.prefix, 'etc/velociraptor/client.config.yaml'));
      expect(cfg.mode & 0o777).toBe(0o600);
      expect(cfg.uid).toBe(0);
      const doc = parse(await readFile(join(h.prefix, 'etc/velociraptor/client.config.yaml'), 'utf8')) as {
        Client: { server_urls: string[]; writeback_linux: string; labels: string[] };
      };
      expect(doc.Client.server_urls).toEqual([`https://127.0.0.1:${world.sim.frontendPort}/`]);
      expect(doc.Client.writeback_linux).toBe(`${h.prefix}/etc/velociraptor.writeback.yaml`);
    }
    const calls = world.services.calls.filter((c) => c.unit === LINUX_CLIENT_UNIT);
    for (const op of ['install', 'enable', 'start'] as const)
      expect(calls.filter((c) => c.op === op)).toHaveLength(linux.length);
    // Nothing left in the upload folders.
    for (const h of linux)
      expect(
        (await readdir(join(h.prefix, 'var/tmp'))).filter((f) => f.startsWith('megaraptor-agent-')),
      ).toEqual([]);
  });

  it('macOS hosts: Velociraptor’s own service install; its plist carries the required keys', async () => {
    for (const h of mac) {
      const text = await readFile(
        join(h.prefix, 'Library/LaunchDaemons/com.velocidex.velociraptor.plist'),
        'utf8',
      );
      // Upstream writes a newline before the XML declaration (bin/installer_darwin.go): strictly that
      // is not well-formed; the rest is a well-formed property list.
      expect(() => parseXml(text)).toThrow(/declaration/);
      const plist = parsePlist(text.trimStart()) as Record<string, unknown>;
      const binary = `${h.prefix}/usr/local/bin/velociraptor`;
      checkAgentPlist(plist, {
        label: 'com.velocidex.velociraptor',
        binary,
        config: `${binary}.config.yaml`,
      });
      expect(plist.ProgramArguments).toEqual([
        binary,
        'client',
        '--config',
        `${binary}.config.yaml`,
        '--quiet',
      ]);
      const cfg = await stat(`${binary}.config.yaml`);
      expect(cfg.mode & 0o777).toBe(0o600);
    }
    expect(world.launchd.calls.filter((c) => c.op === 'install')).toHaveLength(mac.length);
    expect(world.launchd.calls.filter((c) => c.op === 'load')).toHaveLength(mac.length);
  });

  it('a re-push keeps the client’s identity (its writeback)', async () => {
    const before = parse(
      await readFile(join(linux[0]!.prefix, 'etc/velociraptor.writeback.yaml'), 'utf8'),
    ) as {
      client_id: string;
    };
    const doc = await world.runner.start({
      name: 'again',
      channel: 'ssh',
      settings: settings(),
      hosts: [{ host: linux[0]!.host, port: linux[0]!.port, os: 'linux' }],
      concurrency: 1,
      retries: 0,
    });
    expect(doc.hosts[0]).toMatchObject({ state: 'enrolled', clientId: before.client_id });
  }, 300_000);

  it('through a jump host: its key is checked like any host key, then the push goes through it', async () => {
    // Started outside addHost: its key is not confirmed yet. DEBUG1 logs the connections it forwards.
    const jump = await startAgentHost(world.keys, 'linux', 'agent-jump', { logLevel: 'DEBUG1' });
    world.hosts.push(jump);
    const target = linux[3]!;
    const through = () =>
      world.runner.start({
        name: 'through-jump',
        channel: 'ssh',
        settings: settings({
          login: {
            ...login(),
            jumps: [{ host: jump.host, port: jump.port, username: 'deployer', auth: login().auth }],
          },
        }),
        hosts: [{ host: target.host, port: target.port, os: 'linux' }],
        concurrency: 1,
        retries: 0,
      });
    const refused = await through();
    expect(refused.hosts[0]).toMatchObject({ state: 'failed', error: { code: 'SSH_HOST_KEY_UNKNOWN' } });
    expect(await jump.log()).not.toContain(`port ${target.port}`);

    await world.hostKeys.verify(jump.host, jump.port, jump.hostKeyBlob, () => Promise.resolve(true));
    const doc = await through();
    const row = doc.hosts[0]!;
    expect(row.state, row.error?.message).toBe('enrolled');
    expect((await world.server.getClient(row.clientId!)).hostname).toBe(target.name);
    // The jump host opened the connection to the target.
    expect(await jump.log()).toContain(`target 127.0.0.1 port ${target.port}`);
  }, 300_000);

  it('uninstall: the agent goes; the writeback stays unless the responder says otherwise', async () => {
    const [keep, drop] = [linux[1]!, linux[2]!];
    const run = (host: AgentTestHost, keepWriteback: boolean) =>
      world.runner.start({
        name: `uninstall-${host.name}`,
        channel: 'ssh',
        settings: settings({ mode: 'uninstall', keepWriteback }),
        hosts: [{ host: host.host, port: host.port, os: 'auto' }],
        concurrency: 1,
        retries: 0,
      });
    const a = await run(keep, true);
    const b = await run(drop, false);
    const c = await run(mac[0]!, false);
    for (const d of [a, b, c]) expect(d.hosts[0]!.state, d.hosts[0]!.error?.message).toBe('removed');
    await expect(stat(join(keep.prefix, 'usr/local/bin/velociraptor_client'))).rejects.toThrow();
    await expect(stat(join(keep.prefix, 'etc/velociraptor.writeback.yaml'))).resolves.toBeTruthy();
    await expect(stat(join(drop.prefix, 'etc/velociraptor.writeback.yaml'))).rejects.toThrow();
    await expect(
      stat(join(mac[0]!.prefix, 'Library/LaunchDaemons/com.velocidex.velociraptor.plist')),
    ).rejects.toThrow();
    await expect(stat(join(mac[0]!.prefix, 'usr/local/bin/velociraptor'))).rejects.toThrow();
    expect(
      world.services.calls.filter((x) => x.op === 'remove' && x.unit === LINUX_CLIENT_UNIT),
    ).toHaveLength(2);
  }, 300_000);
});
