/**
 * Crash tests of the SSH host target: a real child process deploys to a real sshd host and is
 * SIGKILLed at every step boundary (each step's start and end) and at the journal writes just before
 * a system user, the server config and the unit are made. After each kill a fresh runner in this
 * process must list the deployment as interrupted, and clean-up must leave nothing: no file, folder,
 * unit, process or user on the host, no secret, no connection, no journal. Two kill points resume
 * instead and must end deployed and verified, then destroy cleanly.
 */
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../../../scripts/build-cli.mjs';
import { bundleScript, type BundledScript } from '../testing/bundle';
import { runChild } from '../testing/child-run';
import { openVault } from '../testing/vault';
import { makeTestSigner, type TestSigner } from '../testing/gpg';
import { startReleaseServer, type ReleaseServer } from '../testing/release-server';
import type { SshCrashChildConfig } from '../testing/ssh-crash-child';
import {
  HOST_SKELETON,
  hostSettings,
  makeSkeleton,
  signedRelease,
  SSH_TEST_ASSET,
  SSH_TEST_TAG,
  sshWorld,
  testServerBinary,
} from '../testing/ssh-world';
import {
  makeClientKeys,
  sshdHosts,
  startSshdHost,
  type ClientKeys,
  type SshdHost,
} from '../testing/sshd-host';

const hosts = sshdHosts();

it(`has ${hosts.name} (required in CI)`, () => hosts.check());

describe.runIf(hosts.run)('SSH host deployment killed at each step boundary', () => {
  let child: BundledScript;
  let root: string;
  let keys: ClientKeys;
  let host: SshdHost;
  let signer: TestSigner;
  let releases: ReleaseServer;
  let base: Omit<SshCrashChildConfig, 'stopAt' | 'mode' | 'dataDir' | 'vaultPath'>;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'megaraptor-ssh-crash-'));
    await chmod(root, 0o755);
    keys = await makeClientKeys();
    // One at a time, so afterAll stops whatever started even when a later one fails.
    host = await startSshdHost(keys);
    signer = await makeTestSigner();
    child = await bundleScript(join(__dirname, '..', 'testing', 'ssh-crash-child.ts'));
    await makeSkeleton(host.prefix);
    const cli = await buildCli(join(root, 'megaraptor.mjs'));
    const bin = await testServerBinary(cli);
    releases = await startReleaseServer([
      await signedRelease(SSH_TEST_TAG, { [SSH_TEST_ASSET]: bin.data }, (d) => signer.sign(d)),
    ]);
    base = {
      vaultPassphrase: 'crash-test-passphrase',
      release: { url: releases.url, caPem: releases.caPem, key: signer.key },
      hosts: [{ host: host.host, port: host.port, hostKeyBlob: host.hostKeyBlob.toString('base64') }],
      // As root: the sudo path is covered in ssh-host-deploy; here every second counts 29 times.
      settings: await hostSettings(host, { username: 'root', auth: { method: 'key', keyPath: keys.plain } }),
    };
  }, 240_000);

  afterAll(async () => {
    await child?.cleanup();
    await releases?.close();
    await signer?.cleanup();
    await host?.stop();
    await keys?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  }, 120_000);

  async function round(name: string) {
    const dataDir = join(root, name);
    const config = { ...base, dataDir, vaultPath: join(dataDir, 'vault.json') };
    const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
    return { config, secrets };
  }

  /** A fresh app "after the restart" on the same data dir. */
  async function restart(config: SshCrashChildConfig) {
    const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
    const world = await sshWorld({
      dataDir: config.dataDir,
      release: config.release,
      secrets,
      hosts: [host],
    });
    return { world, secrets };
  }

  async function leftOnHost(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (r === 'run/megaraptor-test-services') continue;
        if (e.isDirectory()) {
          if (!HOST_SKELETON.some((s) => s === r || s.startsWith(`${r}/`))) out.push(`${r}/`);
          await walk(join(dir, e.name), r);
        } else out.push(r);
      }
    };
    await walk(host.prefix, '');
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmd.includes(host.prefix)) out.push(`process ${pid}`);
    }
    if (/^velociraptor:/m.test(await readFile(join(host.etc, 'passwd'), 'utf8')))
      out.push('user velociraptor');
    return out;
  }

  it('lists the interrupted deployment and cleans it up to nothing, at every kill point', async () => {
    // One full run names every journal write; the kill points are picked from it.
    const full = await round('full');
    const r = await runChild(
      child.file,
      [JSON.stringify({ ...full.config, stopAt: null, mode: 'deploy' })],
      child.env,
      {
        timeoutMs: 180_000,
      },
    );
    expect(r.stdout).toMatch(/DONE deployed \d+/);
    const writes = [...r.stdout.matchAll(/^WRITE (\d+) (.+)$/gm)].map((m) => ({
      n: Number(m[1]),
      label: m[2]!,
    }));
    const id = /PLANNED (\S+)/.exec(r.stdout)![1]!;
    const after = await restart({ ...full.config, stopAt: null, mode: 'deploy' });
    expect((await after.world.runner.destroy(id)).every((x) => x.ok)).toBe(true);
    await after.world.close();
    expect(await leftOnHost()).toEqual([]);

    const points = writes.filter(
      (w) =>
        /^step:[a-z-]+:(running|done)$/.test(w.label) ||
        /^resource:(system-user:velociraptor|remote-file:.*server\.config\.yaml|unit:velociraptor_server\.service):intended$/.test(
          w.label,
        ),
    );
    expect(points.length).toBeGreaterThanOrEqual(20);
    console.log(`${writes.length} journal writes; killing at ${points.length} of them`);

    const resumeAt = new Set([
      points.find((p) => p.label === 'step:config:done')?.n,
      points.find((p) => p.label === 'step:start:running')?.n,
    ]);
    for (const point of points) {
      const w = await round(`kill-${point.n}`);
      const config: SshCrashChildConfig = { ...w.config, stopAt: point.n, mode: 'deploy' };
      const killed = await runChild(child.file, [JSON.stringify(config)], child.env, {
        killWhen: /BOUNDARY \d+/,
        timeoutMs: 180_000,
      });
      expect([point.label, killed.killed]).toEqual([point.label, true]);
      const deploymentId = /PLANNED (\S+)/.exec(killed.stdout)![1]!;

      const app = await restart(config);
      const interrupted = await app.world.runner.interrupted();
      expect([point.label, interrupted.map((j) => j.id)]).toEqual([point.label, [deploymentId]]);
      if (resumeAt.has(point.n)) {
        const out = await app.world.runner.resume(deploymentId);
        expect([point.label, out.journal.state]).toEqual([point.label, 'deployed']);
        expect(out.journal.outputs.connectionName).toBe('crash');
        await app.world.runner.destroy(deploymentId);
      } else {
        const removed = await app.world.runner.cleanup(deploymentId);
        expect([point.label, removed.filter((x) => !x.ok)]).toEqual([point.label, []]);
      }
      await app.world.close();
      expect([point.label, await leftOnHost()]).toEqual([point.label, []]);
      expect([point.label, (await app.secrets.listRefs()).filter((x) => x.startsWith('deploy:'))]).toEqual([
        point.label,
        [],
      ]);
      expect([
        point.label,
        (await readdir(join(w.config.dataDir, 'deployments'))).filter((f) => f.endsWith('.json')),
      ]).toEqual([point.label, []]);
      const connections = await readFile(join(w.config.dataDir, 'connections.json'), 'utf8').catch(() => '');
      expect([point.label, connections.includes('"crash"')]).toEqual([point.label, false]);
    }
  }, 1_800_000);
});
