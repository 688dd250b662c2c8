/**
 * The "Linux host over SSH" target end to end against real OpenSSH sshd hosts on loopback, each with
 * its own users, sudoers and install root (testing/sshd-host.ts). The release is the simulator
 * launcher (by hand: a real Velociraptor, MEGARAPTOR_REAL_VELOCIRAPTOR=/path) served by a local HTTPS
 * release server and signed by a key gpg made for the run, so the whole chain runs: preflight → host
 * detection → download → verify → identities → system user → SFTP uploads → `user add` → unit →
 * self-destruction timer → start (the recording service manager runs the unit's process as its user)
 * → API over mTLS through an SSH tunnel as the registered identity → GUI login → connection → destroy
 * leaves no file, user, unit, process, secret, connection or journal. Every unit the product writes
 * passes `systemd-analyze verify`. Error paths: changed host key, wrong key, sudo refused, a bad
 * signature, a wrong asset, a truncated download, a full disk; expiry with a fake clock.
 */
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ProgressEvent } from '../../../../shared/deploy';
import type { AppError } from '../../../../shared/errors';
import { keychainStoreFor } from '../../credentials/index';
import { MemorySecretStore } from '../../credentials/memory-store';
import type { SecretStore } from '../../credentials/secret-store';
import { build, vql } from '../../velociraptor/vql/builder';
import { buildCli } from '../../../../scripts/build-cli.mjs';
import { identitySecrets } from '../server-identity';
import { openSsh } from '../ssh/connect';
import { RemoteFiles } from '../ssh/remote-files';
import { parseUnit, unitValue, onCalendarAt } from '../ssh/systemd-unit';
import { SMALL } from '../testing/docker-world';
import { makeTestSigner, type TestSigner } from '../testing/gpg';
import { systemdVerify, type RecordingServiceManager } from '../testing/recording-services';
import { startReleaseServer, type ReleaseServer } from '../testing/release-server';
import {
  makeClientKeys,
  sshdHosts,
  startSshdHost,
  TEST_PASSWORDS,
  type ClientKeys,
  type SshdHost,
} from '../testing/sshd-host';
import {
  HOST_SKELETON,
  hostSettings,
  makeSkeleton,
  signedRelease,
  SSH_TEST_ASSET,
  SSH_TEST_TAG,
  sshWorld,
  testServerBinary,
  type SshWorld,
} from '../testing/ssh-world';
import { hostLayout } from './layout';
import { sshHostPlan } from './ssh-host-deployer';
import { appErrorOf } from '../../../../test/app-error-of';

const hosts = sshdHosts();
const inKeyringSession = process.env.MEGARAPTOR_TEST_KEYRING === '1';
const HOUR = 3_600_000;

/** Every path under the host's install root that is not part of the base system or the test manager. */
async function leftOnHost(host: SshdHost): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (r === 'run/megaraptor-test-services' || r === 'small') continue;
      if (e.isDirectory()) {
        if (!HOST_SKELETON.some((s) => s === r || s.startsWith(`${r}/`))) out.push(`${r}/`);
        await walk(join(dir, e.name), r);
      } else out.push(r);
    }
  };
  await walk(host.prefix, '');
  return out;
}

/** Processes whose command line names the host's install root. */
async function processesOf(host: SshdHost): Promise<number[]> {
  const out: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    // The test service manager's supervisor shell names the host's run dir too; it is not the service.
    if (cmd.includes(host.prefix) && !cmd.startsWith('sh\0-c\0')) out.push(Number(pid));
  }
  return out;
}

function uidOf(passwd: string, user: string): number | null {
  const line = passwd.split('\n').find((l) => l.startsWith(`${user}:`));
  return line ? Number(line.split(':')[2]) : null;
}

it(`has ${hosts.name} (required in CI)`, () => hosts.check());

describe.runIf(hosts.run)('Linux host over SSH, against real sshd hosts', () => {
  let keys: ClientKeys;
  let signer: TestSigner;
  let releases: ReleaseServer;
  let root: string;
  let secrets: SecretStore;
  let world: SshWorld;
  let a: SshdHost; // deployer with sudo and a password
  let b: SshdHost; // root login, and NOPASSWD sudo
  let small: SshdHost; // a tiny filesystem
  let real = false;
  // The fake clock stays near the real one: certificates are minted at the clock's time and the
  // server's TLS peers check them at the real one.
  const base = Math.floor(Date.now() / 60_000) * 60_000;
  let now = new Date(base - 24 * HOUR);

  const deployer = {
    username: 'deployer',
    auth: { method: 'key' as const, keyPath: '' },
    sudo: { mode: 'sudo' as const, passwordRef: 'ssh:deployer-sudo' },
  };

  beforeAll(async () => {
    keys = await makeClientKeys();
    deployer.auth.keyPath = keys.plain;
    root = await mkdtemp(join(tmpdir(), 'megaraptor-ssh-host-int-'));
    await chmod(root, 0o755);
    // One at a time, so afterAll stops whatever started even when a later one fails.
    a = await startSshdHost(keys);
    b = await startSshdHost(keys);
    small = await startSshdHost(keys, { smallFsBytes: 2 * 1024 * 1024 });
    signer = await makeTestSigner();
    await Promise.all([a, b, small].map((h) => makeSkeleton(h.prefix)));
    const cli = await buildCli(join(root, 'megaraptor.mjs'));
    const server = await testServerBinary(cli);
    real = server.real;
    const sign = (d: Buffer) => signer.sign(d);
    const other = await makeTestSigner('Not The Release Key <other@example.invalid>');
    releases = await startReleaseServer([
      await signedRelease(SSH_TEST_TAG, { [SSH_TEST_ASSET]: server.data }, sign),
      // Signed by a key nobody trusts.
      await signedRelease('v0.77.1', { 'velociraptor-v0.77.1-linux-amd64': server.data }, (d) =>
        other.sign(d),
      ),
      // Only builds for other systems.
      await signedRelease('v0.77.0', { 'velociraptor-v0.77.0-darwin-amd64': server.data }, sign),
      // A binary too big for the small host.
      await signedRelease(
        'v0.76.9',
        { 'velociraptor-v0.76.9-linux-amd64': (await testServerBinary(cli, 3 * 1024 * 1024)).data },
        sign,
      ),
      // Served truncated on every attempt (set up in its test).
      await signedRelease('v0.76.8', { 'velociraptor-v0.76.8-linux-amd64': server.data }, sign),
    ]);
    await other.cleanup();
    const dataDir = join(root, 'data');
    secrets = inKeyringSession ? keychainStoreFor(dataDir) : new MemorySecretStore();
    await secrets.set('ssh:deployer-sudo', TEST_PASSWORDS.deployer);
    world = await sshWorld({
      dataDir,
      release: { url: releases.url, caPem: releases.caPem, key: signer.key },
      secrets,
      hosts: [a, b, small],
      clock: () => now,
    });
  }, 240_000);

  afterAll(async () => {
    await world?.close();
    await releases?.close();
    await signer?.cleanup();
    await Promise.all([a, b, small].map((h) => h?.stop()));
    await keys?.cleanup();
    await secrets?.delete('ssh:deployer-sudo');
    if (root) await rm(root, { recursive: true, force: true });
  }, 120_000);

  async function unitsOn(host: SshdHost): Promise<Record<string, string>> {
    const dir = join(host.prefix, 'etc/systemd/system');
    const out: Record<string, string> = {};
    for (const n of await readdir(dir)) out[n] = await readFile(join(dir, n), 'utf8');
    return out;
  }

  async function manager(
    host: SshdHost,
    deploymentId: string,
  ): Promise<{ m: RecordingServiceManager; close(): void }> {
    const conn = await openSsh(
      { host: host.host, port: host.port, username: 'root', auth: { method: 'key', keyPath: keys.plain } },
      {
        secrets,
        hostKeys: world.hostKeys,
      },
    );
    const layout = hostLayout(deploymentId, host.prefix, '/opt/velociraptor');
    return {
      m: world.services.factory(conn, new RemoteFiles(conn, layout.staging), layout),
      close: () => conn.close(),
    };
  }

  it('deploys a verified, connected server through sudo and destroys it without a trace', async () => {
    const settings = await hostSettings(a, deployer);
    const plan = await world.runner.plan('ssh', {
      name: 'ssh-rapid',
      profile: 'rapid',
      overrides: SMALL,
      settings,
    });
    expect(plan.steps.map((s) => s.id)).toEqual([
      'host',
      'binary',
      'identity',
      'account',
      'install',
      'config',
      'register',
      'unit',
      'expiry',
      'start',
      'verify-api',
      'verify-gui',
      'connect',
    ]);
    const layout = hostLayout(plan.deploymentId, a.prefix, '/opt/velociraptor');
    expect(
      plan.steps
        .flatMap((s) => s.resources)
        .filter((r) => r.kind !== 'secret')
        .map((r) => `${r.kind} ${r.id}`),
    ).toEqual(
      expect.arrayContaining([
        'system-user velociraptor',
        `remote-file ${layout.binary}`,
        `remote-file ${layout.config}`,
        `remote-file ${layout.datastore}`,
        'unit velociraptor_server.service',
        `unit megaraptor-expire-${plan.deploymentId}.timer`,
        `connection ssh-rapid`,
      ]),
    );
    expect(plan.warnings.join(' ')).toContain('ssh -N -L');

    const events: ProgressEvent[] = [];
    const t0 = Date.now();
    const out = await world.runner.deploy(plan, { onEvent: (e) => events.push(e) });
    console.log(
      `ssh host deployed in ${((Date.now() - t0) / 1000).toFixed(1)} s${real ? ' (real Velociraptor)' : ''}`,
    );
    expect(out.journal.state).toBe('deployed');
    expect(out.journal.outputs).toMatchObject({
      hostArch: 'amd64',
      binarySigned: true,
      binaryVersion: '0.77.2',
      serviceUserCreated: true,
      connectionName: 'ssh-rapid',
      apiEndpoint: `127.0.0.1:${settings.api!.port}`,
      targetDestroyAt: new Date(now.getTime() + 72 * HOUR).toISOString(),
    });
    const done = events
      .filter((e) => e.type === 'step' && e.state === 'done')
      .map((e) => (e as { step: string }).step);
    expect(done).toEqual(['preflight', ...plan.steps.map((s) => s.id)]);
    console.log(
      events
        .map((e) => (e.type === 'step' && e.state === 'done' ? `${e.step} ${e.ms ?? 0} ms` : ''))
        .filter(Boolean)
        .join(', '),
    );
    expect(events.some((e) => e.type === 'progress' && e.step === 'install' && e.fraction === 1)).toBe(true);

    // On the host: the files as upstream's package lays them out, owned by the user the step made.
    const passwd = await readFile(join(a.etc, 'passwd'), 'utf8');
    const vrUid = uidOf(passwd, 'velociraptor');
    expect(vrUid).not.toBeNull();
    const config = await stat(layout.config);
    expect([config.mode & 0o777, config.uid]).toEqual([0o600, vrUid]);
    expect([(await stat(layout.configDir)).mode & 0o777, (await stat(layout.datastore)).uid]).toEqual([
      0o700,
      vrUid,
    ]);
    expect([(await stat(layout.binary)).mode & 0o777, (await stat(layout.binary)).uid]).toEqual([0o755, 0]);
    const yaml = parse(await readFile(layout.config, 'utf8')) as Record<string, Record<string, unknown>>;
    expect(yaml.CA?.private_key).toBeUndefined();
    expect(yaml.API).toMatchObject({ bind_address: '127.0.0.1', bind_port: settings.api!.port });
    expect(yaml.Datastore?.location).toBe(layout.datastore);
    // Nothing of the upload stays behind.
    await expect(stat(layout.staging)).rejects.toThrow();

    // The units: upstream's settings, the profile's limits, and systemd accepts every one.
    const units = await unitsOn(a);
    expect(Object.keys(units).sort()).toEqual(
      [
        `megaraptor-expire-${plan.deploymentId}.service`,
        `megaraptor-expire-${plan.deploymentId}.timer`,
        'velociraptor_server.service',
      ].sort(),
    );
    const server = parseUnit(units['velociraptor_server.service']!);
    for (const [k, v] of [
      ['User', 'velociraptor'],
      ['Group', 'velociraptor'],
      ['LimitNOFILE', '20000'],
      ['Restart', 'always'],
      ['AmbientCapabilities', 'CAP_SYS_RESOURCE CAP_NET_BIND_SERVICE'],
      ['CapabilityBoundingSet', 'CAP_SYS_RESOURCE CAP_NET_BIND_SERVICE'],
      ['MemoryMax', String(1024 ** 3)],
      ['CPUQuota', '100%'],
      ['TasksMax', '1024'],
      ['ExecStart', `${layout.binary} --config ${layout.config} frontend`],
    ])
      expect(unitValue(server, 'Service', k!)).toBe(v);
    expect(
      unitValue(parseUnit(units[`megaraptor-expire-${plan.deploymentId}.timer`]!), 'Timer', 'OnCalendar'),
    ).toBe(onCalendarAt(new Date(now.getTime() + 72 * HOUR)));
    const verified = await systemdVerify(units);
    expect(verified.output).toBe('');
    expect(verified.ok).toBe(true);
    expect(world.services.calls).toEqual(
      expect.arrayContaining([
        { op: 'install', unit: 'velociraptor_server.service' },
        { op: 'enable', unit: 'velociraptor_server.service' },
        { op: 'start', unit: 'velociraptor_server.service' },
        { op: 'start', unit: `megaraptor-expire-${plan.deploymentId}.timer` },
      ]),
    );

    // The server runs as velociraptor, with the unit's file limit.
    const [pid] = await processesOf(a);
    expect(pid).toBeDefined();
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(vrUid));
    expect(await readFile(`/proc/${pid}/limits`, 'utf8')).toMatch(/Max open files\s+20000\s+20000/);

    // The server is among the connections and answers over mTLS as the registered identity.
    const conn =
      (await world.connections.service({ server: 'ssh-rapid', org: '' }),
      world.connections.registry.connection('ssh-rapid'));
    expect((await conn.queryRows(build(vql`SELECT whoami() AS User FROM scope()`))).rows).toEqual([
      { User: 'megaraptor-app' },
    ]);

    // No secret in what the app shows or keeps, nor on the host's side of the SSH log.
    const adminPassword = (await secrets.get(identitySecrets(plan.deploymentId).adminPassword.id))!;
    const seen = [
      JSON.stringify(events),
      await readFile(world.journals.pathOf(plan.deploymentId), 'utf8'),
      await a.log(),
      await readFile(join(root, 'data', 'connections.json'), 'utf8'),
    ].join('\n');
    for (const secret of [TEST_PASSWORDS.deployer, adminPassword, 'PRIVATE KEY'])
      expect(seen).not.toContain(secret);

    // Destroy: nothing left anywhere.
    const removed = await world.runner.destroy(plan.deploymentId);
    expect(removed.filter((r) => !r.ok)).toEqual([]);
    expect(await leftOnHost(a)).toEqual([]);
    expect(await processesOf(a)).toEqual([]);
    expect(await readFile(join(a.etc, 'passwd'), 'utf8')).not.toMatch(/^velociraptor:/m);
    expect(await readFile(join(a.etc, 'group'), 'utf8')).not.toMatch(/^velociraptor:/m);
    for (const r of Object.values(identitySecrets(plan.deploymentId)))
      expect(await secrets.get(r.id)).toBeUndefined();
    expect((await world.connections.list()).connections.map((c) => c.name)).not.toContain('ssh-rapid');
    expect(await readdir(world.journals.dir)).toEqual([]);
  }, 300_000);

  it('as root on a standard profile: no timer; an existing velociraptor user is used and kept', async () => {
    const conn = await openSsh(
      { host: b.host, port: b.port, username: 'root', auth: { method: 'key', keyPath: keys.plain } },
      {
        secrets,
        hostKeys: world.hostKeys,
      },
    );
    await conn.run('useradd --system --no-create-home velociraptor', { what: 'pre-existing user' });
    try {
      const settings = await hostSettings(b, {
        username: 'root',
        auth: { method: 'key', keyPath: keys.plain },
      });
      const plan = await world.runner.plan('ssh', {
        name: 'ssh-standard',
        profile: 'standard',
        overrides: SMALL,
        settings,
      });
      expect(plan.steps.map((s) => s.id)).not.toContain('expiry');
      const out = await world.runner.deploy(plan);
      expect(out.journal.outputs.serviceUserCreated).toBe(false);
      expect(out.journal.resources.map((r) => r.kind)).not.toContain('system-user');
      expect(out.journal.warnings.join(' ')).toContain('exists already');
      expect(Object.keys(await unitsOn(b))).toEqual(['velociraptor_server.service']);
      expect((await systemdVerify(await unitsOn(b))).ok).toBe(true);
      await world.runner.destroy(plan.deploymentId);
      expect(await leftOnHost(b)).toEqual([]);
      expect(await processesOf(b)).toEqual([]);
      // Not ours: kept.
      expect(await readFile(join(b.etc, 'passwd'), 'utf8')).toMatch(/^velociraptor:/m);
    } finally {
      await conn.run('userdel velociraptor', { what: 'clean-up' });
      conn.close();
    }
  }, 300_000);

  it('destroys itself on the host at the auto-destroy time (fake clock), and the app finds nothing left', async () => {
    now = new Date(base);
    const settings = await hostSettings(b, {
      username: 'nopass',
      auth: { method: 'key', keyPath: keys.plain },
      sudo: { mode: 'sudo' },
    });
    const plan = await world.runner.plan('ssh', {
      name: 'ssh-expiring',
      profile: 'rapid',
      overrides: { ...SMALL, autoDestroyHours: 2 },
      settings,
    });
    const out = await world.runner.deploy(plan);
    const at = Date.parse(String(out.journal.outputs.targetDestroyAt));
    expect(at).toBe(now.getTime() + 2 * HOUR);
    // The journaled timer resource the app's reaper looks for.
    expect(
      out.journal.resources.find((r) => r.id === `megaraptor-expire-${plan.deploymentId}.timer`),
    ).toMatchObject({
      kind: 'unit',
      state: 'created',
    });

    const host = await manager(b, plan.deploymentId);
    const m = host.m;
    try {
      // "Extend" moves the host's timer: the old instant fires nothing, the new one does.
      await world.deployer.rescheduleExpiry(sshHostPlan(plan), new Date(at + HOUR));
      expect(await m.fireDue(new Date(at + 1000))).toEqual([]);
      // The server runs (Velociraptor's frontend is a parent and a child process; the simulator one).
      expect((await processesOf(b)).length).toBeGreaterThan(0);
      expect(await m.fireDue(new Date(at + HOUR))).toEqual([`megaraptor-expire-${plan.deploymentId}.timer`]);
    } finally {
      host.close();
    }
    // The host removed everything by itself.
    expect(await leftOnHost(b)).toEqual([]);
    expect(await processesOf(b)).toEqual([]);
    expect(await readFile(join(b.etc, 'passwd'), 'utf8')).not.toMatch(/^velociraptor:/m);
    const calls = await readFile(join(b.prefix, 'run/megaraptor-test-services/calls.log'), 'utf8');
    expect(calls).toContain('teardown velociraptor_server.service');
    // The app's reaper (destroy) afterwards: every removal succeeds on what is already gone.
    now = new Date(at + HOUR + 60_000);
    const removed = await world.runner.destroy(plan.deploymentId);
    expect(removed.filter((r) => !r.ok)).toEqual([]);
    expect(await readdir(world.journals.dir)).toEqual([]);
    // Back to the present: later deployments mint certificates at the clock's time.
    now = new Date(base);
  }, 300_000);

  it('refuses a host whose key changed, before logging in, and makes nothing', async () => {
    const host = await startSshdHost(keys);
    try {
      await makeSkeleton(host.prefix);
      await world.hostKeys.remember(host.host, host.port, host.hostKeyBlob);
      await host.rotateHostKey();
      const plan = await world.runner.plan('ssh', {
        name: 'ssh-spoofed',
        profile: 'standard',
        overrides: SMALL,
        settings: await hostSettings(host, {
          username: 'root',
          auth: { method: 'key', keyPath: keys.plain },
        }),
      });
      const e = await appErrorOf(world.runner.deploy(plan));
      expect(e.code).toBe('DEPLOY_PREFLIGHT_FAILED');
      expect(e.message).toMatch(/host key of \[127\.0\.0\.1\]:\d+ changed/);
      expect(await host.log()).not.toMatch(/Accepted publickey/);
      expect(await leftOnHost(host)).toEqual([]);
      expect((await world.journals.read(plan.deploymentId)).resources).toEqual([]);
      await world.journals.delete(plan.deploymentId);
    } finally {
      await host.stop();
    }
  }, 120_000);

  it('says clearly when the key is wrong or sudo refuses', async () => {
    const wrong = await world.runner.plan('ssh', {
      name: 'ssh-wrong-key',
      profile: 'standard',
      overrides: SMALL,
      settings: await hostSettings(a, { username: 'root', auth: { method: 'key', keyPath: keys.stranger } }),
    });
    const e1 = await appErrorOf(world.runner.deploy(wrong));
    expect(e1.code).toBe('DEPLOY_PREFLIGHT_FAILED');
    expect(e1.message).toContain(`refused the login as "root" with the key ${keys.stranger}`);
    await world.journals.delete(wrong.deploymentId);

    const nosudo = await world.runner.plan('ssh', {
      name: 'ssh-no-sudo',
      profile: 'standard',
      overrides: SMALL,
      settings: await hostSettings(a, {
        username: 'nosudo',
        auth: { method: 'key', keyPath: keys.plain },
        sudo: { mode: 'sudo', passwordRef: 'ssh:nosudo' },
      }),
    });
    await secrets.set('ssh:nosudo', TEST_PASSWORDS.nosudo);
    const e2 = await appErrorOf(world.runner.deploy(nosudo));
    await secrets.delete('ssh:nosudo');
    expect(e2.message).toContain('"nosudo" may not use sudo');
    expect(await leftOnHost(a)).toEqual([]);
    await world.journals.delete(nosudo.deploymentId);
  }, 120_000);

  it('refuses a bad signature, a wrong asset, a truncated download and a full disk, leaving nothing', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['v0.77.1', 'RELEASE_SIGNATURE_INVALID', /valid signature of the release key/],
      ['v0.77.0', 'RELEASE_ASSET_MISSING', /has no linux-amd64 build/],
      ['v0.76.8', 'RELEASE_DOWNLOAD_INCOMPLETE', /./],
    ];
    // Every transfer of v0.76.8's binary is cut after 50 bytes.
    const push = releases.requests.push.bind(releases.requests);
    releases.requests.push = (...r) => {
      releases.cutOnce('velociraptor-v0.76.8-linux-amd64', 50);
      return push(...r);
    };
    for (const [tag, code, message] of cases) {
      const settings = await hostSettings(a, deployer, { binary: { kind: 'release', tag } });
      const plan = await world.runner.plan('ssh', {
        name: `ssh-${tag}`,
        profile: 'standard',
        overrides: SMALL,
        settings,
      });
      const e = await appErrorOf(world.runner.deploy(plan), tag);
      // The runner reports DEPLOY_FAILED with the step's own error as the cause.
      expect([tag, e.code, (e.cause as AppError).code]).toEqual([tag, 'DEPLOY_FAILED', code]);
      expect(e.message).toMatch(message);
      expect(e.message).toContain('Everything it had made was removed');
      expect(await leftOnHost(a)).toEqual([]);
      await world.journals.delete(plan.deploymentId);
    }
    releases.requests.push = push;
    expect(await readdir(join(root, 'data', 'releases', 'v0.76.8')).catch(() => [])).not.toContain(
      'velociraptor-v0.76.8-linux-amd64',
    );

    // A binary bigger than the host's free space: refused before the transfer, rolled back. The small
    // filesystem is mounted in the host's own namespace: its skeleton is made and read over SSH.
    const rootOnSmall = await openSsh(
      { host: small.host, port: small.port, username: 'root', auth: { method: 'key', keyPath: keys.plain } },
      { secrets, hostKeys: world.hostKeys },
    );
    const smallRoot = join(small.prefix, 'small');
    await rootOnSmall.run(
      `${HOST_SKELETON.map((d) => `mkdir -p ${smallRoot}/${d}`).join(' && ')} && chmod 1777 ${smallRoot}/var/tmp`,
      { what: 'skeleton' },
    );
    const full = await world.runner.plan('ssh', {
      name: 'ssh-full',
      profile: 'standard',
      overrides: { ...SMALL, minimum: { ...SMALL.minimum, diskBytes: 0 } },
      settings: await hostSettings(
        small,
        { username: 'root', auth: { method: 'key', keyPath: keys.plain } },
        {
          prefix: join(small.prefix, 'small'),
          binary: { kind: 'release', tag: 'v0.76.9' },
        },
      ),
    });
    const e = await appErrorOf(world.runner.deploy(full));
    expect((e.cause as AppError).code).toBe('SSH_NO_SPACE');
    expect(e.message).toContain('KiB free');
    expect(e.details?.rollback).toEqual(expect.arrayContaining([expect.objectContaining({ ok: true })]));
    expect(e.message).toContain('Everything it had made was removed');
    expect(await readFile(join(small.etc, 'passwd'), 'utf8')).not.toMatch(/^velociraptor:/m);
    const found = await rootOnSmall.run(`cd ${smallRoot} && find . -mindepth 1 | sort`, { what: 'find' });
    expect(
      found.stdout
        .trim()
        .split('\n')
        .map((l) => l.slice(2)),
    ).toEqual(
      [
        ...new Set(
          HOST_SKELETON.flatMap((d) => d.split('/').map((_, i, all) => all.slice(0, i + 1).join('/'))),
        ),
      ].sort(),
    );
    rootOnSmall.close();
    await world.journals.delete(full.deploymentId);
    // And the profile's disk minimum alone refuses the tiny host in preflight.
    const tooSmall = await world.runner.plan('ssh', {
      name: 'ssh-small',
      profile: 'standard',
      overrides: SMALL,
      settings: await hostSettings(
        small,
        { username: 'root', auth: { method: 'key', keyPath: keys.plain } },
        {
          prefix: join(small.prefix, 'small'),
        },
      ),
    });
    const pre = await appErrorOf(world.runner.deploy(tooSmall));
    expect(pre.code).toBe('DEPLOY_PREFLIGHT_FAILED');
    expect(pre.message).toContain('Free disk for the datastore');
    await world.journals.delete(tooSmall.deploymentId);
  }, 300_000);
});
