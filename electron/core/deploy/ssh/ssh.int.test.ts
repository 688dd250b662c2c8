/**
 * The SSH layer against real OpenSSH sshd hosts on loopback (testing/sshd-host.ts: each in a mount
 * namespace of its own, with its own users and sudoers): logins by key, encrypted key, agent and
 * password; host keys unknown / confirmed and remembered / changed; jump hosts; sudo with and
 * without a password and refused; commands with exit codes and bounded output; SFTP uploads with
 * progress into root-owned places; a full disk; port forwards; platform detection; system users.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemorySecretStore } from '../../credentials/memory-store';
import {
  makeClientKeys,
  sshdHosts,
  startSshdHost,
  TEST_PASSWORDS,
  type ClientKeys,
  type SshdHost,
} from '../testing/sshd-host';
import { createSystemUser, removeSystemUser, userExists } from './accounts';
import { openSsh, probeHostKey, type SshDeps } from './connect';
import type { SshConnection } from './connection';
import { HostKeyStore } from './host-keys';
import { fingerprintOf, knownHostsLine } from './known-hosts';
import { detectPlatform, freeDiskBytes, freeDiskBytesAt, listeningSockets } from './platform';
import { RemoteFiles } from './remote-files';
import type { SshTargetInput } from './target';
import { appErrorOf } from '../../../../test/app-error-of';

const run = promisify(execFile);
const hosts = sshdHosts();

it(`has ${hosts.name} (required in CI)`, () => hosts.check());

describe.runIf(hosts.run)('SSH layer against real sshd hosts', () => {
  let keys: ClientKeys;
  let a: SshdHost;
  let b: SshdHost;
  let small: SshdHost;
  /** Logs forwarded connections (DEBUG1); used only as a jump host (its debug lines reach sessions). */
  let jump: SshdHost;
  let work: string;
  const secrets = new MemorySecretStore();
  let deps: SshDeps;
  const opened: SshConnection[] = [];

  /** Every host's key trusted through a user known_hosts file, as a responder's ~/.ssh would. */
  async function trustingDeps(): Promise<SshDeps> {
    const userFile = join(work, `known_hosts-${randomBytes(3).toString('hex')}`);
    await writeFile(
      userFile,
      [a, b, small, jump]
        .map((h) => knownHostsLine(h.host, h.port, h.hostKeyBlob, { hashed: false }))
        .join('\n'),
    );
    return {
      secrets,
      hostKeys: new HostKeyStore({ appFile: join(work, 'app_known_hosts'), userFiles: [userFile] }),
    };
  }

  async function open(target: SshTargetInput, d: SshDeps = deps): Promise<SshConnection> {
    const c = await openSsh(target, d);
    opened.push(c);
    return c;
  }

  const root = (h: SshdHost): SshTargetInput => ({
    host: h.host,
    port: h.port,
    username: 'root',
    auth: { method: 'key', keyPath: keys.plain },
  });

  beforeAll(async () => {
    keys = await makeClientKeys();
    work = await mkdtemp(join(tmpdir(), 'megaraptor-ssh-test-'));
    // One at a time, so afterAll stops whatever started even when a later one fails.
    a = await startSshdHost(keys);
    b = await startSshdHost(keys, { passwordAuth: true });
    small = await startSshdHost(keys, { smallFsBytes: 1024 * 1024 });
    jump = await startSshdHost(keys, { logLevel: 'DEBUG1' });
    await secrets.set('ssh:passphrase', keys.passphrase);
    await secrets.set('ssh:deployer', TEST_PASSWORDS.deployer);
    await secrets.set('ssh:wrong', 'not-the-password');
    deps = await trustingDeps();
  });

  afterAll(async () => {
    for (const c of opened) c.close();
    await Promise.all([a, b, small, jump].map((h) => h?.stop()));
    await keys?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('runs commands with exit codes, stdin, bounded stdout and the tail of stderr', async () => {
    const c = await open(root(a));
    expect((await c.exec('uname -s')).stdout.trim()).toBe('Linux');
    const failed = await c.exec('echo out; echo err >&2; exit 3');
    expect(failed).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect((await c.exec('cat', { stdin: 'from stdin' })).stdout).toBe('from stdin');
    const big = await c.exec('head -c 3000000 /dev/zero | tr "\\0" a; seq 1 20000 >&2', {
      maxStdout: 1000,
      maxStderr: 100,
    });
    expect(big.stdout).toHaveLength(1000);
    expect(big.stdoutTruncated).toBe(true);
    expect(big.stderrTruncated).toBe(true);
    expect(big.stderr.trim().endsWith('20000')).toBe(true);
    const e = await appErrorOf(c.run('ls /no/such/dir', { what: 'Listing' }));
    expect(e.code).toBe('SSH_COMMAND_FAILED');
    expect(e.message).toMatch(/Listing on root@127\.0\.0\.1:\d+ failed \(exit 2\): .*No such file/);
    const slow = await appErrorOf(c.exec('sleep 30', { timeoutMs: 300 }));
    expect(slow.code).toBe('TIMEOUT');
  });

  it('refuses a host key never seen, then remembers the one the responder confirmed', async () => {
    const hostKeys = new HostKeyStore({ appFile: join(work, 'confirmed_known_hosts'), userFiles: [] });
    const unknown = await appErrorOf(open(root(a), { secrets, hostKeys }));
    expect(unknown.code).toBe('SSH_HOST_KEY_UNKNOWN');
    expect(unknown.details).toMatchObject({
      fingerprint: fingerprintOf(a.hostKeyBlob),
      keyType: 'ssh-ed25519',
    });
    expect(unknown.message).toContain(fingerprintOf(a.hostKeyBlob));

    // The wizard's probe shows the same fingerprint without logging in.
    expect((await probeHostKey(a)).fingerprint).toBe(fingerprintOf(a.hostKeyBlob));

    const asked: string[] = [];
    const c = await open(root(a), {
      secrets,
      hostKeys,
      confirmHostKey: (k) => {
        asked.push(k.fingerprint);
        return Promise.resolve(true);
      },
    });
    expect((await c.exec('true')).code).toBe(0);
    expect(asked).toEqual([fingerprintOf(a.hostKeyBlob)]);
    // Remembered, hashed (the file does not list host names): no question the second time.
    const file = await readFile(join(work, 'confirmed_known_hosts'), 'utf8');
    expect(file).toMatch(/^\|1\|/);
    expect(file).not.toContain('127.0.0.1');
    const again = await open(root(a), { secrets, hostKeys });
    expect((await again.exec('true')).code).toBe(0);
  });

  it('refuses a changed host key with a clear error, whatever a confirm callback would say', async () => {
    const host = await startSshdHost(keys);
    try {
      const hostKeys = new HostKeyStore({ appFile: join(work, 'rotated_known_hosts'), userFiles: [] });
      await hostKeys.remember(host.host, host.port, host.hostKeyBlob);
      const old = fingerprintOf(host.hostKeyBlob);
      await host.rotateHostKey();
      let asked = false;
      const e = await appErrorOf(
        open(root(host), {
          secrets,
          hostKeys,
          confirmHostKey: () => {
            asked = true;
            return Promise.resolve(true);
          },
        }),
      );
      expect(e.code).toBe('SSH_HOST_KEY_MISMATCH');
      expect(asked).toBe(false);
      expect(e.message).toContain(`changed: it is now ssh-ed25519 ${fingerprintOf(host.hostKeyBlob)}`);
      expect(e.message).toContain(old);
      expect(e.message).toContain('ssh-keygen -R');
      // Nothing ran: sshd never saw an authentication.
      expect(await host.log()).not.toMatch(/Accepted publickey/);
    } finally {
      await host.stop();
    }
  });

  it('tells a wrong key, a locked key and a closed port apart', async () => {
    const wrong = await appErrorOf(open({ ...root(a), auth: { method: 'key', keyPath: keys.stranger } }));
    expect(wrong.code).toBe('SSH_AUTH_FAILED');
    expect(wrong.message).toContain(`refused the login as "root" with the key ${keys.stranger}`);

    const locked = await appErrorOf(open({ ...root(a), auth: { method: 'key', keyPath: keys.encrypted } }));
    expect(locked.code).toBe('SSH_KEY_UNUSABLE');
    expect(locked.message).toContain('no passphrase is saved in the keychain');

    const badPass = await appErrorOf(
      open({ ...root(a), auth: { method: 'key', keyPath: keys.encrypted, passphraseRef: 'ssh:wrong' } }),
    );
    expect(badPass.code).toBe('SSH_KEY_UNUSABLE');
    expect(badPass.message).toContain('does not open it');
    expect(badPass.message).not.toContain('not-the-password');

    const c = await open({
      ...root(a),
      auth: { method: 'key', keyPath: keys.encrypted, passphraseRef: 'ssh:passphrase' },
    });
    expect((await c.exec('id -un')).stdout.trim()).toBe('root');

    const closed = await appErrorOf(open({ ...root(a), port: 1 }));
    expect(closed.code).toBe('SSH_UNREACHABLE');
    expect(closed.message).toContain('127.0.0.1:1 cannot be reached');

    const missingFile = await appErrorOf(
      open({ ...root(a), auth: { method: 'key', keyPath: join(work, 'nope') } }),
    );
    expect(missingFile.code).toBe('SSH_KEY_UNUSABLE');
    expect(missingFile.message).toContain('does not exist');
  });

  it('logs in with the keys of a real ssh-agent, and says so when there is none', async () => {
    const sock = join(work, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50; i++) {
        if (
          await run('ssh-add', ['-l'], { env: { ...process.env, SSH_AUTH_SOCK: sock } }).then(
            () => true,
            (e: { code?: number }) => e.code === 1, // 1 = agent up, no identities yet
          )
        )
          break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await run('ssh-add', [keys.plain], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
      const c = await open({ ...root(a), auth: { method: 'agent', socket: sock } });
      expect((await c.exec('id -un')).stdout.trim()).toBe('root');
      const saved = process.env.SSH_AUTH_SOCK;
      delete process.env.SSH_AUTH_SOCK;
      try {
        const none = await appErrorOf(open({ ...root(a), auth: { method: 'agent' } }));
        expect(none.code).toBe('SSH_AUTH_FAILED');
        expect(none.message).toContain('No ssh-agent is running');
      } finally {
        if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
      }
    } finally {
      agent.kill();
    }
  });

  it('logs in with a password from the keychain where the host allows it', async () => {
    const ok = await open({
      host: b.host,
      port: b.port,
      username: 'deployer',
      auth: { method: 'password', passwordRef: 'ssh:deployer' },
    });
    expect((await ok.exec('id -un')).stdout.trim()).toBe('deployer');
    const bad = await appErrorOf(
      open({
        host: b.host,
        port: b.port,
        username: 'deployer',
        auth: { method: 'password', passwordRef: 'ssh:wrong' },
      }),
    );
    expect(bad.code).toBe('SSH_AUTH_FAILED');
    expect(bad.message).not.toContain('not-the-password');
  });

  it('reaches a host through a jump host, checking both host keys', async () => {
    const c = await open({ ...root(b), jumps: [root(jump)] });
    expect((await c.exec('id -un')).stdout.trim()).toBe('root');
    // The jump host opened the forwarded connection to b (its DEBUG1 log).
    expect(await jump.log()).toContain(`target 127.0.0.1 port ${b.port}`);
    // b's key unknown: refused even though the jump host's is known.
    const onlyJump = new HostKeyStore({ appFile: join(work, 'only-jump'), userFiles: [] });
    await onlyJump.remember(jump.host, jump.port, jump.hostKeyBlob);
    const e = await appErrorOf(open({ ...root(b), jumps: [root(jump)] }, { secrets, hostKeys: onlyJump }));
    expect(e.code).toBe('SSH_HOST_KEY_UNKNOWN');
    expect(e.details).toMatchObject({ port: b.port });
  });

  it('becomes root through sudo with a password, without one, and reports a refusal', async () => {
    const as = (username: string, sudo: SshTargetInput['sudo']): SshTargetInput => ({
      host: a.host,
      port: a.port,
      username,
      auth: { method: 'key', keyPath: keys.plain },
      ...(sudo ? { sudo } : {}),
    });
    const withPw = await open(as('deployer', { mode: 'sudo', passwordRef: 'ssh:deployer' }));
    expect((await withPw.run('id -u', { root: true, what: 'id' })).stdout.trim()).toBe('0');
    // The password is consumed by sudo: the command's stdin starts with the caller's bytes.
    expect((await withPw.run('cat', { root: true, what: 'cat', stdin: 'payload' })).stdout).toBe('payload');
    expect((await withPw.exec('id -u')).stdout.trim()).not.toBe('0');

    const nopass = await open(as('nopass', { mode: 'sudo' }));
    expect((await nopass.run('id -u', { root: true, what: 'id' })).stdout.trim()).toBe('0');

    const wrongPw = await open(as('deployer', { mode: 'sudo', passwordRef: 'ssh:wrong' }));
    const refused = await appErrorOf(wrongPw.run('id -u', { root: true, what: 'id' }));
    expect(refused.code).toBe('SSH_SUDO_REFUSED');
    expect(refused.message).toContain('did not accept the password');
    expect(refused.message).not.toContain('not-the-password');
    expect(await wrongPw.canBecomeRoot()).toMatchObject({ ok: false });

    const asks = await open(as('deployer', { mode: 'sudo' }));
    expect((await appErrorOf(asks.run('true', { root: true, what: 'x' }))).message).toContain(
      'asks "deployer" for a password',
    );

    const nosudo = await open(as('nosudo', { mode: 'sudo' }));
    const e = await appErrorOf(nosudo.run('true', { root: true, what: 'x' }));
    expect(e.code).toBe('SSH_SUDO_REFUSED');

    const noPolicy = await open(as('deployer', undefined));
    expect((await appErrorOf(noPolicy.run('true', { root: true, what: 'Installing' }))).message).toContain(
      'needs root',
    );
  });

  it('uploads over SFTP with progress and installs files root owns, with mode and owner', async () => {
    const c = await open({
      host: a.host,
      port: a.port,
      username: 'deployer',
      auth: { method: 'key', keyPath: keys.plain },
      sudo: { mode: 'sudo', passwordRef: 'ssh:deployer' },
    });
    const files = new RemoteFiles(c, `${a.prefix}/var/tmp/megaraptor-upload-test`);
    await files.prepareStaging();
    const local = join(work, 'payload.bin');
    const data = randomBytes(3 * 1024 * 1024 + 5);
    await writeFile(local, data);
    const progress: number[] = [];
    const dest = `${a.prefix}/usr/local/bin/payload`;
    await files.mkdir(`${a.prefix}/usr/local/bin`, { mode: 0o755, owner: 'root', group: 'root' });
    await files.install({ localPath: local }, dest, { mode: 0o750, owner: 'nopass', group: 'nopass' }, (p) =>
      progress.push(p.done),
    );
    expect(progress.at(-1)).toBe(data.length);
    expect(await files.sha256(dest)).toBe(createHash('sha256').update(data).digest('hex'));
    expect((await c.run(`stat -c '%a %U %G' ${dest}`, { root: true, what: 'stat' })).stdout.trim()).toBe(
      '750 nopass nopass',
    );
    const secret = `${a.prefix}/etc/velociraptor/secret.yaml`;
    await files.mkdir(`${a.prefix}/etc/velociraptor`, { mode: 0o700, owner: 'root', group: 'root' });
    await files.install({ data: 'key: material\n' }, secret, { mode: 0o600, owner: 'root', group: 'root' });
    expect((await c.exec(`cat ${secret}`)).code).not.toBe(0); // deployer cannot read it
    expect((await c.run(`cat ${secret}`, { root: true, what: 'cat' })).stdout).toBe('key: material\n');
    // Nothing stays in the staging folder.
    expect((await c.run(`ls -A ${files.stagingDir}`, { what: 'ls' })).stdout).toBe('');
    expect(await files.exists(secret)).toBe(true);
    await files.remove(secret);
    expect(await files.exists(secret)).toBe(false);
    await expect(files.removeTree('/etc')).rejects.toThrow(/Refusing/);
    await expect(files.removeTree(`${a.prefix}/../x/../../etc`)).rejects.toThrow(/Refusing/);
    await files.removeStaging();
  });

  it('sends small packets at once (no Nagle delay waiting for the host to acknowledge)', async () => {
    const noDelay = vi.spyOn(Socket.prototype, 'setNoDelay');
    try {
      await open(root(a));
      expect(noDelay).toHaveBeenCalledWith(true);
    } finally {
      noDelay.mockRestore();
    }
  });

  it('installs a file in two commands: one space check for every folder, one install', async () => {
    const c = await open(root(small));
    const files = new RemoteFiles(c, `${small.prefix}/small/staging-count`);
    await files.prepareStaging();
    const exec = vi.spyOn(c, 'exec');
    try {
      await files.install({ data: 'unit: text\n' }, `${small.prefix}/var/tmp/counted.conf`, { mode: 0o644 });
      expect(exec.mock.calls.map(([command]) => command.split(' ')[0])).toEqual(['for', 'install']);
    } finally {
      exec.mockRestore();
    }
    expect((await c.run(`ls -A ${files.stagingDir}`, { what: 'ls' })).stdout).toBe('');
    const [onSmall, onPrefix] = await freeDiskBytesAt(c, [
      `${small.prefix}/small/not/yet`,
      `${small.prefix}/var/tmp/counted.conf`,
    ]);
    expect(onSmall!.at).toBe(`${small.prefix}/small`);
    expect(onSmall!.bytes).toBeLessThan(4 * 1024 * 1024);
    expect(onPrefix!.at).toBe(`${small.prefix}/var/tmp/counted.conf`);
    expect(onPrefix!.bytes).toBeGreaterThan(onSmall!.bytes);
    await files.removeStaging();
  });

  it('reports a full disk as SSH_NO_SPACE, before and during a transfer', async () => {
    const c = await open(root(small));
    const files = new RemoteFiles(c, `${small.prefix}/small/staging`);
    await files.prepareStaging();
    const e = await appErrorOf(
      files.install({ data: randomBytes(2 * 1024 * 1024) }, `${small.prefix}/small/big`, { mode: 0o600 }),
    );
    expect(e.code).toBe('SSH_NO_SPACE');
    expect(e.message).toMatch(/KiB free at .*small/);
    const during = await appErrorOf(
      c.run(`head -c 2000000 /dev/zero > ${small.prefix}/small/fill`, { what: 'Filling' }),
    );
    expect(during.code).toBe('SSH_NO_SPACE');
  });

  it('detects the platform, free disk, listening ports; forwards a local port', async () => {
    const c = await open(root(a));
    const p = await detectPlatform(c);
    expect(p).toMatchObject({
      os: 'linux',
      arch: process.arch === 'arm64' ? 'arm64' : 'amd64',
      init: 'other',
    });
    expect(p.distro?.id).toBe('debian');
    expect(p.cpus).toBeGreaterThan(0);
    expect(p.memoryBytes).toBeGreaterThan(256 * 1024 * 1024);
    expect((await freeDiskBytes(c, `${a.prefix}/opt/not/yet`)).at).toBe(a.prefix);
    expect((await listeningSockets(c)).some((s) => s.port === a.port && s.address === '127.0.0.1')).toBe(
      true,
    );

    const fwd = await c.forwardLocal('127.0.0.1', b.port);
    const banner = await new Promise<string>((resolve, reject) => {
      const s = connect(fwd.port, '127.0.0.1');
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString());
      });
      s.once('error', reject);
    });
    expect(banner).toMatch(/^SSH-2\.0-OpenSSH/);
    await fwd.close();
  });

  it('creates and removes a system user on the host only', async () => {
    const c = await open({
      host: a.host,
      port: a.port,
      username: 'nopass',
      auth: { method: 'key', keyPath: keys.plain },
      sudo: { mode: 'sudo' },
    });
    expect(await userExists(c, 'velociraptor')).toBe(false);
    await createSystemUser(c, { name: 'velociraptor', home: '/etc/velociraptor' });
    expect(await userExists(c, 'velociraptor')).toBe(true);
    const passwd = await readFile(join(a.etc, 'passwd'), 'utf8');
    expect(passwd).toMatch(
      /^velociraptor:x:\d+:\d+:Velociraptor server:\/etc\/velociraptor:\/usr\/sbin\/nologin$/m,
    );
    expect(await readFile('/etc/passwd', 'utf8')).not.toMatch(/^velociraptor:/m);
    await removeSystemUser(c, 'velociraptor');
    await removeSystemUser(c, 'velociraptor'); // gone already: fine
    expect(await readFile(join(a.etc, 'passwd'), 'utf8')).not.toMatch(/^velociraptor:/m);
    expect(await readFile(join(a.etc, 'group'), 'utf8')).not.toMatch(/^velociraptor:/m);
  });
});
