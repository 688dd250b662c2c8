/**
 * The WinRM push through the fan-out, against WinRM test listeners (testing/winrm-fake.ts, checked
 * against pywinrm in winrm/winrm.int.test.ts) — no Windows runs here. What is real: the product's
 * WinRM client, NTLMv2/Basic logins, certificate checks, the run's HTTPS download server, the
 * simulator the agents enrol with (through the API), and the stand-in agent (the simulator launcher's
 * `client`, started with the config the "host" downloaded). What is EMULATED: Windows itself — the
 * listener's handler recognises each PowerShell script of the push by its markers and does what it
 * would do (downloads the URLs the script names, pinning the certificate and checking the sha256 the
 * script names; "msiexec" starts the stand-in agent; Get-Service reports it) instead of running it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { onPath } from '../../../../test/real-parts';
import { AgentPushRunner } from './fanout';
import { AgentRunStore } from './run-journal';
import { agentWorld, type AgentWorld } from './testing/agent-world';
import { startWinRmFake, type RecordedCommand, type WinRmFake } from './testing/winrm-fake';
import { WinRmCertStore } from './winrm/cert-store';
import { trustCertificates } from './winrm/certificates';
import { MARK, WRITEBACK } from './winrm/scripts';
import { WinRmAgentPusher, type WinRmPushSettingsInput } from './winrm-push';

// The agent world (simulator, built CLI, a gpg-signed release) is the SSH suite's; no sshd here.
const parts = onPath(['gpg'], 'scripts/setup-test-env.sh');

it(`has ${parts.name} (required in CI)`, () => parts.check());

interface EmulatedHost {
  fake: WinRmFake;
  dir: string;
  agent?: ChildProcess;
  downloads: Array<{ url: string; sha256: string; ok: boolean }>;
}

function scriptOf(c: RecordedCommand): string {
  const i = c.args.indexOf('-EncodedCommand');
  return i >= 0 ? Buffer.from(c.args[i + 1] ?? '', 'base64').toString('utf16le') : '';
}

function fetchPinned(url: string, pin: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get(url, { rejectUnauthorized: false }, (res) => {
      const der = (res.socket as TLSSocket).getPeerCertificate().raw;
      const fp = createHash('sha256').update(der).digest('hex').toUpperCase();
      if (fp !== pin) return reject(new Error(`certificate ${fp} is not the pinned ${pin}`));
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    }).on('error', reject);
  });
}

/** What a Windows host would do with each script of the push (see the file comment). */
function windowsEmulation(host: EmulatedHost, launcher: string) {
  const writeback = () => join(host.dir, WRITEBACK);
  return async (c: RecordedCommand) => {
    if (c.command !== 'powershell.exe') return { stderr: `'${c.command}' is not recognized`, exitCode: 9009 };
    const script = scriptOf(c);
    if (script.includes(MARK.platform))
      return { stdout: `${MARK.platform} amd64 Microsoft Windows Server 2022 Standard\r\n` };
    if (script.includes(MARK.fetched)) {
      const pin = /\$pin = '([0-9A-F]{64})'/.exec(script)?.[1] ?? '';
      const urls = [...script.matchAll(/DownloadFile\('([^']+)', \$f\)/g)].map((m) => m[1]!);
      const hashes = [...script.matchAll(/if \(\$got -ne '([0-9A-F]{64})'\)/g)].map((m) => m[1]!);
      for (const [i, url] of urls.entries()) {
        const data = await fetchPinned(url, pin);
        const sha256 = createHash('sha256').update(data).digest('hex').toUpperCase();
        host.downloads.push({ url, sha256, ok: sha256 === hashes[i] });
        if (sha256 !== hashes[i]) return { stdout: `sha256 mismatch\r\n`, exitCode: 3 };
        await writeFile(join(host.dir, url.split('/').pop()!), data);
      }
      return { stdout: `${MARK.fetched}\r\n` };
    }
    if (script.includes(MARK.installed)) {
      // msiexec + the config beside the service's binary + Restart-Service: the stand-in agent starts.
      host.agent?.kill();
      host.agent = spawn(launcher, ['client', '--config', join(host.dir, 'client.config.yaml')], {
        cwd: host.dir,
        env: { ...process.env, MEGARAPTOR_SIM_OS: 'windows' },
        stdio: 'ignore',
      });
      return { stdout: `${MARK.installed}\r\n` };
    }
    if (script.includes(MARK.service) && !script.includes(MARK.removed)) {
      const running = host.agent && host.agent.exitCode === null && !host.agent.killed;
      const wb = await readFile(writeback(), 'utf8').catch(() => '');
      const id = /^client_id:\s*(C\.[0-9a-f]{16})/m.exec(wb)?.[1];
      return {
        stdout: `${MARK.service} ${running ? 'Running' : host.agent ? 'Stopped' : 'Missing'}\r\n${id ? `${MARK.client} ${id}\r\n` : ''}`,
      };
    }
    if (script.includes(MARK.removed)) {
      host.agent?.kill();
      delete host.agent;
      if (script.includes('Remove-Item -Force -ErrorAction SilentlyContinue'))
        await unlink(writeback()).catch(() => undefined);
      return { stdout: `${MARK.removed}\r\n` };
    }
    return { stderr: 'unknown script', exitCode: 1 };
  };
}

describe.runIf(parts.run)('agent push over WinRM (Windows emulated, see above)', () => {
  let world: AgentWorld;
  let runner: AgentPushRunner;
  let certs: WinRmCertStore;
  const hosts: EmulatedHost[] = [];
  /** A host with only the plain HTTP listener (5985): NTLM, every message sealed. */
  let httpHost: EmulatedHost;
  let msiPath: string;
  const msi = Buffer.from('not a real MSI: the emulated msiexec does not read it\n'.repeat(1000));

  beforeAll(async () => {
    world = await agentWorld();
    await world.secrets.set('winrm:admin', 'Pa55-w0rd!');
    msiPath = join(world.root, 'velociraptor-v0.77.2-windows-amd64.msi');
    await writeFile(msiPath, msi);
    const launcher = join(world.root, 'velociraptor');
    for (let i = 0; i < 3; i++) {
      const host: EmulatedHost = {
        dir: await mkdtemp(join(tmpdir(), 'mr-win-')),
        downloads: [],
      } as unknown as EmulatedHost;
      host.fake = await startWinRmFake({
        accounts: [{ user: 'Administrator', password: 'Pa55-w0rd!', domain: 'CORP' }],
        requireChannelBinding: true,
        onCommand: windowsEmulation(host, launcher),
      });
      hosts.push(host);
    }
    httpHost = { dir: await mkdtemp(join(tmpdir(), 'mr-win-')), downloads: [] } as unknown as EmulatedHost;
    httpHost.fake = await startWinRmFake({
      scheme: 'http',
      accounts: [{ user: 'Administrator', password: 'Pa55-w0rd!', domain: 'CORP' }],
      onCommand: windowsEmulation(httpHost, launcher),
    });
    certs = new WinRmCertStore(join(world.root, 'data', 'winrm', 'known_certificates'));
    // The first two hosts' certificates were confirmed (pinned as the wizard's step does); the third's was not.
    const trusted = await trustCertificates(
      certs,
      hosts
        .slice(0, 2)
        .map((h) => ({ host: '127.0.0.1', port: h.fake.port, fingerprint: h.fake.fingerprint256 })),
    );
    expect(trusted).toEqual({ trusted: 2, refused: [] });
    const pusher = new WinRmAgentPusher({
      certs,
      secrets: world.secrets,
      releases: world.releases,
      server: () => Promise.resolve(world.server),
      pollMs: 300,
    });
    runner = new AgentPushRunner({
      store: new AgentRunStore(join(world.root, 'winrm-runs')),
      pushers: [pusher],
    });
  }, 600_000);

  afterAll(async () => {
    for (const h of [...hosts, ...(httpHost ? [httpHost] : [])]) {
      h.agent?.kill();
      await h.fake.close();
      await rm(h.dir, { recursive: true, force: true });
    }
    await world?.close();
  }, 120_000);

  const settings = (extra: Partial<WinRmPushSettingsInput> = {}): WinRmPushSettingsInput => ({
    server: { connection: 'sim' },
    login: { user: 'Administrator', domain: 'CORP', passwordRef: 'winrm:admin' },
    tls: { kind: 'pinned' },
    msi: { kind: 'file', path: msiPath },
    config: { labels: ['Incident-17'] },
    serve: { host: '127.0.0.1', bind: '127.0.0.1' },
    enrollTimeoutMs: 60_000,
    ...extra,
  });

  it('installs on the confirmed hosts (downloaded, checked, enrolled); refuses the unconfirmed one', async () => {
    const doc = await runner.start({
      name: 'windows',
      channel: 'winrm',
      settings: settings(),
      hosts: hosts.map((h) => ({ host: '127.0.0.1', port: h.fake.port, os: 'auto' as const })),
      concurrency: 3,
      retries: 0,
    });
    const by = new Map(doc.hosts.map((h) => [h.port, h]));
    for (const h of hosts.slice(0, 2)) {
      const row = by.get(h.fake.port)!;
      expect(row.state, row.error?.message).toBe('enrolled');
      expect(row.platform).toBe('windows/amd64 Microsoft Windows Server 2022 Standard');
      const client = await world.server.getClient(row.clientId!);
      expect(client.labels).toContain('Incident-17');
      expect(client.os).toBe('windows');
      // The host fetched exactly the MSI and the config of the run, both matching their sha256.
      expect(h.downloads.map((d) => [d.url.split('/').pop(), d.ok])).toEqual([
        ['velociraptor.msi', true],
        ['client.config.yaml', true],
      ]);
      expect(h.downloads[0]!.sha256).toBe(createHash('sha256').update(msi).digest('hex').toUpperCase());
      const config = parse(await readFile(join(h.dir, 'client.config.yaml'), 'utf8')) as {
        Client: { labels: string[]; server_urls: string[] };
      };
      expect(config.Client.labels).toEqual(['Incident-17']);
      expect(config.Client.server_urls).toEqual([`https://127.0.0.1:${world.sim.frontendPort}/`]);
      // Every command was PowerShell with an encoded script: no value went through cmd.exe quoting.
      expect(new Set(h.fake.commands.map((c) => c.command))).toEqual(new Set(['powershell.exe']));
      expect(h.fake.auths.every((a) => a.ok && a.channelBinding === 'match')).toBe(true);
    }
    const unconfirmed = by.get(hosts[2]!.fake.port)!;
    expect(unconfirmed).toMatchObject({ state: 'failed', error: { code: 'WINRM_CERT_UNKNOWN' } });
    // Refused with the fingerprint to compare, before any login or command.
    expect(unconfirmed.error!.message).toContain(hosts[2]!.fake.fingerprint256);
    expect(hosts[2]!.fake.auths).toHaveLength(0);
    expect(hosts[2]!.fake.commands).toHaveLength(0);
    // The run's download server is gone with the run.
    await expect(fetchPinned(hosts[0]!.downloads[0]!.url, 'x')).rejects.toThrow();
  }, 300_000);

  it('over the plain HTTP listener when chosen: sealed NTLM, enrolled, nothing readable on the wire', async () => {
    const doc = await runner.start({
      name: 'windows-http',
      channel: 'winrm',
      settings: settings({ tls: { kind: 'http', acknowledged: true } }),
      hosts: [{ host: '127.0.0.1', port: httpHost.fake.port, os: 'auto' }],
      concurrency: 1,
      retries: 0,
    });
    const row = doc.hosts[0]!;
    expect(row.state, row.error?.message).toBe('enrolled');
    expect(httpHost.downloads.map((d) => [d.url.split('/').pop(), d.ok])).toEqual([
      ['velociraptor.msi', true],
      ['client.config.yaml', true],
    ]);
    expect(httpHost.fake.auths.every((a) => a.method === 'ntlm' && a.ok)).toBe(true);
    expect(httpHost.fake.sealErrors).toEqual([]);
    const wire = Buffer.concat(httpHost.fake.wire);
    expect(wire.length).toBeGreaterThan(0);
    expect(wire.includes('powershell')).toBe(false);
    expect(wire.includes('EncodedCommand')).toBe(false);
    // Basic over HTTP is refused when the run is reviewed, before any host is touched.
    expect(() =>
      runner.draft({
        name: 'basic-http',
        channel: 'winrm',
        settings: settings({
          tls: { kind: 'http', acknowledged: true },
          login: { user: 'a', auth: 'basic', passwordRef: 'winrm:admin' },
        }),
        hosts: [{ host: 'win1', os: 'auto' }],
        concurrency: 1,
        retries: 0,
      }),
    ).toThrow(/Basic over plain HTTP/);
  }, 300_000);
  it('a changed certificate blocks its host, naming both fingerprints; nothing reaches the host', async () => {
    const host = hosts[2]!;
    const earlier = 'C0:FF:EE'.padEnd(95, ':00').slice(0, 95);
    expect(await certs.remember('127.0.0.1', host.fake.port, earlier)).toBe(true);
    const doc = await runner.start({
      name: 'windows-changed',
      channel: 'winrm',
      settings: settings({ mode: 'uninstall' }),
      hosts: [{ host: '127.0.0.1', port: host.fake.port, os: 'windows' }],
      concurrency: 1,
      retries: 2,
    });
    const row = doc.hosts[0]!;
    expect(row).toMatchObject({ state: 'failed', error: { code: 'WINRM_CERT_UNTRUSTED' } });
    expect(row.error!.message).toContain(host.fake.fingerprint256);
    expect(row.error!.message).toContain(earlier);
    expect(row.attempts).toBe(1);
    expect(host.fake.auths).toHaveLength(0);
    // Trusting the presented certificate now is refused too: the old pin stays until forgotten.
    const again = await trustCertificates(certs, [
      { host: '127.0.0.1', port: host.fake.port, fingerprint: host.fake.fingerprint256 },
    ]);
    expect(again.trusted).toBe(0);
    expect(again.refused[0]).toMatchObject({ status: 'changed', pinned: earlier });
    expect(await certs.pinned('127.0.0.1', host.fake.port)).toBe(earlier);
    await certs.forget('127.0.0.1', host.fake.port);
  }, 120_000);

  it('uninstall removes the service; the writeback only when asked', async () => {
    const doc = await runner.start({
      name: 'windows-uninstall',
      channel: 'winrm',
      settings: settings({ mode: 'uninstall', keepWriteback: false }),
      hosts: [{ host: '127.0.0.1', port: hosts[0]!.fake.port, os: 'windows' }],
      concurrency: 1,
      retries: 0,
    });
    expect(doc.hosts[0]!.state, doc.hosts[0]!.error?.message).toBe('removed');
    expect(hosts[0]!.agent).toBeUndefined();
    await expect(readFile(join(hosts[0]!.dir, WRITEBACK))).rejects.toThrow();
  }, 120_000);
});
